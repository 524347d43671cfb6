#!/usr/bin/python3
"""Independent numpy reference for the compatibility-map benchmark (issue 4, section 6).

Fits every linear map kind new -> old on exactly the anchor rows the .NET benchmark fitted on, and scores the same
query sample against the whole old gallery by inner product, with the same rank rule (rank = number of gallery
items scoring strictly higher than the relevant one).

  orthogonal : W = U V^T from svd(X_n^T X_o); mapped q W
  centred    : same on mean-centred anchors; mapped (q - mu_n) W + mu_o
  ridge      : centred ridge W = (Xc^T Xc + a I)^-1 Xc^T Yc with a = alpha * trace(Xc^T Xc) / d_n (the .NET Affine form);
               mapped (q - mu_n) W + mu_o
  lambda_orthogonal :
               on centred anchors, minimise f(W) = |Xc W - Yc|^2 / |Yc|^2 + lambda * |E|^2 / k, k = min(d_n, d_o),
               E = W^T W - I when d_n >= d_o, else W W^T - I (the objective documented in MapFitOptions.Lambda and
               docs/decisions.md). Method: truncated Newton (Newton-CG with Steihaug's negative-curvature exit, exact
               Hessian-vector products, Armijo backtracking) in the original coordinates, from the Procrustes start,
               to |grad f| <= 1e-10 — not the .NET solver's eigenbasis-preconditioned L-BFGS. mapped (q - mu_n) W + mu_o
  orthogonal_extend (d_n >= d_o) :
               Q in O(d_n) whose first d_o output columns agree best with the old space: the first d_o columns are the
               polar factor A (A^T A)^-1/2 of A = X_n^T X_o (uncentred), formed from a symmetric eigendecomposition
               (no SVD); the other d_n - d_o columns are an orthonormal basis of the complement, the eigenvectors of
               I - Q1 Q1^T with eigenvalue 1. Scored on the first d_o coordinates of q Q.

usage: maps_reference.py <job.json>   (prints one JSON object to stdout)
job: {"new_items", "old_items", "new_queries", "relevant" (.npy paths), "query_rows" (int list), "alpha", "lambda",
      "kinds" (names above to fit; default the first three), "fits": {"<label>": [anchor item rows fitted on]},
      "ours": {"<label>": {"<kind>": "<.npy of the .NET weight matrix, d_in x d_out float32>"}} (optional)}
Output per label and kind: [R@1, R@10], and for lambda_orthogonal / orthogonal_extend a "<kind>_check" object comparing
the reference solution with the .NET one (objective values, relative distance, orthogonality, new-new preservation).
All matrix work in float64 (the .NET fits are float64 too, stored as float32).
"""
import json
import sys

import numpy as np

# |grad f| at which the lambda-orthogonal reference stops; f is scale-free (a relative residual plus a per-dimension
# penalty), so an absolute tolerance means the same on every pair.
GRADIENT_TOLERANCE = 1e-8


def recall(mapped, gallery, relevant):
    scores = mapped.astype(np.float32) @ gallery.T
    target = scores[np.arange(len(relevant)), relevant]
    ranks = (scores > target[:, None]).sum(axis=1)
    return float((ranks < 1).mean()), float((ranks < 10).mean())


def procrustes(x, y):
    u, _, vt = np.linalg.svd(x.T @ y, full_matrices=False)
    return u @ vt


