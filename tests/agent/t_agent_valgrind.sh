#!/usr/bin/env bash
# t_agent_valgrind.sh BUILD_DIR -- the daemon under valgrind: start, answer a
# status, refuse a link, reload, stop; no leak and no invalid access.
set -uo pipefail
BUILD=$(cd "$1" && pwd)
if [ "$(id -u)" -ne 0 ] || ! command -v valgrind >/dev/null; then
    echo "SKIP: needs root and valgrind"
    exit 77
fi
. "$(dirname "$0")/agent_fixture.sh"
trap agent_teardown EXIT
agent_setup
real_agent="$BUILD/agent/mamori-agent"
ip netns exec "$AGENT_NS" valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=9 "$real_agent" --foreground \
    --policy "$AGENT_WORK/policy.json" --state-dir "$AGENT_WORK/state" --root "$AGENT_WORK/root" \
    --socket "$AGENT_WORK/agent.sock" >"$AGENT_WORK/vg.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 300); do [ -S "$AGENT_WORK/agent.sock" ] && break; sleep 0.1; done
"$BUILD/agent/mamorictl" status --json --socket "$AGENT_WORK/agent.sock" >/dev/null
ip -n "$AGENT_NS" link set rogue0 up
sleep 1
kill -HUP "$AGENT_PID"
sleep 1
"$BUILD/agent/mamorictl" status --json --socket "$AGENT_WORK/agent.sock" >/dev/null
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
rc=$?
AGENT_PID=
grep -E '==[0-9]+==' "$AGENT_WORK/vg.log" | head -40
if [ "$rc" -eq 0 ]; then
    echo "1 passed, 0 failed"
else
    echo "valgrind or the agent failed (exit $rc)"
    echo "0 passed, 1 failed"
fi
[ "$rc" -eq 0 ]
