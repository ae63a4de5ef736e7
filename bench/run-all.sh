#!/usr/bin/env bash
# run-all.sh [BUILD_DIR] -- run every benchmark under bench/ and print each one's
# numbers beside its baseline.  Benchmarks are never part of the test suite:
# timings depend on the machine, so they are printed, not asserted.
#   bench/run-all.sh build            all benchmarks
#   BENCH=usb bench/run-all.sh build  one benchmark
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -d "$build" ] || { echo "run-all: build first (scripts/test.sh or cmake --build $build)"; exit 2; }
status=0
for dir in bench/*/; do
    name=$(basename "$dir")
    [ -n "${BENCH:-}" ] && [ "$BENCH" != "$name" ] && continue
    [ -x "$dir/run.sh" ] || continue
    echo "=== bench/$name"
    if ! "$dir/run.sh" "$build"; then
        echo "=== bench/$name FAILED"
        status=1
    fi
    echo
done
exit $status
