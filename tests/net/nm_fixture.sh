# nm_fixture.sh -- a real NetworkManager on a private D-Bus, inside a private
# network namespace, for tests of the NetworkManager Wi-Fi source.  Sourced.
#
#   nm_require               exit 77 (skip) unless root with NetworkManager, nmcli, dbus-daemon
#   nm_setup                 work dir, netns with veth pairs nmt-a0/nmt-a1 and nmt-b0/nmt-b1,
#                            private dbus-daemon (socket in the work dir)
#   nm_start / nm_stop       start / stop NetworkManager (in the netns)
#   nm_mock_start            instead of NetworkManager: python-dbusmock's NetworkManager
#                            template (tests/net/nm_mock.py drives it); nm_stop stops it
#   nmc ARGS...              nmcli against the private bus, in the netns
#   nm_wait_state DEV STATE  wait (bounded) until nmcli shows DEV in STATE
#   nm_teardown              stop everything, delete the netns and the work dir
#   nm_agent_start           mamori-agent beside NetworkManager, in its namespace, with a
#                            policy allowing "LGWAN-市役所" at wpa2-enterprise (agent_fixture.sh)
#   ok / not_ok / check / wait_for   the tests' TAP-style lines and bounded waits
#
# Isolation (docs/network.md, shared/environment.md §4): NetworkManager, the
# bus and every client run inside the netns NM_NS, so nothing touches the
# host's links or routes.  NetworkManager also gets a mount namespace of its
# own (ip netns exec) in which /sys is read-only (otherwise it waits for udev,
# which does not run here, and leaves every device unmanaged) and
# /run/NetworkManager and /var/lib/NetworkManager are private tmpfs, so no
# state is left on the host.  The bus has no service directories: nothing
# (nm-dispatcher, wpa_supplicant) is ever activated by it.

