"""How plausibly a spinner turned one word into another: the check on the language model's slot fills.

A spinner replaces a word by something its table links to it: a synonym, a near-synonym of another
sense, a word of the same stem, or a misspelling. :class:`Relatedness` scores a pair (original,
observed) from the evidence we have when our thesaurus does not link them (a direct link makes a
lexicon candidate of its own): synonyms the two share in our thesaurus, distributional neighbours, a
shared stem, spelling similarity and the frequency ratio. The weights are fitted at build time on the
spinner zoo's pairs, each with its own link cut from the thesaurus, against frequency-drawn words
(:mod:`despin.training.relatedness`); the defaults are such a fit, rounded.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rapidfuzz.distance import Levenshtein

from despin.lexicon import SynonymLexicon

if TYPE_CHECKING:
    from despin.restorer.sources.base import SourceResources

CACHE_SIZE = 200_000

FEATURES: tuple[str, ...] = (
    "bias",
    "shared_synonyms",  # log1p of synonyms the two share in the thesaurus (two links away)
    "synonym_overlap",  # those shared synonyms over the geometric mean of the two synonym sets
    "neighbour",  # one is among the other's distributional neighbours
    "same_stem",  # the same stem once common affixes are stripped
    "spelling",  # normalised edit similarity (a misspelling or a variant spelling)
    "log_freq_ratio",  # ln of (count of original + 1) / (count of observed + 1)
)

DEFAULT_WEIGHTS: dict[str, float] = {
    "bias": -4.0,
    "shared_synonyms": 1.0,
    "synonym_overlap": 26.0,
    "neighbour": 2.5,
    "same_stem": 2.7,
    "spelling": 2.3,
    "log_freq_ratio": 0.0,
}

# Longest first, so that "memper-" is stripped before "mem-" and "me-".
_PREFIXES = tuple(
    sorted(
        [
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
        ],
        key=len,
        reverse=True,
    )
)
_SUFFIXES = ("kannya", "annya", "kan", "an", "nya", "lah", "kah", "i")


@lru_cache(maxsize=CACHE_SIZE)
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
    for pre in _PREFIXES:
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
    neighbours: Mapping[str, Sequence[str]]
    vocab: Mapping[str, int]
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def __post_init__(self) -> None:
        self._w = [float(self.weights.get(f, 0.0)) for f in FEATURES]
        self.score = lru_cache(maxsize=CACHE_SIZE)(self._score)
        self.reach = lru_cache(maxsize=CACHE_SIZE)(self._reach)

    def _reach(self, observed: str) -> frozenset[str]:
        """Words two synonym links from ``observed``, or among its distributional neighbours."""
        syn = self.synonyms
        out: set[str] = set(self.neighbours.get(observed, ()))
        for s in syn.get(observed, ()):
            out |= syn.get(s, frozenset())
        return frozenset(out)

    def plausible(self, original: str, observed: str) -> bool:
        """A cheap necessary condition for a high score: within reach, the same stem, or a near spelling.

        Outside these, a pair scores near the bias alone (below any fill the LM-fill source keeps), so the
        source computes the full features only for the fills that pass.
        """
        return (
            original in self.reach(observed)
            or observed in self.neighbours.get(original, ())
            or stem(original) == stem(observed)
            or Levenshtein.normalized_similarity(original, observed) >= 0.6
        )

    @classmethod
    def of(cls, resources: SourceResources, weights: Mapping[str, float] | None = None) -> Relatedness:
        """The relatedness over a source set's lexicon, neighbours and vocabulary (the synonym links are shared)."""
        lexicon = resources.lexicon
        links = _LINKS.get(lexicon)
        if links is None:
            links = _LINKS[lexicon] = SynonymLinks(lexicon)
        return cls(links, resources.neighbours, resources.vocab, dict(weights or DEFAULT_WEIGHTS))

    def features(self, original: str, observed: str) -> list[float]:
        """The feature vector of a pair, in :data:`FEATURES` order."""
        syn = self.synonyms
        return self.features_with(original, observed, syn.get(original, frozenset()), syn.get(observed, frozenset()))

    def features_with(self, original: str, observed: str, a: frozenset[str], b: frozenset[str]) -> list[float]:
        """The features of a pair whose synonym sets are ``a`` and ``b`` (training cuts the pair's own link)."""
        nb = self.neighbours
        vocab = self.vocab
        return [
            1.0,
            math.log1p(len(a & b)),
            len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0,
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


class SynonymLinks(Mapping[str, frozenset[str]]):
    """Each word's one-word synonyms in the thesaurus, either direction, looked up when first asked.

    Built word by word from the lexicon's forward graph and reverse index, so that a restorer that
    never checks a slot fill never pays for the whole map.
    """

    def __init__(self, lexicon: SynonymLexicon) -> None:
        self.lexicon = lexicon
        self._cache: dict[str, frozenset[str]] = {}

    def __getitem__(self, word: str) -> frozenset[str]:
        hit = self._cache.get(word)
        if hit is None:
            if " " in word:
                raise KeyError(word)
            lex = self.lexicon
            hit = frozenset(s for s in (*lex.weights(word), *lex.originals(word)) if " " not in s)
            if len(self._cache) < CACHE_SIZE:
                self._cache[word] = hit
        if not hit:
            raise KeyError(word)
        return hit

    def __iter__(self) -> Iterator[str]:
        forward, reverse = self.lexicon.to_json_dicts()
        return iter(w for w in {**forward, **reverse} if " " not in w)

    def __len__(self) -> int:
        return sum(1 for _ in self)


# Each lexicon's synonym links, kept as long as the lexicon.
_LINKS: weakref.WeakKeyDictionary[SynonymLexicon, SynonymLinks] = weakref.WeakKeyDictionary()
