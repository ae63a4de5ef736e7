# shellcheck shell=bash disable=SC2034,SC2154
# fleet_server.sh -- sourced by the dashboard tests: a real mamori-server with a known fleet.
#
# Needs $build.  With MAMORI_TEST_PG_DSN the collector uses that PostgreSQL
# database (emptied first).  Creates a collector with `mamori-server init` in a temp dir,
# adds the dashboard users alice (admin) and bob (viewer) with
# `mamori-server admin add` (password on stdin), serves it on 127.0.0.1 (any
# free port), and seeds tests/dashboard/fleet.json with dash_seed: every PC
# enrols and posts signed reports over mutual TLS.  Sets dir, url, ca, conf,
# srv_pid, dash_spki (base64 SHA-256 of the browser certificate's key);
# fleet_server_stop ends the server and removes the dir.  With
# FLEET_UI_LISTENER=1 the dashboard gets its own listener on 127.0.0.1 (any
# free port), whose URL is then in ui_url.
#
# The seed (fleet.json): 7 PCs; 6 report, 1 (silent-pc01) only enrolled.
# Compliant 3 (soumu-pc01, zeimu-pc02, the hostile-named PC), not compliant 4.
# Failing: soumu-pc02 screenlock.enabled (fail), zeimu-pc01
# usb.storage_blocked (fail), kikaku-pc01 av.resident (error).
ALICE_PW='alice admin password'
BOB_PW='bob viewer password'
srv_pid=

fleet_server_stop() {
    if [ -n "$srv_pid" ]; then
        kill "$srv_pid" 2>/dev/null || true
        wait "$srv_pid" 2>/dev/null || true
    fi
    # KEEP_DIR=1 keeps the collector directory (serve.log) for a look afterwards.
    if [ -n "${dir:-}" ] && [ -z "${KEEP_DIR:-}" ]; then rm -rf "$dir"; fi
}

fleet_server_start() {
    local srvbin=$build/server/mamori-server seed=$build/tests/dashboard/dash_seed port
    local here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    local db=()
    dir=$(mktemp -d /tmp/mamori-dash-XXXXXX)
    if [ -n "${MAMORI_TEST_PG_DSN:-}" ]; then # PostgreSQL: start from an empty schema
        psql -q "$MAMORI_TEST_PG_DSN" -c 'SET client_min_messages = warning;
            DROP SCHEMA public CASCADE; CREATE SCHEMA public' >/dev/null
        db=(--db postgresql --dsn "$MAMORI_TEST_PG_DSN")
    fi
    "$srvbin" init "$dir/c" --name localhost --name 127.0.0.1 "${db[@]}" >/dev/null
    conf=$dir/c/server.conf
    ca=$dir/c/ca.pem
    sed -i 's/^listen_addr = .*/listen_addr = 127.0.0.1/; s/^listen_port = .*/listen_port = 0/' \
        "$conf"
    if [ -n "${FLEET_UI_LISTENER:-}" ]; then
        sed -i 's/^dashboard_listen_addr =.*/dashboard_listen_addr = 127.0.0.1/
                s/^dashboard_listen_port = .*/dashboard_listen_port = 0/' "$conf"
    fi
    # Browsers do not accept the collector's Ed25519 certificate: a P-256 one
    # for them (docs/dashboard.md).  Its SPKI hash lets the test browser
    # trust exactly this key and nothing else.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -keyout "$dir/c/dashboard.key" -out "$dir/c/dashboard.pem" -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
    chmod 600 "$dir/c/dashboard.key"
    dash_spki=$(openssl x509 -in "$dir/c/dashboard.pem" -pubkey -noout |
        openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
    printf '%s\n' "$ALICE_PW" | "$srvbin" admin add alice --role admin --config "$conf" >/dev/null
    printf '%s\n' "$BOB_PW" | "$srvbin" admin add bob --role viewer --config "$conf" >/dev/null
    "$srvbin" serve --config "$conf" 2>"$dir/serve.log" &
    srv_pid=$!
    # The log may not exist yet (the shell opens it in the background job),
    # and the dashboard's line follows the collector's.
    for _ in $(seq 100); do
        port=$(sed -n 's/^mamori-server: listening on 127.0.0.1:\([0-9]*\).*/\1/p' \
            "$dir/serve.log" 2>/dev/null || true)
        ui_port=$(sed -n 's/^mamori-server: dashboard listening on 127.0.0.1:\([0-9]*\).*/\1/p' \
            "$dir/serve.log" 2>/dev/null || true)
        [ -n "$port" ] && { [ -z "${FLEET_UI_LISTENER:-}" ] || [ -n "$ui_port" ]; } && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$dir/serve.log" >&2; return 1; }
    url=https://localhost:$port
    if [ -n "${FLEET_UI_LISTENER:-}" ]; then
        [ -n "$ui_port" ] || { cat "$dir/serve.log" >&2; return 1; }
        ui_url=https://localhost:$ui_port
    fi
    "$seed" "$url" "$ca" "$dir/c/enroll.secret" "$here/fleet.json" "$dir/pcs" >/dev/null
}
