"""Build the slot-fill table (:class:`despin.lm.fills.SlotFiller`) from the LM's training text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from despin.lm.fills import SlotFiller

# The table covers the commonest words: a spinner swaps common words, and a slot fill among rare
# ones says little. 30k words with bigrams seen twice or more keep the table near 10 MB on disk.
FILL_WORDS = 30_000
MIN_BIGRAM = 2


def build_filler(
    sentences: Iterable[Sequence[str]],
    vocab: Mapping[str, int],
    *,
    n_words: int = FILL_WORDS,
    min_count: int = MIN_BIGRAM,
) -> SlotFiller:
    """Count the bigrams of ``sentences`` between the ``n_words`` most frequent words of ``vocab``.

    Example:
        >>> f = build_filler([["ibu", "pergi", "ke", "pasar"], ["ayah", "pergi", "ke", "kantor"]] * 2,
        ...                  {"ibu": 2, "ayah": 2, "pergi": 4, "ke": 4, "pasar": 2, "kantor": 2})
        >>> sorted(w for w, _ in f.fill("pergi", None))
        ['ke']
        >>> sorted(w for w, _ in f.fill("ke", None))
        ['kantor', 'pasar']
    """
    ranked = sorted((w for w in vocab if w.replace("-", "").isalpha()), key=lambda w: (-vocab[w], w))[:n_words]
    words = tuple(sorted(ranked))
    index = {w: i for i, w in enumerate(words)}
    n = len(words)
    keys: list[np.ndarray] = []
    for sent in sentences:
        ids = np.fromiter((index.get(w, -1) for w in sent), dtype=np.int64, count=len(sent))
        if len(ids) < 2:
            continue
        a, b = ids[:-1], ids[1:]
        ok = (a >= 0) & (b >= 0)
        keys.append(a[ok] * n + b[ok])
    flat = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    pairs, counts = np.unique(flat, return_counts=True)
    keep = counts >= min_count
    pairs, counts = pairs[keep], counts[keep]
    unigram = np.array([vocab[w] for w in words], dtype=np.int64)
    return SlotFiller.from_arrays(words, unigram, (pairs // n).astype(np.int32), (pairs % n).astype(np.int32), counts)
