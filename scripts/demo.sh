#!/usr/bin/env bash
# demo.sh BUILD_DIR -- show mamori working on this machine with embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
export MAMORI_LOCALEDIR="$PWD/$build/locale"
lang=ja_JP.UTF-8
locale -a 2>/dev/null | grep -qi '^ja_JP.utf-\?8$' || lang=C.UTF-8

echo "== mamorictl check on this machine (built-in LGWAN policy)"
LANG=$lang "$build/agent/mamorictl" check --segment lgwan || true
