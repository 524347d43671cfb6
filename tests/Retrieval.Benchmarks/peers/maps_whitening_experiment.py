#!/usr/bin/python3
"""Experiment (issue 4, "one more capacity idea"): ZCA whitening before centred Procrustes, against canonical-Q.

Not a map kind: recorded in docs/decisions.md ("Whitening before Procrustes: measured, not adopted") and
docs/benchmarks.md. Maps (all on mean-centred anchors, mapped (q - mu_n) W + mu_o):
  cq        : W = procrustes(Xc, Yc)                                   (our canonical-Q)
  zca-both  : W = S_n^-1/2 procrustes(Xc S_n^-1/2, Yc S_o^-1/2) S_o^1/2  (S = covariance + eps * mean eigenvalue * I)
  zca-new   : W = S_n^-1/2 procrustes(Xc S_n^-1/2, Yc)
Anchors: the first N rows of a numpy default_rng(7) permutation of the items, 80 % fitted, 20 % held out; queries a
seeded sample (3000 MiniLM→Arctic, 2000 fastText). Held-out: identification R@1 of the mapped new vector among the
held-out old vectors and mean cosine; query: R@1/R@10 against the whole old gallery, inner product.
usage: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 maps_whitening_experiment.py [DATA_DIR]   (default /work/shared/data)
"""
import sys

import numpy as np

DATA = (sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "/work/shared/data") + "/"
PAIRS = {
    "MiniLM→Arctic": ("wordnet-minilm-arctic/", "arctic", "minilm", 3000),
    "cbow→skip": ("wordnet-fasttext/", "M_new", "M_old", 2000),
    "skip→cbow": ("wordnet-fasttext/", "M_old", "M_new", 2000),
}
VARIANTS = [("cq", 0), ("zca-both", 1e-3), ("zca-both", 1e-2), ("zca-both", 1e-1), ("zca-new", 1e-2)]


def recall(mapped, gallery, relevant):
    scores = mapped.astype(np.float32) @ gallery.T
    target = scores[np.arange(len(relevant)), relevant]
    ranks = (scores > target[:, None]).sum(axis=1)
    return (ranks < 1).mean(), (ranks < 10).mean()


def procrustes(x, y):
    u, _, vt = np.linalg.svd(x.T @ y, full_matrices=False)
    return u @ vt


def whitening(covariance, eps):
    values, vectors = np.linalg.eigh(covariance)
    values = np.maximum(values, 0) + eps * values.mean()
    return (vectors / np.sqrt(values)) @ vectors.T, (vectors * np.sqrt(values)) @ vectors.T


def fit(kind, xn, xo, eps):
    mn, mo = xn.mean(axis=0), xo.mean(axis=0)
    xc, yc = xn - mn, xo - mo
    if kind == "cq":
        w = procrustes(xc, yc)
    elif kind == "zca-both":
        wn, _ = whitening(xc.T @ xc / len(xc), eps)
        wo, wo_inverse = whitening(yc.T @ yc / len(yc), eps)
        w = wn @ procrustes(xc @ wn, yc @ wo) @ wo_inverse
    else:
        wn, _ = whitening(xc.T @ xc / len(xc), eps)
        w = wn @ procrustes(xc @ wn, yc)
    return lambda q: (q - mn) @ w + mo


def held_out(mapping, xn, xo):
    mapped = mapping(xn)
    r1 = ((mapped @ xo.T).argmax(axis=1) == np.arange(len(xn))).mean()
    cosine = ((mapped * xo).sum(axis=1) / np.linalg.norm(mapped, axis=1) / np.linalg.norm(xo, axis=1)).mean()
    return r1, cosine


def main():
    for name, (folder, new, old, query_count) in PAIRS.items():
        d = DATA + folder
        items_new = np.load(d + new + ".items.npy").astype(np.float64)
        items_old = np.load(d + old + ".items.npy").astype(np.float64)
        queries = np.load(d + new + ".queries.npy").astype(np.float64)
        relevant = np.load(d + "queries.relevant_item_row.npy").astype(np.int64)
        rng = np.random.default_rng(7)
        sample = rng.permutation(len(queries))[:query_count]
        queries, relevant = queries[sample], relevant[sample]
        order = rng.permutation(len(items_new))
        gallery = items_old.astype(np.float32)
        for n in [2000, 5000]:
            fit_rows, held_rows = order[: int(0.8 * n)], order[int(0.8 * n): n]
            for kind, eps in VARIANTS:
                mapping = fit(kind, items_new[fit_rows], items_old[fit_rows], eps)
                r1, cosine = held_out(mapping, items_new[held_rows], items_old[held_rows])
                q1, q10 = recall(mapping(queries), gallery, relevant)
                print(f"{name} {n} {kind} eps={eps}: held-out R@1 {r1:.4f} cos {cosine:.4f} | query R@1 {q1:.4f} R@10 {q10:.4f}", flush=True)


if __name__ == "__main__":
    main()
