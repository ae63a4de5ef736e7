#!/usr/bin/env bash
# t_net_check_cli.sh BUILD_DIR -- net.only_approved through `mamorictl check --json --root`:
# the check is registered, passes on tests/fixtures/net-ok and fails on net-bad with the
# findings a helpdesk needs (interface, reason).  Other checks' verdicts are not judged here.
set -uo pipefail
build=$1
ctl="$build/agent/mamorictl"
fixtures=${MAMORI_FIXTURES:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '{"segment":"mynumber","network":{"interfaces":[{"mac":"3c:52:82:00:00:01"}]}}\n' >"$tmp/policy.json"

LANG=C "$ctl" check --json --root "$fixtures/net-ok" --policy "$tmp/policy.json" >"$tmp/ok.json" 2>"$tmp/err"
LANG=C "$ctl" check --json --root "$fixtures/net-bad" --policy "$tmp/policy.json" >"$tmp/bad.json" 2>>"$tmp/err"
bad_rc=$?
if [ ! -s "$tmp/ok.json" ] || [ ! -s "$tmp/bad.json" ]; then
    echo "not ok - mamorictl check --json printed nothing:"; sed 's/^/    /' "$tmp/err"
    echo "0 passed, 1 failed"
    exit 1
fi

python3 - "$tmp/ok.json" "$tmp/bad.json" "$bad_rc" <<'PY'
import json, sys
passed = failed = 0
def expect(name, cond):
    global passed, failed
    print(("ok - " if cond else "not ok - ") + name)
    passed += bool(cond); failed += not cond
def net(path):
    doc = json.load(open(path))
    return next((c for c in doc["checks"] if c["id"] == "net.only_approved"), None)
ok, bad = net(sys.argv[1]), net(sys.argv[2])
expect("net.only_approved is registered", ok is not None and bad is not None)
if ok and bad:
    expect("approved machine passes", ok["verdict"] == "pass")
    expect("bad machine fails", bad["verdict"] == "fail")
    expect("a failing check makes the exit status non-zero", sys.argv[3] != "0")
    got = {(f["interface"], f["reason"]) for f in bad["evidence"]["findings"]}
    for want in [("usb0", "usb_adapter"), ("wlp0s20f3", "wireless_refused"),
                 ("tun0", "default_route"), ("usb0", "default_route")]:
        expect("finding %s/%s" % want, want in got)
    expect("Japanese detail present", bad["detail"]["ja"].startswith("承認されていない接続が"))
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
