# wait-health.sh -- sourced by the demo, tests and benches that start a
# collector: wait until it answers /v1/health over TLS.
#
# mamori_wait_health TRIES CA_FILE BASE_URL [COMMAND_PREFIX...]
#   tries every 0.1 s, TRIES times; returns 0 once the collector answers,
#   1 otherwise.  A prefix runs curl elsewhere (e.g. `ip netns exec NS`).
mamori_wait_health() {
    local tries=$1 ca=$2 url=$3
    shift 3
    for _ in $(seq "$tries"); do
        "$@" curl -sf --cacert "$ca" "$url/v1/health" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# mamori_listen_port TRIES LOG
#   for a collector started with listen_port = 0 (the kernel picks a free
#   port, so parallel tests never collide): waits for its "listening on
#   ADDR:PORT" line in LOG and prints PORT; returns 1 if it never comes.
mamori_listen_port() {
    local tries=$1 log=$2 port
    for _ in $(seq "$tries"); do
        port=$(sed -n 's/^mamori-server: listening on .*:\([0-9][0-9]*\) (.*/\1/p' "$log" 2>/dev/null)
        [ -n "$port" ] && { echo "$port"; return 0; }
        sleep 0.1
    done
    return 1
}
