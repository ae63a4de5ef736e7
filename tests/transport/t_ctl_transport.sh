#!/usr/bin/env bash
# t_ctl_transport.sh -- CLI contract of mamorictl report / queue / enroll:
# report prints one JWS whose seq advances, queue reads the spool without
# changing it, enroll refuses to run without a trusted collector CA.
# Usage: t_ctl_transport.sh BUILD_DIR
set -euo pipefail
ctl=$1/agent/mamorictl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$ctl" report --segment mynumber --state-dir "$tmp/s" --host-id beef >"$tmp/r1"
"$ctl" report --segment mynumber --state-dir "$tmp/s" --host-id beef >"$tmp/r2"
[[ $(tr -cd . <"$tmp/r1" | wc -c) -eq 2 ]] || fail "report is not a compact JWS"
payload() { cut -d. -f2 "$1" | tr '_-' '/+' | python3 -c 'import sys,base64,json
s=sys.stdin.read().strip(); s+="="*(-len(s)%4); d=json.loads(base64.b64decode(s))
print(d["seq"], d["host"]["id"], d["host"]["segment"], d["schema"])'; }
[[ $(payload "$tmp/r1") == "1 beef mynumber 2" ]] || fail "first report: $(payload "$tmp/r1")"
[[ $(payload "$tmp/r2") == "2 beef mynumber 2" ]] || fail "seq must advance: $(payload "$tmp/r2")"
[[ $(stat -c %a "$tmp/s/device.key") == 600 ]] || fail "device key not 0600"

# queue: empty, then two spooled files; a writer's .tmp file is left alone.
out=$("$ctl" queue --json --state-dir "$tmp/s")
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["queue_length"]==0, d' "$out"
cp "$tmp/r1" "$tmp/s/spool/00000000000000000001.jws"
cp "$tmp/r2" "$tmp/s/spool/00000000000000000002.jws"
touch "$tmp/s/spool/00000000000000000003.jws.tmp"
out=$("$ctl" queue --json --state-dir "$tmp/s")
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["queue_length"]==2 and d["seqs"]==[1,2] and d["oldest_seq"]==1, d' "$out"
[[ -e $tmp/s/spool/00000000000000000003.jws.tmp ]] || fail "queue removed a live .tmp file"
LANG=C "$ctl" queue --state-dir "$tmp/s" | grep -q "reports waiting: 2" || fail "text queue"

# enroll: no CA -> exit 2 and a message; missing secret file -> exit 2.
printf 'x\n' >"$tmp/secret"; chmod 600 "$tmp/secret"
set +e
msg=$(LANG=C "$ctl" enroll --server https://127.0.0.1:1 --secret-file "$tmp/secret" \
      --segment lgwan --state-dir "$tmp/e" 2>&1); rc=$?
set -e
[[ $rc -eq 2 ]] || fail "enroll without CA: exit $rc"
[[ $msg == *"trust on first use"* ]] || fail "enroll without CA: $msg"
set +e
LANG=C "$ctl" enroll --server https://127.0.0.1:1 --segment lgwan >/dev/null 2>&1; rc=$?
set -e
[[ $rc -eq 2 ]] || fail "enroll without --secret-file: exit $rc"
echo "PASS: mamorictl report/queue/enroll contracts"
