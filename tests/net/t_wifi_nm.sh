#!/usr/bin/env bash
# t_wifi_nm.sh BUILD_DIR -- the NetworkManager Wi-Fi source (enforce/wifi_nm.c)
# against a real NetworkManager and dbus-daemon, inside a private network
# namespace (tests/net/nm_fixture.sh), then the agent using it.
#
# This kernel has no cfg80211, so NetworkManager has no Wi-Fi device here: what
# is tested for real is everything but the Wi-Fi facts themselves -- the bus,
# NetworkManager appearing, vanishing and coming back (NameOwnerChanged), the
# bus daemon restarting, devices listed, activations and deactivations seen
# through the fd alone, Device.Disconnect really disconnecting (on a veth),
# veth devices never reported as Wi-Fi connections, and the agent saying in its
# log, in `mamorictl status` and in net.only_approved whether Wi-Fi joins are
# watched.  The Wi-Fi path runs against a mock NetworkManager
# (t_wifi_nm_mock.sh), SSID and security mapping are unit-tested (t_wifi_map)
# and the guard's Wi-Fi rules also run on the fake source (t_net_wifi).
set -uo pipefail
BUILD=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/nm_fixture.sh"
nm_require
. "$HERE/../agent/agent_fixture.sh"
export LANG=C.UTF-8 MAMORI_LOCALEDIR="$BUILD/locale"
PROBE_BIN="$BUILD/tests/net/wifi_nm_probe"

