#!/bin/bash
# run.sh BUILD_DIR [HOSTS] [DAYS] -- dashboard overview time at fleet scale,
# in SQLite and in PostgreSQL, beside baselines measured in the same run.
#
# For each backend: `mamori-server init`, one admin account, then HOSTS PCs
# (default 100,000) with DAYS (default 30) of history written directly with
# SQL (generating them through ingest would take hours): hosts, 10 check
# states per PC (5 % fail, 1 % error, 1 % silent PCs), one stored report per
# PC per day, a USB or network block event for every tenth PC-day, and one
# ui_trend point per day.  Then, over HTTPS on loopback with a session
# cookie, the median of RUNS requests of:
#   /v1/health      baseline: a TLS request that touches no data
#   aggregate SQL   baseline: the overview's main GROUP BY alone (sqlite3/psql)
#   /ui/            the overview page (what the issue asks for)
#   /ui/hosts/NAME  one PC's page
#   /v1/fleet       the collector's JSON fleet API (loads every host), for comparison
# PostgreSQL runs only as root with the server binaries (a private cluster
# in /tmp, unix socket only).  Prints numbers; never fails on them.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [HOSTS] [DAYS]}
hosts=${2:-100000}
days=${3:-30}
runs=${RUNS:-5}
server=$build/server/mamori-server
work=$(mktemp -d /tmp/mamori-bench-dash-XXXXXX)
pid=
pgbin=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    if [ -n "$pgbin" ]; then
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg/data" -m fast stop >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
now=$(date +%s)
password='bench admin password'

# ---- data, written with SQL ----

sqlite_fill() {
    sqlite3 "$1" <<EOF
PRAGMA synchronous=OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $hosts - 1)
INSERT INTO hosts (id, hostname, segment, department, municipality, key_thumbprint, cert_serial,
                   enrolled, last_seq, last_seen, last_report_time, policy_version)
SELECT printf('%064x', i), printf('pc-%06d', i),
       CASE i % 3 WHEN 0 THEN 'lgwan' WHEN 1 THEN 'mynumber' ELSE 'internet' END,
       printf('部署%02d', i % 50), 'ベンチ市', printf('kt%d', i), printf('%x', i),
       $now - ($days + 10) * 86400, $days,
       CASE WHEN i % 100 = 0 THEN $now - 5 * 86400 ELSE $now - 600 END, $now - 600, 'bench'
FROM n;
WITH c(k, id) AS (VALUES (0, 'usb.storage_blocked'), (1, 'av.resident'), (2, 'av.pattern_fresh'),
     (3, 'screenlock.enabled'), (4, 'screenlock.idle_timeout'), (5, 'screenlock.locked_down'),
     (6, 'passwords.browser_store_disabled'), (7, 'passwords.no_saved_logins'),
     (8, 'login.no_autologin'), (9, 'net.only_approved')),
     h(id, i) AS (SELECT id, CAST(substr(hostname, 4) AS INTEGER) FROM hosts)
INSERT INTO check_state (host_id, check_id, verdict, since, updated)
SELECT h.id, c.id,
       CASE WHEN (h.i * 7 + c.k) % 200 = 0 THEN 'error'
            WHEN (h.i + c.k) % 200 < 10 THEN 'fail' ELSE 'pass' END,
       $now - ((h.i + c.k) % $days) * 86400, $now - 600
FROM h, c;
WITH RECURSIVE d(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM d WHERE j < $days - 1)
INSERT INTO reports (host_id, seq, time, received, hash, jws)
SELECT h.id, d.j + 1, $now - ($days - d.j) * 86400, $now - ($days - d.j) * 86400 + 5, 'h',
       'bench.report.jws'
FROM hosts h, d;
WITH RECURSIVE d(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM d WHERE j < $days - 1),
     h(id, i) AS (SELECT id, CAST(substr(hostname, 4) AS INTEGER) FROM hosts)
INSERT INTO events (host_id, seq, type, time, severity, summary_ja, summary_en, facts)
SELECT h.id, d.j + 1, CASE WHEN h.i % 2 = 0 THEN 'usb.blocked' ELSE 'net.refused' END,
       $now - ($days - d.j) * 86400 + h.i % 86400, 'warning', 'ブロックしました', 'blocked', '{}'
