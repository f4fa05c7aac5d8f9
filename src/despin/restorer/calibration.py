"""Calibrated edit confidences: a monotone map from the decoder's posterior to the share of edits that are right.

The decoder's posterior that a word changed is over-confident: on the spinner zoo, edits it scores
above 0.95 are right about 70% of the time (``benchmarks/reliability.py``). The map is an isotonic
regression of "the edit restored the original" on that posterior, fitted per edit kind on
simulated spins of held-out documents when the bundle is built (:mod:`despin.training.calibrate`),
and stored as knots for linear interpolation. It changes what an edit reports, never which edits
are made: the decoder's decisions still read the raw posterior.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
            >>> Curve((0.5, 1.0), (0.2, 0.6))(0.75)
            0.4
        """
        xs, ys = self.xs, self.ys
        if p <= xs[0]:
            return ys[0]
        if p >= xs[-1]:
            return ys[-1]
        i = bisect.bisect_right(xs, p)
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        return y0 if x1 == x0 else round(y0 + (y1 - y0) * (p - x0) / (x1 - x0), 12)


@dataclass(frozen=True, slots=True)
class EditCalibration:
    """Per edit kind, the curve that turns a raw confidence into a calibrated one; other kinds pass through."""

    curves: Mapping[str, Curve]

    def confidence(self, edit: Edit) -> float:
        curve = None if edit.kind in UNCALIBRATED_KINDS else self.curves.get(edit.kind)
        return edit.confidence if curve is None else curve(edit.confidence)

    def apply(self, edits: Iterable[Edit]) -> tuple[Edit, ...]:
        """``edits`` with calibrated confidences (same spans and texts)."""
        return tuple(dataclasses.replace(e, confidence=self.confidence(e)) for e in edits)

    def to_dict(self) -> dict[str, Any]:
        return {kind: {"x": list(c.xs), "y": list(c.ys)} for kind, c in sorted(self.curves.items())}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EditCalibration:
        """Read :meth:`to_dict`'s output; a malformed map is a ModelError."""
        try:
            return cls({str(k): Curve(_floats(v["x"]), _floats(v["y"])) for k, v in data.items()})
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"malformed edit calibration: {exc!r}") from None


def _floats(values: Sequence[Any]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)
