#!/usr/bin/env bash
# plot.sh: PNG plots of a benchmarks/run results directory, with gnuplot.
#
# Usage: benchmarks/plot.sh DIR    (reads DIR/results.csv, writes DIR/*.png)
# Each plot is a clustered bar chart of one metric: labels on the x axis,
# one bar per series (grt first, then the peers). A plot with no data is
# skipped. Exits 0 with a note if gnuplot is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:?usage: plot.sh DIR}
csv=$dir/results.csv
[[ -f $csv ]] || { echo "plot.sh: no $csv" >&2; exit 1; }
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "plot.sh: gnuplot not found (apt-get install gnuplot-nox); no plots" >&2
    exit 0
fi
work=$dir/plotdata
mkdir -p "$work"

# bars NAME TITLE YLABEL LOG(0|1) XLABEL -- pivot.awk variable assignments...
bars() {
    local name=$1 title=$2 ylabel=$3 logy=$4 xlabel=$5
    shift 6
    local dat=$work/$name.dat
    if ! awk "$@" -f "$here/pivot.awk" "$csv" > "$dat"; then
        echo "  plot $name.png: no data, skipped" >&2
        return 0
    fi
    local ncol
    ncol=$(head -1 "$dat" | awk '{print NF}')
    gnuplot 2>"$work/$name.gnuplot.log" <<EOF || { echo "  plot $name.png: gnuplot failed (see $work/$name.gnuplot.log)" >&2; return 0; }
set terminal pngcairo size 1100,600 font ",10"
set output "$dir/$name.png"
set title "$title"
set ylabel "$ylabel"
set xlabel "$xlabel"
set datafile missing "NaN"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top autotitle columnheader noenhanced
set xtics rotate by -30 noenhanced
set grid ytics
$( [[ $logy == 1 ]] && echo 'set logscale y' || echo 'set yrange [0:*]' )
plot for [i=2:$ncol] "$dat" using i:xtic(1)
EOF
    echo "  plot $name.png" >&2
}

bars task_overhead "Empty-task overhead (per task, lower is better)" "microseconds per task" 1 \
    "pattern and workers" -- -v casere='^task_' -v strip='^task_' -v metric=us_per_task \
    -v roworder='empty_w1 empty_w2 chain_w1 chain_w2 independent_w1 independent_w2 fanout_w1 fanout_w2'
bars taskbench_metg "Task Bench METG(50%) (lower is better)" "METG (microseconds)" 1 \
    "pattern" -- -v casere='^taskbench_' -v exclude='^taskbench_kernel$' -v metric=metg50 -v col=variant_ranks \
    -v roworder='trivial no_comm stencil_1d nearest_r3 nearest_r5 fft tree spread all_to_all'
bars jacobi_bandwidth "Jacobi 2-D stencil bandwidth vs STREAM triad (higher is better)" "GB/s" 0 \
    "ranks (processors)" -- -v casere='^(jacobi|stream_triad)$' -v metric=bandwidth -v row=ranks -v col=variant
bars jacobi_time "Jacobi 2-D time per iteration (lower is better)" "ms per iteration" 0 \
    "ranks" -- -v casere='^jacobi$' -v metric=time_per_iter -v row=ranks
bars cg_time "CG on the 2-D Laplacian, time per iteration (lower is better)" "ms per iteration" 0 \
    "ranks" -- -v casere='^cg$' -v metric=time_per_iter -v row=ranks
bars gemm "GEMM (higher is better)" "GFLOP/s" 0 \
    "threads" -- -v casere='^gemm$' -v metric=gflops -v row=ranks
