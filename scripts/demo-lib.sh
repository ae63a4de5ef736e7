# demo-lib.sh -- the steps of the end-to-end path, shared by scripts/demo.sh
# (for people) and tests/e2e (with assertions).  Source it, set SRC and BUILD,
# then call the functions in order.  Everything runs in a private network
# namespace: the network guard must never judge this machine's interfaces.
#
#   demo_setup WORKDIR        netns with lo, lan0 (approved), tether0 (not)
#   demo_server_start         mamori-server init + serve on 127.0.0.1:$DEMO_PORT
#   demo_server_serve [WRAPPER...]  serve again (e.g. under faketime)
#   demo_server_stop / demo_server_restart
#   demo_pc                   the demo PC tree and its host id
#   demo_enroll               mamorictl enroll (CA pinned, secret file)
#   demo_agent_start          mamori-agent (under umockdev when USB is built)
#   demo_wait_ack [N]         until the agent's queue is empty and acked
#   demo_agent_cmd CMD        one control-socket command as root (report-now, ...)
#   demo_teardown             stop everything, remove the netns (and WORKDIR)

DEMO_NS=${DEMO_NS:-mamori-demo-$$}
DEMO_PORT=$((20000 + $$ % 20000))
DEMO_PIDS=()
DEMO_SERVER_PID=

# shellcheck source=wait-health.sh
. "$SRC/scripts/wait-health.sh"

demo_in_ns() { ip netns exec "$DEMO_NS" "$@"; }

demo_setup() {
    DEMO_WORK=$1
    mkdir -p "$DEMO_WORK"
    ip netns add "$DEMO_NS"
    demo_in_ns ip link set lo up
    demo_in_ns ip link add lan0 type veth peer name lan0-peer
    demo_in_ns ip addr add 10.77.0.2/24 dev lan0
    demo_in_ns ip link set lan0 up
    demo_in_ns ip link set lan0-peer up
    demo_in_ns ip link add tether0 type veth peer name tether0-peer
    demo_in_ns ip link set tether0 up
}

demo_server_serve() {
    # Not through demo_in_ns: a backgrounded function is a subshell, and $!
    # must be the collector itself so demo_server_stop really stops it.
    # Arguments, if any, are a command the collector runs under (faketime).
    ip netns exec "$DEMO_NS" "$@" "$BUILD/server/mamori-server" serve \
        --config "$DEMO_WORK/server/server.conf" >>"$DEMO_WORK/server.log" 2>&1 &
    DEMO_SERVER_PID=$!
    mamori_wait_health 100 "$DEMO_WORK/server/ca.pem" "https://127.0.0.1:$DEMO_PORT" \
        ip netns exec "$DEMO_NS" && return 0
    echo "demo: the collector did not come up; its log:" >&2
    cat "$DEMO_WORK/server.log" >&2
    return 1
}

demo_server_start() {
    "$BUILD/server/mamori-server" init "$DEMO_WORK/server" --name localhost --name 127.0.0.1 \
        --port "$DEMO_PORT"
    sed -i 's/^listen_addr = .*/listen_addr = 127.0.0.1/' "$DEMO_WORK/server/server.conf"
    demo_server_serve
}

demo_server_stop() {
    [ -n "$DEMO_SERVER_PID" ] || return 0
    # A wrapper such as faketime forks the collector and waits for it:
    # stop the collector itself, or it outlives the demo.
    pkill -TERM -P "$DEMO_SERVER_PID" 2>/dev/null || true
    kill "$DEMO_SERVER_PID" 2>/dev/null
    wait "$DEMO_SERVER_PID" 2>/dev/null || true
    DEMO_SERVER_PID=
}

demo_server_restart() { demo_server_serve; }

demo_pc() {
    bash "$SRC/demo/make-demo-pc.sh" "$DEMO_WORK/pc"
    DEMO_HOST_ID=$(printf %s "$(tr -d ' \t\r\n' <"$DEMO_WORK/pc/etc/machine-id")" |
        sha256sum | cut -c1-64)
}

demo_enroll() {
    demo_in_ns "$BUILD/agent/mamorictl" enroll --server "https://127.0.0.1:$DEMO_PORT" \
        --secret-file "$DEMO_WORK/server/enroll.secret" --ca-file "$DEMO_WORK/server/ca.pem" \
        --state-dir "$DEMO_WORK/agent" --policy "$SRC/demo/policy.json" --host-id "$DEMO_HOST_ID"
}

demo_usb_available() {
    [ -f "$SRC/enforce/usb_enforcer.h" ] && command -v umockdev-run >/dev/null
}

demo_agent_start() {
    local agent=("$BUILD/agent/mamori-agent" --foreground --policy "${DEMO_POLICY:-$SRC/demo/policy.json}"
        --state-dir "$DEMO_WORK/agent" --root "$DEMO_WORK/pc" --socket "$DEMO_WORK/agent.sock")
    # With USB under umockdev, the USB check reads the (mock) /sys the enforcer acts on.
    demo_usb_available && agent+=(--sysfs-root /)
    if demo_usb_available; then
        agent=(umockdev-run -d "$SRC/demo/usb-stick.umockdev" -- "${agent[@]}")
    fi
    ip netns exec "$DEMO_NS" "${agent[@]}" >>"$DEMO_WORK/agent.log" 2>&1 &
    DEMO_PIDS+=($!)
    for _ in $(seq 100); do
        [ -S "$DEMO_WORK/agent.sock" ] && return 0
        sleep 0.1
    done
    echo "demo: the agent did not start; its log:" >&2
    cat "$DEMO_WORK/agent.log" >&2
    return 1
}

demo_status_json() {
    # status exits 1 while a check fails: the output matters, not the status.
    "$BUILD/agent/mamorictl" status --json --socket "$DEMO_WORK/agent.sock" 2>/dev/null || true
}

# Wait until the spool is empty and a report was acknowledged ($1 tries of 0.1 s).
demo_wait_ack() {
    for _ in $(seq "${1:-200}"); do
        if demo_status_json | python3 -c '
import json, sys
d = json.load(sys.stdin).get("delivery") or {}
sys.exit(0 if d.get("last_ack_time") and d.get("queue_length") == 0 else 1)' 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

demo_agent_cmd() {
    python3 - "$DEMO_WORK/agent.sock" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((json.dumps({"cmd": sys.argv[2]}) + "\n").encode())
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
doc = json.loads(data)
sys.exit(1 if "error" in doc else 0)
PY
}

demo_teardown() {
    for p in "${DEMO_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    demo_server_stop
    wait 2>/dev/null || true
    ip netns del "$DEMO_NS" 2>/dev/null || true
    [ -n "${DEMO_KEEP:-}" ] || rm -rf "$DEMO_WORK"
}
