"""Value objects shared by every interface. ``to_dict()`` is the one JSON schema for CLI, HTTP and writers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EditKind(StrEnum):
    """What an edit undoes (also the kinds of the simulator's gold edits)."""

    SYNONYM = "synonym"  # a word or phrase the spinner replaced
    CASE = "case"  # a capital the spinner wrote in mid-sentence
    REPEAT = "repeat"  # a word the spinner doubled
    FOOTER = "footer"  # a source footer the spinner appended


def shown_score(score: float) -> float:
    """A document score as the JSON shows it: cut (not rounded) to 4 decimals.

    Rounding could show a score that reaches a 4-decimal threshold the document did not reach
    (0.99996 as 1.0 with ``is_spun`` false at threshold 1.0); cutting never does. The tiny allowance
    keeps a score stored as 0.95999999999 from showing as 0.9599.

    Example:
        >>> shown_score(0.99999999995), shown_score(0.95), shown_score(0.123456)
        (0.9999, 0.95, 0.1234)
    """
    return math.floor(score * 10_000 + 1e-7) / 10_000


@dataclass(frozen=True, slots=True)
class Span:
    """A suspected substitution in the input: half-open character offsets and a 0..1 score."""

    start: int
    end: int
    text: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "score": round(self.score, 4)}


@dataclass(frozen=True, slots=True)
class Detection:
    """Document verdict: ``score`` is a calibrated probability that the text is spun.

    ``threshold`` is the score at or above which ``is_spun`` is true (None when the verdict came
    from elsewhere), so every interface can say why a page was or was not judged spun.
    """

    score: float
    is_spun: bool
    spans: tuple[Span, ...] = ()
    threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "spun_score": shown_score(self.score),
            "is_spun": self.is_spun,
            "spans": [s.to_dict() for s in self.spans],
        }
        if self.threshold is not None:
            d["threshold"] = shown_score(self.threshold)
        return d


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``observed`` at input offsets [start, end) by ``restored``.

    ``confidence``: for synonym edits made with a bundle, the calibrated probability that ``restored``
    is the original (:mod:`despin.restorer.calibration`); otherwise the decoder's posterior.
    """

    start: int
    end: int
    observed: str
    restored: str
    confidence: float
    kind: EditKind = EditKind.SYNONYM

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "observed": self.observed,
            "restored": self.restored,
            "confidence": round(self.confidence, 4),
            "kind": str(self.kind),
        }


@dataclass(frozen=True, slots=True)
class Footer:
    """A source footer the spinner appended, such as ``Sumber Referensi Berita: OUTLET``."""

    start: int
    end: int
    text: str
    outlet: str

    @property
    def is_bracketed_credit(self) -> bool:
        """Whether the footer is a bracketed credit, "(Antara)" or "(abc/def)": news outlets close their own
        articles so, and copies inherit it; spinners append a cue and an outlet instead."""
        body = self.text.strip()
        return body.startswith("(") and body.endswith(")")

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "outlet": self.outlet}


@dataclass(frozen=True, slots=True)
class Restoration:
    """Restored text plus the edits that turn the input into it."""

    text: str
    edits: tuple[Edit, ...]
    detection: Detection
    footer: Footer | None = None

    @property
    def changed(self) -> bool:
        """Whether the restored text differs from the input."""
        return bool(self.edits)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "spun_score": shown_score(self.detection.score),
            "is_spun": self.detection.is_spun,
            "text": self.text,
            "edits": [e.to_dict() for e in self.edits],
            "footer": self.footer.to_dict() if self.footer else None,
            "changed": self.changed,
        }
        if self.detection.threshold is not None:
            d["threshold"] = shown_score(self.detection.threshold)
        return d


@dataclass(frozen=True, slots=True)
class SpinEdit:
    """A gold label from the simulator: ``observed`` at spun-text offsets replaced ``original``."""

    start: int
    end: int
    observed: str
    original: str
    kind: EditKind = EditKind.SYNONYM

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "observed": self.observed,
            "original": self.original,
            "kind": str(self.kind),
        }


@dataclass(frozen=True, slots=True)
class Spin:
    """Output of the simulator: spun text and its gold edits."""

    text: str
    edits: tuple[SpinEdit, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "edits": [e.to_dict() for e in self.edits]}


@dataclass(frozen=True, slots=True)
class Substitution:
    """One aligned difference between a spun text and its source."""

    spun_start: int
    spun_end: int
    source_start: int
    source_end: int
    spun: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "spun_start": self.spun_start,
            "spun_end": self.spun_end,
            "source_start": self.source_start,
            "source_end": self.source_end,
            "spun": self.spun,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class SourceMatch:
    """A reference document that explains a spun text, with the aligned evidence."""

    source_id: str
    score: float
    coverage: float
    substitutions: tuple[Substitution, ...] = ()
    source_text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "source_id": self.source_id,
            "score": round(self.score, 4),
            "coverage": round(self.coverage, 4),
            "substitutions": [s.to_dict() for s in self.substitutions],
        }
        if self.source_text is not None:
            d["source_text"] = self.source_text
        return d


@dataclass(frozen=True, slots=True)
class TraceResult:
    """Best-first source matches; empty when nothing plausible matches."""

    matches: tuple[SourceMatch, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"matches": [m.to_dict() for m in self.matches]}
