"""Distributional neighbours: candidate originals for spinners whose table we have never seen.

Words that fill the same slots in clean text (PPMI co-occurrence over a +-2 window, reduced by a
truncated SVD, as in Levy & Goldberg 2015) are often the synonyms a spinner swaps between. Built
at model-build time; the bundle stores only the top-k neighbour lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np


def build_neighbours(
    sentences: Iterable[Sequence[str]],
    vocab: Mapping[str, int],
    *,
    n_words: int = 20000,
    n_contexts: int = 10000,
    dim: int = 160,
    k: int = 20,
    seed: int = 0,
) -> dict[str, tuple[str, ...]]:
    """Top-``k`` cosine neighbours of the ``n_words`` most frequent alphabetic words."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import svds

    ranked = [w for w, _ in sorted(vocab.items(), key=lambda kv: -kv[1]) if w.replace("-", "").isalpha()]
    words = ranked[:n_words]
    word_id = {w: i for i, w in enumerate(words)}
    ctx_id = {w: i for i, w in enumerate(ranked[:n_contexts])}
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for sent in sentences:
        wi = np.array([word_id.get(w, -1) for w in sent])
        ci = np.array([ctx_id.get(w, -1) for w in sent])
        for off in (1, 2):  # word i with the context word off places after it, and vice versa
            if len(sent) <= off:
                continue
            for a, b in ((wi[:-off], ci[off:]), (wi[off:], ci[:-off])):
                mask = (a >= 0) & (b >= 0)
                rows.append(a[mask])
                cols.append(b[mask])
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    m = coo_matrix((np.ones(len(r), dtype=np.float64), (r, c)), shape=(len(words), len(ctx_id))).tocsr()
    m.sum_duplicates()
    total = m.sum()
    row_sum = np.asarray(m.sum(axis=1)).ravel()
    col_sum = np.asarray(m.sum(axis=0)).ravel() ** 0.75  # context smoothing (Levy et al. 2015)
    col_sum = col_sum / col_sum.sum() * total
    coo = m.tocoo()
    pmi = np.log(coo.data * total / (row_sum[coo.row] * col_sum[coo.col]))
    keep = pmi > 0
    ppmi = coo_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=m.shape).tocsr()
    rng = np.random.default_rng(seed)
    u, s, _ = svds(ppmi, k=dim, v0=rng.standard_normal(min(ppmi.shape)))
    emb = u * np.sqrt(s)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True) + 1e-9
    out: dict[str, tuple[str, ...]] = {}
    for lo in range(0, len(words), 2000):
        sims = emb[lo : lo + 2000] @ emb.T
        for i in range(sims.shape[0]):
            sims[i, lo + i] = -1.0
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        for i in range(sims.shape[0]):
            order = top[i][np.argsort(-sims[i, top[i]])]
            out[words[lo + i]] = tuple(words[j] for j in order)
    return out
