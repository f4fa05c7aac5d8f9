"""SynonymLexicon: a directed synonym graph (original -> replacements) and its reverse index."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping
from functools import cached_property

from despin.errors import ConfigError


class SynonymLexicon:
    """A directed synonym graph, as a thesaurus spinner sees it: ``original -> {replacement: weight}``.

    Phrases are lower-case, single-spaced. The reverse index answers the restorer's question,
    "which originals could have produced this observed phrase, and with what channel probability":
    a spinner that picks a replacement for ``w`` in proportion to its weight emits ``s`` with
    ``P(s | w) = weight(w, s) / sum_s' weight(w, s')``.

    Args:
        forward: ``original -> {replacement: weight}``; weights must be positive.

    Example:
        >>> lex = SynonymLexicon.from_pairs([("besar", "agung"), ("besar", "raya"), ("luas", "raya")])
        >>> lex.synonyms("besar")
        ('agung', 'raya')
        >>> lex.originals("raya")
        {'besar': 0.5, 'luas': 1.0}
    """

    def __init__(self, forward: Mapping[str, Mapping[str, float]]) -> None:
        fwd: dict[str, dict[str, float]] = {}
        for word, syns in forward.items():
            clean = {s: float(w) for s, w in syns.items() if s != word}
            bad = next(((s, w) for s, w in clean.items() if w <= 0), None)
            if bad is not None:
                raise ConfigError(f"synonym weight of {word!r} -> {bad[0]!r} must be positive, got {bad[1]}")
            if clean:
                fwd[word] = clean
        self._forward = fwd

    @classmethod
    def from_json_dicts(
        cls, forward: dict[str, dict[str, float]], reverse: dict[str, dict[str, float]] | None = None
    ) -> SynonymLexicon:
        """Wrap already-clean dicts (as written by :meth:`to_json_dicts`) without re-validating them.

        This is how a model bundle loads its half-million pairs in well under a second.
        """
        lex = cls.__new__(cls)
        lex._forward = forward
        if reverse is not None:
            lex.__dict__["_reverse"] = reverse
        return lex

    def to_json_dicts(self) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
        """The forward graph and the reverse index, as plain dicts."""
        return self._forward, self._reverse

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]] | Iterable[tuple[str, str, float]]) -> SynonymLexicon:
        """Build from (original, replacement[, weight]) pairs; repeated pairs add their weights."""
        fwd: dict[str, dict[str, float]] = {}
        for pair in pairs:
            word, syn = pair[0], pair[1]
            weight = float(pair[2]) if len(pair) > 2 else 1.0
            if word == syn:
                continue
            row = fwd.setdefault(word, {})
            row[syn] = row.get(syn, 0.0) + weight
        return cls(fwd)

    @classmethod
    def merge(cls, *lexicons: SynonymLexicon) -> SynonymLexicon:
        """Union of graphs; a pair present in several lexicons keeps its largest weight."""
        fwd: dict[str, dict[str, float]] = {}
        for lex in lexicons:
            for word, syns in lex._forward.items():
                row = fwd.setdefault(word, {})
                for s, w in syns.items():
                    row[s] = max(row.get(s, 0.0), w)
        return cls(fwd)

    def __len__(self) -> int:
        return len(self._forward)

    def __contains__(self, word: object) -> bool:
        return word in self._forward

    @property
    def n_pairs(self) -> int:
        return sum(len(v) for v in self._forward.values())

    def words(self) -> list[str]:
        return sorted(self._forward)

    def synonyms(self, word: str) -> tuple[str, ...]:
        """Replacements a spinner may write for ``word``, sorted."""
        return tuple(sorted(self._forward.get(word, ())))

    def weights(self, word: str) -> Mapping[str, float]:
        return self._forward.get(word, {})

    def pairs(self) -> list[tuple[str, str, float]]:
        """All (original, replacement, weight) triples, sorted."""
        return sorted((w, s, x) for w, row in self._forward.items() for s, x in row.items())

    @cached_property
    def _reverse(self) -> dict[str, dict[str, float]]:
        rev: dict[str, dict[str, float]] = {}
        for word, syns in self._forward.items():
            total = sum(syns.values())
            for s, w in syns.items():
                rev.setdefault(s, {})[word] = w / total
        return rev

    @cached_property
    def max_phrase_len(self) -> int:
        """Longest observed phrase in words, which bounds the restorer's lattice arcs."""
        return max((p.count(" ") + 1 for p in self._reverse), default=1)

    def observed(self) -> list[str]:
        """Every phrase a spinner may write (the reverse index's keys), sorted."""
        return sorted(self._reverse)

    def originals(self, observed: str) -> dict[str, float]:
        """Originals that could have produced ``observed``, with ``P(observed | original)``."""
        return self._reverse.get(observed, {})

    def split(self, *, seed: int = 0, fraction: float = 0.5) -> tuple[SynonymLexicon, SynonymLexicon]:
        """Split the *unordered* pairs at random into two lexicons that share no pair.

        Used to measure restoration against a spinner whose table the restorer has never seen:
        no (w, s) nor (s, w) link of one half is in the other.
        """
        if not 0.0 < fraction < 1.0:
            raise ConfigError(f"fraction must be in (0, 1), got {fraction}")
        rng = random.Random(seed)
        side: dict[tuple[str, str], bool] = {}
        a: dict[str, dict[str, float]] = {}
        b: dict[str, dict[str, float]] = {}
        for word, syn, w in self.pairs():
            key = (word, syn) if word < syn else (syn, word)
            if key not in side:
                side[key] = rng.random() < fraction
            (a if side[key] else b).setdefault(word, {})[syn] = w
        return SynonymLexicon(a), SynonymLexicon(b)

    def fingerprint(self) -> str:
        """A stable hash of the graph, recorded in index headers and model manifests.

        Computed once per lexicon (a lexicon is not changed after it is built): the model's
        restorer cache keys on it, so equal tables share one restorer.
        """
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        h = hashlib.sha256()
        for word, syn, w in self.pairs():
            h.update(f"{word}\t{syn}\t{w:.6g}\n".encode())
        return h.hexdigest()[:16]

    def to_rows(self) -> list[str]:
        """Serialise as TSV lines ``original<TAB>replacement<TAB>weight``."""
        return [f"{w}\t{s}\t{x:.6g}" for w, s, x in self.pairs()]

    @classmethod
    def from_rows(cls, rows: Iterable[str]) -> SynonymLexicon:
        """Inverse of :meth:`to_rows`."""
        fwd: dict[str, dict[str, float]] = {}
        for row in rows:
            w, s, x = row.rstrip("\n").split("\t")
            fwd.setdefault(w, {})[s] = float(x)
        return cls(fwd)
