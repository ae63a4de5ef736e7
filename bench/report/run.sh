#!/usr/bin/env bash
# run.sh [BUILD_DIR] -- size of a typical signed report against the 4 KiB budget.
#
# Builds the demo staff PC (demo/make-demo-pc.sh: one user, one failing
# check) and the heavier office PC (tests/fixtures/bench-office: five users,
# three browsers), has the real `mamorictl report` sign each one's report
# (schema 2: compact checks, titles and remediation from the catalogue), and
# prints its size beside the same report in the old shape (schema 1: every
# check with its title, remediation and clause; `mamorictl check --json`
# gives exactly those checks), signed with the same header and an Ed25519
# signature of the same fixed length.  Budget (DESIGN.md): a typical signed
# report <= 4096 bytes.  Prints whether it is met; never fails on the numbers.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
ctl=$build/agent/mamorictl
tmp=$(mktemp -d /tmp/mamori-bench-report-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
openssl genpkey -algorithm ed25519 -out "$tmp/device.key" 2>/dev/null

measure() { # NAME ROOT ARGS... (policy and host options of mamorictl report)
    local name=$1 root=$2
    shift 2
    mkdir -p "$tmp/$name-state"
    "$ctl" report --key "$tmp/device.key" --root "$root" "$@" --state-dir "$tmp/$name-state" \
        >"$tmp/$name.jws"
    LANG=C "$ctl" check --json --root "$root" "${check_args[@]}" >"$tmp/$name-check.json" || true
    python3 - "$name" "$tmp/$name.jws" "$tmp/$name-check.json" <<'PY'
import base64, json, sys
name, jws_file, check_file = sys.argv[1:]
header, payload, sig = open(jws_file).read().strip().split(".")
report = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
old = dict(report, schema=1, checks=json.load(open(check_file))["checks"])
old.pop("catalogue", None)
old_bytes = json.dumps(old, ensure_ascii=False, separators=(",", ":")).encode()
old_len = len(header) + 1 + len(base64.urlsafe_b64encode(old_bytes).rstrip(b"=")) + 1 + len(sig)
new_len = len(header) + 1 + len(payload) + 1 + len(sig)
verdicts = [c["verdict"] for c in report["checks"]]
print(f"{name}: {len(verdicts)} checks ({verdicts.count('fail')} failing), schema {report['schema']}, "
      f"catalogue {report.get('catalogue')}")
print(f"  signed report, schema 2 (now):       {new_len:6d} bytes "
      f"(payload {len(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))} bytes)")
print(f"  signed report, schema 1 (baseline):  {old_len:6d} bytes (payload {len(old_bytes)} bytes)")
print(f"  budget <= 4096 bytes: {'MET' if new_len <= 4096 else 'NOT MET'}   "
      f"({100 * new_len / old_len:.0f} % of the old size)")
PY
}

bash "$src/demo/make-demo-pc.sh" "$tmp/demo" >/dev/null
check_args=(--policy "$src/demo/policy.json")
measure demo-pc "$tmp/demo" "${check_args[@]}"
cp -a "$src/tests/fixtures/bench-office" "$tmp/office"
python3 "$src/tests/collectors/prepare_tree.py" "$tmp/office"
check_args=(--segment lgwan)
measure bench-office "$tmp/office" "${check_args[@]}" --host-id "$(printf office | sha256sum | cut -c1-64)"
