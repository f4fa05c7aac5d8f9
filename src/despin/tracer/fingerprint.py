"""Retrieval features of a text and the configuration that fixes them (recorded in every index header).

Why unigrams with IDF weights, and not shingles: a spinner that swaps 15-60% of the words breaks
almost every word n-gram (a 5-gram survives a 40% spin with probability 0.6**5 = 8%), so word-5-gram
MinHash finds next to nothing (benchmarks/trace.py measures it side by side). Single tokens survive
at ``1 - rate`` each, and the tokens that identify an article (names, places, numbers, rare terms)
are exactly those a thesaurus has no entry for, so they survive at ~100%. An inverted index of
distinct lower-cased tokens, scored by IDF over the rarest query tokens, keeps the article's
fingerprint without knowing the spinner's table (DSpin, NDSS 2014, makes the same observation with
its "immutables"). It needs no lexicon, so a spinner table disjoint from ours costs nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
from dataclasses import asdict, dataclass

from despin.errors import ConfigError

FORMAT_VERSION = 1  # bump when features() or the file layout change


def tokenizer_version() -> str:
    """A version string of the tokenizer: its declared version, else a hash of its token pattern."""
    module = importlib.import_module("despin.text.tokenize")  # the package re-exports a function of that name
    declared = getattr(module, "TOKENIZER_VERSION", None)
    if declared:
        return str(declared)
    pattern = getattr(module, "_TOKEN_RE").pattern  # noqa: B009 - no public version yet
    return "re-" + hashlib.sha256(pattern.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class IndexConfig:
    """What an index stores per document; changing any field needs a new index.

    Args:
        min_token_chars: tokens shorter than this are not indexed (one-letter words carry no identity).
        max_token_chars: longer tokens (URLs, hashes) are cut to this length before indexing.
        max_postings_df: a token found in more documents than this stops getting postings and is never
            used for retrieval (its IDF is low, and its list would dominate query time). It bounds the
            work per query token at any index size: with the default, a query reads at most
            64 x 5,000 ids, whether the index holds 25k or 1M references.
        batch_size: documents per committed transaction in ``Index.add`` (not part of the fingerprint:
            it changes how postings are packed, never what a query returns). Measured: 4,000 adds
            ~25% more documents per CPU-second than 1,000 (fewer rows per document).

    Example:
        >>> IndexConfig().fingerprint()
        'u1-2-40-5000'
        >>> features("Harga naik 1.500 rupiah, kata JOKO.", IndexConfig())
        (['500', 'harga', 'joko', 'kata', 'naik', 'rupiah'], 7)
    """

    min_token_chars: int = 2
    max_token_chars: int = 40
    max_postings_df: int = 5000
    batch_size: int = 4000

    def __post_init__(self) -> None:
        if self.min_token_chars < 1:
            raise ConfigError(f"min_token_chars must be >= 1, got {self.min_token_chars}")
        if self.max_token_chars < self.min_token_chars:
            raise ConfigError(
                f"max_token_chars ({self.max_token_chars}) must be >= min_token_chars ({self.min_token_chars})"
            )
        if self.max_postings_df < 1:
            raise ConfigError(f"max_postings_df must be >= 1, got {self.max_postings_df}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")

    def fingerprint(self) -> str:
        """A short id of the fields that change the stored features."""
        return f"u{FORMAT_VERSION}-{self.min_token_chars}-{self.max_token_chars}-{self.max_postings_df}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, data: str) -> IndexConfig:
        try:
            return cls(**json.loads(data))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"unreadable index config {data[:80]!r}: {exc}") from None


# Features are runs of letters and digits, lower-cased: a plain ``findall`` is 4x faster than the full
# tokenizer, and only index and query must agree on it (both call :func:`features`). Part of FORMAT_VERSION.
_FEATURE_RE = re.compile(r"[^\W_]+")


def features(text: str, config: IndexConfig) -> tuple[list[str], int]:
    """The distinct indexed tokens of ``text``, sorted, and the number of letter/digit runs in it."""
    runs = _FEATURE_RE.findall(text.lower())
    lo, hi = config.min_token_chars, config.max_token_chars
    return sorted({r[:hi] for r in runs if len(r) >= lo}), len(runs)
