#!/usr/bin/env bash
# t_central_policy.sh BUILD_DIR -- central policy end to end (issue 12), over
# real TLS 1.3 on loopback, with the agent in a private netns under umockdev
# with two USB sticks (tests/e2e/two-sticks.umockdev): 1-1 is registered in
# the ledger, 1-3 is not.
#  1. a ledger is imported: the agent receives the new policy and authorizes
#     the registered stick, while the unregistered one stays blocked;
#  2. a tampered bundle is refused: one signed with another key than the
#     pinned one (a collector whose database was changed by someone without
#     the policy key), and the stored bundle altered on disk; the last good
#     policy stays, the refusal is reported;
#  3. an expired loan is blocked again: the collector's clock passes the
#     有効期限 (libfaketime), with no command run;
#  4. a Shift_JIS ledger with a bad date names the line, and nothing changes.
set -uo pipefail
BUILD=$(cd "$1" && pwd)
SRC=${MAMORI_SOURCE_DIR:?}
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: needs root (network namespaces)"
    exit 77
fi
# shellcheck source=../../scripts/demo-lib.sh
. "$SRC/scripts/demo-lib.sh"
if ! demo_usb_available; then
    echo "SKIP: USB enforcement is not in this build or umockdev-run is missing"
    exit 77
fi
if ! command -v faketime >/dev/null; then
    echo "FAIL: faketime is missing (scripts/install-deps.sh installs it)"
    exit 1