FROM h, d WHERE (h.i + d.j) % 10 = 0;
WITH RECURSIVE d(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM d WHERE j < $days - 1)
INSERT INTO ui_trend (day, hosts, compliant, silent, updated)
SELECT date($now - j * 86400, 'unixepoch', 'localtime'), $hosts, $hosts * (80 + j % 7) / 100,
       $hosts / 100, $now FROM d;
COMMIT;
ANALYZE;
EOF
}

pg_fill() {
    psql -q -v ON_ERROR_STOP=1 "$1" <<EOF
BEGIN;
INSERT INTO hosts (id, hostname, segment, department, municipality, key_thumbprint, cert_serial,
                   enrolled, last_seq, last_seen, last_report_time, policy_version)
SELECT lpad(to_hex(i), 64, '0'), 'pc-' || lpad(i::text, 6, '0'),
       CASE i % 3 WHEN 0 THEN 'lgwan' WHEN 1 THEN 'mynumber' ELSE 'internet' END,
       '部署' || lpad((i % 50)::text, 2, '0'), 'ベンチ市', 'kt' || i, to_hex(i),
       $now - ($days + 10) * 86400, $days,
       CASE WHEN i % 100 = 0 THEN $now - 5 * 86400 ELSE $now - 600 END, $now - 600, 'bench'
FROM generate_series(0, $hosts - 1) AS i;
INSERT INTO check_state (host_id, check_id, verdict, since, updated)
SELECT h.id, c.id,
       CASE WHEN (h.i * 7 + c.k) % 200 = 0 THEN 'error'
            WHEN (h.i + c.k) % 200 < 10 THEN 'fail' ELSE 'pass' END,
       $now - ((h.i + c.k) % $days) * 86400, $now - 600
FROM (SELECT id, substr(hostname, 4)::int AS i FROM hosts) h,
     (VALUES (0, 'usb.storage_blocked'), (1, 'av.resident'), (2, 'av.pattern_fresh'),
      (3, 'screenlock.enabled'), (4, 'screenlock.idle_timeout'), (5, 'screenlock.locked_down'),
      (6, 'passwords.browser_store_disabled'), (7, 'passwords.no_saved_logins'),
      (8, 'login.no_autologin'), (9, 'net.only_approved')) AS c(k, id);
INSERT INTO reports (host_id, seq, time, received, hash, jws)
SELECT h.id, d + 1, $now - ($days - d) * 86400, $now - ($days - d) * 86400 + 5, 'h',
       'bench.report.jws'
FROM hosts h, generate_series(0, $days - 1) AS d;
INSERT INTO events (host_id, seq, type, time, severity, summary_ja, summary_en, facts)
SELECT h.id, d + 1, CASE WHEN h.i % 2 = 0 THEN 'usb.blocked' ELSE 'net.refused' END,
       $now - ($days - d) * 86400 + h.i % 86400, 'warning', 'ブロックしました', 'blocked', '{}'
FROM (SELECT id, substr(hostname, 4)::int AS i FROM hosts) h, generate_series(0, $days - 1) AS d
WHERE (h.i + d) % 10 = 0;
INSERT INTO ui_trend (day, hosts, compliant, silent, updated)
SELECT to_char(to_timestamp($now - j * 86400), 'YYYY-MM-DD'), $hosts,
       $hosts * (80 + j % 7) / 100, $hosts / 100, $now
FROM generate_series(1, $days - 1) AS j;
COMMIT;
ANALYZE;
EOF
}

# The overview's main aggregate, as dashboard_data.c runs it.
aggregate_sql="SELECT h.department, h.segment, COUNT(*),
 SUM(CASE WHEN f.host_id IS NULL AND h.last_seen > 0 THEN 1 ELSE 0 END),
 SUM(CASE WHEN h.last_seen < $((now - 10800)) THEN 1 ELSE 0 END)
 FROM hosts h LEFT JOIN (SELECT DISTINCT host_id FROM check_state
 WHERE verdict IN ('fail', 'error')) f ON f.host_id = h.id
 WHERE h.revoked = 0 GROUP BY h.department, h.segment ORDER BY h.department, h.segment"

