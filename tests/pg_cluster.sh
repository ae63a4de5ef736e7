# pg_cluster.sh -- a private PostgreSQL cluster for one test script.
# Source it, then `pg_cluster_start DBNAME`: initdb in a temporary directory,
# unix socket only, run as the postgres user, one database; exports
# MAMORI_TEST_PG_DSN and stops and removes the cluster when the script exits.
# Exits 0 with "SKIP: ..." when not root or the PostgreSQL server binaries or
# the postgres user are missing (CI runs as root).

pg_cluster_start() {
    local db=$1 bin port
    bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
    if [ "$(id -u)" != 0 ] || [ -z "$bin" ] || ! id postgres >/dev/null 2>&1; then
        echo "SKIP: needs root, the postgres user and PostgreSQL server binaries"
        exit 0
    fi
    PG_CLUSTER_BIN=$bin
    PG_CLUSTER_DIR=$(mktemp -d /tmp/mamori-pg-XXXXXX)
    chmod 711 "$PG_CLUSTER_DIR"
    mkdir "$PG_CLUSTER_DIR/pg"
    chown postgres "$PG_CLUSTER_DIR/pg"
    trap pg_cluster_stop EXIT
    port=$((56000 + RANDOM % 4000))
    runuser -u postgres -- "$bin/initdb" -D "$PG_CLUSTER_DIR/pg/data" -A trust -U postgres >/dev/null
    runuser -u postgres -- "$bin/pg_ctl" -D "$PG_CLUSTER_DIR/pg/data" -w -l "$PG_CLUSTER_DIR/pg/log" \
        -o "-k $PG_CLUSTER_DIR/pg -c listen_addresses='' -p $port" start >/dev/null
    runuser -u postgres -- "$bin/createdb" -h "$PG_CLUSTER_DIR/pg" -p "$port" "$db"
    export MAMORI_TEST_PG_DSN="host=$PG_CLUSTER_DIR/pg port=$port user=postgres dbname=$db"
}

pg_cluster_stop() {
    runuser -u postgres -- "$PG_CLUSTER_BIN/pg_ctl" -D "$PG_CLUSTER_DIR/pg/data" -m immediate stop \
        >/dev/null 2>&1 || true
    rm -rf "$PG_CLUSTER_DIR"
}
