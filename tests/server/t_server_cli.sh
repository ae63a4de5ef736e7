#!/bin/bash
# t_server_cli.sh -- mamori-server command-line contract: init creates a
# working collector (files, modes, handout), refuses to overwrite it, and the
# fleet / events / export subcommands answer on it (JSON, English with
# LANG=C, CSV with BOM and CRLF); serve answers /v1/health and stops on SIGTERM.
set -euo pipefail
build=$1
srv=$build/server/mamori-server
dir=$(mktemp -d /tmp/mamori-cli-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck source=../../scripts/wait-health.sh
. "$(dirname "$0")/../../scripts/wait-health.sh"

out=$(LANG=C "$srv" init "$dir/c" --name collector.test --name 127.0.0.1)
grep -q "CA fingerprint: SHA256 " <<<"$out" || fail "handout lacks the CA fingerprint: $out"
grep -q "https://collector.test:8443" <<<"$out" || fail "handout lacks the URL"
for f in ca.pem ca.key server.pem server.key enroll.secret api.token mamori.db server.conf; do
    [ -f "$dir/c/$f" ] || fail "init did not create $f"
done
for f in ca.key server.key enroll.secret api.token; do
    [ "$(stat -c %a "$dir/c/$f")" = 600 ] || fail "$f is not 0600"
done
openssl x509 -in "$dir/c/server.pem" -noout -ext subjectAltName | grep -q "DNS:collector.test" ||
    fail "server certificate lacks the SAN"
openssl verify -CAfile "$dir/c/ca.pem" "$dir/c/server.pem" >/dev/null || fail "server cert chain"
if "$srv" init "$dir/c" >/dev/null 2>&1; then fail "init overwrote an existing collector"; fi
# Without --config: $MAMORI_SERVER_CONFIG, else the packaged collector's file.
MAMORI_SERVER_CONFIG=$dir/c/server.conf "$srv" fleet --json | grep -q '"hosts"' ||
    fail "fleet ignores MAMORI_SERVER_CONFIG"
if [ ! -e /var/lib/mamori-server/server.conf ]; then
    if msg=$(env -u MAMORI_SERVER_CONFIG LANG=C "$srv" fleet 2>&1); then
        fail "fleet ran without any configuration"
    fi
    grep -qF "/var/lib/mamori-server/server.conf" <<<"$msg" ||
        fail "the error does not name the default configuration: $msg"
fi

conf=$dir/c/server.conf
"$srv" fleet --json --config "$conf" | grep -q '"hosts":[[:space:]]*0' || fail "fleet --json"
LANG=C "$srv" fleet --config "$conf" | grep -q "Silent hosts" || fail "fleet text in English"
"$srv" events --json --config "$conf" | grep -q '^\[\]' || fail "events --json on empty DB"
"$srv" events --since yesterday --config "$conf" 2>/dev/null && fail "bad --since accepted"
for what in remove revoke; do
    err=$(LANG=C "$srv" host "$what" pc-nobody --config "$conf" 2>&1) && fail "host $what of nobody"
    grep -q "no host named pc-nobody" <<<"$err" || fail "host $what: $err"
done
"$srv" export --csv --out "$dir/audit.csv" --config "$conf"
head -c 3 "$dir/audit.csv" | od -An -tx1 | grep -q "ef bb bf" || fail "CSV lacks the BOM"
grep -q $'host,hostname,department,segment,last report\r$' "$dir/audit.csv" || fail "CSV header/CRLF"
echo "bogus = 1" >>"$conf"
err=$("$srv" fleet --config "$conf" 2>&1) && fail "unknown key accepted"
grep -q "server.conf:.*unknown key \"bogus\"" <<<"$err" || fail "error does not name the key: $err"
sed -i '/^bogus/d' "$conf"
for n in 0 33; do # PostgreSQL writers: 1..32
    sed -i "s/^db_writers = .*/db_writers = $n/" "$conf"
    err=$("$srv" fleet --config "$conf" 2>&1) && fail "db_writers = $n accepted"
    grep -q "db_writers must be 1..32" <<<"$err" || fail "db_writers = $n: $err"
done
sed -i "s/^db_writers = .*/db_writers = 4/" "$conf"

sed -i "s/^listen_addr = .*/listen_addr = 127.0.0.1/; s/^listen_port = .*/listen_port = 0/" "$conf"
"$srv" serve --config "$conf" 2>"$dir/serve.log" &
pid=$!
port=$(mamori_listen_port 50 "$dir/serve.log") || fail "serve did not start: $(cat "$dir/serve.log")"
ok=
for _ in $(seq 50); do
    if curl -sf --cacert "$dir/c/ca.pem" --resolve "collector.test:$port:127.0.0.1" \
        "https://collector.test:$port/v1/health" | grep -q '"ok"'; then ok=1; break; fi
    sleep 0.1
done
[ -n "$ok" ] || fail "serve did not answer /v1/health"
curl -s --tlsv1.2 --tls-max 1.2 --cacert "$dir/c/ca.pem" --resolve "collector.test:$port:127.0.0.1" \
    "https://collector.test:$port/v1/health" >/dev/null && fail "TLS 1.2 accepted"
kill -TERM "$pid"
wait "$pid" || fail "serve did not exit cleanly on SIGTERM"
pid=
echo "PASS"
