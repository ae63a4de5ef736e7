#!/usr/bin/env bash
# test.sh -- build mamori and run the whole test suite (the README's second command).
#
#   scripts/test.sh              normal build in build/, every test
#   scripts/test.sh --sanitize   ASan+UBSan build in build-asan/ (CI runs both)
#
# Tests that need root (network namespaces, tmpfs, package installs) skip with
# a clear message when not run as root; CI runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."

builddir=build
cmake_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
ctest_flags=()
if [ "${1:-}" = "--sanitize" ]; then
    builddir=build-asan
    cmake_flags=(-DCMAKE_BUILD_TYPE=Debug -DMAMORI_SANITIZE=ON)
    # Packaging builds its own release tree, and valgrind cannot run ASan binaries.
    ctest_flags=(-LE 'packaging|valgrind|bench')
fi

cmake -S . -B "$builddir" "${cmake_flags[@]}" >/dev/null
cmake --build "$builddir" -j"$(nproc)"
cd "$builddir"
ctest --output-on-failure -j2 --timeout 900 "${ctest_flags[@]}"
