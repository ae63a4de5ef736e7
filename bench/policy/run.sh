#!/bin/sh
# bench/policy/run.sh [BUILD_DIR] [HOSTS] [MEDIA] -- what central policy costs.
#
# A collector (SQLite) with one automatic group, a ledger of MEDIA media of
# the PCs' 所属 and one exception, against a collector with no group, both
# created in the same run (bench_policy.c):
#   - the report acknowledgement naming the bundle version, for HOSTS cached
#     hosts, beside the acknowledgement of a collector without groups (the
#     ingest path must stay as fast: DESIGN.md, >= 10,000 reports/s);
#   - composing and signing one PC's bundle (a fetch, or once per change);
#   - on the PC, checking the signed bundle with nettle (the resident agent
#     has no OpenSSL) beside OpenSSL's verification of the same bytes, and
#     validating the policy it carries.
# CPU time of this process; never fails on the numbers.
set -eu
build=${1:-build}
hosts=${2:-2000}
media=${3:-200}
tmp=$(mktemp -d /tmp/mamori-bench-policy-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$build/bench/policy/bench_policy" "$tmp" "$hosts" "$media"
