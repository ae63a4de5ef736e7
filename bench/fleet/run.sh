#!/bin/bash
# run.sh BUILD_DIR [AGENTS] [REPORTS_EACH] -- issue 10's load test: 2,000
# simulated agents (one process, one Ed25519 key and client certificate
# each) enrol with one collector over TLS and report; then the fleet view must
# count them all and every report must be stored once.  Prints the time and
# the collector's memory.  A benchmark: numbers are printed, not asserted;
# the counts are checked (exit 1 if a host or a report is missing).
set -euo pipefail
build=$(cd "${1:?usage: run.sh BUILD_DIR [AGENTS] [REPORTS_EACH]}" && pwd)
agents=${2:-2000}
each=${3:-3}
server=$build/server/mamori-server
load=$build/bench/ingest/ingest_load
dir=$(mktemp -d /tmp/mamori-fleet-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
# shellcheck source=../../scripts/wait-health.sh
. "$(dirname "$0")/../../scripts/wait-health.sh"
# What every simulated agent sends: the demo PC's real report.
bash "$(dirname "$0")/../ingest/make-template.sh" "$build" "$dir"
# One TLS connection per simulated agent, on both sides.
ulimit -n $((agents * 2 + 256))

"$server" init "$dir/srv" >/dev/null
mkdir -p "$dir/work"
port=$((20000 + RANDOM % 20000))
sed -i "s/^listen_addr = .*/listen_addr = 127.0.0.1/; s/^listen_port = .*/listen_port = $port/" \
    "$dir/srv/server.conf"
"$server" serve --config "$dir/srv/server.conf" 2>"$dir/server.log" &
pid=$!
mamori_wait_health 50 "$dir/srv/ca.pem" "https://localhost:$port" ||
    { echo "collector did not start: $(cat "$dir/server.log")"; exit 1; }

echo "== $agents simulated agents enrol and send $each signed reports each"
start=$(date +%s.%N)
"$load" "https://localhost:$port" "$dir/srv/ca.pem" "$dir/srv/enroll.secret" "$dir/work" \
    "$agents" "$each" "$dir/template.json" | tail -3
end=$(date +%s.%N)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")

hosts=$("$server" fleet --json --config "$dir/srv/server.conf" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d.get("hosts", d.get("host_count", 0)) if isinstance(d.get("hosts"), int) else len(d.get("hosts", [])))')
stored=$(sqlite3 "$dir/srv/mamori.db" 'SELECT count(*) FROM reports')
distinct=$(sqlite3 "$dir/srv/mamori.db" 'SELECT count(*) FROM (SELECT DISTINCT host_id, seq FROM reports)')

printf '%-34s %s\n' "agents / reports expected" "$agents / $((agents * each))"
printf '%-34s %s\n' "hosts in the fleet view" "$hosts"
printf '%-34s %s (%s distinct host+seq)\n' "reports stored" "$stored" "$distinct"
printf '%-34s %.1f s\n' "enrol + report, wall time" "$(echo "$end - $start" | bc)"
printf '%-34s %s KiB now, %s KiB peak\n' "collector RSS" "$rss" "$hwm"
if [ "$hosts" -eq "$agents" ] && [ "$stored" -eq $((agents * each)) ] && [ "$distinct" -eq "$stored" ]; then
    echo "every agent counted, no report lost or duplicated"
else
    echo "MISSING: hosts or reports do not add up" >&2
    exit 1
fi
