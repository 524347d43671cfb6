"""Times Debian python3-faiss's IVF-PQ build phase by phase on the `ann` suite's synthetic shape (200k x 128,
1000 Gaussian clusters, IVF894,PQ64x8,RFlat, a training sample of 894 x 39 rows): why the peer's build can exceed the
suite's --peer-timeout on a busy machine (docs/benchmarks.md, "Session 4"). Run it with and without
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1, quiet and next to busy processes.

usage: /usr/bin/python3 ivfpq_build_phases.py [training rows] [factory]"""
import os
import sys
import time

import faiss
import numpy as np

n, d, nlist, m = 200000, 128, 894, 64
rng = np.random.default_rng(42)
centers = rng.normal(size=(1000, d)).astype(np.float32)
xb = (centers[rng.integers(0, 1000, n)] + 0.15 * rng.normal(size=(n, d))).astype(np.float32)
train_n = int(sys.argv[1]) if len(sys.argv) > 1 else nlist * 39
xt = xb[rng.choice(n, train_n, replace=False)]
factory = sys.argv[2] if len(sys.argv) > 2 else f"IVF{nlist},PQ{m}x8,RFlat"
print("omp threads", faiss.omp_get_max_threads(), "env", {k: v for k, v in os.environ.items() if "OMP" in k or "BLAS" in k}, flush=True)
index = faiss.index_factory(d, factory, faiss.METRIC_L2)
base = faiss.downcast_index(index).base_index if factory.endswith(",RFlat") else index
# As the suite's peer and our shim: no polysemous training.
faiss.downcast_index(faiss.extract_index_ivf(base)).do_polysemous_training = False
started = time.perf_counter()
index.train(xt)
trained = time.perf_counter()
print(f"train {trained - started:.1f} s on {train_n}", flush=True)
index.add(xb)
print(f"add {time.perf_counter() - trained:.1f} s", flush=True)
