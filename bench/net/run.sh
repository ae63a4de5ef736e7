#!/bin/sh
# bench/net/run.sh [BUILD_DIR] -- network guard refusal latency over 1,000 flaps,
# printed beside a plain rtnetlink round trip measured in the same run.  Needs root.
build=${1:-build}
exec "$build/bench/net/bench_net_flap" 1000
