#!/bin/bash
# run.sh BUILD_DIR [CLIENTS] [REPORTS_PER_CLIENT] -- mamori-server ingest rate
# beside this machine's Ed25519 verify rate, measured in the same run.
#
# A fresh collector (default configuration: 2 worker threads, group commit,
# SQLite with synchronous=FULL) on loopback; ingest_load enrols CLIENTS hosts,
# pre-signs their reports -- each the demo PC's real report (`mamorictl
# report` on demo/make-demo-pc.sh, schema 2) with its own host id and seq --
# then posts them over CLIENTS concurrent keep-alive TLS 1.3 connections with
# client certificates.  Then the same against PostgreSQL (a private cluster,
# as tests/server/t_server_pg.sh starts one) when root and its binaries are
# there.
#
# Budget (DESIGN.md): >= 10,000 reports/s on 2 cores and >= 50 % of the
# Ed25519-verify bound (`openssl speed ed25519` verify/s x 2 cores, printed
# here).  The collector verifies with libsodium, about twice as fast as
# OpenSSL 3.0 here; the bound by its own verify rate is printed as well.  The load generator runs on the same 2 cores, so two numbers are
# printed: the rate measured end to end (collector and load generator sharing
# the cores), and the collector's own CPU time per report (from /proc), which
# gives the rate 2 cores would sustain for the collector alone (with
# PostgreSQL, the database server's own CPU is not in that number: it is
# another process, often another machine).  The group-commit size comes from
# /metrics.  Never fails on the numbers.
# MAMORI_BENCH_DBS="sqlite" skips PostgreSQL.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [CLIENTS] [REPORTS]}
clients=${2:-64}
per=${3:-300}
src=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/wait-health.sh
. "$src/scripts/wait-health.sh"
server=$build/server/mamori-server
load=$build/bench/ingest/ingest_load
dir=$(mktemp -d /tmp/mamori-bench-XXXXXX)
pid=
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    if [ -d "$dir/pg/data" ]; then
        runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/pg/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT

# The report every simulated PC sends: the demo PC's, as the agent builds it.
bash "$src/bench/ingest/make-template.sh" "$build" "$dir"

echo "== stages in process (no TLS/HTTP; CPU time of one thread, steady on a busy machine)"
mkdir -p "$dir/stages"
stages=$("$build/bench/ingest/ingest_stages" "$dir/template.json" "$dir/stages" 64 40)
echo "$stages"
# The collector verifies with libsodium: its rate for this report, printed
# beside the budget's bound (which is OpenSSL's) so neither flatters.
sodium_us=$(sed -n 's/.*libsodium \([0-9.]*\) us.*/\1/p' <<<"$stages")
echo "== load average before the run (other work on these cores skews the end-to-end numbers): $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== Ed25519 verify baseline: openssl speed -seconds 3 ed25519"
verify=$(openssl speed -seconds 3 ed25519 2>/dev/null | awk '/Ed25519\)/ {print $NF}' | tail -1)
verify=${verify%.*}
cores=$(nproc)
bound=$((verify * (cores < 2 ? cores : 2)))
echo "verify/s (one core): $verify   cores: $cores   bound on 2 cores: $bound/s"
sodium_bound=$(awk -v us="$sodium_us" 'BEGIN { if (us > 0) printf "%d", 2 * 1000000 / us; else print 0 }')
echo "the collector's own verify (libsodium, this report): $sodium_us us -> $sodium_bound/s on 2 cores"

serve() { # CONF_DIR
    port=$((20000 + RANDOM % 20000))
    sed -i "s/^listen_addr = .*/listen_addr = 127.0.0.1/; s/^listen_port = .*/listen_port = $port/" \
        "$1/server.conf"
    "$server" serve --config "$1/server.conf" 2>"$1/server.log" &
    pid=$!
    mamori_wait_health 50 "$1/ca.pem" "https://localhost:$port" && return 0
    echo "collector did not start: $(cat "$1/server.log")"
    return 1
}

