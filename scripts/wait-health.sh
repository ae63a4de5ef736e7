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