# ---- measuring ----

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# time_url PATH: median seconds of RUNS GETs with the session cookie.
time_url() {
    for _ in $(seq "$runs"); do
        curl -s -o /dev/null -w '%{time_total}\n' --cacert "$dir/ca.pem" -b "$dir/jar" "$url$1"
    done | median
}

time_sql() { # time_sql COMMAND...: median wall seconds of RUNS runs
    for _ in $(seq "$runs"); do
        local t0 t1
        t0=$(date +%s.%N)
        "$@" >/dev/null
        t1=$(date +%s.%N)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
    done | median
}

serve_and_measure() { # serve_and_measure LABEL SQL-COMMAND...
    local label=$1 port
    shift
    "$server" serve --config "$dir/server.conf" 2>"$dir/serve.log" &
    pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$dir/serve.log" 2>/dev/null || true)
        [ -n "$port" ] && break
        sleep 0.1
    done
    url=https://localhost:$port
    curl -s -o /dev/null --cacert "$dir/ca.pem" -c "$dir/jar" --data-urlencode user=admin \
        --data-urlencode "password=$password" "$url/ui/login"
    curl -s -o /dev/null --cacert "$dir/ca.pem" -b "$dir/jar" "$url/ui/" # warm the caches
    local health agg overview host fleet bytes
    health=$(time_url /v1/health)
    agg=$(time_sql "$@")
    overview=$(time_url /ui/)
    host=$(time_url /ui/hosts/pc-000123)
    bytes=$(curl -s --cacert "$dir/ca.pem" -b "$dir/jar" "$url/ui/" | wc -c)
    fleet=$(curl -s -o /dev/null -w '%{time_total}' --cacert "$dir/ca.pem" \
        -H "Authorization: Bearer $(cat "$dir/api.token")" "$url/v1/fleet")
    printf '%-10s health %6.3fs | aggregate SQL %6.3fs | /ui/ %6.3fs (%s bytes) | host page %6.3fs | /v1/fleet %6.3fs\n' \
        "$label" "$health" "$agg" "$overview" "$bytes" "$host" "$fleet"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
}

prepare() { # prepare DIR [init options...]
    dir=$1
    shift
    "$server" init "$dir" "$@" >/dev/null
    sed -i 's/^listen_addr = .*/listen_addr = 127.0.0.1/; s/^listen_port = .*/listen_port = 0/' \
        "$dir/server.conf"
    printf '%s\n' "$password" | "$server" admin add admin --role admin --config "$dir/server.conf" >/dev/null
}

echo "== dashboard overview: $hosts PCs, $days days of reports, median of $runs"
t0=$(date +%s)
prepare "$work/sqlite"
sqlite_fill "$dir/mamori.db"
echo "sqlite: generated in $(($(date +%s) - t0)) s ($(du -h "$dir/mamori.db" | cut -f1))"
serve_and_measure sqlite sqlite3 "$dir/mamori.db" "$aggregate_sql"

pgbin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
if [ "$(id -u)" != 0 ] || [ -z "$pgbin" ] || ! id postgres >/dev/null 2>&1; then
    echo "postgresql: skipped (needs root, the postgres user and server binaries)"
    pgbin=
    exit 0
fi
mkdir -p "$work/pg"
chmod 711 "$work"
chown postgres "$work/pg"
runuser -u postgres -- "$pgbin/initdb" -D "$work/pg/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg/data" -w -l "$work/pg/log" \
    -o "-k $work/pg -c listen_addresses='' -p 55433 -c shared_buffers=512MB" start >/dev/null
runuser -u postgres -- "$pgbin/createdb" -h "$work/pg" -p 55433 mamori_bench
dsn="host=$work/pg port=55433 user=postgres dbname=mamori_bench"
t0=$(date +%s)
prepare "$work/postgresql" --db postgresql --dsn "$dsn"
pg_fill "$dsn"
echo "postgresql: generated in $(($(date +%s) - t0)) s"
serve_and_measure postgresql psql -q "$dsn" -c "$aggregate_sql"
