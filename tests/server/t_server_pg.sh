#!/bin/bash
# t_server_pg.sh -- run the t_server and t_ingest (group commit) suites
# against a real PostgreSQL server started for this test (tests/pg_cluster.sh:
# a private cluster, unix socket only; skips when not root or PostgreSQL is
# missing).
set -euo pipefail
build=$1
# shellcheck source=../pg_cluster.sh
. "$(dirname "$0")/../pg_cluster.sh"
pg_cluster_start mamori_test
"$build/tests/server/t_server" --jobs=1
"$build/tests/server/t_ingest" --jobs=1
