#!/usr/bin/env bash
# t_usb_cli.sh BUILD_DIR -- `mamorictl usb list` over the demo's umockdev
# record: it shows each interface's class and decision, and exits 1 when
# storage the policy keeps out is authorized (no agent ran), 0 when it is not.
set -uo pipefail
build=$1
src=${MAMORI_SOURCE_DIR:?}
ctl="$build/agent/mamorictl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LANG=C
failures=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $1"; }
not_ok() { failures=$((failures + 1)); echo "not ok - $1"; }

umockdev-run -d "$src/demo/usb-stick.umockdev" -- "$ctl" usb list --policy "$src/demo/policy.json" >"$tmp/open" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q '08 mass storage .*block .*authorized now: 1  <- NOT ENFORCED' "$tmp/open"; then
    ok "an authorized unregistered stick is flagged (exit 1)"
else
    not_ok "unenforced stick not flagged (exit $rc)"; cat "$tmp/open"
fi
grep -q '03 HID .*allow .*authorized now: 1$' "$tmp/open" && ok "the keyboard is allowed" || not_ok "keyboard line"

# The same record after enforcement: the stick's interface is 0.
awk '/1-1\/1-1:1.0$/ {iface=1} iface && /^A: authorized=1/ {sub(/=1/, "=0"); iface=0} {print}' \
    "$src/demo/usb-stick.umockdev" >"$tmp/enforced.umockdev"
umockdev-run -d "$tmp/enforced.umockdev" -- "$ctl" usb list --policy "$src/demo/policy.json" >"$tmp/closed" 2>&1
rc=$?
if [ $rc -eq 0 ] && ! grep -q 'NOT ENFORCED' "$tmp/closed"; then
    ok "an enforced stick is not flagged (exit 0)"
else
    not_ok "enforced stick (exit $rc)"; cat "$tmp/closed"
fi

umockdev-run -d "$src/demo/usb-stick.umockdev" -- "$ctl" usb list --json --policy "$src/demo/policy.json" >"$tmp/json"
python3 - "$tmp/json" <<'PY' && ok "--json lists devices, classes and decisions" || not_ok "--json"
import json, sys
devs = {d["device"]: d for d in json.load(open(sys.argv[1]))}
stick = devs["0781:5567"]
assert stick["serial"] == "4C530001230620116512" and stick["registered"] is None
assert stick["interfaces"][0]["class_name"] == "mass storage"
assert stick["interfaces"][0]["policy_allows"] is False and stick["interfaces"][0]["violation"] is True
assert devs["046d:c31c"]["interfaces"][0]["policy_allows"] is True
PY

"$ctl" usb lst >"$tmp/bad" 2>&1
[ $? -eq 2 ] && grep -q 'usage: mamorictl usb list' "$tmp/bad" && ok "a wrong subcommand prints usage (exit 2)" || not_ok "usage"
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
