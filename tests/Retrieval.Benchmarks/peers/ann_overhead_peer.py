"""Raw Faiss side of the `ann-overhead` suite: loads the very index file our binding searches (written by our
IndexBuilder through the shim), then times one query at a time on one OpenMP thread for each nprobe, reporting
process CPU time and wall time per query. Prints one JSON object per line."""
import json
import sys
import time

import faiss
import numpy as np


def main():
    index_path, queries_path, dim, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    values = [int(v) for v in sys.argv[5].split(",")]
    xq = np.fromfile(queries_path, dtype=np.float32).reshape(-1, dim)
    index = faiss.read_index(index_path)
    ivf = faiss.extract_index_ivf(index)
    faiss.omp_set_num_threads(1)
    for value in values:
        ivf.nprobe = value
        out = np.empty((len(xq), k), dtype=np.int64)
        cpu, wall = time.process_time(), time.perf_counter()
        for q in range(len(xq)):
            out[q] = index.search(xq[q:q + 1], k)[1][0]
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(json.dumps({"param": value, "cpu_us": cpu * 1e6 / len(xq), "wall_us": wall * 1e6 / len(xq),
                          "ids": out.reshape(-1).tolist()}), flush=True)


if __name__ == "__main__":
    main()
