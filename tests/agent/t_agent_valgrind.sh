#!/usr/bin/env bash
# t_agent_valgrind.sh BUILD_DIR -- the daemon and its children under
# valgrind (--trace-children: the forked check runs and the exec'd
# mamori-courier too), against a real collector in a private netns: start,
# deliver the first report, answer a status, reload, report-now (a second
# courier run), the collector forgets the host and the agent enrols again
# (mamorictl enroll as its child), stop.  Any leak or invalid access in any
# of them fails.
set -uo pipefail
BUILD=$(cd "$1" && pwd)
SRC=${MAMORI_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ "$(id -u)" -ne 0 ] || ! command -v valgrind >/dev/null; then
    echo "SKIP: needs root and valgrind"
    exit 77
fi
# shellcheck source=../../scripts/demo-lib.sh
. "$SRC/scripts/demo-lib.sh"
export LANG=C.UTF-8
trap demo_teardown EXIT
demo_setup "$(mktemp -d /tmp/mamori-valgrind.XXXXXX)"
demo_server_start >/dev/null || exit 1
demo_pc >/dev/null
demo_enroll >/dev/null || { echo "enrolment failed"; exit 1; }

vglog=$DEMO_WORK/vg.log
ip netns exec "$DEMO_NS" valgrind -q --vgdb=no --trace-children=yes --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=9 "$BUILD/agent/mamori-agent" --foreground \
    --policy "$SRC/demo/policy.json" --state-dir "$DEMO_WORK/agent" --root "$DEMO_WORK/pc" \
    --socket "$DEMO_WORK/agent.sock" >"$vglog" 2>&1 &
agent=$!
for _ in $(seq 600); do [ -S "$DEMO_WORK/agent.sock" ] && break; sleep 0.1; done
delivered=0
demo_wait_ack 1200 && delivered=1
demo_status_json >/dev/null
kill -HUP "$agent"
sleep 1
demo_agent_cmd report-now
demo_wait_ack 1200 || delivered=0
"$BUILD/server/mamori-server" host remove shimin-pc-014 --config "$DEMO_WORK/server/server.conf" >/dev/null
demo_agent_cmd report-now
demo_wait_ack 1200 || delivered=0
grep -q 'enrolled again with' "$vglog" || delivered=0
kill -TERM "$agent"
wait "$agent"
rc=$?
# -q: valgrind says nothing unless something is wrong, in any process.
grep -E '==[0-9]+==' "$vglog" | head -60
findings=$(grep -cE '==[0-9]+==' "$vglog")
passes=0 failures=0
if [ "$delivered" -eq 1 ]; then passes=$((passes + 1)); else
    failures=$((failures + 1))
    echo "the courier did not deliver, or the agent did not enrol again, under valgrind:"
    tail -20 "$vglog"
fi
if [ "$rc" -eq 0 ] && [ "$findings" -eq 0 ]; then passes=$((passes + 1)); else
    failures=$((failures + 1))
    echo "valgrind or the agent failed (exit $rc, $findings lines from valgrind)"
fi
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
