#!/bin/bash
# t_policy_cli.sh -- the central policy commands of mamori-server, as an
# operator runs them: policy set/show/assign/remove refuse what PCs would
# refuse; usb import-ledger takes UTF-8 and Excel's Shift_JIS, names the line
# and column of a bad cell and then imports nothing; exception add/list/revoke
# record approver, reason and period; export --table shows all of it as CSV;
# policy keygen gives an older collector its signing key.
set -euo pipefail
build=$1
srv=$build/server/mamori-server
fixtures=${MAMORI_FIXTURES:?}
dir=$(mktemp -d /tmp/mamori-policycli-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export LANG=C MAMORI_SERVER_CONFIG=$dir/c/server.conf

"$srv" init "$dir/c" >/dev/null
[ "$(stat -c %a "$dir/c/policy.key")" = 600 ] || fail "init did not create a 0600 policy.key"

cat >"$dir/lgwan.json" <<'P'
{"segment": "lgwan", "screen_lock": {"max_idle_seconds": 300}}
P
cat >"$dir/bad.json" <<'P'
{"segment": "lgwan",
 "screen_lock": {"max_idle_secnds": 300}}
P
"$srv" policy set lgwan-soumu --file "$dir/lgwan.json" --segment lgwan --department 総務課 \
    --description "LGWAN 総務課" | grep -q "policy group lgwan-soumu saved" || fail "policy set"
set +e
err=$("$srv" policy set broken --file "$dir/bad.json" 2>&1); rc=$?
set -e
[ $rc = 2 ] || fail "an invalid policy was accepted (rc $rc)"
grep -q "bad.json:2: key 'screen_lock.max_idle_secnds'" <<<"$err" || fail "error lacks line/key: $err"
set +e
err=$("$srv" policy set x --file "$dir/lgwan.json" --segment internet 2>&1); rc=$?
set -e
[ $rc = 2 ] && grep -q "for segment lgwan but the group is for internet" <<<"$err" ||
    fail "segment mismatch: $err"
set +e
err=$("$srv" policy set dup --file "$dir/lgwan.json" --segment lgwan --department 総務課 2>&1); rc=$?
set -e
[ $rc = 2 ] && grep -q 'group "lgwan-soumu" already covers' <<<"$err" || fail "ambiguous group: $err"
"$srv" policy show | grep -q "^lgwan-soumu" || fail "policy show lists groups"
"$srv" policy show lgwan-soumu --json | python3 -c '
import json, sys
g = json.load(sys.stdin)
assert g["segment"] == "lgwan" and g["department"] == "総務課", g
assert g["policy"]["screen_lock"]["max_idle_seconds"] == 300, g'
"$srv" policy show nosuch >/dev/null 2>&1 && fail "show of an unknown group succeeded"

# The ledger: UTF-8 with BOM, then Excel's Shift_JIS.
out=$("$srv" usb import-ledger "$fixtures/ledger/ledger-utf8-bom.csv")
grep -q "5 media (utf8): in use 3, returned 1, disposed 1" <<<"$out" || fail "import summary: $out"
out=$("$srv" usb import-ledger "$fixtures/ledger/ledger-cp932.csv")
grep -q "1 media (cp932)" <<<"$out" || fail "CP932 not detected: $out"
"$srv" usb ledger --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [m["number"] for m in d["media"]] == ["福祉-USB-001"], d
assert d["media"][0]["department"] == "福祉課" and d["last_import"]["encoding"] == "cp932", d'
# A bad date in a Shift_JIS ledger names its line and column; nothing is imported.
set +e
err=$("$srv" usb import-ledger "$fixtures/ledger/ledger-cp932-bad-date.csv" 2>&1); rc=$?
set -e
[ $rc = 2 ] || fail "a bad ledger was accepted (rc $rc)"
grep -q "ledger-cp932-bad-date.csv:3:5 (有効期限): \"2027/02/30\" is not a date" <<<"$err" ||
    fail "the error does not name line 3, column 5: $err"
"$srv" usb ledger --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [m["number"] for m in d["media"]] == ["福祉-USB-001"], ("half imported", d)'
"$srv" usb import-ledger "$fixtures/ledger/ledger-utf8-bom.csv" --dry-run | grep -q "nothing was imported" ||
    fail "--dry-run"
"$srv" usb ledger --json | grep -q "福祉-USB-001" || fail "--dry-run changed the ledger"
"$srv" usb import-ledger "$fixtures/ledger/ledger-utf8-bom.csv" --encoding cp932 >/dev/null 2>&1 &&
    fail "UTF-8 read as CP932 gave a ledger" || true
"$srv" usb import-ledger "$fixtures/ledger/ledger-utf8-bom.csv" --encoding latin1 >/dev/null 2>&1 &&
    fail "an unknown --encoding was accepted" || true
"$srv" usb import-ledger "$fixtures/ledger/ledger-utf8-bom.csv" >/dev/null

# Exceptions need a target, a device, a period, an approver and a reason.
"$srv" exception add --group lgwan-soumu --device 0781:5567 --until 2099-01-01 \
    --approver 情報政策課長 >/dev/null 2>&1 && fail "an exception without reason was recorded"
"$srv" exception add --group lgwan-soumu --device 0781:5567 --until 2001-01-01 \
    --approver 課長 --reason 研修 >/dev/null 2>&1 && fail "an exception already over was recorded"
"$srv" exception add --group nosuch --device 0781:5567 --until 2099-01-01 \
    --approver 課長 --reason 研修 >/dev/null 2>&1 && fail "an exception for no group was recorded"
out=$("$srv" exception add --group lgwan-soumu --device 0781:55AA --serial X1 \
    --until 2099-01-01T17:00 --approver 情報政策課長 --reason "研修用に貸与")
grep -q "exception #1 recorded: 0781:55aa X1 on group lgwan-soumu" <<<"$out" || fail "add: $out"
"$srv" exception add --group lgwan-soumu --device 1234:0001 --until 2099-01-01 \
    --approver 課長 --reason 一時 >/dev/null
"$srv" exception revoke 2 --reason 返却 | grep -q "exception #2 revoked" || fail "revoke"
"$srv" exception revoke 2 --reason again >/dev/null 2>&1 && fail "revoked twice"
"$srv" exception list | grep -q "^#1 " || fail "list shows the active one"
"$srv" exception list | grep -q "^#2 " && fail "list shows a revoked one without --all"
"$srv" exception list --all --json | python3 -c '
import json, sys
ex = {e["id"]: e for e in json.load(sys.stdin)}
assert ex[1]["state"] == "active" and ex[1]["approver"] == "情報政策課長", ex[1]
assert ex[1]["reason"] == "研修用に貸与" and ex[1]["serial"] == "X1", ex[1]
assert ex[2]["state"] == "revoked" and ex[2]["revoke_reason"] == "返却", ex[2]'

# The audit export.
"$srv" export --csv --table exceptions --out "$dir/ex.csv"
head -c 3 "$dir/ex.csv" | od -An -tx1 | grep -q "ef bb bf" || fail "exceptions CSV lacks the BOM"
grep -q $'^\xef\xbb\xbfid,scope,target,target name,device,serial,from,until,approver,reason,recorded,state,revoked,revoke reason\r$' \
    "$dir/ex.csv" || fail "exceptions CSV header"
grep -q '^1,group,lgwan-soumu,lgwan-soumu,0781:55aa,X1,.*,情報政策課長,研修用に貸与,.*,active,,' \
    "$dir/ex.csv" || fail "exceptions CSV row: $(cat "$dir/ex.csv")"
grep -q '^2,.*,revoked,.*,返却' "$dir/ex.csv" || fail "the revoked exception is in the audit export"
"$srv" export --csv --table ledger --out "$dir/ledger.csv"
grep -q $'^\xef\xbb\xbf管理番号,所属,管理者,VID:PID,シリアル,有効期限,状態,ハッシュ\r$' "$dir/ledger.csv" ||
    fail "ledger CSV header"
grep -q '^総務-USB-002,総務課,山田 太郎,0781:5567,4C530001230620116513,2099/03/31,返却済,' \
    "$dir/ledger.csv" || fail "ledger CSV row"
# The exported ledger imports again as it is.
"$srv" usb import-ledger "$dir/ledger.csv" | grep -q "5 media" || fail "export -> import round trip"
"$srv" export --csv --table policy --out "$dir/policy.csv"
grep -q $'^\xef\xbb\xbfhost,hostname,department,segment,policy group,how,bundle version,version in force,up to date\r$' \
    "$dir/policy.csv" || fail "policy CSV header"
"$srv" export --csv --table nonsense >/dev/null 2>&1 && fail "unknown --table accepted"

"$srv" policy remove lgwan-soumu | grep -q removed || fail "policy remove"
"$srv" policy remove lgwan-soumu >/dev/null 2>&1 && fail "removed twice"

# A collector made before central policy: no key until policy keygen.
rm "$dir/c/policy.key"
"$srv" policy show | grep -q "no policy signing key" || fail "show does not say the key is missing"
out=$("$srv" policy keygen)
grep -q "policy signing key created: .*policy.key (kid " <<<"$out" || fail "keygen: $out"
grep -q "must enrol again" <<<"$out" || fail "keygen does not tell about re-enrolment"
[ "$(stat -c %a "$dir/c/policy.key")" = 600 ] || fail "keygen key mode"
"$srv" policy keygen | grep -q "already exists" || fail "keygen twice"
chmod 644 "$dir/c/policy.key"
"$srv" policy show >/dev/null 2>&1 && fail "a policy key readable by others was accepted"
echo "t_policy_cli: all passed"
