"""Raw Faiss peer of FaissHnswBenchmark: the same data files, index and parameters through Debian's
python3-faiss, printing one JSON object per line (build, then one per measured point)."""
import json
import sys
import time

import faiss
import numpy as np


def best_of(repeats, fn):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def recall(ids, truth, k):
    return float(np.mean([len(set(ids[q, :k]) & set(truth[q, :k])) / k for q in range(len(truth))]))


def main():
    directory, dim, k, factory = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    efs = [int(e) for e in sys.argv[5].split(",")]
    xb = np.fromfile(f"{directory}/base.f32", dtype=np.float32).reshape(-1, dim)
    xq = np.fromfile(f"{directory}/queries.f32", dtype=np.float32).reshape(-1, dim)
    truth = np.fromfile(f"{directory}/truth.i64", dtype=np.int64).reshape(len(xq), -1)

    index = faiss.index_factory(dim, factory, faiss.METRIC_L2)
    start = time.perf_counter()
    index.add(xb)
    print(json.dumps({"build_s": time.perf_counter() - start, "threads": faiss.omp_get_max_threads()}), flush=True)

    for ef in efs:
        index.hnsw.efSearch = ef
        seconds, (_, ids) = best_of(3, lambda: index.search(xq, k))
        print(json.dumps({"mode": "batch", "ef": ef, "recall": recall(ids, truth, k), "qps": len(xq) / seconds}), flush=True)

    faiss.omp_set_num_threads(1)
    for ef in efs:
        index.hnsw.efSearch = ef

        def one_by_one():
            out = np.empty((len(xq), k), dtype=np.int64)
            for q in range(len(xq)):
                out[q] = index.search(xq[q:q + 1], k)[1][0]
            return out

        seconds, ids = best_of(2, one_by_one)
        print(json.dumps({"mode": "single-1thr", "ef": ef, "recall": recall(ids, truth, k), "qps": len(xq) / seconds}), flush=True)


if __name__ == "__main__":
    main()
