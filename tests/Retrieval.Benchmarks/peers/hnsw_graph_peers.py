"""Graph-quality peers for HNSW: recall@10 against efSearch of hnswlib (Debian python3-hnswlib) and Faiss IndexHNSWFlat
(Debian python3-faiss) built with the same M and efConstruction as our index, on wordnet-fasttext M_old (60k x 96,
unit vectors, inner product) and its first 1000 queries, the data of `engine hnsw --data fasttext`. Recall is the
measure here; QPS is printed beside it (one thread, one query call for the whole batch).

usage: /usr/bin/python3 hnsw_graph_peers.py [M] [efConstruction] [data root]"""
import sys
import time

import faiss
import hnswlib
import numpy as np

M = int(sys.argv[1]) if len(sys.argv) > 1 else 16
EF_CONSTRUCTION = int(sys.argv[2]) if len(sys.argv) > 2 else 64
ROOT = sys.argv[3] if len(sys.argv) > 3 else "../shared/data"
EFS = [16, 32, 64, 96, 128, 192, 256, 384, 512, 768, 1024]
K = 10


def main():
    items = np.load(f"{ROOT}/wordnet-fasttext/M_old.items.npy")
    queries = np.load(f"{ROOT}/wordnet-fasttext/M_old.queries.npy")[:1000]
    truth = np.argsort(-(queries @ items.T), axis=1)[:, :K]

    def recall(ids):
        return float(np.mean([len(set(ids[q]) & set(truth[q])) / K for q in range(len(queries))]))

    graph = hnswlib.Index("ip", items.shape[1])
    graph.init_index(len(items), M=M, ef_construction=EF_CONSTRUCTION, random_seed=100)
    graph.set_num_threads(2)
    started = time.time()
    graph.add_items(items, np.arange(len(items)))
    print(f"hnswlib M={M} efConstruction={EF_CONSTRUCTION}: built in {time.time() - started:.1f} s", flush=True)
    graph.set_num_threads(1)
    for ef in EFS:
        graph.set_ef(ef)
        started = time.time()
        ids, _ = graph.knn_query(queries, K)
        print(f"hnswlib ef={ef} recall={recall(ids):.4f} qps={len(queries) / (time.time() - started):.0f}", flush=True)

    index = faiss.IndexHNSWFlat(items.shape[1], M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_CONSTRUCTION
    started = time.time()
    index.add(items)
    print(f"faiss HNSW M={M} efConstruction={EF_CONSTRUCTION}: built in {time.time() - started:.1f} s", flush=True)
    faiss.omp_set_num_threads(1)
    for ef in EFS:
        index.hnsw.efSearch = ef
        started = time.time()
        _, ids = index.search(queries, K)
        print(f"faiss ef={ef} recall={recall(ids):.4f} qps={len(queries) / (time.time() - started):.0f}", flush=True)


if __name__ == "__main__":
    main()
