"""The edit policy's recall/damage curve: decode every held-out spin once, then decide its edits under many policies.

A policy (:class:`despin.restorer.document.EditPolicy`) says which proposals become edits: the posterior
that the word was changed must reach ``min_confidence`` and the reading's share ``min_share``. The curve
is measured on one decoding pass per page (what the first pass of ``restore`` does), so it is cheap to
sweep; the benchmark then picks, on the dev split, the policy with the highest recall whose damage
stays within the target, and restores both splits through the API with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.metrics import RestoreCounts
from despin.model.bundle import Model
from despin.restorer.document import EditPolicy, decide
from despin.restorer.edits import apply_edits
from despin.types import Edit, EditKind, Spin

CONFIDENCES = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98)
SHARES = (0.2, 0.3, 0.4, 0.5, 0.6)
MAX_DAMAGE = 0.005


@dataclass(frozen=True)
class Decoded:
    """One page's single decoding pass, as the document restorer sees it."""

    spin: Spin
    original: str
    is_spun: bool
    rate: float
    outcome: Any
    lrs: Sequence[float]


def decode(model: Model, pages: Iterable[tuple[Spin, str]]) -> list[Decoded]:
    out = []
    restorer = model.restorer()
    for spin, original in pages:
        outcome = restorer.restore(spin.text)
        detection, evidence = model.detector.detect(outcome)
        if not outcome.decoded:
            outcome = restorer.restore(spin.text, decode=True)
            _, evidence = model.detector.detect(outcome)
        out.append(Decoded(spin, original, detection.is_spun, evidence.rate, outcome, evidence.word_lrs))
    return out


def score(decoded: Sequence[Decoded], policy: EditPolicy) -> dict[str, float | int | None]:
    """Restore recall, damage and wrong edits of one pass under ``policy`` (edits only on pages judged spun)."""
    counts = RestoreCounts()
    wrong = 0
    for d in decoded:
        edits: list[Edit] = decide(d.outcome.proposals, d.lrs, d.rate, policy) if d.is_spun else []
        edits.sort(key=lambda e: (e.start, e.end))
        counts.add(d.spin.text, d.spin.edits, d.original, apply_edits(d.spin.text, edits))
        wrong += wrong_edits(d.spin, edits)
    c = counts.to_dict()
    return {"recall": c["exact_restore"], "damage": c["damage"], "wrong_edits": wrong, "n_synonym": counts.n_synonym}


def wrong_edits(spin: Spin, edits: Sequence[Edit]) -> int:
    """Synonym edits that do not write a gold original over its span (a changed word restored wrong, or damage)."""
    gold = {(e.start, e.end): e.original.lower() for e in spin.edits}
    return sum(1 for e in edits if e.kind == EditKind.SYNONYM and gold.get((e.start, e.end)) != e.restored.lower())


def curve(decoded: Sequence[Decoded]) -> list[dict[str, Any]]:
    return [
        {"min_confidence": c, "min_share": s, **score(decoded, EditPolicy(min_confidence=c, min_share=s))}
        for c in CONFIDENCES
        for s in SHARES
    ]


def best(points: Sequence[dict[str, Any]], max_damage: float = MAX_DAMAGE) -> dict[str, Any] | None:
    """The point with the highest recall whose damage is within ``max_damage`` (fewer wrong edits on ties)."""
    ok = [p for p in points if p["damage"] is not None and p["damage"] <= max_damage and p["recall"] is not None]
    return max(ok, key=lambda p: (p["recall"], -p["wrong_edits"])) if ok else None
