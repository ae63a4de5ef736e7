#!/bin/bash
# t_dashboard_pg.sh -- the dashboard tests against a real PostgreSQL server:
# a private cluster started for this test (tests/pg_cluster.sh; skips when
# not root or PostgreSQL is missing), then t_dashboard_auth and
# t_dashboard_http with MAMORI_TEST_PG_DSN.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../pg_cluster.sh
. "$here/../pg_cluster.sh"
pg_cluster_start mamori_dash
"$build/tests/dashboard/t_dashboard_auth" --jobs=1
bash "$here/t_dashboard_http.sh" "$build"