HOST_ROUTES=$(ip route show default)
cleanup() {
    [ -n "${probe_pid:-}" ] && kill "$probe_pid" 2>/dev/null
    [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
    nm_teardown # the agent's work directory is inside NetworkManager's
}
trap cleanup EXIT
nm_setup || exit 1

# ---- the probe: a source in the namespace, driven line by line ------------
coproc PROBE { ip netns exec "$NM_NS" "$PROBE_BIN" 2>&1; }
probe_pid=$PROBE_PID # bash unsets PROBE_PID when the coprocess ends
# ask CMD...: send one command, the answer lands in $ANSWER.
ask() {
    ANSWER=
    echo "$*" >&"${PROBE[1]}"
    read -r -t 90 ANSWER <&"${PROBE[0]}"
}
read -r -t 30 ANSWER <&"${PROBE[0]}"
check "the source starts with a bus but no NetworkManager" "[ '$ANSWER' = ready ]"
ask until-state absent
check "it finds NetworkManager absent, and says so ($ANSWER)" "[[ '$ANSWER' == ok* ]]"
ask wifi
check "absent: no Wi-Fi connection is claimed" "[ '$ANSWER' = 'wifi 0' ]"

nm_start || exit 1
ask until-state running
check "NetworkManager starting is seen through the fd (NameOwnerChanged)" "[[ '$ANSWER' == ok* ]]"
ask until-device nmt-b1 30
check "its devices are listed with their state" "[[ '$ANSWER' == ok* ]]"
ask devices
check "all of them: loopback and four veth ($ANSWER)" \
    "[[ '$ANSWER' == *lo:loopback:* && '$ANSWER' == *nmt-a0:veth:30* && '$ANSWER' == *nmt-b1:veth:* ]]"
ask wifi
check "veth devices are not Wi-Fi connections" "[ '$ANSWER' = 'wifi 0' ]"

# ---- activation and deactivation, seen as events ---------------------------
nmc connection add type ethernet ifname nmt-a0 con-name t-a ipv4.method manual \
    ipv4.addresses 10.203.0.1/24 ipv6.method disabled >/dev/null
nmc connection add type ethernet ifname nmt-a1 con-name t-a1 ipv4.method manual \
    ipv4.addresses 10.203.0.2/24 ipv6.method disabled >/dev/null
nmc connection up t-a >/dev/null
ask until-device nmt-a0 100
check "an activation with nmcli wakes the source and is seen ($ANSWER)" \
    "[[ '$ANSWER' == ok* && '$ANSWER' != *wakeups=0 ]]"
ask wifi
check "an activated ethernet connection is still no Wi-Fi connection" "[ '$ANSWER' = 'wifi 0' ]"
nmc device disconnect nmt-a0 >/dev/null
ask until-device nmt-a0 30
check "a deactivation with nmcli is seen ($ANSWER)" "[[ '$ANSWER' == ok* ]]"

# ---- the disconnect op really disconnects ----------------------------------
nmc connection up t-a1 >/dev/null
ask until-device nmt-a1 100
ask disconnect nmt-a1
check "disconnect() is accepted by NetworkManager" "[ '$ANSWER' = 'disconnect 0' ]"
check "and NetworkManager really disconnects the device" "nm_wait_state nmt-a1 disconnected"
check "the address is gone from the link" \
    "! ip -n '$NM_NS' -o addr show nmt-a1 | grep -q 10.203.0.2"
ask until-device nmt-a1 30
check "the source sees the device disconnected" "[[ '$ANSWER' == ok* ]]"
ask disconnect nmt-b0
check "disconnecting a device that is not connected fails" "[ '$ANSWER' = 'disconnect -1' ]"
ask disconnect no-such0
check "disconnecting an unknown interface fails" "[ '$ANSWER' = 'disconnect -1' ]"

# ---- NetworkManager stops and comes back -----------------------------------
nm_stop
ask until-state absent
check "NetworkManager stopping is seen" "[[ '$ANSWER' == ok* ]]"
ask devices
check "and its devices are forgotten" "[ '$ANSWER' = devices ]"
nm_start || exit 1
ask until-state running
check "NetworkManager restarting is picked up without polling" "[[ '$ANSWER' == ok* ]]"
ask until-device nmt-a0 100
check "its devices are listed again, the profile joined by itself ($ANSWER)" "[[ '$ANSWER' == ok* ]]"
ask notes
check "each change was notified once ($ANSWER)" \
    "[ '$ANSWER' = 'notes no_bus=0 absent=2 running=2' ]"

# ---- the bus daemon goes away and comes back ------------------------------
nm_stop
kill "$NM_BUS_PID" && wait "$NM_BUS_PID" 2>/dev/null
ask until-state no_bus
check "the system bus going away is seen" "[[ '$ANSWER' == ok* ]]"
ip netns exec "$NM_NS" dbus-daemon --config-file="$NM_WORK/bus.conf" --nofork --nopidfile \
    >>"$NM_WORK/bus.log" 2>&1 &
NM_BUS_PID=$!
ask until-state absent
check "a new bus daemon is joined when its socket appears (inotify)" "[[ '$ANSWER' == ok* ]]"
nm_start || exit 1
ask until-state running
check "and NetworkManager on it" "[[ '$ANSWER' == ok* ]]"
kill "$probe_pid" 2>/dev/null
wait "$probe_pid" 2>/dev/null
probe_pid=

# ---- the agent with NetworkManager as its Wi-Fi source ---------------------
nm_agent_start || exit 1
wifi_state() { json_get 'd["enforcement"]["network"]["wifi_source"]["state"]'; }
check "the agent's status shows NetworkManager as its Wi-Fi source" \
    "wait_for '[ \"\$(wifi_state)\" = running ]' 30"
check "with its devices" \
    "[ \"\$(json_get 'len(d[\"enforcement\"][\"network\"][\"wifi_source\"][\"devices\"])')\" -ge 5 ]"
check "the agent logged it" "grep -q 'Wi-Fi source: NetworkManager' '$AGENT_WORK/agent.log'"
kill -HUP "$AGENT_PID" # reload: the checks run again
evidence() { json_get '[c for c in d["checks"] if c["id"]=="net.only_approved"][0]["evidence"]["wifi_source"]["state"]'; }
check "net.only_approved shows the Wi-Fi source in its evidence" \
    "wait_for '[ \"\$(evidence)\" = running ]' 10"
"$BUILD/agent/mamorictl" status --socket "$AGENT_WORK/agent.sock" >"$AGENT_WORK/status.txt"
check "mamorictl status says Wi-Fi is watched" \
    "grep -q 'Wi-Fi .*watched through NetworkManager' '$AGENT_WORK/status.txt'"
check "the veth links NetworkManager manages were left alone" \
    "ip -n '$NM_NS' -o link show nmt-a0 | grep -q 'UP'"

nm_stop
check "NetworkManager stopping shows in the agent's status" \
    "wait_for '[ \"\$(wifi_state)\" = absent ]' 30"
check "the agent logged it once" \
    "[ \$(grep -c 'no Wi-Fi source: NetworkManager is not running' '$AGENT_WORK/agent.log') -eq 1 ]"
kill -HUP "$AGENT_PID"
check "net.only_approved evidence says NetworkManager is absent" \
    "wait_for '[ \"\$(evidence)\" = absent ]' 10"
check "and its detail says Wi-Fi joins are not watched" \
    "agent_status_json | grep -q 'Wi-Fi joins are not watched'"
LANG=ja_JP.UTF-8 "$BUILD/agent/mamorictl" status --socket "$AGENT_WORK/agent.sock" \
    >"$AGENT_WORK/status.ja"
check "mamorictl status says so in Japanese" \
    "grep -q 'NetworkManager が動いていません' '$AGENT_WORK/status.ja'"
nm_start || exit 1
check "NetworkManager coming back is picked up by the agent" \
    "wait_for '[ \"\$(wifi_state)\" = running ]' 30"
[ "$failures" -gt 0 ] && { cat "$AGENT_WORK/agent.log"; agent_status_json | head -c 3000; }
check "the agent is still running" "kill -0 $AGENT_PID"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
check "and stops cleanly (exit 0; under ASan: no leak)" "[ $? -eq 0 ]"
AGENT_PID=

check "the host's default route is untouched" "[ \"\$(ip route show default)\" = '$HOST_ROUTES' ]"
echo "# $passes passed, $failures failed"
[ "$failures" -eq 0 ]
