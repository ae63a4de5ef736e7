#!/bin/bash
# t_dashboard_listener.sh -- the dashboard on its own listener (server.conf
# dashboard_listen_addr / dashboard_listen_port), e.g. on the information
# security office's admin network only.
#
# A real, seeded mamori-server with both listeners: the pages answer on the
# dashboard listener and not on the PCs' listener; the PCs' endpoints
# (enrolment, reports, metrics) answer on theirs and not on the dashboard's;
# the seed that went in over the PCs' listener is what the pages count.  Then
# the configuration mistakes an administrator can make are refused with a
# message naming the key.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/dashboard/fleet_server.sh
. "$here/fleet_server.sh"
trap fleet_server_stop EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

FLEET_UI_LISTENER=1 fleet_server_start
[ -n "${ui_url:-}" ] && [ "$ui_url" != "$url" ] || fail "no separate dashboard listener"
jar=$dir/jar
# code BASE METHOD PATH [curl args...]: the HTTP status; body in $dir/body.
code() {
    local base=$1 method=$2 path=$3
    shift 3
    curl -s --cacert "$ca" -X "$method" -o "$dir/body" -w '%{http_code}' \
        -H 'Accept-Language: ja' "$@" "$base$path"
}

# The pages are on the dashboard listener only.
[ "$(code "$ui_url" GET /ui/login)" = 200 ] || fail "login page on the dashboard listener"
[ "$(code "$url" GET /ui/login)" = 404 ] || fail "login page still on the PCs' listener"
[ "$(code "$url" POST /ui/login --data 'user=alice&password=x')" = 404 ] ||
    fail "login POST reachable on the PCs' listener"

# The PCs' endpoints are on theirs only.
[ "$(code "$url" GET /v1/health)" = 200 ] || fail "health on the PCs' listener"
[ "$(code "$ui_url" GET /v1/health)" = 404 ] || fail "health on the dashboard listener"
[ "$(code "$ui_url" POST /v1/reports --data 'x')" = 404 ] || fail "ingest on the dashboard listener"
[ "$(code "$ui_url" POST /v1/enroll --data '{}')" = 404 ] || fail "enrolment on the dashboard listener"
[ "$(code "$ui_url" GET /metrics)" = 404 ] || fail "metrics on the dashboard listener"

# Logging in and the overview work there, with the seed's counts.
[ "$(code "$ui_url" POST /ui/login -c "$jar" -H "Origin: $ui_url" \
    --data-urlencode user=alice --data-urlencode "password=$ALICE_PW")" = 303 ] ||
    fail "admin login on the dashboard listener"
[ "$(code "$ui_url" GET /ui/ -b "$jar")" = 200 ] || fail "overview"
grep -qF 'id="count-hosts">7<' "$dir/body" || fail "overview does not count the 7 seeded PCs"
grep -qF 'id="count-silent">1<' "$dir/body" || fail "overview does not count the silent PC"
fleet_server_stop
srv_pid=

# Mistakes in server.conf: refused at start, the key named.
srvbin=$build/server/mamori-server
dir=$(mktemp -d /tmp/mamori-dashlisten-XXXXXX)
"$srvbin" init "$dir/c" --name localhost >/dev/null
conf=$dir/c/server.conf
sed -i 's/^listen_addr = .*/listen_addr = 127.0.0.1/; s/^listen_port = .*/listen_port = 18443/' "$conf"
try_serve() { # try_serve EXPECTED-MESSAGE: serve must exit 1 and say it
    if timeout 10 "$srvbin" serve --config "$conf" 2>"$dir/err"; then
        fail "serve accepted a bad dashboard listener"
    fi
    grep -qF -- "$1" "$dir/err" || fail "serve error lacks '$1': $(cat "$dir/err")"
}
sed -i 's/^dashboard_listen_addr =.*/dashboard_listen_addr = 127.0.0.1/
        s/^dashboard_listen_port = .*/dashboard_listen_port = 18443/' "$conf"
try_serve "dashboard_listen_addr:port must differ from listen_addr:port"
sed -i 's/^dashboard_listen_addr =.*/dashboard_listen_addr = admin-lan/' "$conf"
try_serve 'dashboard_listen_addr: "admin-lan" is not an IP address'
sed -i 's/^dashboard_listen_addr =.*/dashboard_listen_addr = 127.0.0.1/
        s/^dashboard_listen_port = .*/dashboard_listen_port = 70000/' "$conf"
try_serve "dashboard_listen_port must be 0..65535"
echo PASS
