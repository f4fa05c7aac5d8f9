"""Learn a spinner's substitution table from aligned (spun, source) pairs.

Each substitution block of an alignment is a candidate table entry ``observed <- original``. Blocks
with as many words on both sides (``kediaman agung`` / ``rumah besar``) are split into one-word pairs,
since adjacent swaps are far more common than k-word phrases of equal length; other blocks
(``maka`` / ``oleh karena itu``) are kept whole as phrase entries. Alignment noise is then filtered:

* numbers, punctuation and case-only changes are no synonym swaps;
* both sides must be of comparable length (``max_len_ratio``, in characters);
* an entry needs ``min_count`` sightings and ``P(original | observed) >= min_prob``;
* a multi-word entry is kept only when consistent: ``multiword_min_count`` sightings and
  ``P(original | observed) >= multiword_min_prob``.

The rows make a :class:`despin.tables.SpinnerTable`, whose file is the TSV
``observed<TAB>original<TAB>count<TAB>prob``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from despin.errors import ConfigError
from despin.types import Substitution

_WORD_RE = re.compile(r"^[^\W\d_]+(?:['\u2019-][^\W\d_]+)*$")


@dataclass(frozen=True, slots=True)
class LearnConfig:
    """Noise filters of :func:`learn_table`.

    Args:
        min_count: least sightings of an entry.
        min_prob: least ``P(original | observed)`` of an entry among all originals seen for it.
        max_words: longest side of an entry, in words.
        max_len_ratio: longest side over shortest side, in characters.
        multiword_min_count: least sightings of an entry with several words on a side.
        multiword_min_prob: least ``P(original | observed)`` of such an entry.

    Example:
        >>> LearnConfig(min_count=0)
        Traceback (most recent call last):
        ...
        despin.errors.ConfigError: min_count must be >= 1, got 0
    """

    # Measured on benchmarks/trace.py (50 traced pages, deterministic two-hop spinner): min_count=1 gives
    # precision 0.988 and covers 62% of the spinner's edits on other pages; min_count=2 gives 0.989 and 52%.
    # Wrong entries come mostly from adjacent multi-word swaps, hence the stricter multi-word filter.
    min_count: int = 1
    min_prob: float = 0.5
    max_words: int = 3
    max_len_ratio: float = 3.0
    multiword_min_count: int = 3
    multiword_min_prob: float = 0.8

    def __post_init__(self) -> None:
        for name in ("min_count", "max_words", "multiword_min_count"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("min_prob", "multiword_min_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.max_len_ratio < 1.0:
            raise ConfigError(f"max_len_ratio must be >= 1, got {self.max_len_ratio}")


@dataclass(frozen=True, slots=True)
class TableRow:
    """One table entry: the spinner wrote ``observed`` where the source had ``original``.

    Attributes:
        observed, original: the two phrases.
        count: how often the pair was seen (a whole number for learned tables; a table built from
            a lexicon's weights may hold fractions).
        prob: ``P(original | observed)`` among the originals seen for ``observed``.

    Example:
        >>> TableRow("agung", "besar", 3, 0.6).to_tsv(), TableRow("agung", "luas", 0.5, 0.25).to_tsv()
        ('agung\\tbesar\\t3\\t0.6000', 'agung\\tluas\\t0.5\\t0.2500')
    """

    observed: str
    original: str
    count: float
    prob: float

    def to_tsv(self) -> str:
        """The row's line of a table file (probability to 4 places)."""
        count = self.count
        shown = str(int(count)) if float(count).is_integer() else repr(float(count))
        return f"{self.observed}\t{self.original}\t{shown}\t{self.prob:.4f}"


def _words(phrase: str) -> list[str]:
    return phrase.lower().split()


def substitution_pairs(substitutions: Iterable[Substitution | tuple[str, str]]) -> list[tuple[str, str]]:
    """``(observed, original)`` candidate entries from substitutions, lower-cased, equal blocks split.

    Example:
        >>> substitution_pairs([("Kediaman agung", "rumah besar"), ("maka", "oleh karena itu")])
        [('kediaman', 'rumah'), ('agung', 'besar'), ('maka', 'oleh karena itu')]
    """
    out: list[tuple[str, str]] = []
    for sub in substitutions:
        spun, source = (sub.spun, sub.source) if isinstance(sub, Substitution) else sub
        a, b = _words(spun), _words(source)
        if not a or not b:
            continue
        if len(a) == len(b):
            out.extend(zip(a, b, strict=True))
        else:
            out.append((" ".join(a), " ".join(b)))
    return out


def _plausible(observed: str, original: str, config: LearnConfig) -> bool:
    if observed == original:
        return False  # a case-only change (the spinner capitalised a word)
    a, b = observed.split(), original.split()
    if len(a) > config.max_words or len(b) > config.max_words:
        return False
    if not all(_WORD_RE.match(w) for w in (*a, *b)):
        return False  # numbers, punctuation, symbols: alignment noise, not a synonym
    lo, hi = sorted((len(observed), len(original)))
    return hi <= lo * config.max_len_ratio


def learn_table(pairs: Iterable[tuple[str, str]], config: LearnConfig | None = None) -> list[TableRow]:
    """Aggregate ``(observed, original)`` pairs into a table, noise filtered (see the module docstring).

    Returns:
        Rows sorted by observed phrase, then by falling count.

    Example:
        >>> rows = learn_table([("agung", "besar")] * 3 + [("agung", "luas"), ("2019", "2018")] * 2)
        >>> [r.to_tsv() for r in rows]
        ['agung\\tbesar\\t3\\t0.6000']
    """
    config = config or LearnConfig()
    norm = ((" ".join(_words(obs)), " ".join(_words(orig))) for obs, orig in pairs)
    counts: Counter[tuple[str, str]] = Counter(p for p in norm if _plausible(p[0], p[1], config))
    per_observed: Counter[str] = Counter()
    for (obs, _), n in counts.items():
        per_observed[obs] += n
    rows = []
    for (obs, orig), n in counts.items():
        prob = n / per_observed[obs]
        multi = " " in obs or " " in orig
        need_n, need_p = (
            (config.multiword_min_count, config.multiword_min_prob) if multi else (config.min_count, config.min_prob)
        )
        if n >= need_n and prob >= need_p:
            rows.append(TableRow(obs, orig, n, prob))
    rows.sort(key=lambda r: (r.observed, -r.count, r.original))
    return rows


# A (spun, source) pair whose alignment explains less than half of the spun words is not a spun copy of
# that source (wrong pairing, or a rewrite): its blocks would be noise. True copies spun at 60% cover >= 0.66.
MIN_PAIR_COVERAGE = 0.5


def pairs_from_texts(spun: str, source: str) -> tuple[list[tuple[str, str]], float]:
    """Align one (spun, source) pair: its candidate entries, and its coverage (no entries below 0.5).

    Example:
        >>> pairs_from_texts("Kediaman itu agung sekali.", "Rumah itu besar sekali.")
        ([('kediaman', 'rumah'), ('agung', 'besar')], 1.0)
    """
    from despin.tracer.align import align

    a = align(spun, source)
    if a.coverage < MIN_PAIR_COVERAGE:
        return [], a.coverage
    return substitution_pairs(a.substitutions), a.coverage


def pairs_from_trace(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Candidate entries from the JSON of ``despin trace`` (its best match's substitutions).

    Raises:
        ConfigError: ``result`` is not shaped like a trace result.

    Example:
        >>> pairs_from_trace({"matches": [{"substitutions": [{"spun": "agung", "source": "besar"}]}]})
        [('agung', 'besar')]
    """
    matches = result.get("matches")
    if not isinstance(matches, list):
        raise ConfigError("not a trace result: no 'matches' list")
    if not matches:
        return []
    best = matches[0]
    subs = best.get("substitutions") if isinstance(best, dict) else None
    if not isinstance(subs, list):
        raise ConfigError("not a trace result: its first match has no 'substitutions' list")
    out: list[tuple[str, str]] = []
    for s in subs:
        if not (isinstance(s, dict) and isinstance(s.get("spun"), str) and isinstance(s.get("source"), str)):
            raise ConfigError("not a trace result: a substitution lacks 'spun' or 'source' text")
        out.append((s["spun"], s["source"]))
    return substitution_pairs(out)