fi
export LANG=C.UTF-8 MAMORI_LOCALEDIR="$BUILD/locale"
failures=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $1"; }
not_ok() { failures=$((failures + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
trap demo_teardown EXIT

srv="$BUILD/server/mamori-server"
STICKS=$SRC/tests/e2e/two-sticks.umockdev
USB=/devices/pci0000:00/0000:00:14.0/usb1

demo_setup "$(mktemp -d /tmp/mamori-central.XXXXXX)"
conf="$DEMO_WORK/server/server.conf"
ms() { "$srv" "$@" --config "$conf"; }

# The collector, optionally under a shifted clock ($1: libfaketime offset).
serve() {
    if [ -n "${1:-}" ]; then demo_server_serve faketime -m -f "$1"; else demo_server_serve; fi
}

"$srv" init "$DEMO_WORK/server" --name localhost --name 127.0.0.1 --port "$DEMO_PORT" >/dev/null
sed -i 's/^listen_addr = .*/listen_addr = 127.0.0.1/; s/^policy_check_ms = .*/policy_check_ms = 0/' \
    "$conf"
serve || exit 1
demo_pc >/dev/null
check "enrolment pins the collector's policy key" \
    "demo_enroll >/dev/null && [ -s '$DEMO_WORK/agent/policy-key.json' ]"

# The agent under umockdev; it tells us where the mock /sys is.
ip netns exec "$DEMO_NS" umockdev-run -d "$STICKS" -- sh -c \
    'echo "$UMOCKDEV_DIR" >"$0/umockdev-dir"; exec "$@"' "$DEMO_WORK" \
    "$BUILD/agent/mamori-agent" --foreground --policy "$SRC/demo/policy.json" \
    --state-dir "$DEMO_WORK/agent" --root "$DEMO_WORK/pc" --socket "$DEMO_WORK/agent.sock" \
    --sysfs-root / >>"$DEMO_WORK/agent.log" 2>&1 &
DEMO_PIDS+=($!)
for _ in $(seq 100); do [ -S "$DEMO_WORK/agent.sock" ] && break; sleep 0.1; done
[ -S "$DEMO_WORK/agent.sock" ] || { cat "$DEMO_WORK/agent.log"; exit 1; }
SYS=$(cat "$DEMO_WORK/umockdev-dir")/sys$USB
authorized() { cat "$SYS/$1/$1:1.0/authorized"; }
demo_wait_ack 300 || { not_ok "the first report is acknowledged"; exit 1; }
check "before any central policy both sticks are blocked" \
    "[ \"\$(authorized 1-1)\" = 0 ] && [ \"\$(authorized 1-3)\" = 0 ]"

status() { demo_status_json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
bundle_version() {
    ms policy show --host shimin-pc-014 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])'
}
# Report now, then wait (bounded) until the agent runs version $1.
wait_version() {
    demo_agent_cmd report-now
    for _ in $(seq 150); do
        [ "$(status 'd["policy"]["version"]')" = "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
# Report now, then wait (bounded) until the agent has refused version $1.
wait_refusal() {
    demo_agent_cmd report-now
    for _ in $(seq 150); do
        [ "$(status '(d["policy"]["central"] or {}).get("refused")')" = "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

# Wait (bounded) until the collector has a stored fact: $1 is a command.
eventually() {
    for _ in $(seq 150); do
        eval "$1" && return 0
        sleep 0.1
    done
    return 1
}
# (Output is captured before grep -q reads it: with pipefail, a writer cut
# off by grep's early exit would fail the pipeline.)
server_has_version() {
    local host
    host=$(ms host shimin-pc-014 --json)
    grep -q "\"policy_version\":[[:space:]]*\"$1\"" <<<"$host"
}
# server_has_event TYPE FACT VALUE
server_has_event() {
    local events
    events=$(ms events --type "$1" --json)
    grep -q "\"$2\":[[:space:]]*\"$3\"" <<<"$events"
}

# ---- 1. a ledger arrives: the registered stick works, the other does not ----
grep -v '"version"' "$SRC/demo/policy.json" >"$DEMO_WORK/group.json"
ms policy set lgwan-shimin --file "$DEMO_WORK/group.json" --segment lgwan \
    --department "市民部 市民課" >/dev/null
today=$(date +%Y/%m/%d)
printf '%s\r\n' "管理番号,所属,管理者,VID:PID,シリアル,有効期限,状態" \
    "市民-USB-001,市民部 市民課,佐藤 花子,0781:5567,4C530001230620116512,$today,貸出中" \
    "市民-USB-002,市民部 市民課,佐藤 花子,0951:1666,UNREG00001,2099/03/31,返却済" \
    >"$DEMO_WORK/ledger.csv"
ms usb import-ledger "$DEMO_WORK/ledger.csv" >/dev/null
v1=$(bundle_version)
check "the agent receives the central policy ($v1)" "wait_version '$v1'"
check "its status names the source and group" \
    "[ \"\$(status 'd[\"policy\"][\"source\"] + \"/\" + d[\"policy\"][\"group\"]')\" = central/lgwan-shimin ]"
check "the registered stick's storage is authorized" "[ \"\$(authorized 1-1)\" = 1 ]"
check "the unregistered (returned) stick stays blocked" "[ \"\$(authorized 1-3)\" = 0 ]"
check "the collector sees the version in force" "eventually 'server_has_version $v1'"
check "the acceptance is reported" "eventually 'server_has_event policy.loaded source central'"

# ---- 4. a Shift_JIS ledger with a bad date names its line; nothing changes ----
err=$(ms usb import-ledger "$SRC/tests/fixtures/ledger/ledger-cp932-bad-date.csv" 2>&1)
rc=$?
check "a bad Shift_JIS ledger is refused (exit 2)" "[ $rc = 2 ]"
check "the error names line 3 and the column 有効期限" \
    "grep -q 'ledger-cp932-bad-date.csv:3:5 (有効期限): \"2027/02/30\" is not a date' <<<\"\$err\""
check "nothing was imported: the bundle is unchanged" "[ \"\$(bundle_version)\" = '$v1' ]"
demo_wait_ack 300
check "the agent keeps its policy" "[ \"\$(status 'd[\"policy\"][\"version\"]')\" = '$v1' ]"

# ---- 2. tampered bundles are refused ----
# Someone changes the collector's database to register the other stick, but
# signs with a key of their own: the PCs pinned the real one.
demo_server_stop
cp -p "$DEMO_WORK/server/policy.key" "$DEMO_WORK/policy.key.real"
rm "$DEMO_WORK/server/policy.key"
ms policy keygen >/dev/null
sed -i 's/返却済/貸出中/' "$DEMO_WORK/ledger.csv"
ms usb import-ledger "$DEMO_WORK/ledger.csv" >/dev/null
rogue=$(bundle_version)
serve || exit 1
check "a bundle signed with another key is refused ($rogue)" "wait_refusal '$rogue'"
check "the last good policy stays" "[ \"\$(status 'd[\"policy\"][\"version\"]')\" = '$v1' ]"
check "the unregistered stick stays blocked" "[ \"\$(authorized 1-3)\" = 0 ]"
why=$(status 'd["policy"]["reload_error"]')
check "status says why" "grep -q 'signed with another key than the pinned policy key' <<<\"\$why\""
demo_agent_cmd report-now # the refusal travels in the next report
check "the refusal is reported to the collector" \
    "eventually 'server_has_event policy.rejected offered_version $rogue'"
# The real key and ledger come back.
demo_server_stop
cp -p "$DEMO_WORK/policy.key.real" "$DEMO_WORK/server/policy.key"
sed -i 's/\(UNREG00001,2099\/03\/31,\)貸出中/\1返却済/' "$DEMO_WORK/ledger.csv"
ms usb import-ledger "$DEMO_WORK/ledger.csv" >/dev/null
serve || exit 1
# The bundle kept on disk is altered: a reload (SIGHUP's path) refuses it.
cp -p "$DEMO_WORK/agent/policy.bundle" "$DEMO_WORK/bundle.good"
python3 - "$DEMO_WORK/agent/policy.bundle" <<'PY'
import base64, json, sys
path = sys.argv[1]
head, payload, sig = open(path).read().split(".")
doc = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
doc["policy"]["usb"]["allow"].append({"id": "0951:1666", "serial": "UNREG00001", "label": "x"})
body = base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
open(path, "w").write(".".join([head, body, sig]))
PY
demo_agent_cmd reload
why=$(status 'd["policy"]["reload_error"]')
check "an altered stored bundle is refused on reload" "grep -q 'signature does not verify' <<<\"\$why\""
check "and the policy in force stays" \
    "[ \"\$(status 'd[\"policy\"][\"version\"]')\" = '$v1' ] && [ \"\$(authorized 1-3)\" = 0 ]"
cp -p "$DEMO_WORK/bundle.good" "$DEMO_WORK/agent/policy.bundle"

# ---- 3. the loan expires: blocked again without any command ----
v_before=$(bundle_version)
demo_server_stop
serve "+1d" || exit 1
v_expired=$(faketime -m -f "+1d" "$srv" policy show --host shimin-pc-014 --json --config "$conf" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
check "a day later the collector's bundle for the PC has changed by itself" \
    "[ -n '$v_expired' ] && [ '$v_expired' != '$v_before' ]"
check "the agent receives it" "wait_version '$v_expired'"
check "the stick whose loan ended is blocked again" "[ \"\$(authorized 1-1)\" = 0 ]"
check "the unregistered stick is still blocked" "[ \"\$(authorized 1-3)\" = 0 ]"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
