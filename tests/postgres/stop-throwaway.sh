#!/usr/bin/env bash
# Stops a PostgreSQL started by start-throwaway.sh and removes its temp dir.
# Usage: tests/postgres/stop-throwaway.sh [dir]   (default: $PGTHROWAWAY_DIR)
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
BASE="${1:-${PGTHROWAWAY_DIR:-}}"
if [[ -z "$BASE" || ! -d "$BASE/data" ]]; then
    echo "stop-throwaway: pass the directory start-throwaway.sh printed (or set PGTHROWAWAY_DIR)" >&2
    exit 1
fi

as_pg() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# A cluster an outage test left stopped has nothing to stop (pg_ctl status: 3 = not running).
if as_pg "$PG_BIN/pg_ctl" -D "$BASE/data" status >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" -D "$BASE/data" -m fast -w stop >&2
fi
rm -rf -- "$BASE"
echo "stop-throwaway: stopped and removed $BASE" >&2
