#!/bin/bash
# t_server_agent.sh -- the real agent tools against a real collector: a PC
# enrols with `mamorictl enroll` (secret + CA file), prints signed reports with
# `mamorictl report`, and they are posted over mutual TLS with the device
# certificate: accepted, the same bytes again are a duplicate, and without the
# certificate refused; the collector's fleet and host views list the host.
set -euo pipefail
build=$1
srv=$build/server/mamori-server
ctl=$build/agent/mamorictl
[ -x "$ctl" ] || { echo "SKIP: mamorictl not built"; exit 0; }
dir=$(mktemp -d /tmp/mamori-agent-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$srv" init "$dir/c" >/dev/null
conf=$dir/c/server.conf
port=$((30000 + RANDOM % 20000))
sed -i "s/^listen_addr = .*/listen_addr = 127.0.0.1/; s/^listen_port = .*/listen_port = $port/" "$conf"
"$srv" serve --config "$conf" 2>"$dir/serve.log" &
pid=$!
url=https://localhost:$port
for _ in $(seq 50); do
    curl -sf --cacert "$dir/c/ca.pem" "$url/v1/health" >/dev/null && break
    sleep 0.1
done

hid=$(printf 'a1%.0s' $(seq 32))
"$ctl" enroll --server "$url" --secret-file "$dir/c/enroll.secret" --ca-file "$dir/c/ca.pem" \
    --segment lgwan --state-dir "$dir/pc" --host-id "$hid" >/dev/null || fail "mamorictl enroll"
# `mamorictl report` prints the JWS and a newline; the body is the JWS alone.
"$ctl" report --segment lgwan --state-dir "$dir/pc" --host-id "$hid" | tr -d '\n' >"$dir/r1"
"$ctl" report --segment lgwan --state-dir "$dir/pc" --host-id "$hid" | tr -d '\n' >"$dir/r2"

post() {
    curl -s -o "$dir/out" -w '%{http_code}' --cacert "$dir/c/ca.pem" \
        --cert "$dir/pc/device.crt" --key "$dir/pc/device.key" \
        -H 'Content-Type: application/jose' --data-binary "@$1" "$url/v1/reports"
}
[ "$(post "$dir/r1")" = 200 ] || fail "report 1: $(cat "$dir/out")"
grep -q '"accepted"' "$dir/out" || fail "report 1 not accepted: $(cat "$dir/out")"
[ "$(post "$dir/r1")" = 200 ] && grep -q '"duplicate"' "$dir/out" || fail "resend not a duplicate"
[ "$(post "$dir/r2")" = 200 ] || fail "report 2: $(cat "$dir/out")"
"$ctl" report --segment internet --state-dir "$dir/pc" --host-id "$hid" | tr -d '\n' >"$dir/r3"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/c/ca.pem" "$url/v1/reports" \
    -H 'Content-Type: application/jose' --data-binary "@$dir/r3")
[ "$code" = 401 ] || fail "report without a client certificate: $code"

"$srv" fleet --json --config "$conf" | grep -q '"hosts":[[:space:]]*1' || fail "fleet lacks the host"
"$srv" host "$hid" --json --config "$conf" | grep -q '"last_seq"' || fail "host view"
echo "PASS"