class LambdaObjective:
    """f(W) = |Xc W - Yc|^2 / |Yc|^2 + c |E|^2, c = lambda / k, with gradient and exact Hessian-vector product.

    Works on V = U^T W with Xc^T Xc = U diag(s) U^T (U orthogonal, so W^T W = V^T V and W W^T = U V V^T U^T keep their
    norms): the data term's Hessian is then diagonal, which makes each Hessian-vector product three matrix products.
    """

    def __init__(self, xc, yc, lam):
        gram = xc.T @ xc
        self.s, self.u = np.linalg.eigh(gram)
        self.s = np.maximum(self.s, 0.0)
        self.cross = self.u.T @ (xc.T @ yc)
        self.yy = float((yc * yc).sum())
        dn, do = xc.shape[1], yc.shape[1]
        self.columns = dn >= do
        self.c = lam / min(dn, do)
        self.eye = np.eye(do if self.columns else dn)
        # Diagonal of the data Hessian plus 4c (the penalty's mean curvature near an orthogonal W): the CG preconditioner.
        self.precondition = 1.0 / (2 * self.s[:, None] / self.yy + 4 * self.c + 1e-14)

    def to_v(self, w):
        return self.u.T @ w

    def to_w(self, v):
        return self.u @ v

    def error(self, v):
        return (v.T @ v if self.columns else v @ v.T) - self.eye

    def value_grad(self, v):
        sv = self.s[:, None] * v
        data = (float((v * sv).sum()) - 2 * float((v * self.cross).sum()) + self.yy) / self.yy
        e = self.error(v)
        value = data + self.c * float((e * e).sum())
        grad = 2 * (sv - self.cross) / self.yy + 4 * self.c * (v @ e if self.columns else e @ v)
        return value, grad, e

    def hess(self, v, e, d):
        out = 2 * self.s[:, None] * d / self.yy
        if self.c > 0:
            if self.columns:
                dv = d.T @ v
                out += 4 * self.c * (d @ e + v @ (dv + dv.T))
            else:
                dv = d @ v.T
                out += 4 * self.c * ((dv + dv.T) @ v + e @ d)
        return out


def newton_cg(obj, v, tol, max_newton=1000, max_cg=5000):
    """Truncated Newton: preconditioned CG on H p = -g to a forcing tolerance, Steihaug exit on negative curvature,
    Armijo backtracking on the step. From the Procrustes start with d_n > d_o the path crosses a non-convex region
    (cbow→skipgram at 20k anchors needs ~150 steps), hence the generous cap; the result reports the steps taken."""
    f, g, e = obj.value_grad(v)
    newton = cg_total = 0
    while np.linalg.norm(g) > tol and newton < max_newton:
        newton += 1
        gnorm = np.linalg.norm(g)
        # Superlinear forcing sequence, floored at tol/2: the residual of H p = -g is the next gradient to first order,
        # so solving tighter than the stopping tolerance buys nothing.
        forcing = max(min(0.5, np.sqrt(gnorm)) * gnorm, 0.5 * tol)
        p = np.zeros_like(v)
        r = g.copy()
        z = obj.precondition * r
        d = -z
        rz = float((r * z).sum())
        for j in range(max_cg):
            cg_total += 1
            hd = obj.hess(v, e, d)
            curvature = float((d * hd).sum())
            if curvature <= 0:
                if j == 0:
                    p = d
                break
            a = rz / curvature
            p = p + a * d
            r = r + a * hd
            if np.linalg.norm(r) <= forcing:
                break
            z = obj.precondition * r
            rz_new = float((r * z).sum())
            d = -z + (rz_new / rz) * d
            rz = rz_new
        slope = float((g * p).sum())
        if slope >= 0:
            p, slope = -g, -float((g * g).sum())
        step = 1.0
        while True:
            v_try = v + step * p
            f_try, g_try, e_try = obj.value_grad(v_try)
            if f_try <= f + 1e-4 * step * slope or step < 1e-12:
                break
            step *= 0.5
        v, f, g, e = v_try, f_try, g_try, e_try
        print(f"  newton {newton}: f {f:.12f} |g| {np.linalg.norm(g):.3e} cg {cg_total} step {step}", file=sys.stderr)
    return v, f, float(np.linalg.norm(g)), newton, cg_total


def orthogonal_extend(xn, xo):
    """Returns (Q, V_r): Q in O(d_n) with first d_o columns the polar factor of A = X_n^T X_o, and V_r the old-space
    directions on which that factor is determined (eigenvalues of A^T A above 1e-12 of the largest)."""
    dn, do = xn.shape[1], xo.shape[1]
    a = xn.T @ xo
    evals, evecs = np.linalg.eigh(a.T @ a)
    keep = evals > 1e-12 * evals.max()
    v_r, v_0 = evecs[:, keep], evecs[:, ~keep]
    u_r = (a @ v_r) / np.sqrt(evals[keep])
    # Orthonormal complement of range(U_r) in R^{d_n}: eigenvectors of I - U_r U_r^T with eigenvalue 1.
    cvals, cvecs = np.linalg.eigh(np.eye(dn) - u_r @ u_r.T)
    complement = cvecs[:, np.argsort(cvals)[::-1][: dn - u_r.shape[1]]]
    nulls = v_0.shape[1]
    q1 = u_r @ v_r.T + complement[:, :nulls] @ v_0.T
    return np.hstack([q1, complement[:, nulls:]]), v_r


