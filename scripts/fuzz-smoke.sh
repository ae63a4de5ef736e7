#!/usr/bin/env bash
# fuzz-smoke.sh -- build every libFuzzer target with clang and run each for a
# short while from its seed corpus (CI: SECONDS_PER_TARGET, default 20).
# New crashes are written to build-fuzz/crash-* and fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."
per=${SECONDS_PER_TARGET:-20}

CC=clang cmake -S . -B build-fuzz -DMAMORI_FUZZ=ON -DMAMORI_TESTS=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
mapfile -t targets < <(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}"
for t in "${targets[@]}"; do
    name=${t#fuzz_}
    work=build-fuzz/corpus-$name
    mkdir -p "$work"
    echo "fuzz: $t for ${per}s"
    if ! (cd build-fuzz && "./tests/fuzz/$t" -max_total_time="$per" -print_final_stats=1 \
        "corpus-$name" "../tests/fuzz/corpus/$name" >"fuzz-$name.log" 2>&1); then
        # A crash, a leak or a timeout: show what the sanitizer said.
        grep -v -E '^#[0-9]+ ' "build-fuzz/fuzz-$name.log" | tail -60
        echo "fuzz: $t FAILED (log: build-fuzz/fuzz-$name.log, reproducer: build-fuzz/crash-*)"
        exit 1
    fi
    grep -E '^stat::(number_of_executed_units|new_units_added)' "build-fuzz/fuzz-$name.log"
done
echo "fuzz: ${#targets[@]} targets ran without a crash"
