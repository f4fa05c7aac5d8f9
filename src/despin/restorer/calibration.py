"""Calibrated edit confidences: a monotone map from the decoder's posterior to the share of edits that are right.

The decoder's posterior that a word changed is over-confident: on the spinner zoo, edits it scores
0.95 to 0.99 are right only 70-80% of the time (``benchmarks/reliability.py``). The map is an isotonic
regression of "the edit restored the original" on that posterior, fitted per edit kind and band
of the document's spun score on simulated spins of held-out documents when the bundle is built
(:mod:`despin.training.calibrate`), and stored as knots for linear interpolation. It changes what
an edit reports, never which edits are made: the decoder's decisions still read the raw posterior.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from despin.errors import ModelError
from despin.types import Edit

# Kinds whose confidence is a fact, not an estimate: a footer match is exact.
UNCALIBRATED_KINDS = frozenset({"footer"})


@dataclass(frozen=True, slots=True)
class Curve:
    """A non-decreasing piecewise-linear map on [0, 1], given by its knots."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.xs or len(self.xs) != len(self.ys):
            raise ModelError(f"a calibration curve needs as many ys as xs (>= 1): {len(self.xs)} and {len(self.ys)}")
        if any(b < a for a, b in zip(self.xs, self.xs[1:], strict=False)):
            raise ModelError("calibration knots must be sorted by confidence")
        if any(b < a for a, b in zip(self.ys, self.ys[1:], strict=False)):
            raise ModelError("a calibration curve must not decrease")
        if not all(0.0 <= v <= 1.0 for v in (*self.xs, *self.ys)):
            raise ModelError("calibration knots must lie in [0, 1]")

    def __call__(self, p: float) -> float:
        """The calibrated value of ``p``: interpolated between knots, flat beyond the first and last.

        Example:
            >>> round(Curve((0.5, 1.0), (0.2, 0.6))(0.75), 6), Curve((0.5, 1.0), (0.2, 0.6))(0.1)
            (0.4, 0.2)
        """
        return float(np.interp(p, self.xs, self.ys))


@dataclass(frozen=True, slots=True)
class KindCalibration:
    """One edit kind's curves, one per band of the document's spun score (``bands`` are the cut points).

    The same posterior means less in a document that barely looks spun: the bands let a forced
    restore of such a document report lower confidences than the edits of a flagged one.
    """

    bands: tuple[float, ...]
    curves: tuple[Curve, ...]

    def __post_init__(self) -> None:
        if len(self.curves) != len(self.bands) + 1:
            raise ModelError(f"{len(self.bands)} score bands need {len(self.bands) + 1} curves, got {len(self.curves)}")
        if list(self.bands) != sorted(self.bands):
            raise ModelError("score bands must be sorted")

    def __call__(self, p: float, score: float) -> float:
        return self.curves[bisect.bisect_right(self.bands, score)](p)

    def to_dict(self) -> dict[str, Any]:
        return {"bands": list(self.bands), "curves": [{"x": list(c.xs), "y": list(c.ys)} for c in self.curves]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KindCalibration:
        curves = tuple(Curve(_floats(c["x"]), _floats(c["y"])) for c in data["curves"])
        return cls(_floats(data["bands"]), curves)


@dataclass(frozen=True, slots=True)
class EditCalibration:
    """Per edit kind, the map from a raw confidence (and the document's score) to a calibrated one.

    Kinds without a map keep their raw confidence.
    """

    kinds: Mapping[str, KindCalibration]

    def confidence(self, edit: Edit, score: float) -> float:
        """The calibrated confidence of ``edit`` in a document whose spun score is ``score``."""
        mapping = None if edit.kind in UNCALIBRATED_KINDS else self.kinds.get(edit.kind)
        return edit.confidence if mapping is None else mapping(edit.confidence, score)

    def apply(self, edits: Iterable[Edit], score: float) -> tuple[Edit, ...]:
        """``edits`` with calibrated confidences (same spans and texts)."""
        return tuple(dataclasses.replace(e, confidence=self.confidence(e, score)) for e in edits)

    def to_dict(self) -> dict[str, Any]:
        return {kind: k.to_dict() for kind, k in sorted(self.kinds.items())}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EditCalibration:
        """Read :meth:`to_dict`'s output; a malformed map is a ModelError."""
        try:
            return cls({str(kind): KindCalibration.from_dict(v) for kind, v in data.items()})
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"malformed edit calibration: {exc!r}") from None


def _floats(values: Sequence[Any]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)
