#!/bin/bash
# t_server_pg.sh -- run the t_server suite against a real PostgreSQL server.
# Starts a private cluster (initdb in a temp dir, unix socket only, run as the
# postgres user), creates a database, runs t_server and t_ingest (group
# commit) with MAMORI_TEST_PG_DSN, and stops the cluster.  Skips (exit 0 with
# a message) when not root or PostgreSQL binaries are missing; CI runs as root.
set -euo pipefail
build=$1
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ "$(id -u)" != 0 ] || [ -z "$bin" ] || ! id postgres >/dev/null 2>&1; then
    echo "SKIP: needs root, the postgres user and PostgreSQL server binaries"
    exit 0
fi
dir=$(mktemp -d /tmp/mamori-pg-XXXXXX)
chown postgres "$dir"
cleanup() {
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
runuser -u postgres -- "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/log" \
    -o "-k $dir -c listen_addresses='' -p 55432" start >/dev/null
runuser -u postgres -- "$bin/createdb" -h "$dir" -p 55432 mamori_test
export MAMORI_TEST_PG_DSN="host=$dir port=55432 user=postgres dbname=mamori_test"
"$build/tests/server/t_server" --jobs=1
"$build/tests/server/t_ingest" --jobs=1
