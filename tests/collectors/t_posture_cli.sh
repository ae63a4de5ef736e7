#!/usr/bin/env bash
# t_posture_cli.sh BUILD_DIR -- the eight posture checks end to end through
# `mamorictl check --json --root`: a compliant office PC (bench-office, made
# "live" by prepare_tree.py) passes every one with the expected evidence; a PC
# merged from the failing fixtures fails every one, and the exit status is 1.
set -uo pipefail
build=$1
ctl="$build/agent/mamorictl"
fixtures=${MAMORI_FIXTURES:?}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cp -a "$fixtures/bench-office" "$tmp/good"
python3 "$here/prepare_tree.py" "$tmp/good" || exit 1
mkdir "$tmp/bad"
for f in av-stale gnome-loose mate-off browsers-unmanaged saved-logins login-autologin; do
    cp -a "$fixtures/$f/." "$tmp/bad/"
done

LANG=C "$ctl" check --json --segment lgwan --root "$tmp/good" >"$tmp/good.json" 2>"$tmp/err"
good_rc=$?
LANG=C "$ctl" check --json --segment lgwan --root "$tmp/bad" >"$tmp/bad.json" 2>>"$tmp/err"
bad_rc=$?
if [ ! -s "$tmp/good.json" ] || [ ! -s "$tmp/bad.json" ]; then
    echo "not ok - mamorictl check --json printed nothing:"; sed 's/^/    /' "$tmp/err"
    exit 1
fi

python3 - "$tmp/good.json" "$tmp/bad.json" "$good_rc" "$bad_rc" <<'PY'
import json, sys
passed = failed = 0
def expect(name, cond):
    global passed, failed
    print(("ok - " if cond else "not ok - ") + name)
    passed += bool(cond); failed += not cond
ids = ["av.resident", "av.pattern_fresh", "screenlock.enabled", "screenlock.idle_timeout",
       "screenlock.locked_down", "passwords.browser_store_disabled",
       "passwords.no_saved_logins", "login.no_autologin"]
def checks(path):
    return {c["id"]: c for c in json.load(open(path))["checks"]}
good, bad = checks(sys.argv[1]), checks(sys.argv[2])
for i in ids:
    expect("%s registered" % i, i in good and i in bad)
    if i in good and i in bad:
        expect("%s passes on the office PC (%s)" % (i, good[i]["detail"]["en"]), good[i]["verdict"] == "pass")
        expect("%s fails on the bad PC (%s)" % (i, bad[i]["detail"]["en"]), bad[i]["verdict"] == "fail")
        expect("%s has a Japanese detail and a clause" % i, bad[i]["detail"]["ja"] != "" and bad[i]["clause"].startswith("001 §"))
if all(i in good for i in ids):
    e = good["passwords.no_saved_logins"]["evidence"]
    expect("5 users x firefox+chrome, 3 chromium profiles counted", e["profiles"] == 13 and sorted(e["per_user"]) == ["ito", "sato", "suzuki", "takahashi", "yamada"])
    expect("three browsers judged", sorted(good["passwords.browser_store_disabled"]["evidence"]["browsers"]) == ["chrome", "chromium", "firefox"])
    expect("daily.cld version reported", good["av.pattern_fresh"]["evidence"]["databases"]["daily"]["version"] == 27830)
    expect("gnome found", good["screenlock.enabled"]["evidence"]["desktops"] == ["gnome"])
if all(i in bad for i in ids):
    e = bad["passwords.no_saved_logins"]["evidence"]
    expect("yamada's 2 Firefox logins counted", e["per_user"]["yamada"]["firefox"] == 2)
    expect("both dconf desktops judged", sorted(bad["screenlock.enabled"]["evidence"]["desktops"]) == ["gnome", "mate"])
    expect("empty password user named", bad["login.no_autologin"]["evidence"]["empty_password_users"] == ["guest"])
expect("a failing PC exits 1", sys.argv[4] == "1")
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
