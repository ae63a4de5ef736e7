#!/bin/bash
# run.sh BUILD_DIR [ROUNDS] -- USB enforcement: decision latency from uevent to
# sysfs write (p50/p99 over 10,000 events, 50 devices present), and the
# agent's RSS with 50 devices present beside usbguard-daemon's in the same run.
# Needs root (the agent runs in a private network namespace).
set -euo pipefail
build=$(cd "${1:?usage: run.sh BUILD_DIR [ROUNDS]}" && pwd)
rounds=${2:-10000}
work=$(mktemp -d /tmp/mamori-bench-usb.XXXXXX)
ns=mamori-bench-usb-$$
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

echo "== decision latency (umockdev testbed, in-process)"
ASAN_OPTIONS=verify_asan_link_order=0 umockdev-wrapper "$build/bench/usb/usb_latency" "$rounds" 50

echo
echo "== resident memory with 50 devices present"
# A umockdev record: root hub + 50 devices (sticks and keyboards alternating).
{
    printf 'P: /devices/pci0000:00/0000:00:14.0/usb1\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\n'
    printf 'A: idVendor=1d6b\nA: idProduct=0002\nA: bDeviceClass=09\nA: authorized=1\n'
    printf 'A: interface_authorized_default=1\n'
    printf 'H: descriptors=12010002090001406B1D020006060302010109021900010100E0000904000001090000000705810304000C\n\n'
    for i in $(seq 1 50); do
        if [ $((i % 2)) -eq 0 ]; then cls=03; else cls=08; fi
        pid=$(printf '%04x' "$i")
        printf 'P: /devices/pci0000:00/0000:00:14.0/usb1/1-%d\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\n' "$i"
        printf 'A: idVendor=0781\nA: idProduct=%s\nA: bDeviceClass=00\nA: authorized=1\nA: serial=S%d\n' "$pid" "$i"
        # device, configuration (32 bytes), interface of class $cls, two endpoints
        printf 'H: descriptors=12010002000000408107%s0001010203010902200001010080320904000002%s0000000705810200020007050202000200\n\n' \
            "${pid:2:2}${pid:0:2}" "$cls"
        printf 'P: /devices/pci0000:00/0000:00:14.0/usb1/1-%d/1-%d:1.0\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\n' "$i" "$i"
        printf 'A: bInterfaceClass=%s\nA: authorized=1\n\n' "$cls"
    done
} >"$work/fifty.umockdev"
mkdir -p "$work/root/etc"
echo 0123456789abcdef0123456789abcdef >"$work/root/etc/machine-id"
cat >"$work/policy.json" <<'P'
{"version": "bench", "segment": "lgwan", "network": {"interfaces": [{"name": "lo"}]},
 "report": {"interval_seconds": 3600, "check_interval_seconds": 3600}}
P
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" umockdev-run -d "$work/fifty.umockdev" -- "$build/agent/mamori-agent" \
    --foreground --policy "$work/policy.json" --state-dir "$work/state" --root "$work/root" \
    --socket "$work/agent.sock" >"$work/agent.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$work/agent.sock" ] && break; sleep 0.1; done
sleep 1
agent=$(pgrep -n -f "mamori-agent --foreground --policy $work/policy.json")
blocked=$(grep -c 'usb.blocked' "$work/agent.log" || true)

: >"$work/rules.conf"
chmod 600 "$work/rules.conf"
printf 'RuleFile=%s\nImplicitPolicyTarget=block\nPresentDevicePolicy=apply-policy\nIPCAllowedUsers=root\n' \
    "$work/rules.conf" >"$work/usbguard-daemon.conf"
chmod 600 "$work/usbguard-daemon.conf"
# The same 50 devices for usbguard (it reads /sys/bus/usb, so under umockdev too).
umockdev-run -d "$work/fifty.umockdev" -- /usr/sbin/usbguard-daemon -K -P \
    -c "$work/usbguard-daemon.conf" >"$work/usbguard.log" 2>&1 &
pids+=($!)
sleep 2
ug=$(pgrep -n usbguard-daemon || true)

rss() { awk '/VmRSS/ {print $2 " KiB"}' "/proc/$1/status" 2>/dev/null || echo "n/a"; }
printf '%-34s %s  (%s devices blocked at start)\n' "mamori-agent, 50 devices (umockdev)" "$(rss "$agent")" "$blocked"
printf '%-34s %s\n' "usbguard-daemon, same 50 devices" "$( [ -n "$ug" ] && rss "$ug" || echo 'did not start')"
echo "(both under the umockdev preload, which adds GLib to each; bench/agent measures the agent without it)"
