#!/usr/bin/env bash
# quickstart.sh -- the README's first command: install the dependencies, build,
# and run the demo (scripts/demo.sh) on embedded defaults.  Run as root on a
# fresh Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
exec ./scripts/demo.sh build
