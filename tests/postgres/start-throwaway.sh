#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 for the store tests: a fresh cluster in a temp dir, listening only on
# 127.0.0.1 on a free port, trust auth (never use this setup outside tests).
#
# Usage:  eval "$(tests/postgres/start-throwaway.sh)"      # exports RETRIEVAL_TEST_POSTGRES and PGTHROWAWAY_DIR
#         tests/postgres/ctl-throwaway.sh DIR kill|start       # outage tests: stop it abruptly, start it again (same port)
#         tests/postgres/stop-throwaway.sh                   # stops it and removes the temp dir
#
# stdout carries only `export` lines so that it can be eval'ed; progress goes to stderr.
# Env: PG_BIN (default /usr/lib/postgresql/15/bin).
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
if [[ ! -x "$PG_BIN/initdb" || ! -x "$PG_BIN/pg_ctl" ]]; then
    echo "start-throwaway: no PostgreSQL binaries in $PG_BIN (apt-get install postgresql-15)" >&2
    exit 1
fi

# initdb refuses to run as root, so as root everything runs as the postgres user.
as_pg() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# A free port: ask the kernel for one (bind to port 0), then release it for the server.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null && return
    # Fallback without python: probe a random range with bash's /dev/tcp.
    local port
    for _ in $(seq 1 200); do
        port=$(( 20000 + RANDOM % 40000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    echo "start-throwaway: no free port found" >&2
    return 1
}

BASE="$(mktemp -d -t retrieval-pg.XXXXXX)"
chmod 755 "$BASE"
DATA="$BASE/data"
SOCK="$BASE/sock"
mkdir -p "$DATA" "$SOCK"
if [[ "$(id -u)" == 0 ]]; then
    chown -R postgres:postgres "$BASE"
fi

PORT="$(free_port)"

as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$BASE/initdb.log" 2>&1 \
    || { cat "$BASE/initdb.log" >&2; exit 1; }

# Socket in our own dir so that a system cluster's /var/run/postgresql is not needed (or touched). The options are kept
# beside the cluster so that ctl-throwaway.sh starts it again exactly so (same port) after an abrupt stop.
OPTIONS="-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$SOCK -c max_connections=200"
echo "$OPTIONS" >"$BASE/options"
as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$BASE/server.log" -w -t 60 -o "$OPTIONS" \
    start >&2 || { cat "$BASE/server.log" >&2; exit 1; }

echo "$PORT" >"$BASE/port"
CONN="Host=127.0.0.1;Port=$PORT;Username=postgres;Database=postgres"
echo "start-throwaway: PostgreSQL ready on 127.0.0.1:$PORT (dir $BASE)" >&2
echo "export PGTHROWAWAY_DIR='$BASE'"
echo "export RETRIEVAL_TEST_POSTGRES='$CONN'"
