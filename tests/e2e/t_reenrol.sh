#!/usr/bin/env bash
# t_reenrol.sh BUILD_DIR -- the agent enrols again by itself when the
# collector forgets the PC (issue 6), against a real collector, with the
# agent in a private netns:
#  - the host is removed (`mamori-server host remove`) while the PC's
#    enrolment secret is gone: the agent keeps its reports, says it needs a
#    manual enrolment (status, English and Japanese; event), and enrols again
#    by itself as soon as the secret is back; every report arrives once, in
#    order, with its seq;
#  - removed again at once: no second attempt within the rate limit;
#  - the collector's database is restored from a copy taken before the
#    enrolment and the agent restarts: it enrols again and delivers what
#    waited, in order, once;
#  - the host is revoked (`mamori-server host revoke`): the agent does not
#    try to enrol, keeps its reports and says the key is revoked;
#  - the secret never appears in a log.
set -uo pipefail
BUILD=$(cd "$1" && pwd)
SRC=${MAMORI_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: needs root (network namespaces)"
    exit 77
fi
# shellcheck source=../../scripts/demo-lib.sh
. "$SRC/scripts/demo-lib.sh"
# ok / not_ok / check / wait_for (its agent_* helpers are not used here)
# shellcheck source=../agent/agent_fixture.sh
. "$SRC/tests/agent/agent_fixture.sh"
export LANG=C.UTF-8 MAMORI_LOCALEDIR="$BUILD/locale"
cleanup() {
    [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
    demo_teardown
}
trap cleanup EXIT

demo_setup "$(mktemp -d /tmp/mamori-reenrol.XXXXXX)"
demo_server_start >/dev/null || exit 1
# The "older backup": the collector's database before any PC enrolled.
cp "$DEMO_WORK/server/mamori.db" "$DEMO_WORK/backup.db"
demo_pc >/dev/null
srv=("$BUILD/server/mamori-server")
conf="$DEMO_WORK/server/server.conf"
secret=$DEMO_WORK/pc-enroll.secret
install -m 0600 "$DEMO_WORK/server/enroll.secret" "$secret"
# Reports only when asked: every seq in this test is one the test made.
sed 's/"interval_seconds": 60, "check_interval_seconds": 30/"interval_seconds": 3600, "check_interval_seconds": 3600/' \
    "$SRC/demo/policy.json" >"$DEMO_WORK/policy.json"

demo_in_ns "$BUILD/agent/mamorictl" enroll --server "https://127.0.0.1:$DEMO_PORT" \
    --secret-file "$secret" --ca-file "$DEMO_WORK/server/ca.pem" --state-dir "$DEMO_WORK/agent" \
    --policy "$DEMO_WORK/policy.json" --host-id "$DEMO_HOST_ID" >/dev/null
check "enroll.json records where the secret is, not the secret" \
    "grep -q '\"secret_file\":[[:space:]]*\"$secret\"' '$DEMO_WORK/agent/enroll.json' &&
     ! grep -qF \"\$(cat '$secret')\" '$DEMO_WORK/agent/enroll.json'"

pc_agent_start() {
    ip netns exec "$DEMO_NS" "$BUILD/agent/mamori-agent" --foreground \
        --policy "$DEMO_WORK/policy.json" --state-dir "$DEMO_WORK/agent" --root "$DEMO_WORK/pc" \
        --socket "$DEMO_WORK/agent.sock" --enroll-secret "$DEMO_WORK/no-such.secret" \
        >>"$DEMO_WORK/agent.log" 2>&1 &
    AGENT_PID=$!
    wait_for "[ -S '$DEMO_WORK/agent.sock' ]" 10
}
pc_agent_stop() {
    kill "$AGENT_PID" && wait "$AGENT_PID"
    AGENT_PID=
}
# status_get EXPR: a Python expression over the status document d.
status_get() {
    demo_status_json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" 2>/dev/null
}
enrolment() { status_get "d['delivery']['enrolment']['$1']"; }
queued() { status_get "d['delivery']['queue_length']"; }
history() { # the seqs the collector stored for the PC, in order of arrival
    "${srv[@]}" host shimin-pc-014 --json --config "$conf" | python3 -c '
import json, sys
h = json.load(sys.stdin)["history"]
print(" ".join(str(r["seq"]) for r in sorted(h, key=lambda r: (r["received"], r["seq"]))))'
}
enrol_requests() {
    demo_in_ns curl -sf --cacert "$DEMO_WORK/server/ca.pem" "https://127.0.0.1:$DEMO_PORT/metrics" |
        awk '/^mamori_enroll_total/ {n += $2} END {print n + 0}'
}
spooled_seqs() {
    "$BUILD/agent/mamorictl" queue --json --state-dir "$DEMO_WORK/agent" |
        python3 -c 'import json,sys; print(" ".join(map(str, json.load(sys.stdin)["seqs"])))'
}

pc_agent_start || { cat "$DEMO_WORK/agent.log"; exit 1; }
check "the first report is acknowledged" "demo_wait_ack 300"
check "status: the collector knows the PC" "[ \"\$(enrolment state)\" = enrolled ]"

# --- 1. the host is removed, and the PC has no stored secret -------------
out=$("${srv[@]}" host remove shimin-pc-014 --config "$conf")
check "mamori-server host remove forgets the host" \
    "grep -q removed <<<\"\$out\" && ! '${srv[0]}' host shimin-pc-014 --config '$conf' >/dev/null 2>&1"
mv "$secret" "$secret.away"
for _ in 1 2 3; do demo_agent_cmd report-now; done
check "without a secret the agent says it cannot enrol again by itself" \
    "wait_for '[ \"\$(enrolment reason)\" = no_secret ]' 30"
check "... and keeps the reports (waiting: $(queued))" "[ \"\$(queued)\" -ge 3 ]"
check "... and names the command to run" \
    "enrolment manual_command | grep -q 'mamorictl enroll --server https://127.0.0.1:$DEMO_PORT'"
text=$("$BUILD/agent/mamorictl" status --socket "$DEMO_WORK/agent.sock")
check "status (English) tells the helpdesk what to do" \
    "grep -q 'cannot enrol again by itself' <<<\"\$text\" && grep -qF 'Put the enrolment secret in $secret' <<<\"\$text\""
text=$(LANG=ja_JP.UTF-8 "$BUILD/agent/mamorictl" status --socket "$DEMO_WORK/agent.sock")
check "status (Japanese) tells it too" \
    "grep -q '自動では再登録できません' <<<\"\$text\" && grep -qF '$secret' <<<\"\$text\""
check "an agent.reenrol_failed event says why" \
    "status_get \"[e['facts']['reason'] for e in d['events'] if e['type'] == 'agent.reenrol_failed']\" | grep -q no_secret"
before_reenrol=$(spooled_seqs)

mv "$secret.away" "$secret"
demo_agent_cmd report-now
check "with the secret back the agent enrols again and delivers" "demo_wait_ack 300"
check "status: enrolled again automatically" \
    "[ \"\$(enrolment state)\" = enrolled ] && [ \"\$(enrolment last_reenrolled)\" != None ]"
check "an agent.reenrolled event is shown" \
    "status_get \"[e['type'] for e in d['events']]\" | grep -q agent.reenrolled"
demo_agent_cmd report-now # carries the agent.reenrolled event
demo_wait_ack 300
seqs=$(history)
check "every report arrived once, in order, from seq 1 (${seqs})" \
    "python3 -c 'import sys; s=list(map(int, sys.argv[1].split())); sys.exit(s != list(range(1, len(s) + 1)))' '$seqs'"
check "the reports queued while unknown are among them (${before_reenrol})" \
    "for q in $before_reenrol; do grep -qw \"\$q\" <<<'$seqs' || exit 1; done"
events=$("${srv[@]}" events --json --host shimin-pc-014 --config "$conf")
check "the collector got agent.reenrol_failed (no_secret) and agent.reenrolled" \
    "python3 -c '
import json, sys
ev = json.loads(sys.argv[1])
types = {e[\"type\"]: e for e in ev}
assert types[\"agent.reenrol_failed\"][\"facts\"][\"reason\"] == \"no_secret\"
assert \"agent.reenrolled\" in types' '$events'"

# --- 2. forgotten again at once: the rate limit holds -----------------------
attempt=$(enrolment last_attempt)
"${srv[@]}" host remove shimin-pc-014 --config "$conf" >/dev/null
demo_agent_cmd report-now
check "removed again at once: unknown, and no second attempt within 5 minutes" \
    "wait_for '[ \"\$(enrolment state)\" = unknown ]' 30 &&
     [ \"\$(enrolment last_attempt)\" = '$attempt' ] && [ \"\$(enrolment automatic)\" = True ] &&
     [ \"\$(enrolment next_attempt_seconds)\" -gt 0 ]"
text=$("$BUILD/agent/mamorictl" status --socket "$DEMO_WORK/agent.sock")
check "status says it enrols again by itself, and when" \
    "grep -q 'enrols again by itself, next attempt in' <<<\"\$text\""

# --- 3. the database is restored from before the enrolment ------------------
pc_agent_stop
demo_server_stop
cp "$DEMO_WORK/backup.db" "$DEMO_WORK/server/mamori.db"
rm -f "$DEMO_WORK/server/mamori.db-wal" "$DEMO_WORK/server/mamori.db-shm"
demo_server_restart || exit 1
waiting=$(spooled_seqs)
pc_agent_start || exit 1
check "after the restore the restarted agent enrols again and delivers" "demo_wait_ack 300"
seqs=$(history)
check "the restored collector got what waited (${waiting}) and the start-up report, in order, once (${seqs})" \
    "python3 -c '
import sys
w, s = list(map(int, sys.argv[1].split())), list(map(int, sys.argv[2].split()))
assert w and s[:len(w)] == w, (w, s)
assert s == list(range(s[0], s[0] + len(s))), s' '$waiting' '$seqs'"

# --- 4. the host is revoked: never enrolled again automatically -------------
requests=$(enrol_requests)
out=$("${srv[@]}" host revoke shimin-pc-014 --config "$conf")
check "mamori-server host revoke" "grep -q revoked <<<\"\$out\""
demo_agent_cmd report-now
check "a revoked PC says so" "wait_for '[ \"\$(enrolment state)\" = revoked ]' 30"
check "... keeps its reports (waiting: $(queued))" "[ \"\$(queued)\" -ge 1 ]"
check "... and does not try to enrol (enrolment requests: $requests)" \
    "[ \"\$(enrol_requests)\" = '$requests' ]"
check "an agent.revoked event is shown" \
    "status_get \"[e['type'] for e in d['events']]\" | grep -q agent.revoked"
text=$("$BUILD/agent/mamorictl" status --socket "$DEMO_WORK/agent.sock")
check "status (English) says the key is revoked" "grep -q 'REVOKED' <<<\"\$text\""

check "the enrolment secret appears in no log" \
    "! grep -qF \"\$(cat '$secret')\" '$DEMO_WORK/agent.log' '$DEMO_WORK/server.log'"
[ "$failures" -eq 0 ] || tail -40 "$DEMO_WORK/agent.log"
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
