#!/usr/bin/env bash
# bench/agent/run.sh [BUILD_DIR] -- footprint of the resident mamori-agent
# beside usbguard-daemon, both started in this run and watched for the same
# window (BENCH_SECONDS, default 60), and, for honesty, the peak memory of the
# agent's short-lived children.  Reads /proc only:
#   RSS        VmRSS of /proc/PID/status at the end of the window (the budget),
#              with PSS and private dirty pages from smaps_rollup beside it
#   wake-ups   voluntary + involuntary context switches of all the process's
#              threads during the window, scaled to one minute
#   peaks      the agent's status: checks_peak_rss_kib (the last check run,
#              a fork) and courier_peak_rss_kib (mamori-courier while it
#              signed and delivered the first report to a real collector
#              over mutual TLS), both ru_maxrss from wait4()
# Three daemons: the agent under umockdev (the fake USB root hub usbguard
# also sees, since this machine has no USB bus), usbguard-daemon under the
# same umockdev, and the agent without umockdev's preload (which adds GLib to
# every process it wraps), enrolled with a collector on loopback.  The agents
# run in a private netns (scripts/demo-lib.sh) so their network guard never
# touches this machine's links.  Budget: <= 4 MiB RSS for the resident agent,
# no wake-ups besides its own timers (both set to an hour here).  Needs root.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${BENCH_SECONDS:-60}
[ "$(id -u)" -eq 0 ] || { echo "bench/agent: needs root (netns)"; exit 2; }
command -v umockdev-run >/dev/null || { echo "bench/agent: umockdev-run missing"; exit 2; }
# shellcheck source=../../scripts/demo-lib.sh
. "$SRC/scripts/demo-lib.sh"

agent_wrapper='' guard_wrapper='' plain=''
cleanup() {
    for p in $agent_wrapper $guard_wrapper $plain; do kill "$p" 2>/dev/null || true; done
    demo_teardown
}
trap cleanup EXIT
demo_setup "$(mktemp -d /tmp/mamori-bench-agent.XXXXXX)"
work=$DEMO_WORK

cat >"$work/hub.umockdev" <<'D'
P: /devices/pci0000:00/0000:00:14.0/usb1
N: bus/usb/001/001
E: SUBSYSTEM=usb
E: DEVTYPE=usb_device
E: DEVNAME=/dev/bus/usb/001/001
E: BUSNUM=001
E: DEVNUM=001
A: idVendor=1d6b
A: idProduct=0002
A: bDeviceClass=09
A: authorized=1
A: authorized_default=1
A: interface_authorized_default=0
A: busnum=1
A: devnum=1
D

# The agents: a policy whose timers do not fire within the window.
mkdir -p "$work/root/etc"
echo "0123456789abcdef0123456789abcdef" >"$work/root/etc/machine-id"
DEMO_HOST_ID=$(printf 0123456789abcdef0123456789abcdef | sha256sum | cut -c1-64)
cat >"$work/policy.json" <<'P'
{"version": "bench-1", "segment": "lgwan",
 "network": {"interfaces": [{"name": "lo"}]},
 "report": {"interval_seconds": 3600, "check_interval_seconds": 3600}}
P
demo_server_start >"$work/server-init.log" || { echo "bench/agent: no collector"; exit 1; }
demo_enroll >"$work/enroll.log" 2>&1 || { echo "bench/agent: enrolment failed"; cat "$work/enroll.log"; exit 1; }

demo_in_ns umockdev-run -d "$work/hub.umockdev" -- \
    "$BUILD/agent/mamori-agent" --foreground --policy "$work/policy.json" \
    --state-dir "$work/state" --root "$work/root" --socket "$work/agent-usb.sock" \
    >"$work/agent-usb.log" 2>&1 &
agent_wrapper=$!
# The enrolled agent (state in $DEMO_WORK/agent, as demo_enroll left it).
ip netns exec "$DEMO_NS" "$BUILD/agent/mamori-agent" --foreground --policy "$work/policy.json" \
    --state-dir "$work/agent" --root "$work/root" --socket "$DEMO_WORK/agent.sock" \
    >"$work/agent.log" 2>&1 &
plain=$!

# usbguard-daemon: temporary configuration, empty rule file, block by default.
: >"$work/rules.conf"
chmod 600 "$work/rules.conf"
cat >"$work/usbguard-daemon.conf" <<C
RuleFile=$work/rules.conf
ImplicitPolicyTarget=block
PresentDevicePolicy=apply-policy
PresentControllerPolicy=keep
InsertedDevicePolicy=apply-policy
IPCAllowedUsers=root
AuditBackend=FileAudit
AuditFilePath=$work/usbguard-audit.log
DeviceManagerBackend=uevent
C
chmod 600 "$work/usbguard-daemon.conf"
umockdev-run -d "$work/hub.umockdev" -- /usr/sbin/usbguard-daemon -K -P \
    -c "$work/usbguard-daemon.conf" -p "$work/usbguard.pid" >"$work/usbguard.log" 2>&1 &