NM_NS=mamori-nm-t$$
failures=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $1"; }
not_ok() { failures=$((failures + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
wait_for() { # bounded wait for a condition the test polls (seconds * 10 tries)
    for _ in $(seq "$(($2 * 10))"); do eval "$1" && return 0; sleep 0.1; done
    return 1
}
NM_PID=
NM_BUS_PID=

nm_require() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: needs root (network namespaces, NetworkManager)"
        exit 77
    fi
    for tool in NetworkManager nmcli dbus-daemon ip; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "SKIP: $tool is not installed (scripts/install-deps.sh installs network-manager)"
            exit 77
        fi
    done
}

# The system bus configuration, made private: our socket, no service
# activation, no fork, no user switch, absolute include directories.
nm_bus_config() {
    sed -e "s|<listen>.*</listen>|<listen>unix:path=$NM_WORK/system_bus_socket</listen>|" \
        -e 's|<includedir>system.d</includedir>|<includedir>/usr/share/dbus-1/system.d</includedir>|' \
        -e '/<standard_system_servicedirs\/>/d' -e '/<servicehelper>/d' -e '/<pidfile>/d' \
        -e '/<syslog\/>/d' -e '/<fork\/>/d' -e '/<user>/d' \
        /usr/share/dbus-1/system.conf >"$NM_WORK/bus.conf"
}

nm_config() {
    mkdir -p "$NM_WORK/connections" "$NM_WORK/conf.d" "$NM_WORK/state"
    chmod 700 "$NM_WORK/connections"
    cat >"$NM_WORK/nm.conf" <<EOF
[main]
plugins=keyfile
dns=none
rc-manager=unmanaged
hostname-mode=none
no-auto-default=*
auth-polkit=false

[keyfile]
path=$NM_WORK/connections

[logging]
level=INFO
EOF
}

nm_setup() {
    NM_WORK=$(mktemp -d /tmp/mamori-nm-test.XXXXXX)
    export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$NM_WORK/system_bus_socket"
    nm_bus_config
    nm_config
    ip netns add "$NM_NS"
    ip -n "$NM_NS" link set lo up
    ip -n "$NM_NS" link add nmt-a0 type veth peer name nmt-a1
    ip -n "$NM_NS" link add nmt-b0 type veth peer name nmt-b1
    ip netns exec "$NM_NS" dbus-daemon --config-file="$NM_WORK/bus.conf" --nofork --nopidfile \
        >>"$NM_WORK/bus.log" 2>&1 &
    NM_BUS_PID=$!
    for _ in $(seq 100); do
        [ -S "$NM_WORK/system_bus_socket" ] && return 0
        sleep 0.1
    done
    echo "dbus-daemon did not start:" >&2
    cat "$NM_WORK/bus.log" >&2
    return 1
}

nm_start() {
    ip netns exec "$NM_NS" sh -c '
        set -e
        mount -o remount,ro /sys
        mount -t tmpfs -o mode=755 tmpfs /run
        mount -t tmpfs -o mode=755 tmpfs /var/lib/NetworkManager
        exec NetworkManager --no-daemon --config="$1/nm.conf" --config-dir="$1/conf.d" \
            --system-config-dir="$1/conf.d" --intern-config="$1/state/intern.conf" \
            --state-file="$1/state/NetworkManager.state" --pid-file="$1/state/nm.pid"' \
        sh "$NM_WORK" >>"$NM_WORK/nm.log" 2>&1 &
    NM_PID=$!
    for _ in $(seq 200); do
        nmc -t -f RUNNING general 2>/dev/null | grep -q running && return 0
        kill -0 "$NM_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "NetworkManager did not start:" >&2
    tail -30 "$NM_WORK/nm.log" >&2
    return 1
}

nm_mock_start() {
    ip netns exec "$NM_NS" /usr/bin/python3 -m dbusmock --system -t networkmanager \
        >>"$NM_WORK/mock.log" 2>&1 &
    NM_PID=$!
    for _ in $(seq 200); do
        busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus GetNameOwner s org.freedesktop.NetworkManager >/dev/null 2>&1 &&
            return 0
        kill -0 "$NM_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "the NetworkManager mock did not start:" >&2
    cat "$NM_WORK/mock.log" >&2
    return 1
}

nm_stop() {
    if [ -n "$NM_PID" ]; then
        kill "$NM_PID" 2>/dev/null
        wait "$NM_PID" 2>/dev/null
    fi
    NM_PID=
}

nmc() {
    ip netns exec "$NM_NS" env DBUS_SYSTEM_BUS_ADDRESS="$DBUS_SYSTEM_BUS_ADDRESS" nmcli "$@"
}

# nm_wait_state DEV STATE: nmcli's device state (e.g. "connected", "disconnected").
nm_wait_state() {
    for _ in $(seq 300); do
        [ "$(nmc -g GENERAL.STATE device show "$1" 2>/dev/null | sed 's/^[0-9]* (\(.*\))$/\1/')" = "$2" ] &&
            return 0
        sleep 0.1
    done
    echo "device $1 never reached state $2:" >&2
    nmc device status >&2
    return 1
}

nm_teardown() {
    nm_stop
    if [ -n "$NM_BUS_PID" ]; then
        kill "$NM_BUS_PID" 2>/dev/null
        wait "$NM_BUS_PID" 2>/dev/null
    fi
    ip netns del "$NM_NS" 2>/dev/null
    [ -n "${NM_WORK:-}" ] && rm -rf "$NM_WORK"
}

# The agent's root has the namespace's own /sys and /proc, so net.only_approved
# judges the links NetworkManager sees.
nm_agent_start() {
    AGENT_NS=$NM_NS
    AGENT_WORK="$NM_WORK/agent"
    mkdir -p "$AGENT_WORK/root/etc"
    ln -s /sys "$AGENT_WORK/root/sys"
    ln -s /proc "$AGENT_WORK/root/proc"
    chmod 755 "$NM_WORK" "$AGENT_WORK"
    echo "0123456789abcdef0123456789abcdef" >"$AGENT_WORK/root/etc/machine-id"
    cat >"$AGENT_WORK/policy.json" <<'P'
{"version": "wifi-1", "segment": "lgwan",
 "network": {"wifi": {"allow_ssids": ["LGWAN-市役所"], "min_security": "wpa2-enterprise"}},
 "report": {"interval_seconds": 3600, "check_interval_seconds": 3600}}
P
    agent_start
}
