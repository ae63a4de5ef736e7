#!/usr/bin/env bash
# t_wifi_nm_mock.sh BUILD_DIR -- the agent refusing Wi-Fi networks through its
# NetworkManager source, with python-dbusmock's NetworkManager on a private bus.
#
# This kernel has no cfg80211, so a real NetworkManager can have no Wi-Fi device
# (t_wifi_nm.sh tests the real one on veth).  The mock speaks NetworkManager's
# D-Bus API for Wi-Fi devices, so everything Wi-Fi-specific in the source runs
# over a real bus, and the agent's guard acts on it: a device of type 2 joining,
# Device.Wireless.ActiveAccessPoint, the access point's Ssid bytes and RsnFlags,
# a hidden network's SSID from the profile's GetSettings, Device.Disconnect.
# What the mock cannot show is NetworkManager's own behaviour with a radio
# (supplicant, scans, roaming); that needs a machine with Wi-Fi.
set -uo pipefail
BUILD=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/nm_fixture.sh"
nm_require
if ! /usr/bin/python3 -c 'import dbusmock' 2>/dev/null; then
    echo "SKIP: python3-dbusmock is not installed (scripts/install-deps.sh installs it)"
    exit 77
fi
. "$HERE/../agent/agent_fixture.sh"
export LANG=C.UTF-8 MAMORI_LOCALEDIR="$BUILD/locale"
mock() { ip netns exec "$NM_NS" /usr/bin/python3 "$HERE/nm_mock.py" "$@"; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
cleanup() {
    [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
    nm_teardown
}
trap cleanup EXIT
nm_setup || exit 1
nm_mock_start || exit 1
for i in 0 1 2 3 4 5; do ip -n "$NM_NS" link add "wlmock$i" type veth peer name "wlpeer$i"; done

nm_agent_start || exit 1
check "the agent finds the NetworkManager (mock) on the bus" \
    "wait_for '[ \"\$(json_get \"d[\\\"enforcement\\\"][\\\"network\\\"][\\\"wifi_source\\\"][\\\"state\\\"]\")\" = running ]' 30"

# fact IFNAME KEY: KEY (a.b for nested) of the latest net.refused event on IFNAME, "" if none.
fact() {
    agent_status_json | python3 -c '
import json, sys
d = json.load(sys.stdin)
ev = [e["facts"] for e in d["events"]
      if e["type"] == "net.refused" and e["facts"].get("interface") == sys.argv[1]]
v = ev[-1] if ev else {}
for k in sys.argv[2].split("."):
    v = v.get(k, "") if isinstance(v, dict) else ""
print(v)' "$1" "$2"
}
joined_ssid() { json_get 'd["enforcement"]["network"]["wifi_source"]["connections"][0]["ssid"]'; }

# An allowed network (802.1X) on wlmock0 stays joined.
mock add-wifi mock0 wlmock0
mock join mock0 "$(hex 'LGWAN-市役所')" 0x288
check "a join of an allowed SSID with 802.1X is seen and listed as joined" \
    "wait_for '[ \"\$(joined_ssid 2>/dev/null)\" = LGWAN-市役所 ]' 30"

# A network not on the list: refused and left through Device.Disconnect.
mock add-wifi mock1 wlmock1
mock join mock1 "$(hex 'Cafe-Free')" 0
check "an SSID not on the allow list is refused" \
    "wait_for '[ \"\$(fact wlmock1 reason)\" = ssid_not_allowed ]' 30"
check "the event names the SSID" "[ \"\$(fact wlmock1 ssid)\" = Cafe-Free ]"
check "the guard left it: Device.Disconnect was called once" "[ \"\$(mock disconnects mock1)\" = 1 ]"
check "the event says the disconnect was done" "[ \"\$(fact wlmock1 actions.wifi_disconnect)\" = done ]"
check "the device is disconnected" "[ \"\$(mock state mock1)\" = 30 ]"
check "the allowed network was left alone" "[ \"\$(mock disconnects mock0)\" = 0 ]"
check "and is still shown joined" "[ \"\$(joined_ssid)\" = LGWAN-市役所 ]"

# The allowed SSID with only a PSK: weaker than wpa2-enterprise.
mock add-wifi mock2 wlmock2
mock join mock2 "$(hex 'LGWAN-市役所')" 0x188
check "an allowed SSID with a PSK is refused as weak security" \
    "wait_for '[ \"\$(fact wlmock2 reason)\" = weak_security ]' 30"

# A hidden network (empty Ssid on the access point): the SSID comes from the
# profile (GetSettings), and a Latin-1 byte is shown as an escape.
mock add-wifi mock3 wlmock3
mock join mock3 "$(hex 'Caf')e9" 0x288 hidden
check "a hidden network is named from its profile" "wait_for '[ -n \"\$(fact wlmock3 ssid)\" ]' 30"
check "its byte that is not UTF-8 is escaped" "[ \"\$(fact wlmock3 ssid)\" = 'Caf\\xe9' ]"

# An allowed name with a NUL byte after it is not the allowed network.
mock add-wifi mock4 wlmock4
mock join mock4 "$(hex 'LGWAN-市役所')00" 0x288
check "an allowed SSID with a hidden NUL byte is refused" \
    "wait_for '[ \"\$(fact wlmock4 ssid)\" = \"LGWAN-市役所\\\\x00\" ]' 30"

# A Wi-Fi device whose interface is not in this namespace is never acted on.
mock add-wifi other wlother0
mock join other "$(hex 'Cafe-Free')" 0
mock add-wifi mock5 wlmock5 # a last refused join: once it is seen, the one before was too
mock join mock5 "$(hex 'Last')" 0
check "a last join is refused" "wait_for '[ \"\$(fact wlmock5 ssid)\" = Last ]' 30"
check "but the device of another namespace was not touched" "[ \"\$(mock disconnects other)\" = 0 ]"

"$BUILD/agent/mamorictl" status --socket "$AGENT_WORK/agent.sock" >"$AGENT_WORK/status.txt"
check "mamorictl status lists the network joined" \
    "grep -q 'joined: LGWAN-市役所 on wlmock0 (wpa2-enterprise)' '$AGENT_WORK/status.txt'"
check "the agent is still running" "kill -0 $AGENT_PID"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
check "and stops cleanly (exit 0; under ASan: no leak)" "[ $? -eq 0 ]"
AGENT_PID=
[ "$failures" -gt 0 ] && { tail -30 "$AGENT_WORK/agent.log"; tail -20 "$NM_WORK/mock.log"; }
echo "# $passes passed, $failures failed"
[ "$failures" -eq 0 ]