guard_wrapper=$!

# child_of WRAPPER: the daemon a wrapper (umockdev-run, ip netns exec) started.
child_of() {
    local pid
    for _ in $(seq 50); do
        pid=$(pgrep -P "$1" | head -n1 || true)
        [ -n "$pid" ] && { echo "$pid"; return 0; }
        sleep 0.1
    done
    return 1
}
switches() { # voluntary + involuntary context switches of every thread of PID
    cat /proc/"$1"/task/*/status 2>/dev/null |
        awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' /proc/"$1"/status; }
# rollup FIELD PID: Pss or Private_Dirty in KiB (shared library pages such as
# libc count fully in RSS but are shared with every other process).
rollup() { awk -v f="$1:" '$1 == f { print $2 }' /proc/"$2"/smaps_rollup; }
# libsystemd_rss PID: RSS of libsystemd (sd-bus for the Wi-Fi source, sd_notify)
# and of the libraries only it pulls in on Debian 12 (journal compression,
# gcrypt, libcap), so the budget can be read with and without it.
libsystemd_rss() {
    awk '/^[0-9a-f]+-[0-9a-f]+ / { lib = ($6 ~ /lib(systemd|gcrypt|gpg-error|lzma|zstd|lz4|cap)\.so/) }
         /^Rss:/ && lib { n += $2 } END { print n + 0 }' /proc/"$1"/smaps
}
status_field() { # python expression over the plain agent's status "d"
    demo_status_json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

agent=$(child_of "$agent_wrapper") || { echo "mamori-agent did not start"; cat "$work/agent-usb.log"; exit 1; }
guard=$(child_of "$guard_wrapper") || { echo "usbguard-daemon did not start"; cat "$work/usbguard.log"; exit 1; }
for _ in $(seq 100); do [ -S "$work/agent-usb.sock" ] && [ -S "$DEMO_WORK/agent.sock" ] && break; sleep 0.1; done
[ -S "$DEMO_WORK/agent.sock" ] || { echo "mamori-agent has no socket"; cat "$work/agent.log"; exit 1; }
# The first report, signed and delivered by the courier, before the window.
demo_wait_ack 300 || { echo "bench/agent: the first report was not delivered"; cat "$work/agent.log"; exit 1; }

sleep 3 # let every daemon finish its start-up sweep
a0=$(switches "$agent") g0=$(switches "$guard") p0=$(switches "$plain")
sleep "$seconds"
if ! kill -0 "$agent" || ! kill -0 "$guard" || ! kill -0 "$plain"; then
    echo "a daemon died during the window"
    exit 1
fi
a1=$(switches "$agent") g1=$(switches "$guard") p1=$(switches "$plain")
a_rss=$(rss_kib "$agent") g_rss=$(rss_kib "$guard") p_rss=$(rss_kib "$plain")
p_sd=$(libsystemd_rss "$plain")

per_min() { awk -v d="$1" -v s="$seconds" 'BEGIN { printf "%.1f", d * 60 / s }'; }
printf 'idle over %ss           %14s %17s %16s\n' "$seconds" "agent+umockdev" "usbguard+umockdev" "agent (plain)"
printf '  RSS (KiB)             %14s %17s %16s\n' "$a_rss" "$g_rss" "$p_rss"
printf '  PSS (KiB)             %14s %17s %16s\n' "$(rollup Pss "$agent")" \
    "$(rollup Pss "$guard")" "$(rollup Pss "$plain")"
printf '  private dirty (KiB)   %14s %17s %16s\n' "$(rollup Private_Dirty "$agent")" \
    "$(rollup Private_Dirty "$guard")" "$(rollup Private_Dirty "$plain")"
printf '  wake-ups per minute   %14s %17s %16s\n' "$(per_min $((a1 - a0)))" \
    "$(per_min $((g1 - g0)))" "$(per_min $((p1 - p0)))"
echo "short-lived children of the agent (plain), peak RSS while they ran:"
printf '  check run (KiB)       %14s\n' "$(status_field 'd["agent"]["checks_peak_rss_kib"]')"
printf '  courier, signing and delivering over mTLS (KiB) %s\n' \
    "$(status_field 'd["delivery"]["courier_peak_rss_kib"]')"
budget=$((4 * 1024))
echo "the budget (resident agent, plain):"
printf '  of its RSS, libsystemd and what only it pulls in (KiB) %s; without them %s\n' \
    "$p_sd" "$((p_rss - p_sd))"
if [ "$p_rss" -le "$budget" ]; then
    echo "  agent (plain) RSS within the 4 MiB budget"
else
    echo "  agent (plain) RSS OVER the 4 MiB budget ($p_rss KiB > $budget KiB)"
fi
