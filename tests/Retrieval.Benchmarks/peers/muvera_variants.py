"""MUVERA FDE variants on the WordNet x fastText multi-vectors, in numpy: the investigation behind the
"Why recall stops near 0.56" paragraph of docs/benchmarks.md (MUVERA section).

Recall@10 of FDE top-K' + exact Chamfer rerank against the exact Chamfer top-10, on the first 10,000 items and 200
sampled queries (seed 777), for the construction of DESIGN section 6 and variants: identity projection (no projection
noise), SimHash on centered tokens (hyperplanes through the token mean), orthogonal instead of +-1 projections, and
larger (R, k_sim, d_proj). Also prints how tied the exact top-10 is.

usage: python3 muvera_variants.py "20,4,8" "20,4,8,center=mu" "20,4,96,proj='identity'" ...
"""
import os
import sys
import time

import numpy as np

D = '/work/shared/data/wordnet-fasttext/'
T = np.load(D + 'M_old.wordvecs.npy')
ids = np.load(D + 'items.token_ids.npy'); off = np.load(D + 'items.token_offsets.npy')
qids = np.load(D + 'queries.token_ids.npy'); qoff = np.load(D + 'queries.token_offsets.npy')
N = 10000
rng = np.random.default_rng(777)
items = [T[ids[off[i]:off[i + 1]]] for i in range(N) if off[i + 1] > off[i]]
qsel = rng.choice(len(qoff) - 1, 200, replace=False)
queries = [T[qids[qoff[j]:qoff[j + 1]]] for j in qsel]
d = T.shape[1]
allt = np.concatenate(items); lens = np.array([len(x) for x in items]); starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
owner = np.repeat(np.arange(len(items)), lens)
cache = '/tmp/muvera_exact10k.npy'
if os.path.exists(cache):
    chs = np.load(cache)
else:
    chs = np.stack([np.maximum.reduceat(q @ allt.T, starts, axis=1).sum(0) for q in queries]); np.save(cache, chs)
exact = [set(np.argsort(-c)[:10]) for c in chs]
mu = allt.mean(0)
popc = np.array([bin(i).count('1') for i in range(1 << 12)])


def encode_all(tokens, owner_, nitems, R, k, dp, doc, seed=1, center=None, proj='sign'):
    r = np.random.default_rng(seed); B = 2 ** k
    F = np.zeros((nitems, R, B, dp), np.float32)
    counts = np.bincount(owner_, minlength=nitems); st = np.concatenate([[0], np.cumsum(counts)[:-1]])
    local = np.arange(len(owner_)) - np.repeat(st, counts)
    for _ in range(R):
        G = r.standard_normal((d, k)).astype(np.float32)
        if proj == 'identity':
            P = tokens
        elif proj == 'sign':
            P = tokens @ ((r.integers(0, 2, (dp, d)) * 2 - 1).astype(np.float32) / np.sqrt(dp)).T
        else:  # 'orth': dp orthonormal directions scaled to keep inner products unbiased
            Q, _ = np.linalg.qr(r.standard_normal((d, d))); P = tokens @ (Q[:, :dp].astype(np.float32) * np.sqrt(d / dp))
        X = tokens - center if center is not None else tokens
        b = ((X @ G > 0).astype(int) * (2 ** np.arange(k))).sum(1)
        cnt = np.zeros((nitems, B)); np.add.at(cnt, (owner_, b), 1)
        blk = np.zeros((nitems, B, P.shape[1]), np.float32); np.add.at(blk, (owner_, b), P)
        if doc:
            nz = cnt > 0; blk[nz] /= cnt[nz][:, None]
            key = popc[b[:, None] ^ np.arange(B)[None, :]] * 100000 + local[:, None]  # Hamming, then lowest token
            best = np.minimum.reduceat(key, st, axis=0)
            fill = P[st[:, None] + best % 100000]
            blk[~nz] = fill[~nz]
        F[:, _] = blk
    return F.reshape(nitems, -1)


def run(R, k, dp, **kw):
    t = time.time()
    Fd = encode_all(allt, owner, len(items), R, k, dp, True, **kw)
    qall = np.concatenate(queries); qown = np.repeat(np.arange(len(queries)), [len(q) for q in queries])
    Fq = encode_all(qall, qown, len(queries), R, k, dp, False, **kw)
    S = Fq @ Fd.T
    Ks = (10, 50, 100, 200, 1000); hits = {K: 0 for K in Ks}
    for qi in range(len(queries)):
        order = np.argsort(-S[qi])[:1000]
        for K in Ks:
            cand = order[:K]; top = cand[np.argsort(-chs[qi][cand])[:10]]
            hits[K] += len(set(top) & exact[qi])
    label = {a: ('mu' if hasattr(b, 'shape') else b) for a, b in kw.items()}
    print((R, k, dp), label, Fd.shape[1], {K: round(hits[K] / (10 * len(queries)), 3) for K in Ks}, f'{time.time() - t:.0f}s', flush=True)


if __name__ == '__main__':
    gaps = [np.sort(c)[::-1] for c in chs]
    print('mean token norm', float(np.linalg.norm(mu)),
          '| items within 0.05 of the 10th Chamfer score: median', float(np.median([(s >= s[9] - 0.05).sum() for s in gaps])),
          '| s10 - s100 median', float(np.median([s[9] - s[99] for s in gaps])))
    for spec in sys.argv[1:]:
        exec('run(' + spec + ')')
