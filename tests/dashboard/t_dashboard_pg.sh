#!/bin/bash
# t_dashboard_pg.sh -- the dashboard tests against a real PostgreSQL server.
# Starts a private cluster (initdb in a temp dir, unix socket only, run as the
# postgres user), then runs t_dashboard_auth and t_dashboard_http with
# MAMORI_TEST_PG_DSN, and stops the cluster.  Skips (exit 0 with a message)
# when not root or PostgreSQL binaries are missing; CI runs as root.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
if [ "$(id -u)" != 0 ] || [ -z "$bin" ] || ! id postgres >/dev/null 2>&1; then
    echo "SKIP: needs root, the postgres user and PostgreSQL server binaries"
    exit 0
fi
dir=$(mktemp -d /tmp/mamori-dashpg-XXXXXX)
chmod 711 "$dir"
mkdir "$dir/pg"
chown postgres "$dir/pg"
cleanup() {
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/pg/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
port=$((56000 + RANDOM % 2000))
runuser -u postgres -- "$bin/initdb" -D "$dir/pg/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$bin/pg_ctl" -D "$dir/pg/data" -w -l "$dir/pg/log" \
    -o "-k $dir/pg -c listen_addresses='' -p $port" start >/dev/null
runuser -u postgres -- "$bin/createdb" -h "$dir/pg" -p "$port" mamori_dash
export MAMORI_TEST_PG_DSN="host=$dir/pg port=$port user=postgres dbname=mamori_dash"
"$build/tests/dashboard/t_dashboard_auth" --jobs=1
bash "$here/t_dashboard_http.sh" "$build"
