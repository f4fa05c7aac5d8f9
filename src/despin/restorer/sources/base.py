"""The reverse channel's extension point: candidate sources behind one protocol, found by kind in a registry.

A source answers one question for the decoder: which originals could a spinner have turned into the
observed phrase, here, between these words? Each built-in source is one module of this package and
registers a factory under its :class:`CandidateKind`; a new source is one new module and one
``@register_source`` line. :class:`~despin.restorer.sources.set.CandidateSet` asks its sources in turn
and merges their proposals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from despin.lexicon import SynonymLexicon

if TYPE_CHECKING:
    from despin.lm.fills import SlotFiller
    from despin.restorer.slang import SpellingChannel


class CandidateKind(StrEnum):
    """Where a candidate original came from."""

    TABLE = "table"  # a learned spinner table: this spinner's own output
    LEXICON = "lexicon"  # one thesaurus link
    SPELLING = "spelling"  # slang, abbreviation or typo behind a non-standard spelling
    CASE = "case"  # the same word, written in lower case (an odd mid-sentence capital)
    NEIGHBOUR = "neighbour"  # a distributional neighbour (fills the same slots in clean text)
    TWO_HOP = "two_hop"  # two thesaurus links away
    LM_FILL = "lm_fill"  # the language model's own fill of the slot, related to the observed word


# Kinds with no link of their own between the observed word and the original: never allowed to
# change a word that may be a name.
WEAK_KINDS = frozenset({CandidateKind.NEIGHBOUR, CandidateKind.TWO_HOP, CandidateKind.SPELLING, CandidateKind.LM_FILL})


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible original of an observed phrase."""

    original: str  # lower-case phrase, single-spaced
    words: tuple[str, ...]
    log_channel: float  # natural log of P(observed | original, spun), as the source estimates it
    kind: CandidateKind

    @property
    def source(self) -> str:
        """The kind's name (kept for readers of the JSON-like views)."""
        return self.kind.value


@runtime_checkable
class CandidateSource(Protocol):
    """Proposes originals of an observed lower-case phrase, given up to two words of context on each side."""

    kind: CandidateKind

    def propose(self, observed: str, left: Sequence[str], right: Sequence[str]) -> Sequence[Candidate]:
        """Candidates for ``observed``; ``left`` ends just before it and ``right`` starts just after it."""
        ...


@dataclass(frozen=True)
class SourceResources:
    """What the built-in sources are made from (the bundle's tables, an optional learned table)."""

    lexicon: SynonymLexicon
    vocab: Mapping[str, int]
    table: SynonymLexicon | None = None
    neighbours: Mapping[str, Sequence[str]] = field(default_factory=dict)
    spelling: SpellingChannel | None = None
    filler: SlotFiller | None = None
    # Originals the corpus never saw this often are dropped: the LM cannot tell whether they fit.
    min_count: int = 2
    # For a word known to be replaced (an odd capital): sources that can search wider do.
    wide: bool = False

    def known(self, phrase: str) -> bool:
        """Whether every word of ``phrase`` was seen ``min_count`` times."""
        vocab, floor = self.vocab, self.min_count
        if " " not in phrase:
            return vocab.get(phrase, 0) >= floor
        return all(vocab.get(w, 0) >= floor for w in phrase.split(" "))


SourceFactory = Callable[[SourceResources], "CandidateSource | None"]
_REGISTRY: dict[CandidateKind, SourceFactory] = {}


def register_source(kind: CandidateKind) -> Callable[[SourceFactory], SourceFactory]:
    """Register the factory of a source kind; it returns None when its resources are missing."""

    def add(factory: SourceFactory) -> SourceFactory:
        _REGISTRY[kind] = factory
        return factory

    return add


def registered_kinds() -> tuple[CandidateKind, ...]:
    """Every registered kind, in the enum's order (which is the merge priority)."""
    _load_builtin_sources()
    return tuple(k for k in CandidateKind if k in _REGISTRY)


def build_sources(resources: SourceResources, kinds: Sequence[CandidateKind] | None = None) -> list[CandidateSource]:
    """The sources of ``kinds`` (every registered kind when None) that ``resources`` can build, in priority order."""
    _load_builtin_sources()
    wanted = registered_kinds() if kinds is None else tuple(kinds)
    unknown = [k for k in wanted if k not in _REGISTRY]
    if unknown:
        raise KeyError(f"no candidate source registered for {', '.join(map(str, unknown))}")
    built = (_REGISTRY[k](resources) for k in wanted)
    return [s for s in built if s is not None]


def _load_builtin_sources() -> None:
    # Importing the package registers every built-in source (each module's @register_source).
    import despin.restorer.sources  # noqa: F401
