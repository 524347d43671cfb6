#!/usr/bin/env bash
# Builds the in-process HNSW peers of the `peers` benchmark for this CPU (issue 16):
#   hnsw_native_hnswlib  hnswlib (Debian's libhnswlib-dev headers) with -march=native
#   hnsw_native_faiss    the same driver linked against a Faiss CPU library built with AVX2 from source (only if
#                        FAISS_SRC is given; built there if its library is missing)
#
# Usage: tests/Retrieval.Benchmarks/peers/build-native.sh [OUT_DIR]    (default ~/.cache/retrieval-bench/peers)
#   FAISS_SRC=/work/peers-src/faiss tests/Retrieval.Benchmarks/peers/build-native.sh
# Faiss source: git clone https://github.com/facebookresearch/faiss && git -C faiss checkout v1.15.0 (the version
# measured in docs/benchmarks.md). Its CPU library alone is configured as below; on 2 shared cores it takes about
# half an hour (run it in the background, nice'd).
# Then: OUT_DIR/hnsw_native_hnswlib hnswlib <data folder from `peers export`> [--ef ...] (the `peers` command runs them).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HOME/.cache/retrieval-bench/peers}"
mkdir -p "$OUT"
CXX="${CXX:-g++}"
FLAGS=(-std=c++17 -O3 -march=native -DNDEBUG -Wall -Wextra)

if [[ ! -f /usr/include/hnswlib/hnswlib.h ]]; then
    echo "build-native: installing libhnswlib-dev" >&2
    apt-get install -y -q libhnswlib-dev >&2
fi

flock -s /work/quiet.lock nice -n 10 "$CXX" "${FLAGS[@]}" "$HERE/hnsw_native.cpp" -o "$OUT/hnsw_native_hnswlib" -pthread
echo "build-native: $OUT/hnsw_native_hnswlib (hnswlib $(dpkg-query -W -f='${Version}' libhnswlib-dev), -march=native)" >&2

if [[ -n "${FAISS_SRC:-}" ]]; then
    FAISS_SRC="$(cd "$FAISS_SRC" && pwd)"
    LIB="$FAISS_SRC/build/faiss/libfaiss_avx2.a"
    if [[ ! -f "$LIB" ]]; then
        if [[ ! -f "$FAISS_SRC/build/build.ninja" ]]; then
            # CPU only: no GPU, Python, MKL, tests or demos; BLAS from OpenBLAS (Debian's libopenblas-dev).
            nice -n 19 cmake -S "$FAISS_SRC" -B "$FAISS_SRC/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFAISS_OPT_LEVEL=avx2 \
                -DFAISS_ENABLE_GPU=OFF -DFAISS_ENABLE_PYTHON=OFF -DFAISS_ENABLE_MKL=OFF -DFAISS_ENABLE_EXTRAS=OFF \
                -DBUILD_TESTING=OFF -DBUILD_SHARED_LIBS=OFF -DBLA_VENDOR=OpenBLAS >&2
        fi
        flock -s /work/quiet.lock nice -n 19 ninja -C "$FAISS_SRC/build" -j2 faiss_avx2 >&2
    fi
    # -I the source tree first: Debian's older Faiss headers in /usr/include must not be picked up.
    flock -s /work/quiet.lock nice -n 10 "$CXX" "${FLAGS[@]}" -DWITH_FAISS -I"$FAISS_SRC" "$HERE/hnsw_native.cpp" \
        -o "$OUT/hnsw_native_faiss" "$LIB" -fopenmp -lopenblas -pthread
    echo "build-native: $OUT/hnsw_native_faiss (Faiss $(git -C "$FAISS_SRC" describe --tags 2>/dev/null || echo '?'), AVX2 library)" >&2
fi
echo "$OUT"
