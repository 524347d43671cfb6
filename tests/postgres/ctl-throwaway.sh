#!/usr/bin/env bash
# Stops or starts a PostgreSQL made by start-throwaway.sh, for the store-outage tests.
# Usage: tests/postgres/ctl-throwaway.sh DIR kill     # `pg_ctl stop -m immediate`: every backend ends at once, no
#                                                     # checkpoint (as a crash); the next start runs crash recovery
#        tests/postgres/ctl-throwaway.sh DIR start    # starts it again on the same port and data dir, waits until it
#                                                     # accepts connections (at most 60 s)
# As root (CI), pg_ctl runs as the postgres user, as in start-throwaway.sh.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
BASE="${1:-}"
ACTION="${2:-}"
if [[ -z "$BASE" || ! -d "$BASE/data" || ! -f "$BASE/options" ]]; then
    echo "ctl-throwaway: pass the directory start-throwaway.sh printed (PGTHROWAWAY_DIR)" >&2
    exit 2
fi

as_pg() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$ACTION" in
    kill)
        as_pg "$PG_BIN/pg_ctl" -D "$BASE/data" -m immediate -w stop >&2
        ;;
    start)
        as_pg "$PG_BIN/pg_ctl" -D "$BASE/data" -l "$BASE/server.log" -w -t 60 -o "$(cat "$BASE/options")" start >&2 \
            || { tail -n 40 "$BASE/server.log" >&2; exit 1; }
        ;;
    *)
        echo "usage: ctl-throwaway.sh DIR kill|start" >&2
        exit 2
        ;;
esac
