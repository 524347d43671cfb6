#!/usr/bin/python3
"""Independent numpy reference for the compatibility-map benchmark (issue 4, section 6).

Fits three linear maps new -> old on exactly the anchor rows the .NET benchmark fitted on, and scores the same
query sample against the whole old gallery by inner product, with the same rank rule (rank = number of gallery
items scoring strictly higher than the relevant one).

  orthogonal : W = U V^T from svd(X_n^T X_o); mapped q W
  centred    : same on mean-centred anchors; mapped (q - mu_n) W + mu_o
  ridge      : centred ridge W = (Xc^T Xc + a I)^-1 Xc^T Yc with a = alpha * trace(Xc^T Xc) / d_n (the .NET Affine form);
               mapped (q - mu_n) W + mu_o

usage: maps_reference.py <job.json>   (prints one JSON object to stdout)
job: {"new_items", "old_items", "new_queries", "relevant" (.npy paths), "query_rows" (int list), "alpha",
      "fits": {"<label>": [anchor item rows the map was fitted on]}}
All matrix work in float64 (the .NET fits are float64 too, stored as float32).
"""
import json
import sys

import numpy as np


def recall(mapped, gallery, relevant):
    scores = mapped.astype(np.float32) @ gallery.T
    target = scores[np.arange(len(relevant)), relevant]
    ranks = (scores > target[:, None]).sum(axis=1)
    return float((ranks < 1).mean()), float((ranks < 10).mean())


def procrustes(x, y):
    u, _, vt = np.linalg.svd(x.T @ y, full_matrices=False)
    return u @ vt


def main():
    job = json.load(open(sys.argv[1]))
    new_items = np.load(job["new_items"]).astype(np.float64)
    old_items = np.load(job["old_items"])
    query_rows = np.asarray(job["query_rows"], dtype=np.int64)
    new_queries = np.load(job["new_queries"])[query_rows].astype(np.float64)
    relevant = np.load(job["relevant"]).astype(np.int64)[query_rows]
    alpha = float(job["alpha"])
    gallery = old_items.astype(np.float32)
    old64 = old_items.astype(np.float64)
    out = {}
    for label, fit_rows in job["fits"].items():
        rows = np.asarray(fit_rows, dtype=np.int64)
        xn, xo = new_items[rows], old64[rows]
        res = {}
        w = procrustes(xn, xo)
        res["orthogonal"] = recall(new_queries @ w, gallery, relevant)
        mn, mo = xn.mean(axis=0), xo.mean(axis=0)
        xc, yc = xn - mn, xo - mo
        w = procrustes(xc, yc)
        res["centred"] = recall((new_queries - mn) @ w + mo, gallery, relevant)
        g = xc.T @ xc
        a = alpha * np.trace(g) / g.shape[0]
        w = np.linalg.solve(g + a * np.eye(g.shape[0]), xc.T @ yc)
        res["ridge"] = recall((new_queries - mn) @ w + mo, gallery, relevant)
        out[label] = res
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
