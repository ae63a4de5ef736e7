#!/usr/bin/env bash
# t_mamorictl_cli.sh BUILD_DIR -- the command-line contract of `mamorictl check`
# and `mamorictl policy validate` (DESIGN.md): exit codes, JSON shape, language.
set -uo pipefail
build=$1
ctl="$build/agent/mamorictl"
fixtures=${MAMORI_FIXTURES:?}
export MAMORI_LOCALEDIR="$build/locale"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
passes=0

ok() { passes=$((passes + 1)); echo "ok - $1"; }
not_ok() { failures=$((failures + 1)); echo "not ok - $1"; }
expect_rc() { # name expected actual
    if [ "$2" = "$3" ]; then ok "$1 (exit $3)"; else not_ok "$1: expected exit $2, got $3"; fi
}
expect_grep() { # name pattern file
    if grep -q -- "$2" "$3"; then ok "$1"; else not_ok "$1: '$2' not in output:"; sed 's/^/    /' "$3"; fi
}

# policy validate: good and bad files
"$ctl" policy validate "$fixtures/policy/lgwan-full.json" >"$tmp/out" 2>&1
expect_rc "validate accepts a complete policy" 0 $?
LANG=C "$ctl" policy validate "$fixtures/policy/lgwan-full.json" >"$tmp/out" 2>&1
expect_grep "validate names segment and version" "segment lgwan, version 2026-11-lgwan-7, 2 registered media" "$tmp/out"

printf '{"segment":"lgwan",\n "usb":{"mode":"block"}}\n' >"$tmp/bad.json"
LANG=C "$ctl" policy validate "$tmp/bad.json" >"$tmp/out" 2>&1
expect_rc "validate rejects a bad mode" 2 $?
expect_grep "error names file, line and key" "bad.json:2: key 'usb.mode': unknown value \"block\"" "$tmp/out"

LANG=C "$ctl" check --policy "$tmp/bad.json" >"$tmp/out" 2>&1
expect_rc "check refuses to run with a bad policy" 2 $?
LANG=C "$ctl" check --policy "$tmp/missing.json" >"$tmp/out" 2>&1
expect_rc "check with a missing policy file" 2 $?
expect_grep "missing policy is explained" "cannot open policy file $tmp/missing.json: No such file or directory" "$tmp/out"
LANG=C "$ctl" check --segment lgwan-typo >"$tmp/out" 2>&1
expect_rc "unknown segment" 2 $?

# check --json: a document whose exit status agrees with its summary
LANG=C "$ctl" check --json --segment lgwan --root "$fixtures/policy" >"$tmp/check.json" 2>"$tmp/err"
rc=$?
python3 - "$tmp/check.json" "$rc" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rc = int(sys.argv[2])
s = doc["summary"]
assert doc["segment"] == "lgwan", doc["segment"]
assert doc["schema"] == 1
ids = [c["id"] for c in doc["checks"]]
assert len(ids) == len(set(ids)), "duplicate check ids"
for c in doc["checks"]:
    for k in ("id", "verdict", "title", "detail", "remediation", "clause", "evidence"):
        assert k in c, (c.get("id"), k)
    assert c["verdict"] in ("pass", "fail", "error", "not_applicable"), c["verdict"]
    assert c["title"]["ja"] and c["title"]["en"], c["id"]
counts = {v: sum(1 for c in doc["checks"] if c["verdict"] == v) for v in s}
assert counts == s, (counts, s)
want = 2 if s["error"] else 1 if s["fail"] else 0
assert rc == want, ("exit", rc, "expected", want)
PY
if [ $? -eq 0 ]; then ok "check --json is well-formed and its exit status matches its summary"; else not_ok "check --json contract"; fi

# language: Japanese under ja_JP, English under C
if locale -a | grep -qi '^ja_JP.utf-\?8$'; then
    LANG=ja_JP.UTF-8 "$ctl" check --segment mynumber --root "$fixtures/policy" >"$tmp/ja" 2>&1
    expect_grep "Japanese table under ja_JP" "区分: マイナンバー利用事務系" "$tmp/ja"
    expect_grep "Japanese summary line" "結果: 合格" "$tmp/ja"
else
    echo "skip - ja_JP.UTF-8 locale not generated (scripts/install-deps.sh generates it)"
fi
LANG=C "$ctl" check --segment mynumber --root "$fixtures/policy" >"$tmp/en" 2>&1
expect_grep "English table under LANG=C" "segment: My Number segment" "$tmp/en"
expect_grep "English summary line" "Result: " "$tmp/en"

LANG=C "$ctl" no-such-command >"$tmp/out" 2>&1
expect_rc "unknown command" 2 $?
expect_grep "unknown command is named" "unknown command 'no-such-command'" "$tmp/out"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
