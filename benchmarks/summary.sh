#!/usr/bin/env bash
# summary.sh: compact Markdown tables of a benchmarks/run results directory,
# one per case, for docs/performance.md.
#
# Usage: benchmarks/summary.sh DIR > summary.md   (reads DIR/results.csv)
# Columns are the variants (grt first), so grt's figures appear beside the
# peers' as soon as grt's bench_* programs print them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:?usage: summary.sh DIR}
csv=$dir/results.csv
[[ -f $csv ]] || { echo "summary.sh: no $csv" >&2; exit 1; }

# table TITLE FIRST-COLUMN-NAME -- pivot.awk variable assignments...
table() {
    local title=$1 first=$2
    shift 3
    local dat
    if ! dat=$(awk "$@" -f "$here/pivot.awk" "$csv"); then
        return 0
    fi
    printf '%s\n\n' "$title"
    awk -v first="$first" '
        function fmt(x) {
            if (x == "NaN") return "-"
            if (x + 0 == 0) return "0"
            a = (x < 0) ? -x : x
            if (a >= 1e6 || a < 1e-3) return sprintf("%.3g", x)
            return sprintf("%.4g", x)
        }
        NR == 1 {
            printf "| %s |", first
            for (i = 2; i <= NF; i++) printf " %s |", $i
            printf "\n|---|"
            for (i = 2; i <= NF; i++) printf "---:|"
            printf "\n"
            next
        }
        {
            printf "| %s |", $1
            for (i = 2; i <= NF; i++) printf " %s |", fmt($i)
            printf "\n"
        }' <<<"$dat"
    printf '\n'
}

table "**Empty-task overhead**, microseconds per task (lower is better)" "pattern, workers" -- \
    -v casere='^task_' -v strip='^task_' -v metric=us_per_task \
    -v roworder='empty_w1 empty_w2 chain_w1 chain_w2 independent_w1 independent_w2 fanout_w1 fanout_w2'
table "**Task Bench METG(50%)**, microseconds (lower is better); column = variant-processors" "pattern" -- \
    -v casere='^taskbench_' -v exclude='^taskbench_kernel$' -v metric=metg50 -v col=variant_ranks \
    -v roworder='trivial no_comm stencil_1d nearest_r3 nearest_r5 fft tree spread all_to_all'
table "**Task Bench kernel with no runtime**, GFLOP/s (the 100% of METG's efficiency)" "processors" -- \
    -v casere='^taskbench_kernel$' -v metric=peak -v row=ranks
table "**Jacobi 2-D** time per iteration, ms (lower is better)" "ranks" -- \
    -v casere='^jacobi$' -v metric=time_per_iter -v row=ranks
table "**Jacobi 2-D bandwidth and STREAM triad**, GB/s (higher is better)" "ranks / threads" -- \
    -v casere='^(jacobi|stream_triad)$' -v metric=bandwidth -v row=ranks
table "**CG** time per iteration, ms (lower is better)" "ranks" -- \
    -v casere='^cg$' -v metric=time_per_iter -v row=ranks
table "**GEMM**, GFLOP/s (higher is better)" "threads" -- \
    -v casere='^gemm$' -v metric=gflops -v row=ranks
