#!/bin/sh
# bench/check/run.sh [BUILD_DIR] [RUNS] -- CPU time of one full `mamorictl check` over a
# realistic office PC tree (tests/fixtures/bench-office: 5 users, Firefox + Chrome +
# Chromium, GNOME, GDM, ClamAV, ~130 processes) against the 10 ms budget in DESIGN.md.
# Printed beside baselines measured in the same run on the same tree:
#   in-process: bench_check (every check vs. reading every file once);
#   as processes: `mamorictl check` vs. `cat` of every file (getrusage of children).
set -eu
build=${1:-build}
runs=${2:-300}
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../tests/fixtures/bench-office
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -a "$src" "$tmp/root"
python3 "$here/../../tests/collectors/prepare_tree.py" "$tmp/root"

"$build/bench/check/bench_check" "$tmp/root" "$runs" || status=$?

python3 - "$build/agent/mamorictl" "$tmp/root" "$runs" <<'PY'
import os, resource, subprocess, sys
ctl, root, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1e3
def measure(argv):
    t0 = cpu()
    for _ in range(runs):
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, LANG="C"))
    return (cpu() - t0) / runs
check = measure([ctl, "check", "--json", "--segment", "lgwan", "--root", root])
cat = measure(["cat"] + files)
true = measure(["true"])
print("process: mamorictl check --json --root  %8.3f ms CPU/run (incl. start-up)" % check)
print("baseline: cat of all %4d files         %8.3f ms CPU/run" % (len(files), cat))
print("baseline: /bin/true (process start-up)  %8.3f ms CPU/run" % true)
PY
exit ${status:-0}