measure() { # NAME CONF_DIR
    local name=$1 conf=$2 out rate srv cli pct cap cap_pct
    echo "== ingest ($name): $clients clients x $per reports"
    mkdir -p "$conf/clients"
    out=$(MAMORI_BENCH_SERVER_PID=$pid "$load" "https://localhost:$port" "$conf/ca.pem" \
        "$conf/enroll.secret" "$conf/clients" "$clients" "$per" "$dir/template.json")
    echo "$out"
    metrics=$(curl -s --cacert "$conf/ca.pem" "https://localhost:$port/metrics")
    kill "$pid" && wait "$pid" 2>/dev/null || true
    pid=
    rate=$(sed -n 's/.* rate=\([0-9]*\).*/\1/p' <<<"$out")
    srv=$(sed -n 's/.* server_cpu_us=\([0-9-]*\).*/\1/p' <<<"$out")
    cli=$(sed -n 's/.* client_cpu_us=\([0-9]*\).*/\1/p' <<<"$out")
    commits=$(awk '/^mamori_ingest_commits_total/ {print $2}' <<<"$metrics")
    committed=$(awk '/^mamori_ingest_committed_reports_total/ {print $2}' <<<"$metrics")
    pct=$((bound > 0 ? rate * 100 / bound : 0))
    cap=$((srv > 0 ? 2000000 / srv : 0))
    cap_pct=$((bound > 0 ? cap * 100 / bound : 0))
    echo "== result ($name)"
    printf 'measured: %s reports/s with the load generator on the same 2 cores (it used %s us CPU per report)\n' \
        "$rate" "$cli"
    printf '          Ed25519 verify bound on 2 cores %s/s; ratio %s%%\n' "$bound" "$pct"
    printf 'collector alone: %s us CPU per report -> %s reports/s on 2 cores; ratio %s%%\n' \
        "$srv" "$cap" "$cap_pct"
    printf '          against its own verify (libsodium) bound %s/s: ratio %s%%\n' "$sodium_bound" \
        "$((sodium_bound > 0 ? cap * 100 / sodium_bound : 0))"
    printf 'group commit: %s commits for %s reports (%s reports per commit)\n' "$commits" \
        "$committed" "$((commits > 0 ? committed / commits : 0))"
    verdict() { if [ "$1" -ge "$2" ]; then echo MET; else echo "NOT MET"; fi; }
    printf 'budget >= 10000/s:                measured %s, collector alone %s\n' \
        "$(verdict "$rate" 10000)" "$(verdict "$cap" 10000)"
    printf 'budget >= 50%% of verify bound:    measured %s, collector alone %s\n' \
        "$(verdict "$pct" 50)" "$(verdict "$cap_pct" 50)"
}

"$server" init "$dir/sqlite" >/dev/null
serve "$dir/sqlite"
measure sqlite "$dir/sqlite"

if [ "${MAMORI_BENCH_DBS:-sqlite postgresql}" = sqlite ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || [ -z "$pgbin" ] || ! id postgres >/dev/null 2>&1; then
    echo "== ingest (postgresql): SKIP (needs root, the postgres user and PostgreSQL binaries)"
    exit 0
fi
chmod 711 "$dir" # the postgres user must reach its own directory inside
mkdir -p "$dir/pg"
chown postgres "$dir/pg"
runuser -u postgres -- "$pgbin/initdb" -D "$dir/pg/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/pg/data" -w -l "$dir/pg/log" \
    -o "-k $dir/pg -c listen_addresses='' -p 55433" start >/dev/null
runuser -u postgres -- "$pgbin/createdb" -h "$dir/pg" -p 55433 mamori_bench
"$server" init "$dir/pgsrv" --db postgresql \
    --dsn "host=$dir/pg port=55433 user=postgres dbname=mamori_bench" >/dev/null
serve "$dir/pgsrv"
measure postgresql "$dir/pgsrv"
