#!/usr/bin/env bash
# demo.sh BUILD_DIR -- mamori end to end on one machine, with embedded defaults.
#
# What a municipality would see, in a private network namespace so nothing on
# this machine is touched:
#   1. mamori-server init + serve: a collector on loopback with SQLite;
#   2. a demo staff PC (demo/make-demo-pc.sh: one rule broken on purpose) with
#      an approved LAN interface and an unapproved tethering interface, and a
#      USB stick next to a keyboard (umockdev, when the build has USB enforcement);
#   3. mamorictl enroll, then mamori-agent: it checks, refuses, signs and
#      delivers a report over mutual TLS;
#   4. mamorictl status (the helpdesk's view) and mamori-server fleet (the
#      security office's view); then everything it started is stopped.
# Needs root (network namespaces).  DEMO_KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=$(cd "${1:-build}" && pwd)
export MAMORI_LOCALEDIR="$build/locale"
lang=C.UTF-8
locale -a 2>/dev/null | grep -qi '^ja_JP.utf-\?8$' && lang=ja_JP.UTF-8
export LANG=$lang

if [ "$(id -u)" -ne 0 ]; then
    echo "demo: run as root (it creates a private network namespace)" >&2
    exit 2
fi
ns=mamori-demo-$$
work=$(mktemp -d /tmp/mamori-demo.XXXXXX)
port=$((20000 + $$ % 20000))
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    [ -n "${DEMO_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
in_ns() { ip netns exec "$ns" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "A private network: lo, an approved LAN (lan0) and a tethering interface (tether0)"
ip netns add "$ns"
in_ns ip link set lo up
in_ns ip link add lan0 type veth peer name lan0-peer
in_ns ip addr add 10.77.0.2/24 dev lan0
in_ns ip link set lan0 up
in_ns ip link set lan0-peer up
in_ns ip link add tether0 type veth peer name tether0-peer
in_ns ip link set tether0 up
in_ns ip -br link

step "1. The collector: mamori-server init, then serve on 127.0.0.1:$port (SQLite)"
"$build/server/mamori-server" init "$work/server" --name localhost --name 127.0.0.1 --port "$port"
sed -i 's/^listen_addr = .*/listen_addr = 127.0.0.1/; s/^report_interval_seconds = .*/report_interval_seconds = 60/' \
    "$work/server/server.conf"
in_ns "$build/server/mamori-server" serve --config "$work/server/server.conf" \
    >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
    in_ns curl -sf --cacert "$work/server/ca.pem" "https://127.0.0.1:$port/v1/health" >/dev/null && break
    sleep 0.2
done

step "2. The demo PC (市民課, LGWAN) and its policy"
bash "$src/demo/make-demo-pc.sh" "$work/pc"
"$build/agent/mamorictl" policy validate "$src/demo/policy.json"

step "3. mamorictl enroll: CSR + enrolment secret -> device certificate, CA pinned"
host_id=$(printf %s "$(tr -d ' \t\r\n' <"$work/pc/etc/machine-id")" | sha256sum | cut -c1-64)
in_ns "$build/agent/mamorictl" enroll --server "https://127.0.0.1:$port" \
    --secret-file "$work/server/enroll.secret" --ca-file "$work/server/ca.pem" \
    --state-dir "$work/agent" --policy "$src/demo/policy.json" --host-id "$host_id"

step "4. mamori-agent starts: checks, refuses tether0, signs and delivers a report"
agent=("$build/agent/mamori-agent" --foreground --policy "$src/demo/policy.json"
    --state-dir "$work/agent" --root "$work/pc" --socket "$work/agent.sock")
if [ -f "$src/enforce/usb_enforcer.h" ] && command -v umockdev-run >/dev/null; then
    echo "(USB: a SanDisk stick and a keyboard on one hub, under umockdev)"
    agent=(umockdev-run -d "$src/demo/usb-stick.umockdev" -- "${agent[@]}")
fi
in_ns "${agent[@]}" >"$work/agent.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    # status exits 1 while a check fails: read its output, not its status.
    if { "$build/agent/mamorictl" status --json --socket "$work/agent.sock" 2>/dev/null || true; } |
        grep -q '"last_ack_time":[[:space:]]*"'; then
        break
    fi
    sleep 0.2
done

step "5. The helpdesk at the PC: mamorictl status"
"$build/agent/mamorictl" status --socket "$work/agent.sock" || true

step "6. The security office: mamori-server fleet"
"$build/server/mamori-server" fleet --config "$work/server/server.conf" || true

step "7. Block events the collector received (USB and network)"
"$build/server/mamori-server" events --config "$work/server/server.conf" || true
echo
echo "demo: done (work directory $work$([ -n "${DEMO_KEEP:-}" ] && echo ' kept' || echo ' removed'))"
