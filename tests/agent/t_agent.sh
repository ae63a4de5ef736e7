#!/usr/bin/env bash
# t_agent.sh BUILD_DIR -- the real daemon (issue 8): start-up, a link-up of an
# unapproved interface, reload with a bad then a good policy, the control
# socket's authorisation, a second instance, a clean SIGTERM.
set -uo pipefail
BUILD=$(cd "$1" && pwd)
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: needs root (network namespaces, other users on the socket)"
    exit 77
fi
. "$(dirname "$0")/agent_fixture.sh"
export LANG=C.UTF-8 MAMORI_LOCALEDIR="$BUILD/locale"
ctl="$BUILD/agent/mamorictl"
trap agent_teardown EXIT
getent group mamori >/dev/null || groupadd -r mamori
gid=$(getent group mamori | cut -d: -f3)
agent_setup

# A broken policy at start: exit 2, the key named.
printf '{"segment":"lgwan","usb":{"mode":"block"}}' >"$AGENT_WORK/bad.json"
ip netns exec "$AGENT_NS" "$BUILD/agent/mamori-agent" --foreground --policy "$AGENT_WORK/bad.json" \
    --state-dir "$AGENT_WORK/state" --socket "$AGENT_WORK/agent.sock" >"$AGENT_WORK/bad.log" 2>&1
check "an invalid policy at start is refused with exit 2" "[ $? -eq 2 ]"
check "the refusal names the key" "grep -q \"key 'usb.mode'\" '$AGENT_WORK/bad.log'"

"$ctl" status --socket "$AGENT_WORK/agent.sock" >"$AGENT_WORK/out" 2>&1
check "status without an agent exits 3" "[ $? -eq 3 ]"
check "and says so, offering mamorictl check" "grep -q 'mamorictl check' '$AGENT_WORK/out'"

agent_start || exit 1
check "status shows the policy version" "[ \"\$(json_get 'd[\"policy\"][\"version\"]')\" = t-1 ]"
check "status carries the check results" "[ \"\$(json_get 'len(d[\"checks\"])')\" -ge 9 ]"
check "network enforcement is active" "[ \"\$(json_get 'd[\"enforcement\"][\"network\"][\"active\"]')\" = True ]"

ip -n "$AGENT_NS" link set rogue0 up
check "an unapproved link brought up is refused (event)" \
    "wait_for \"agent_status_json | grep -q '\\\"net.refused\\\"'\" 5"
check "and is down again" \
    "wait_for \"ip -n $AGENT_NS -o link show rogue0 | grep -qv 'state UP'\" 5"

# Reload with a broken policy: the old one stays, the error is shown.
cp "$AGENT_WORK/policy.json" "$AGENT_WORK/good.json"
printf '{"segment":"lgwan","screen_lock":{"max_idle_seconds":-1}}' >"$AGENT_WORK/policy.json"
kill -HUP "$AGENT_PID"
check "a bad reload is reported in status" \
    "wait_for \"[ \\\"\\\$(json_get 'd[\\\"policy\\\"][\\\"reload_error\\\"] or \\\"\\\"')\\\" != '' ]\" 5"
check "the previous policy stays in force" "[ \"\$(json_get 'd[\"policy\"][\"version\"]')\" = t-1 ]"
check "a policy.rejected event is recorded" "agent_status_json | grep -q '\"policy.rejected\"'"

sed 's/"t-1"/"t-2"/' "$AGENT_WORK/good.json" >"$AGENT_WORK/policy.json"
kill -HUP "$AGENT_PID"
check "a good reload takes effect without restart" \
    "wait_for \"[ \\\"\\\$(json_get 'd[\\\"policy\\\"][\\\"version\\\"]')\\\" = t-2 ]\" 5"
check "and clears the reload error" "[ \"\$(json_get 'd[\"policy\"][\"reload_error\"]')\" = None ]"

# Authorisation: the socket is root:mamori 0660, and the agent checks SO_PEERCRED.
check "the socket belongs to group mamori, mode 0660" \
    "[ \"\$(stat -c '%a %G' '$AGENT_WORK/agent.sock')\" = '660 mamori' ]"
setpriv --reuid=65534 --regid=65534 --clear-groups "$ctl" status --socket "$AGENT_WORK/agent.sock" \
    >"$AGENT_WORK/out" 2>&1
check "a user outside group mamori is refused" "[ $? -eq 2 ] && grep -q 'permission denied' '$AGENT_WORK/out'"
# Even when the file mode would let anyone connect, the agent itself refuses.
chmod 666 "$AGENT_WORK/agent.sock"
setpriv --reuid=65534 --regid=65534 --clear-groups "$ctl" status --socket "$AGENT_WORK/agent.sock" \
    >"$AGENT_WORK/out" 2>&1
check "the agent refuses a non-member by SO_PEERCRED" \
    "[ $? -eq 2 ] && grep -q 'refused: permission denied' '$AGENT_WORK/out' || { cat '$AGENT_WORK/out'; false; }"
chmod 660 "$AGENT_WORK/agent.sock"
setpriv --reuid=65534 --regid="$gid" --clear-groups "$ctl" status --json \
    --socket "$AGENT_WORK/agent.sock" >"$AGENT_WORK/out" 2>&1
rc=$?
check "a member of group mamori may read status" "[ $rc -le 1 ] && grep -q '\"checks\"' '$AGENT_WORK/out'"
setpriv --reuid=65534 --regid="$gid" --clear-groups /usr/bin/python3 -c "
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{\"cmd\":\"reload\"}\n'); print(s.recv(4096).decode())" "$AGENT_WORK/agent.sock" >"$AGENT_WORK/out" 2>&1
check "but may not reload the policy" "grep -q 'permission denied' '$AGENT_WORK/out'"

ip netns exec "$AGENT_NS" "$BUILD/agent/mamori-agent" --foreground --policy "$AGENT_WORK/good.json" \
    --state-dir "$AGENT_WORK/state2" --socket "$AGENT_WORK/agent.sock" >"$AGENT_WORK/second.log" 2>&1
check "a second agent on the same socket refuses to start" \
    "[ $? -eq 2 ] && grep -q 'another mamori-agent is running' '$AGENT_WORK/second.log'"

kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
check "SIGTERM stops the agent with exit 0" "[ $? -eq 0 ]"
AGENT_PID=
check "and removes its socket" "[ ! -e '$AGENT_WORK/agent.sock' ]"
check "the log says nothing secret (no key material)" "! grep -q 'PRIVATE KEY' '$AGENT_WORK/agent.log'"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
