#!/usr/bin/env bash
# t_agent_courier.sh BUILD_DIR -- the agent's side of delivery, with a
# stand-in courier (--courier) that records what it was given and answers
# as the test tells it:
#   - it runs unprivileged (mamori, or nobody), with no supplementary group,
#     and cannot open the device key by its path;
#   - it gets the key, the certificate and the CA as fds 3, 4, 5 and nothing
#     else open beyond stdin/stdout/stderr;
#   - the first line names the collector; reports come oldest first and
#     leave the spool only when "stored";
#   - "retry" and a courier that dies keep every report queued, with the
#     reason in status; report-now delivers them, in order;
#   - the real mamori-courier refuses to run as root.
set -uo pipefail
BUILD=$(cd "$1" && pwd)
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: needs root (network namespaces, dropping to the courier's user)"
    exit 77
fi
. "$(dirname "$0")/agent_fixture.sh"
trap agent_teardown EXIT
agent_setup

state=$AGENT_WORK/state
record=$AGENT_WORK/courier.record
mode=$AGENT_WORK/courier.mode
mkdir -m 700 "$state"
printf 'KEY-BYTES\n' >"$state/device.key"
printf 'CERT-BYTES\n' >"$state/device.crt"
printf 'CA-BYTES\n' >"$state/ca.crt"
chmod 600 "$state/device.key"
echo '{"server":"https://collector.invalid:8443","host_id":"00"}' >"$state/enroll.json"
: >"$record"
chmod 666 "$record" # the courier is not root
echo stored >"$mode"
chmod 644 "$mode"

cat >"$AGENT_WORK/fake-courier" <<EOF
#!/bin/bash
# Stand-in for mamori-courier: record, then answer per $mode.
{
    echo "uid=\$(id -u) groups=\$(id -G)"
    echo "key=\$(cat <&3) cert=\$(cat <&4) ca=\$(cat <&5)"
    if cat "$state/device.key" >/dev/null 2>&1; then echo "key-path=open"; else echo "key-path=refused"; fi
    # ls inherits what the courier was given (bash's own fds are
    # close-on-exec); the last one is ls's own directory handle.
    echo "fds=\$(ls /proc/self/fd | sort -n | tr '\n' ' ')"
} >>"$record"
read -r hello
echo "hello=\$hello" >>"$record"
while read -r line; do
    seq=\$(printf '%s' "\$line" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])')
    kind=\$(printf '%s' "\$line" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("payload" if json.loads(d["payload"])["seq"] == d["seq"] else "mismatch")')
    echo "got=\$seq" >>"$record"
    echo "kind=\$kind" >>"$record"
    case "\$(cat "$mode")" in
    stored) echo "{\"seq\":\$seq,\"outcome\":\"stored\"}" ;;
    retry) echo "{\"seq\":\$seq,\"outcome\":\"retry\",\"error\":\"collector down (test)\"}" ;;
    die) exit 3 ;;
    esac
done
EOF
chmod 755 "$AGENT_WORK/fake-courier"

agent_start --courier "$AGENT_WORK/fake-courier" || exit 1
queue() { json_get 'd["delivery"]["queue_length"]'; }
check "the first report is delivered and leaves the spool" \
    "wait_for '[ \"\$(queue)\" = 0 ] && [ \"\$(json_get \"d[\\\"delivery\\\"][\\\"last_ack_time\\\"] is not None\")\" = True ]' 10"
wait_for '[ "$(json_get "d[\"delivery\"][\"courier_running\"]")" = False ]' 10

uid=$(sed -n 's/^uid=\([0-9]*\) .*/\1/p' "$record" | head -n1)
expected=$(id -u mamori 2>/dev/null || id -u nobody)
check "the courier runs as the unprivileged user (uid ${uid:-none}, expected $expected)" \
    "[ -n '$uid' ] && [ '$uid' != 0 ] && [ '$uid' = '$expected' ]"
check "with no supplementary group" \
    "grep -q \"^uid=$uid groups=$(id -g "$expected")\$\" '$record'"
check "it gets key, certificate and CA as fds 3, 4, 5" \
    "grep -q '^key=KEY-BYTES cert=CERT-BYTES ca=CA-BYTES\$' '$record'"
check "but cannot open the device key by its path" "grep -q '^key-path=refused' '$record'"
check "and has nothing else open" "grep -q '^fds=0 1 2 3 4 5 6 \$' '$record'"
check "the first line names the collector" \
    "grep -q '^hello={\"server\":\"https://collector.invalid:8443\"}' '$record'"
check "it gets the sealed payload to sign, with its seq inside" "grep -q '^kind=payload\$' '$record'"
check "the spool is empty once the report is stored" \
    "[ -z \"\$(ls '$state/spool' | grep -v rejected)\" ]"

report_now() {
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"{\"cmd\":\"report-now\"}\n")
while s.recv(65536): pass' "$AGENT_WORK/agent.sock"
}

# The collector is away: reports stay and the reason shows.
echo retry >"$mode"
report_now
check "a retry keeps the report queued" "wait_for '[ \"\$(queue)\" = 1 ]' 10"
check "status shows the courier's reason" \
    "wait_for '[ \"\$(json_get \"d[\\\"delivery\\\"][\\\"last_error\\\"]\")\" = \"collector down (test)\" ]' 10"

# A courier that dies mid-way loses nothing either.
echo die >"$mode"
report_now
check "a courier that dies keeps both reports queued" "wait_for '[ \"\$(queue)\" = 2 ]' 10"
check "and is named in status" \
    "wait_for 'json_get \"d[\\\"delivery\\\"][\\\"last_error\\\"]\" | grep -q \"exited before answering\"' 10"

# The collector is back: report-now sends everything, oldest first.
echo stored >"$mode"
: >"$record"
report_now
check "report-now delivers every queued report" "wait_for '[ \"\$(queue)\" = 0 ]' 10"
got=$(sed -n 's/^got=//p' "$record" | tr '\n' ' ')
check "in seq order ($got)" "[ '$got' = '2 3 4 ' ]"

# The real courier refuses root.
"$BUILD/agent/mamori-courier" --foreground </dev/null >"$AGENT_WORK/root.out" 2>&1
check "mamori-courier run as root exits 2" "[ $? -eq 2 ]"
check "and says why" "grep -q 'refusing to run as root' '$AGENT_WORK/root.out'"

kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
check "SIGTERM still stops the agent with exit 0" "[ $? -eq 0 ]"
AGENT_PID=
echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
