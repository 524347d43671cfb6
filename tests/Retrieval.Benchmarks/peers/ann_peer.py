"""Raw Faiss peer of the `ann` benchmark suite: the same files (base, queries, truth, training sample), the same
factory string and the same efSearch / nprobe values through Debian's python3-faiss, one query at a time on one
thread (the serving shape measured on our side). Prints one JSON object per line."""
import json
import sys
import time

import faiss
import numpy as np


def recall(ids, truth, k):
    return float(np.mean([len(set(ids[q, :k]) & set(truth[q, :k])) / k for q in range(len(truth))]))


def main():
    directory, dim, k, factory, metric = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    values = [int(v) for v in sys.argv[6].split(",")]
    ef_construction = int(sys.argv[7]) if len(sys.argv) > 7 else 40
    xb = np.fromfile(f"{directory}/base.f32", dtype=np.float32).reshape(-1, dim)
    xq = np.fromfile(f"{directory}/queries.f32", dtype=np.float32).reshape(-1, dim)
    xt = np.fromfile(f"{directory}/train.f32", dtype=np.float32).reshape(-1, dim)
    truth = np.fromfile(f"{directory}/truth.i64", dtype=np.int64).reshape(len(xq), -1)

    index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT if metric == "ip" else faiss.METRIC_L2)
    ivf = None
    if factory.endswith(",RFlat"):
        # Exact re-ranking of k_factor × k candidates: what our engine does for quantized indexes.
        refine = faiss.downcast_index(index)
        refine.k_factor = float(sys.argv[8]) if len(sys.argv) > 8 else 4.0
        ivf = faiss.extract_index_ivf(refine.base_index)
        faiss.downcast_index(ivf).do_polysemous_training = False
    elif factory.startswith("IVF"):
        ivf = faiss.extract_index_ivf(index)
        if "PQ" in factory:
            # Same as our shim: polysemous training only serves Hamming-threshold search.
            faiss.downcast_index(ivf).do_polysemous_training = False
    else:
        index.hnsw.efConstruction = ef_construction
    start = time.perf_counter()
    index.train(xt)
    index.add(xb)
    print(json.dumps({"build_s": time.perf_counter() - start}), flush=True)

    faiss.omp_set_num_threads(1)
    for value in values:
        if ivf is not None:
            ivf.nprobe = value
        else:
            index.hnsw.efSearch = value
        best = float("inf")
        ids = None
        for _ in range(2):
            out = np.empty((len(xq), k), dtype=np.int64)
            started = time.perf_counter()
            for q in range(len(xq)):
                out[q] = index.search(xq[q:q + 1], k)[1][0]
            best = min(best, time.perf_counter() - started)
            ids = out
        print(json.dumps({"param": value, "recall": recall(ids, truth, k), "qps": len(xq) / best}), flush=True)


if __name__ == "__main__":
    main()
