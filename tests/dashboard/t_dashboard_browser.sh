#!/bin/bash
# t_dashboard_browser.sh -- the dashboard in Debian's chromium, driven by playwright-core.
#
# Starts a seeded collector (fleet_server.sh), installs playwright-core from
# the committed package-lock.json into the build dir (npm ci, only when
# missing or changed), and runs browser.test.mjs with node's test runner:
# login, exact overview counts, a host's failing check and remediation, a CSV
# download, the viewer kept out of admin pages, a wrong password refused.
# Screenshots: $build/tests/dashboard/screenshots/.  Skips (77) only when
# chromium or node/npm is not installed.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
chromium=$(command -v chromium || true)
if [ -z "$chromium" ] || ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "SKIP: needs chromium (Debian package) and node/npm"
    exit 77
fi

work=$build/tests/dashboard/browser
mkdir -p "$work"
if ! cmp -s "$here/package-lock.json" "$work/package-lock.json" || [ ! -d "$work/node_modules" ]; then
    cp "$here/package.json" "$here/package-lock.json" "$work/"
    (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
fi
cp "$here/browser.test.mjs" "$work/"

# shellcheck source=tests/dashboard/fleet_server.sh
. "$here/fleet_server.sh"
trap fleet_server_stop EXIT
fleet_server_start
rm -rf "$build/tests/dashboard/screenshots"
cd "$work"
DASH_URL=$url DASH_SPKI=$dash_spki DASH_SHOTS=$build/tests/dashboard/screenshots \
    ALICE_PW=$ALICE_PW BOB_PW=$BOB_PW CHROMIUM=$chromium \
    node --test --test-concurrency=1 browser.test.mjs
