#!/bin/bash
# t_demo.sh -- the README's first command ends in scripts/demo.sh: run it as
# the quick start does and check that what it shows is what it promises: the
# collector hands out its CA fingerprint, the PC enrols, the agent blocks the
# stick's storage but keeps the keyboard, refuses the tethering interface,
# and delivers; the helpdesk status names the rule broken on purpose
# (screenlock.idle_timeout) with its remedy; the fleet view counts the one PC
# and its failing check; the events reached the collector.  Afterwards the
# demo's network namespace is gone and this machine's default route is untouched.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: the demo needs root (network namespaces)"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
out=$(mktemp /tmp/mamori-t-demo.XXXXXX)
trap 'rm -f "$out"' EXIT
# Other tests run beside this one and have namespaces and veths of their own:
# look only at this demo's namespace, and at this machine's default route.
export DEMO_NS=mamori-tdemo-$$
route_before=$(ip route show default)

rc=0
timeout 280 "$src/scripts/demo.sh" "$build" >"$out" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { cat "$out"; fail "demo.sh exited $rc"; }
has() { grep -qE -- "$1" "$out" || { cat "$out"; fail "$2"; }; }
has 'SHA256 ([0-9A-F]{2}:){31}[0-9A-F]{2}' "no CA fingerprint handed out"
has 'usb\.blocked .*0781:5567' "the USB stick was not blocked"
has 'usb\.authorized .*046d:c31c' "the keyboard was not authorized"
has 'net\.refused .*tether0' "tether0 was not refused"
has 'screenlock\.idle_timeout' "status lacks the failing check"
has '1800' "status lacks the evidence (1800 s idle delay)"
has 'idle-delay=uint32 300' "status lacks the remedy"
has 'fail shimin-pc-014' "fleet view lacks the failing PC"
has '^(端末数|Hosts|PCs)[^0-9]*1 ' "fleet view does not count exactly one PC"
[ "$(grep -cE 'shimin-pc-014 +(usb\.blocked|net\.refused)' "$out")" -eq 2 ] ||
    { cat "$out"; fail "the collector does not list both block events"; }
if ip netns list | grep -qw "$DEMO_NS"; then fail "the demo left its network namespace"; fi
[ "$(ip route show default)" = "$route_before" ] || fail "the demo changed this machine's default route"
echo PASS
