#!/usr/bin/python3
"""Faiss IndexFlatIP peer for the `exact` suite: same .npy data, same k, same thread count.

Run by Retrieval.Benchmarks (ExactSuite); prints one JSON object to stdout:
single-query QPS per trial, batch QPS per trial, and the batch top-k ids for the agreement check.
Uses Debian's python3-faiss (generic x86-64 build, OpenBLAS sgemm for batches of >= 20 queries).
"""
import argparse
import json
import os
import time

import faiss
import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--batch-trials", type=int, default=3)
    p.add_argument("--min-time", type=float, default=1.0)
    a = p.parse_args()

    faiss.omp_set_num_threads(a.threads)
    xb = np.load(a.data, mmap_mode="r")
    xq = np.ascontiguousarray(np.load(a.queries))
    index = faiss.IndexFlatIP(xb.shape[1])
    index.add(np.ascontiguousarray(xb))
    del xb

    # Single query: one search call per query, as a server would issue them.
    index.search(xq[:2], a.k)
    single = []
    qi = 0
    for _ in range(a.trials):
        n = 0
        t0 = time.perf_counter()
        while True:
            index.search(xq[qi % len(xq)][None, :], a.k)
            qi += 1
            n += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= a.min_time and n >= 3:
                break
        single.append(n / elapsed)

    # Batch: the whole query set in one call (Faiss uses sgemm in blocks of 4096 queries x 1024 rows).
    index.search(xq[:32], a.k)
    batch = []
    ids = None
    for _ in range(a.batch_trials):
        t0 = time.perf_counter()
        _, ids = index.search(xq, a.k)
        batch.append(len(xq) / (time.perf_counter() - t0))

    print(json.dumps({
        "faiss_version": faiss.__version__,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "single_qps": single,
        "batch_qps": batch,
        "ids": ids.tolist(),
    }))


if __name__ == "__main__":
    main()
