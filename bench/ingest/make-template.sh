#!/bin/bash
# make-template.sh BUILD_DIR WORK_DIR -- the report payload every simulated PC
# of the ingest load sends: the demo PC's (demo/make-demo-pc.sh), as the agent
# builds it (`mamorictl report`, schema 2), decoded from its JWS into
# WORK_DIR/template.json.  Used by bench/ingest/run.sh and the PostgreSQL
# writer test (tests/server/t_pg_writers.sh).
set -euo pipefail
build=$1
work=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
bash "$src/demo/make-demo-pc.sh" "$work/pc" >/dev/null
openssl genpkey -algorithm ed25519 -out "$work/pc.key" 2>/dev/null
mkdir -p "$work/pc-state"
"$build/agent/mamorictl" report --key "$work/pc.key" --root "$work/pc" \
    --policy "$src/demo/policy.json" --state-dir "$work/pc-state" |
    cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null >"$work/template.json" || true
[ -s "$work/template.json" ] || { echo "make-template.sh: no report payload" >&2; exit 1; }
