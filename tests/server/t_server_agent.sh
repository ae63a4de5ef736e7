#!/bin/bash
# t_server_agent.sh -- the real agent tools against a real collector: a PC
# enrols with `mamorictl enroll` (secret + CA file), prints signed reports with
# `mamorictl report`, and they are posted over mutual TLS with the device
# certificate: accepted, the same bytes again are a duplicate, and without the
# certificate refused; the collector's fleet and host views list the host.
# A second PC enrols with the CA fingerprint exactly as `init` printed it
# (SHA256 AB:CD:...); a wrong or malformed fingerprint is refused, named.
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
# shellcheck source=../../scripts/wait-health.sh
. "$(dirname "$0")/../../scripts/wait-health.sh"

LANG=C "$srv" init "$dir/c" >"$dir/init.out"
conf=$dir/c/server.conf
sed -i "s/^listen_addr = .*/listen_addr = 127.0.0.1/; s/^listen_port = .*/listen_port = 0/" "$conf"
"$srv" serve --config "$conf" 2>"$dir/serve.log" &
pid=$!
port=$(mamori_listen_port 50 "$dir/serve.log") || fail "the collector did not start: $(cat "$dir/serve.log")"
url=https://localhost:$port
mamori_wait_health 50 "$dir/c/ca.pem" "$url" || fail "the collector did not start: $(cat "$dir/serve.log")"

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

fp=$(sed -n 's/.*CA fingerprint: *//p' "$dir/init.out")
case "$fp" in "SHA256 "??:*) ;; *) fail "init printed no fingerprint: $(cat "$dir/init.out")" ;; esac
hid2=$(printf 'b2%.0s' $(seq 32))
"$ctl" enroll --server "$url" --secret-file "$dir/c/enroll.secret" --ca-fingerprint "$fp" \
    --segment lgwan --state-dir "$dir/pc2" --host-id "$hid2" >/dev/null ||
    fail "mamorictl enroll --ca-fingerprint '$fp'"
"$ctl" report --segment lgwan --state-dir "$dir/pc2" --host-id "$hid2" | tr -d '\n' >"$dir/p2"
code=$(curl -s -o "$dir/out" -w '%{http_code}' --cacert "$dir/c/ca.pem" \
    --cert "$dir/pc2/device.crt" --key "$dir/pc2/device.key" \
    -H 'Content-Type: application/jose' --data-binary "@$dir/p2" "$url/v1/reports")
[ "$code" = 200 ] && grep -q '"accepted"' "$dir/out" ||
    fail "report of the PC enrolled by fingerprint: $code $(cat "$dir/out")"
wrong="sha256:$(printf '00%.0s' $(seq 32))"
if out=$(LANG=C "$ctl" enroll --server "$url" --secret-file "$dir/c/enroll.secret" \
    --ca-fingerprint "$wrong" --segment lgwan --state-dir "$dir/pc3" --host-id "$hid2" 2>&1); then
    fail "enrolled with a wrong CA fingerprint"
fi
case "$out" in *"$wrong"* | *certificate*) ;; *) fail "wrong fingerprint message: $out" ;; esac
if out=$(LANG=C "$ctl" enroll --server "$url" --secret-file "$dir/c/enroll.secret" \
    --ca-fingerprint "SHA256 AB:CD" --segment lgwan --state-dir "$dir/pc3" --host-id "$hid2" 2>&1); then
    fail "enrolled with a truncated CA fingerprint"
fi
case "$out" in *"4 hex digits"*"64 hex digits"*) ;; *) fail "short fingerprint message: $out" ;; esac

"$srv" fleet --json --config "$conf" >"$dir/fleet.json"
grep -q '"hosts":[[:space:]]*2' "$dir/fleet.json" || fail "fleet lacks the hosts: $(cat "$dir/fleet.json")"
"$srv" host "$hid" --json --config "$conf" | grep -q '"last_seq"' || fail "host view"
# The report is schema 2 (no titles inside); the host view names the checks
# from the catalogue the collector links.
python3 - "$dir/p2" <<'PY' || fail "the agent's report is not a compact schema-2 report"
import base64, json, sys
seg = open(sys.argv[1]).read().split(".")[1]
doc = json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))
assert doc["schema"] == 2 and doc["catalogue"] >= 1, doc
assert all("title" not in c and "remediation" not in c for c in doc["checks"]), doc["checks"]
PY
LANG=C "$srv" host "$hid" --config "$conf" | grep -q "Antivirus is resident" ||
    fail "host view without the catalogue's titles: $(LANG=C "$srv" host "$hid" --config "$conf")"
echo "PASS"
