#!/usr/bin/env bash
# setup.sh - the README's two commands: install what is missing, build, then
# run the main job (`./setup.sh run`) or the whole test suite (`./setup.sh test`).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(gcc g++ pkg-config meson ninja-build libopenmpi-dev openmpi-bin libhwloc-dev
          libuv1-dev libcmocka-dev libopenblas-dev valgrind
          libstarpu-dev gnuplot-nox # benchmark peers and plots
          clang)                    # the second compiler CI builds with -Werror

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Open MPI refuses to run as root unless told; the job and tests run here as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

build() { # build DIR [meson options...]
  local dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >&2
  fi
  ninja -C "$dir" >&2
}

case "${1:-}" in
  run)
    install_missing
    build build --buildtype=release
    n=${GRT_DEMO_N:-256}
    exec build/launcher/grt --ranks-per-node 2 build/kernels/examples/grt-cg2d -n "$n" -iters 2000 -tol 1e-6
    ;;
  test)
    install_missing
    # Warnings are errors in CI, with gcc here and clang below (warning_level
    # 3, meson.build), so that a warning cannot creep in on either compiler.
    build build-test --buildtype=debugoptimized -Dwerror=true
    meson test -C build-test --print-errorlogs --num-processes 2
    # The benchmark suite's quick mode, so that it never rots (figures are
    # not asserted: performance is judged from benchmarks/run by hand).
    benchmarks/run --quick --out build-test/bench-quick >&2
    # The suite again under AddressSanitizer + UBSan (docs/testing.md): any
    # addressing error, leak or undefined behaviour fails its test.
    build build-asan -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debugoptimized
    meson test -C build-asan --setup asan --print-errorlogs --num-processes 2
    # The whole tree with clang, warnings as errors (compiled, not run: the
    # suites above already ran it).
    CC=clang CXX=clang++ build build-clang -Dwerror=true --buildtype=debugoptimized
    tok=0 tbad=0 tskip=0
    for log in build-test/meson-logs/testlog.json build-asan/meson-logs/testlog-asan.json; do
      ok=$(grep -c '"result": "OK"' "$log" || true)
      skip=$(grep -c '"result": "SKIP"' "$log" || true)
      bad=$(grep -c -E '"result": "(FAIL|ERROR|TIMEOUT|UNEXPECTEDPASS)"' "$log" || true)
      echo "${log%%/*}: $ok ok, $bad bad, $skip skipped"
      tok=$((tok + ok)) tbad=$((tbad + bad)) tskip=$((tskip + skip))
    done
    echo "tests: $tok passed, $tbad failed, $tskip skipped"
    ;;
  *)
    echo "usage: $0 run|test" >&2
    echo "  run   install what is missing, build, run the CG example on 2 MPI ranks" >&2
    echo "  test  install what is missing, build, run the whole test suite and the" >&2
    echo "        benchmark suite's quick mode, then the suite under ASan/UBSan" >&2
    exit 2
    ;;
esac
