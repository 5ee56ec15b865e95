#!/bin/sh
# soak.sh - runs one MPI program many times at 2 ranks under CPU load and
# counts the runs that fail (not run by the test suite; see docs/architecture.md).
#
#   tests/mpi/soak.sh [-n RUNS] [-l LOADERS] [-np N] [-t TIMEOUT] PROGRAM [ARGS...]
#
# A run fails when its status is not 0, when it outlives TIMEOUT seconds, or
# when mpirun reports a rank "exiting improperly". LOADERS busy-loop
# processes (default 2) run in the background for the whole soak. Failed
# runs' outputs are kept in $SOAK_DIR (default: a new directory in /tmp);
# a hung run's also has its processes' thread stacks (gdb, if installed).
# Prints one line per failure and a summary; exits 1 if any run failed.
set -u
runs=300 loaders=2 np=2 limit=120
while [ $# -gt 0 ]; do
  case "$1" in
  -n) runs=$2; shift 2 ;;
  -l) loaders=$2; shift 2 ;;
  -np) np=$2; shift 2 ;;
  -t) limit=$2; shift 2 ;;
  *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "usage: $0 [-n RUNS] [-l LOADERS] [-np N] [-t TIMEOUT] PROGRAM [ARGS...]" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
dir=${SOAK_DIR:-$(mktemp -d /tmp/grt-soak-XXXXXX)}
mkdir -p "$dir"
pids=
i=0
while [ "$i" -lt "$loaders" ]; do
  sh -c 'while :; do :; done' &
  pids="$pids $!"
  i=$((i + 1))
done
stop_loaders() { for p in $pids; do kill "$p" 2>/dev/null; done; }
trap stop_loaders EXIT
trap 'stop_loaders; exit 130' INT TERM
fails=0 slow=0 i=1 t0=$(date +%s)
while [ "$i" -le "$runs" ]; do
  out="$dir/run-$i.log"
  s=$(date +%s)
  mpirun --oversubscribe -np "$np" "$@" >"$out" 2>&1 &
  mp=$!
  w=0
  while kill -0 "$mp" 2>/dev/null && [ "$w" -lt "$limit" ]; do
    sleep 1
    w=$((w + 1))
  done
  if kill -0 "$mp" 2>/dev/null; then
    # Hung: note the job's processes and their threads' stacks, then end it.
    kids=$(pgrep -P "$mp")
    { echo "== soak: still running after ${limit}s"
      ps -o pid,ppid,stat,etime,time,wchan:24,cmd -p "$mp $kids"
      for p in $mp $kids; do
        echo "== stacks of $p"
        timeout 60 gdb -p "$p" -batch -ex 'thread apply all bt 30' 2>&1 | grep -E '^(Thread|#)'
      done; } >>"$out" 2>&1
    kill -KILL $kids "$mp" 2>/dev/null
    wait "$mp" 2>/dev/null
    rc=137
  else
    wait "$mp"
    rc=$?
  fi
  e=$(($(date +%s) - s))
  [ "$e" -gt "$slow" ] && slow=$e
  if [ "$rc" -ne 0 ] || grep -q "exiting improperly" "$out"; then
    fails=$((fails + 1))
    echo "run $i: status $rc after ${e}s (output: $out)"
  else
    rm -f "$out"
  fi
  i=$((i + 1))
done
echo "soak: $runs runs of '$*' at $np ranks with $loaders loaders: $fails failed," \
  "slowest ${slow}s, $(($(date +%s) - t0))s in all (failed outputs in $dir)"
[ "$fails" -eq 0 ]