def main():
    job = json.load(open(sys.argv[1]))
    new_items = np.load(job["new_items"]).astype(np.float64)
    old_items = np.load(job["old_items"])
    query_rows = np.asarray(job["query_rows"], dtype=np.int64)
    new_queries = np.load(job["new_queries"])[query_rows].astype(np.float64)
    relevant = np.load(job["relevant"]).astype(np.int64)[query_rows]
    alpha = float(job["alpha"])
    lam = float(job.get("lambda", 1.0))
    kinds = set(job.get("kinds", ["orthogonal", "centred", "ridge"]))
    ours_all = job.get("ours", {})
    gallery = old_items.astype(np.float32)
    old64 = old_items.astype(np.float64)
    out = {}
    for label, fit_rows in job["fits"].items():
        rows = np.asarray(fit_rows, dtype=np.int64)
        xn, xo = new_items[rows], old64[rows]
        dn, do = xn.shape[1], xo.shape[1]
        ours = ours_all.get(label, {})
        res = {}
        if "orthogonal" in kinds:
            w = procrustes(xn, xo)
            res["orthogonal"] = recall(new_queries @ w, gallery, relevant)
        mn, mo = xn.mean(axis=0), xo.mean(axis=0)
        xc, yc = xn - mn, xo - mo
        if "centred" in kinds:
            w = procrustes(xc, yc)
            res["centred"] = recall((new_queries - mn) @ w + mo, gallery, relevant)
        if "ridge" in kinds:
            g = xc.T @ xc
            a = alpha * np.trace(g) / g.shape[0]
            w = np.linalg.solve(g + a * np.eye(g.shape[0]), xc.T @ yc)
            res["ridge"] = recall((new_queries - mn) @ w + mo, gallery, relevant)
        if "lambda_orthogonal" in kinds:
            obj = LambdaObjective(xc, yc, lam)
            start = obj.to_v(procrustes(xc, yc))
            f_start = obj.value_grad(start)[0]
            v, f, gnorm, newton, cg = newton_cg(obj, start, GRADIENT_TOLERANCE)
            w = obj.to_w(v)
            res["lambda_orthogonal"] = recall((new_queries - mn) @ w + mo, gallery, relevant)
            check = {"lambda": lam, "f_procrustes_start": f_start, "f_reference": f, "grad_norm": gnorm,
                     "newton_steps": newton, "cg_steps": cg,
                     "orthogonality_error": float(np.linalg.norm(obj.error(v)))}
            if "lambda_orthogonal" in ours:
                v_ours = obj.to_v(np.load(ours["lambda_orthogonal"]).astype(np.float64))
                f_ours, g_ours, _ = obj.value_grad(v_ours)
                check.update({"f_ours": f_ours, "f_ours_minus_reference": f_ours - f,
                              "grad_norm_ours": float(np.linalg.norm(g_ours)),
                              "relative_distance": float(np.linalg.norm(v_ours - v) / np.linalg.norm(v))})
            res["lambda_orthogonal_check"] = check
        if "orthogonal_extend" in kinds and dn >= do:
            q, defined = orthogonal_extend(xn, xo)
            mapped = new_queries @ q
            res["orthogonal_extend"] = recall(mapped[:, :do], gallery, relevant)
            sample = new_queries[:200]
            check = {"orthogonality_error": float(np.linalg.norm(q.T @ q - np.eye(dn))),
                     "new_new_max_error": float(np.abs((sample @ q) @ (sample @ q).T - sample @ sample.T).max()),
                     "defined_rank": int(defined.shape[1])}
            if "orthogonal_extend" in ours:
                q_ours = np.load(ours["orthogonal_extend"]).astype(np.float64)
                # The fit defines Q's first d_o columns only on the span of the old anchors (defined directions);
                # the rest (old-space null directions, and the d_n - d_o extra columns) is any orthonormal completion.
                check["prefix_max_abs_difference"] = float(np.abs((q_ours[:, :do] - q[:, :do]) @ defined).max())
                check["ours_orthogonality_error"] = float(np.linalg.norm(q_ours.T @ q_ours - np.eye(dn)))
            res["orthogonal_extend_check"] = check
        out[label] = res
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
