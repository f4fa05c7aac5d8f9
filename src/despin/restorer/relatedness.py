"""How plausibly a spinner turned one word into another: the check on the language model's slot fills.

A spinner replaces a word by something its table links to it: a synonym, a near-synonym of another
sense, a word of the same stem, or a misspelling. :class:`Relatedness` scores a pair (original,
observed) from the evidence we have without the spinner's table: links in our thesaurus (direct or
through a shared synonym), distributional neighbours, a shared stem or affix pattern, spelling
similarity and the frequency ratio. The weights are fitted at build time on the pairs of the spinner
zoo against random slot fills (:mod:`despin.training.edit_model`); the defaults are the fitted
values rounded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rapidfuzz.distance import Levenshtein

if TYPE_CHECKING:
    from despin.restorer.sources.base import SourceResources

CACHE_SIZE = 200_000

FEATURES: tuple[str, ...] = (
    "bias",
    "linked",  # one thesaurus link, either direction
    "shared_synonyms",  # log1p of synonyms the two share in the thesaurus (two links away)
    "neighbour",  # one is among the other's distributional neighbours
    "same_stem",  # the same stem once common affixes are stripped
    "spelling",  # normalised edit similarity (a misspelling or a variant spelling)
    "log_freq_ratio",  # ln of (count of original + 1) / (count of observed + 1)
)

DEFAULT_WEIGHTS: dict[str, float] = {
    "bias": -3.0,
    "linked": 4.0,
    "shared_synonyms": 1.5,
    "neighbour": 2.5,
    "same_stem": 2.0,
    "spelling": 1.0,
    "log_freq_ratio": 0.2,
}

_PREFIXES = (
    "memper",
    "member",
    "menter",
    "mem",
    "men",
    "meng",
    "meny",
    "me",
    "di",
    "ber",
    "ter",
    "pe",
    "pem",
    "pen",
    "peng",
    "per",
    "ke",
    "se",
)
_SUFFIXES = ("kannya", "annya", "kan", "an", "nya", "lah", "kah", "i")


def stem(word: str) -> str:
    """A crude Indonesian stem: the longest listed prefix and suffix stripped, keeping 3+ letters.

    Example:
        >>> stem("pemerintahan"), stem("menjalankan"), stem("rumah")
        ('erintah', 'jalan', 'rumah')
    """
    w = word
    for suf in _SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 4:
            w = w[: -len(suf)]
            break
    for pre in sorted(_PREFIXES, key=len, reverse=True):
        if w.startswith(pre) and len(w) - len(pre) >= 3:
            return w[len(pre) :]
    return w


@dataclass
class Relatedness:
    """Logistic score in [0, 1] that a spinner could have written ``observed`` for ``original``.

    Args:
        synonyms: word -> the words the thesaurus links to it (either direction).
        neighbours: word -> distributional neighbours.
        vocab: corpus counts.
        weights: one weight per name in :data:`FEATURES`.
    """

    synonyms: Mapping[str, frozenset[str]]
    neighbours: Mapping[str, tuple[str, ...]]
    vocab: Mapping[str, int]
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def __post_init__(self) -> None:
        self._w = [float(self.weights.get(f, 0.0)) for f in FEATURES]
        self.score = lru_cache(maxsize=CACHE_SIZE)(self._score)

    @classmethod
    def of(cls, resources: SourceResources, weights: Mapping[str, float] | None = None) -> Relatedness:
        """The relatedness over a source set's lexicon, neighbours and vocabulary (shared per lexicon)."""
        key = (id(resources.lexicon), id(resources.neighbours))
        hit = _SHARED.get(key)
        if hit is None or hit[0] is not resources.lexicon:
            syn = _undirected(resources.lexicon.to_json_dicts()[0])
            rel = cls(syn, resources.neighbours, resources.vocab, weights or dict(DEFAULT_WEIGHTS))
            _SHARED[key] = hit = (resources.lexicon, rel)
        return hit[1]

    def features(self, original: str, observed: str) -> list[float]:
        """The feature vector of a pair, in :data:`FEATURES` order."""
        syn = self.synonyms
        a, b = syn.get(original, frozenset()), syn.get(observed, frozenset())
        nb = self.neighbours
        vocab = self.vocab
        return [
            1.0,
            1.0 if observed in a else 0.0,
            math.log1p(len(a & b)),
            1.0 if (observed in nb.get(original, ()) or original in nb.get(observed, ())) else 0.0,
            1.0 if stem(original) == stem(observed) else 0.0,
            float(Levenshtein.normalized_similarity(original, observed)),
            math.log((vocab.get(original, 0) + 1) / (vocab.get(observed, 0) + 1)),
        ]

    def _score(self, original: str, observed: str) -> float:
        z = sum(w * x for w, x in zip(self._w, self.features(original, observed), strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(FEATURES), "weights": dict(zip(FEATURES, self._w, strict=True))}


def _undirected(forward: Mapping[str, Mapping[str, float]]) -> dict[str, frozenset[str]]:
    links: dict[str, set[str]] = {}
    for word, row in forward.items():
        if " " in word:
            continue
        for syn in row:
            if " " in syn:
                continue
            links.setdefault(word, set()).add(syn)
            links.setdefault(syn, set()).add(word)
    return {w: frozenset(s) for w, s in links.items()}


_SHARED: dict[tuple[int, int], tuple[Any, Relatedness]] = {}


def pairs_features(rel: Relatedness, pairs: Sequence[tuple[str, str]]) -> list[list[float]]:
    """Feature rows of many (original, observed) pairs (for fitting the weights)."""
    return [rel.features(o, w) for o, w in pairs]
