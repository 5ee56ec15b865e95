#!/usr/bin/env bash
# benchmarks/pairs.sh: grt against its MPI peer in alternating pairs.
#
#   benchmarks/pairs.sh [--rounds K] [--ranks "1 2 4"] [--quick] [--build DIR]
#                       [--isolate] CASE...        (CASE: jacobi, cg)
#
# For each case and rank count, runs grt's program (bench_CASE) and the
# peer (CASE_mpi) one after the other, K times (default 5), so that both see
# the same machine state, and prints CSV rows
#   CASE_pairs,grt,R,time_per_iter_median,<ms>,ms
#   CASE_pairs,mpi,R,time_per_iter_median,<ms>,ms
#   CASE_pairs,grt,R,speed_vs_mpi_median,<x>,x   (median over rounds of mpi/grt)
# A shared machine makes single runs of multi-rank programs swing by 2x;
# the median of paired ratios is what docs/performance.md quotes beside the
# suite's single-run table. --isolate runs every program under `chrt -f 10`
# (root only): real-time priority keeps other users' processes off the cores
# for the run, for both variants alike. Progress goes to stderr.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
rounds=5 ranks="1 2 4" quick=() build=$root/build-bench prefix=() cases=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --rounds) rounds=${2:?--rounds needs a number}; shift ;;
    --ranks) ranks=${2:?--ranks needs a list}; shift ;;
    --quick) quick=(--quick) ;;
    --build) build=${2:?--build needs a directory}; shift ;;
    --isolate) prefix=(chrt -f 10) ;;
    -h | --help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    jacobi | cg) cases+=("$1") ;;
    *) echo "benchmarks/pairs.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done
[[ ${#cases[@]} -gt 0 ]] || cases=(jacobi cg)
mpirun_cmd=(mpirun --oversubscribe)
[[ $(id -u) == 0 ]] && mpirun_cmd+=(--allow-run-as-root)
export OMPI_MCA_btl_base_warn_component_unused=0

# time_per_iter of one run, or nothing when it failed
one() {
    "${prefix[@]}" "${mpirun_cmd[@]}" -np "$1" "$2" "${quick[@]}" 2>/dev/null |
        awk -F, '$4 == "time_per_iter" { print $5 }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

for c in "${cases[@]}"; do
    g=$build/benchmarks/grt/bench_$c p=$build/benchmarks/peers/${c}_mpi
    for exe in "$g" "$p"; do
        [[ -x $exe ]] || { echo "benchmarks/pairs.sh: $exe is not built" >&2; exit 1; }
    done
    for r in $ranks; do
        gs=() ps=() rs=()
        for ((k = 1; k <= rounds; k++)); do
            tg=$(one "$r" "$g") tp=$(one "$r" "$p")
            echo "[pairs] $c ranks=$r round $k: grt ${tg:-failed} ms, mpi ${tp:-failed} ms" >&2
            [[ -n $tg && -n $tp ]] || continue
            gs+=("$tg") ps+=("$tp")
            rs+=("$(awk -v a="$tp" -v b="$tg" 'BEGIN { printf "%.4f", a / b }')")
        done
        [[ ${#rs[@]} -gt 0 ]] || continue
        echo "${c}_pairs,grt,$r,time_per_iter_median,$(printf '%s\n' "${gs[@]}" | median),ms"
        echo "${c}_pairs,mpi,$r,time_per_iter_median,$(printf '%s\n' "${ps[@]}" | median),ms"
        echo "${c}_pairs,grt,$r,speed_vs_mpi_median,$(printf '%s\n' "${rs[@]}" | median),x"
    done
done
