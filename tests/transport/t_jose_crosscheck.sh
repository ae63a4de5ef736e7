#!/usr/bin/env bash
# t_jose_crosscheck.sh -- an agent report, signed by `mamorictl report`, must
# verify with an independent JOSE implementation (the `jose` npm package),
# and a tampered copy must not.  Usage: t_jose_crosscheck.sh BUILD_DIR
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "SKIP: node/npm not installed; cannot run the independent JOSE check"
    exit 0
fi
jose_dir=$here/jose
if [ ! -d "$jose_dir/node_modules/jose" ]; then
    (cd "$jose_dir" && { npm ci --offline --no-audit --no-fund >/dev/null 2>&1 ||
                         npm ci --no-audit --no-fund >/dev/null; })
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/agent/mamorictl" report --segment lgwan --state-dir "$tmp/state" \
    --root "$MAMORI_FIXTURES/net-ok" --host-id 0123abcd >"$tmp/report.jws"
openssl pkey -in "$tmp/state/device.key" -pubout -out "$tmp/pub.pem"
out=$(node "$jose_dir/verify.mjs" "$tmp/pub.pem" "$tmp/report.jws")
echo "$out"
[[ $out == "verified seq=1 "* ]] || { echo "FAIL: unexpected output"; exit 1; }

# Flip one payload character: jose must refuse it.
python3 - "$tmp/report.jws" "$tmp/tampered.jws" <<'PY'
import sys
h, p, s = open(sys.argv[1]).read().strip().split('.')
p = p[:10] + ('A' if p[10] != 'A' else 'B') + p[11:]
open(sys.argv[2], 'w').write('.'.join([h, p, s]))
PY
if node "$jose_dir/verify.mjs" "$tmp/pub.pem" "$tmp/tampered.jws" 2>/dev/null; then
    echo "FAIL: tampered report verified"
    exit 1
fi
echo "PASS: jose verifies the agent report and rejects a tampered copy"
