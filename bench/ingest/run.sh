#!/bin/bash
# run.sh BUILD_DIR [CLIENTS] [REPORTS_PER_CLIENT] -- mamori-server ingest rate
# beside this machine's Ed25519 verify rate, measured in the same run.
#
# A fresh collector (SQLite, default batching, 2 worker threads) on loopback;
# ingest_load enrols CLIENTS hosts, pre-signs their reports, then posts them
# over CLIENTS concurrent keep-alive TLS 1.3 connections with client
# certificates.  Budget (DESIGN.md): >= 10,000 reports/s on 2 cores and
# >= 50 % of the Ed25519-verify bound.  Prints whether it is met; never fails
# on the numbers.  Note: the load generator shares the same cores.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [CLIENTS] [REPORTS]}
clients=${2:-64}
per=${3:-300}
server=$build/server/mamori-server
load=$build/bench/ingest/ingest_load
dir=$(mktemp -d /tmp/mamori-bench-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

"$server" init "$dir/srv" >/dev/null
port=$((20000 + RANDOM % 20000))
sed -i "s/^listen_addr = .*/listen_addr = 127.0.0.1/; s/^listen_port = .*/listen_port = $port/" \
    "$dir/srv/server.conf"
"$server" serve --config "$dir/srv/server.conf" 2>"$dir/server.log" &
pid=$!
for _ in $(seq 50); do
    curl -sf --cacert "$dir/srv/ca.pem" "https://localhost:$port/v1/health" >/dev/null && break
    sleep 0.1
done

echo "== Ed25519 verify baseline: openssl speed -seconds 3 ed25519"
verify=$(openssl speed -seconds 3 ed25519 2>/dev/null | awk '/Ed25519\)/ {print $NF}' | tail -1)
verify=${verify%.*}
cores=$(nproc)
echo "verify/s (one core): $verify   cores: $cores"

echo "== ingest: $clients clients x $per reports"
mkdir -p "$dir/clients"
out=$("$load" "https://localhost:$port" "$dir/srv/ca.pem" "$dir/srv/enroll.secret" \
    "$dir/clients" "$clients" "$per")
echo "$out"
rate=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$out")

bound=$((verify * (cores < 2 ? cores : 2)))
pct=$((bound > 0 ? rate * 100 / bound : 0))
echo "== result"
printf 'ingest %s reports/s; Ed25519 verify bound on 2 cores %s/s; ratio %s%%\n' "$rate" "$bound" "$pct"
if [ "$rate" -ge 10000 ]; then echo "budget >= 10000/s: MET"; else echo "budget >= 10000/s: NOT MET"; fi
if [ "$pct" -ge 50 ]; then echo "budget >= 50% of verify bound: MET"; else echo "budget >= 50% of verify bound: NOT MET"; fi
