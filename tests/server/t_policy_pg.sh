#!/bin/bash
# t_policy_pg.sh -- central policy (t_policy_central) against a real
# PostgreSQL server started for this test (tests/pg_cluster.sh).
set -euo pipefail
build=$1
# shellcheck source=../pg_cluster.sh
. "$(dirname "$0")/../pg_cluster.sh"
pg_cluster_start mamori_policy
"$build/tests/server/t_policy_central" --jobs=1
