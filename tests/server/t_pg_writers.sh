#!/bin/bash
# t_pg_writers.sh -- the collector on PostgreSQL with several writers, and a
# database restart under it.
#
# A private cluster (tests/pg_cluster.sh), a collector with db_writers = 3
# on loopback TLS, and the ingest load generator (bench/ingest/ingest_load:
# real enrolment, real mutual TLS, signed reports) posting from 12 hosts at
# once: every report is accepted and stored exactly once, the collector
# opened more than one connection and never more than db_writers (plus the
# one the workers share for enrolment between groups, taken from the same
# pool).  Then PostgreSQL restarts under the running collector: the next
# enrolments and reports all succeed (dead connections are reset, not
# reported to the PCs as errors).
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../pg_cluster.sh
. "$src/tests/pg_cluster.sh"
# shellcheck source=../../scripts/wait-health.sh
. "$src/scripts/wait-health.sh"
pg_cluster_start mamori_writers
dir=$(mktemp -d /tmp/mamori-pgw-XXXXXX)
pid=
stop_all() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
    pg_cluster_stop
}
trap stop_all EXIT
fail() {
    echo "FAIL: $*"
    cat "$dir/srv/server.log" 2>/dev/null | tail -20
    exit 1
}
psql_q() {
    runuser -u postgres -- "$PG_CLUSTER_BIN/psql" -At -d "$MAMORI_TEST_PG_DSN" -c "$1"
}

# The demo PC's real report as the template every simulated host sends.
bash "$src/bench/ingest/make-template.sh" "$build" "$dir"

"$build/server/mamori-server" init "$dir/srv" --db postgresql --dsn "$MAMORI_TEST_PG_DSN" >/dev/null
sed -i "s/^listen_addr = .*/listen_addr = 127.0.0.1/; s/^listen_port = .*/listen_port = 0/; \
s/^db_writers = .*/db_writers = 3/" "$dir/srv/server.conf"
grep -q '^db_writers = 3$' "$dir/srv/server.conf" || fail "init wrote no db_writers key"
"$build/server/mamori-server" serve --config "$dir/srv/server.conf" 2>"$dir/srv/server.log" &
pid=$!
port=$(mamori_listen_port 50 "$dir/srv/server.log") || fail "the collector did not start"
mamori_wait_health 50 "$dir/srv/ca.pem" "https://localhost:$port" || fail "the collector did not answer"

load() { # CLIENTS REPORTS -> "accepted failed"
    mkdir -p "$dir/clients"
    "$build/bench/ingest/ingest_load" "https://localhost:$port" "$dir/srv/ca.pem" \
        "$dir/srv/enroll.secret" "$dir/clients" "$1" "$2" "$dir/template.json" |
        sed -n 's/.* accepted=\([0-9]*\) failed=\([0-9]*\).*/\1 \2/p'
}

[ "$(load 12 25)" = "300 0" ] || fail "12 hosts x 25 reports: not all accepted"
[ "$(psql_q 'SELECT count(*) FROM reports')" = 300 ] || fail "reports stored: not 300"
[ "$(psql_q 'SELECT count(DISTINCT (host_id, seq)) FROM reports')" = 300 ] || fail "a report stored twice"
conns=$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE datname = 'mamori_writers'
                AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
[ "$conns" -ge 2 ] && [ "$conns" -le 3 ] || fail "collector connections: $conns (want 2..3)"

runuser -u postgres -- "$PG_CLUSTER_BIN/pg_ctl" -D "$PG_CLUSTER_DIR/pg/data" -m fast -w restart \
    -l "$PG_CLUSTER_DIR/pg/log" >/dev/null
[ "$(load 6 10)" = "60 0" ] || fail "after the database restart: not all 60 accepted"
[ "$(psql_q 'SELECT count(*) FROM reports')" = 360 ] || fail "reports after the restart: not 360"
echo "PASS: 3 writers stored 300 reports once each over $conns connections; a restart cost nothing"
