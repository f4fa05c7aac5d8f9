"""Fit the relatedness check of the LM-fill source: which slot fills a spinner could have written over.

Positives are the spinner zoo's pairs (original, replacement) between words the corpus knows, each
scored with its own link cut from the thesaurus: the evidence left for a spinner whose table we never
saw. Negatives pair the same replacements with words drawn by corpus frequency (the square root of
the count, as slot fills lean to common words). A logistic regression gives the weights of
:data:`despin.restorer.relatedness.FEATURES`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from despin.lexicon import SynonymLexicon
from despin.restorer.relatedness import FEATURES, Relatedness, SynonymLinks

MAX_PAIRS = 20_000
NEGATIVES_PER_PAIR = 3


def fit_relatedness(
    lexicon: SynonymLexicon,
    tables: Iterable[SynonymLexicon],
    vocab: Mapping[str, int],
    neighbours: Mapping[str, Sequence[str]],
    *,
    seed: int = 0,
    min_count: int = 5,
) -> dict[str, float]:
    """Relatedness weights from the zoo's ``tables`` (see the module docstring)."""
    from sklearn.linear_model import LogisticRegression

    rng = random.Random(seed)
    pairs = sorted(
        {
            (o, w)
            for t in tables
            for o, w, _ in t.pairs()
            if " " not in o and " " not in w and vocab.get(o, 0) >= min_count and vocab.get(w, 0) >= 1
        }
    )
    rng.shuffle(pairs)
    pairs = pairs[:MAX_PAIRS]
    synonyms = SynonymLinks(lexicon)
    rel = Relatedness(synonyms, neighbours, vocab)
    words = sorted(w for w, c in vocab.items() if c >= min_count and w.isalpha())
    weights = np.sqrt(np.array([vocab[w] for w in words], dtype=float))
    weights /= weights.sum()
    draws = np.random.default_rng(seed).choice(len(words), size=len(pairs) * NEGATIVES_PER_PAIR, p=weights)
    x: list[list[float]] = []
    y: list[int] = []
    for i, (original, observed) in enumerate(pairs):
        # The pair's own link is cut: what would we see if our thesaurus lacked it?
        a, b = synonyms.get(original, frozenset()), synonyms.get(observed, frozenset())
        x.append(rel.features_with(original, observed, a - {observed}, b - {original}))
        y.append(1)
        for k in draws[i * NEGATIVES_PER_PAIR : (i + 1) * NEGATIVES_PER_PAIR]:
            other = words[int(k)]
            if other != original and other != observed:
                x.append(rel.features(other, observed))
                y.append(0)
    clf = LogisticRegression(C=1.0, max_iter=2000, fit_intercept=False).fit(np.array(x), np.array(y))
    return {f: round(float(w), 4) for f, w in zip(FEATURES, clf.coef_[0], strict=True)}
