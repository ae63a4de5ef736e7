# agent_fixture.sh -- start the real daemon in a private network namespace
# with a temporary state directory, socket and policy.  Sourced by the tests.
#   agent_setup            netns (lo + an unapproved veth "rogue0"), work dir, policy
#   agent_start [ARGS]     start mamori-agent --foreground; waits for its socket
#   agent_status_json      mamorictl status --json (as root)
#   agent_teardown
#   ok / not_ok / check NAME COND / wait_for COND SECONDS   TAP-style results

AGENT_NS=mamori-agent-t$$
AGENT_PID=

agent_setup() {
    AGENT_WORK=$(mktemp -d /tmp/mamori-agent-test.XXXXXX)
    chmod 755 "$AGENT_WORK" # others must reach the socket to be refused by the agent
    mkdir -p "$AGENT_WORK/root/etc"
    echo "0123456789abcdef0123456789abcdef" >"$AGENT_WORK/root/etc/machine-id"
    cat >"$AGENT_WORK/policy.json" <<'P'
{"version": "t-1", "segment": "lgwan",
 "organization": {"municipality": "テスト市", "department": "情報政策課"},
 "network": {"interfaces": [{"name": "lo"}]},
 "report": {"interval_seconds": 3600, "check_interval_seconds": 3600}}
P
    ip netns add "$AGENT_NS"
    ip -n "$AGENT_NS" link set lo up
    ip -n "$AGENT_NS" link add rogue0 type veth peer name rogue0-peer
}

agent_start() {
    ip netns exec "$AGENT_NS" "$BUILD/agent/mamori-agent" --foreground \
        --policy "$AGENT_WORK/policy.json" --state-dir "$AGENT_WORK/state" \
        --root "$AGENT_WORK/root" --socket "$AGENT_WORK/agent.sock" "$@" \
        >>"$AGENT_WORK/agent.log" 2>&1 &
    AGENT_PID=$!
    for _ in $(seq 100); do
        [ -S "$AGENT_WORK/agent.sock" ] && return 0
        kill -0 "$AGENT_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "agent did not start:" >&2
    cat "$AGENT_WORK/agent.log" >&2
    return 1
}

agent_status_json() {
    "$BUILD/agent/mamorictl" status --json --socket "$AGENT_WORK/agent.sock" 2>/dev/null || true
}

# json_get EXPR: evaluate a Python expression over the status document "d".
json_get() {
    agent_status_json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

agent_teardown() {
    [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
    ip netns del "$AGENT_NS" 2>/dev/null
    rm -rf "$AGENT_WORK"
}

# TAP-style results: the script ends with 'echo "$passes passed, $failures failed"'.
failures=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $1"; }
not_ok() { failures=$((failures + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
wait_for() { # bounded wait for a condition (seconds * 10 tries)
    for _ in $(seq "$(($2 * 10))"); do eval "$1" && return 0; sleep 0.1; done
    return 1
}
