#!/usr/bin/env bash
# demo.sh BUILD_DIR -- mamori end to end on one machine, with embedded defaults.
#
# What a municipality would see, in a private network namespace so nothing on
# this machine is touched (the steps live in scripts/demo-lib.sh, which the
# end-to-end test shares):
#   1. mamori-server init + serve: a collector on loopback with SQLite;
#   2. a demo staff PC (demo/make-demo-pc.sh: one rule broken on purpose) with
#      an approved LAN interface and an unapproved tethering interface, and a
#      USB stick next to a keyboard (umockdev, when the build has USB enforcement);
#   3. mamorictl enroll, then mamori-agent: it checks, refuses, signs and
#      delivers a report over mutual TLS;
#   4. mamorictl status (the helpdesk's view), mamori-server fleet and events
#      (the security office's view); then everything it started is stopped.
# Needs root (network namespaces).  DEMO_KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=$(cd "${1:-build}" && pwd)
export MAMORI_LOCALEDIR="$BUILD/locale"
export LANG=C.UTF-8
locale -a 2>/dev/null | grep -qi '^ja_JP.utf-\?8$' && export LANG=ja_JP.UTF-8
# shellcheck source=scripts/demo-lib.sh
. "$SRC/scripts/demo-lib.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "demo: run as root (it creates a private network namespace)" >&2
    exit 2
fi
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
trap demo_teardown EXIT

step "A private network: lo, an approved LAN (lan0) and a tethering interface (tether0)"
demo_setup "$(mktemp -d /tmp/mamori-demo.XXXXXX)"
demo_in_ns ip -br link

step "1. The collector: mamori-server init, then serve on 127.0.0.1:$DEMO_PORT (SQLite)"
demo_server_start

step "2. The demo PC (市民課, LGWAN) and its policy"
demo_pc
"$BUILD/agent/mamorictl" policy validate "$SRC/demo/policy.json"

step "3. mamorictl enroll: CSR + enrolment secret -> device certificate, CA pinned"
demo_enroll

step "4. mamori-agent starts: checks, refuses tether0$(demo_usb_available && echo ', blocks the USB stick'), signs and delivers a report"
demo_agent_start
demo_wait_ack || echo "(the first report was not acknowledged yet)"

step "5. The helpdesk at the PC: mamorictl status"
"$BUILD/agent/mamorictl" status --socket "$DEMO_WORK/agent.sock" || true

step "6. The security office: mamori-server fleet"
"$BUILD/server/mamori-server" fleet --config "$DEMO_WORK/server/server.conf" || true

step "7. Block events the collector received (USB and network)"
"$BUILD/server/mamori-server" events --config "$DEMO_WORK/server/server.conf" || true
echo
echo "demo: done (work directory $DEMO_WORK$([ -n "${DEMO_KEEP:-}" ] && echo ' kept' || echo ' removed'))"
