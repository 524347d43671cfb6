#!/usr/bin/env bash
# The pgvector server peer of the `peers` benchmark (issue 16): builds pgvector from a source checkout against
# PostgreSQL 15, installs it, starts a throwaway cluster (tests/postgres/start-throwaway.sh), loads an exported data set
# into a table and builds the HNSW index with the same M and efConstruction as Retrieval's HNSW spec.
#
# Usage (repository root; the data folder is written by `Retrieval.Benchmarks peers export`):
#   eval "$(tests/Retrieval.Benchmarks/peers/pgvector.sh /work/peers-src/pgvector /tmp/peers/fasttext)"
#   ...                                                  # exports PGVECTOR_PEER (a connection string) and PGTHROWAWAY_DIR
#   tests/postgres/stop-throwaway.sh                     # stops the cluster and removes its folder
#
# Source: git clone https://github.com/pgvector/pgvector && git -C pgvector checkout v0.8.6 (the version measured in
# docs/benchmarks.md). It is built with its own flags (-march=native) and installed into PostgreSQL 15's system
# extension folders (`make install`: PostgreSQL 15 loads extensions only from there).
#
# Environment: M (16), EF_CONSTRUCTION (64), SHARED_BUFFERS (1GB), MAINTENANCE_WORK_MEM (2GB),
#   BUILD_WORKERS (max_parallel_maintenance_workers, 1: the leader plus one = 2 cores), SKIP_BUILD=1 (reuse the install).
# stdout carries only `export` lines so that it can be eval'ed; progress goes to stderr.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 <pgvector source checkout> <data folder from 'peers export'>" >&2
    exit 2
fi

SRC="$(cd "$1" && pwd)"
DATA="$(cd "$2" && pwd)"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
M="${M:-16}"
EF_CONSTRUCTION="${EF_CONSTRUCTION:-64}"
SHARED_BUFFERS="${SHARED_BUFFERS:-1GB}"
MAINTENANCE_WORK_MEM="${MAINTENANCE_WORK_MEM:-2GB}"
BUILD_WORKERS="${BUILD_WORKERS:-1}"

log() { echo "pgvector-peer: $*" >&2; }

[[ -f "$SRC/vector.control" ]] || { log "$SRC is not a pgvector checkout (no vector.control)"; exit 1; }
for f in meta.txt base.f32; do
    [[ -f "$DATA/$f" ]] || { log "$DATA has no $f: write it with 'Retrieval.Benchmarks peers export'"; exit 1; }
done

# meta.txt: key=value lines (dimension, count, metric = ip|l2) written by the export.
meta() { sed -n "s/^$1=//p" "$DATA/meta.txt"; }
DIM="$(meta dimension)"
COUNT="$(meta count)"
METRIC="$(meta metric)"
case "$METRIC" in
    ip) OPS=vector_ip_ops ;;   # unit vectors: inner product ranks as cosine does, without the norms
    l2) OPS=vector_l2_ops ;;
    *) log "meta.txt: metric '$METRIC' is not ip or l2"; exit 1 ;;
esac

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    if [[ ! -x /usr/lib/postgresql/15/bin/pg_config ]] || ! dpkg -s postgresql-server-dev-15 >/dev/null 2>&1; then
        log "installing postgresql-server-dev-15"
        apt-get install -y -q postgresql-server-dev-15 >&2
    fi
    VERSION="$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$SRC/vector.control")"
    log "building pgvector $VERSION from $SRC (make OPTFLAGS=-march=native)"
    # Shared lock: a build must not run inside someone's exclusive timing window.
    flock -s /work/quiet.lock nice -n 10 make -C "$SRC" -j2 PG_CONFIG="$PG_BIN/pg_config" >&2
    make -C "$SRC" install PG_CONFIG="$PG_BIN/pg_config" >&2
fi

eval "$("$ROOT/tests/postgres/start-throwaway.sh")"
PORT="$(cat "$PGTHROWAWAY_DIR/port")"

as_pg() { if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"; }

# Memory for the table and index to stay in shared buffers, and for the build to keep the graph in memory; restart to
# apply shared_buffers (same options file, same port).
psql_ -c "ALTER SYSTEM SET shared_buffers = '$SHARED_BUFFERS'" \
      -c "ALTER SYSTEM SET maintenance_work_mem = '$MAINTENANCE_WORK_MEM'" \
      -c "ALTER SYSTEM SET max_parallel_maintenance_workers = $BUILD_WORKERS" \
      -c "ALTER SYSTEM SET jit = off" >&2
as_pg "$PG_BIN/pg_ctl" -D "$PGTHROWAWAY_DIR/data" -l "$PGTHROWAWAY_DIR/server.log" -w -t 60 \
    -o "$(cat "$PGTHROWAWAY_DIR/options")" restart >&2

psql_ -c "CREATE EXTENSION vector" -c "CREATE EXTENSION pg_prewarm" \
      -c "CREATE TABLE items (id integer NOT NULL, embedding vector($DIM) NOT NULL)" >&2
log "pgvector $(psql_ -At -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'") on $(psql_ -At -c 'SHOW server_version')"

# base.f32: COUNT × DIM little-endian float32, row r has id r. Streamed as COPY text ("r<TAB>[x,y,...]").
start=$(date +%s.%N)
python3 - "$DATA/base.f32" "$DIM" <<'EOF' | psql_ -c "COPY items (id, embedding) FROM STDIN"
import array, sys
path, dim = sys.argv[1], int(sys.argv[2])
out = sys.stdout
with open(path, "rb") as f:
    row = 0
    while True:
        chunk = f.read(4 * dim * 4096)
        if not chunk:
            break
        values = array.array("f")
        values.frombytes(chunk)
        if sys.byteorder != "little":
            values.byteswap()
        lines = []
        for r in range(len(values) // dim):
            lines.append("%d\t[%s]\n" % (row, ",".join(["%.9g" % v for v in values[r * dim:(r + 1) * dim]])))
            row += 1
        out.write("".join(lines))
EOF
loaded=$(date +%s.%N)
ROWS="$(psql_ -At -c 'SELECT count(*) FROM items')"
[[ "$ROWS" == "$COUNT" ]] || { log "loaded $ROWS rows, meta.txt says $COUNT"; exit 1; }
log "loaded $ROWS × $DIM in $(awk "BEGIN { printf \"%.1f\", $loaded - $start }") s"

psql_ -c "CREATE INDEX items_embedding_hnsw ON items USING hnsw (embedding $OPS) WITH (m = $M, ef_construction = $EF_CONSTRUCTION)" >&2
built=$(date +%s.%N)
log "HNSW index (m = $M, ef_construction = $EF_CONSTRUCTION, $OPS, $BUILD_WORKERS parallel workers + leader) built in $(awk "BEGIN { printf \"%.1f\", $built - $loaded }") s"
psql_ -c "VACUUM ANALYZE items" >&2
psql_ -At -c "SELECT pg_prewarm('items'), pg_prewarm('items_embedding_hnsw')" >/dev/null
log "table $(psql_ -At -c "SELECT pg_size_pretty(pg_relation_size('items'))"), index $(psql_ -At -c "SELECT pg_size_pretty(pg_relation_size('items_embedding_hnsw'))"), prewarmed"

echo "export PGTHROWAWAY_DIR='$PGTHROWAWAY_DIR'"
echo "export PGVECTOR_PEER='Host=127.0.0.1;Port=$PORT;Username=postgres;Database=postgres'"
echo "export PGVECTOR_OPS='$OPS'"
