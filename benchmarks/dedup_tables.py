"""Calibration of unsupervised spinner tables (``learn --unsupervised``): is an entry at p >= 0.9 right 9 times in 10?

For ``benchmarks.dedup --tables``. Farms are those of :mod:`benchmarks.farms` (held-out news; a table
despin never saw: half A of ``lexicon.split()``, or the hand-written natural swaps; the learner gets
half B), three seeds of each kind at 100 pages, plus farms spun with the shipped lexicon itself at 50
pages (where the learner once wrote a function word for another at p 0.97). Every learned entry is
right when the farm's spinner made that swap. Reported per split: precision of the entries at
calibrated p >= 0.9 (the target is 0.9), the same for EM's raw share, and a reliability table.
:func:`fit` refits :data:`despin.tables.decipher.CONFIDENCE_WEIGHTS` on dev rows (never on test).
"""

from __future__ import annotations

import math
import random
from typing import Any

from benchmarks import farms as F
from despin.spinner import Spinner
from despin.tables.decipher import CONFIDENCE_WEIGHTS, decipher

KINDS = ("fixed", "random", "natural", "partial")
SEEDS = 3


def entries(side: str, model: Any) -> list[dict[str, Any]]:
    """Every entry learned from the side's farms, with its label and features."""
    half_a, half_b = model.lexicon.split(seed=0)
    docs = [t for _, t in F.news_docs(side)]
    rows: list[dict[str, Any]] = []

    def learn(
        kind: str, seed: int, pages: list[str], gold: set[tuple[str, str]] | frozenset[tuple[str, str]], lex: Any
    ) -> None:
        res = decipher(pages, lm=model.lm, vocab=model.vocab, lexicon=lex, neighbours=model.neighbours)
        for e in res.entries:
            rows.append(
                {
                    "kind": kind,
                    "seed": seed,
                    "pair": f"{e.observed}->{e.original}",
                    "ok": (e.observed, e.original) in gold,
                    "prob": e.prob,
                    "share": e.share,
                    "count": e.count,
                    "observed": e.observed,
                    "expected": [e.expected_original, e.seen_original, e.expected_observed, e.seen_observed],
                    "linked": e.linked,
                }
            )

    for seed in range(SEEDS):
        for kind in KINDS:
            rng = random.Random(f"cal/{side}/{kind}/{seed}")
            d = list(docs)
            rng.shuffle(d)
            farm = F.make_farm(kind, d[:100], half_a=half_a, vocab=model.vocab, seed=seed)
            learn(kind, seed, [p.text for p in farm.pages], farm.gold, half_b)
    for seed in range(2):
        rng = random.Random(f"cal/{side}/shipped/{seed}")
        d = list(docs)
        rng.shuffle(d)
        spinner = Spinner(model.lexicon, rate=0.15, seed=seed + 1)
        spun = [spinner.spin(t, doc=i) for i, t in enumerate(d[:50])]
        gold = {
            (" ".join(e.observed.lower().split()), " ".join(e.original.lower().split()))
            for p in spun
            for e in p.edits
            if e.kind == "synonym"
        }
        learn("shipped", seed, [p.text for p in spun], gold, model.lexicon)
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def prec(sel: list[dict[str, Any]]) -> float | None:
        return round(sum(r["ok"] for r in sel) / len(sel), 4) if sel else None

    high = [r for r in rows if r["prob"] >= 0.9]
    raw = [r for r in rows if r["share"] >= 0.9]
    bins = []
    for lo in (0.0, 0.5, 0.7, 0.8, 0.9):
        hi = {0.0: 0.5, 0.5: 0.7, 0.7: 0.8, 0.8: 0.9, 0.9: 1.01}[lo]
        sel = [r for r in rows if lo <= r["prob"] < hi]
        bins.append(
            {
                "p": f"{lo}-{min(hi, 1.0)}",
                "entries": len(sel),
                "mean_p": round(sum(r["prob"] for r in sel) / len(sel), 3) if sel else None,
                "right": prec(sel),
            }
        )
    return {
        "entries": len(rows),
        "entries_p_0.9": len(high),
        "precision_p_0.9": prec(high),
        "raw_share_0.9": {"entries": len(raw), "precision": prec(raw)},
        "by_kind_p_0.9": {
            k: {"entries": len(s), "precision": prec(s)}
            for k in (*KINDS, "shipped")
            if (s := [r for r in high if r["kind"] == k])
        },
        "wrong_p_0.9": [f"{r['pair']} ({r['prob']:.2f}, {r['kind']})" for r in high if not r["ok"]][:10],
        "reliability": bins,
    }


def features(r: dict[str, Any]) -> list[float]:
    eo, so, eb, sb = r["expected"]
    return [
        r["share"],
        math.log1p(r["count"]),
        float(" " in r["observed"]),
        math.log((so + 1.0) / (eo + 1.0)),
        math.log((sb + 1.0) / (eb + 1.0)),
        float(r["linked"]),
    ]


def fit(dev_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Refit the confidence weights on dev rows (logistic regression, C=1), in CONFIDENCE_WEIGHTS' order."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1.0, max_iter=1000).fit([features(r) for r in dev_rows], [r["ok"] for r in dev_rows])
    return {
        "weights": dict(zip(CONFIDENCE_WEIGHTS, (round(float(c), 3) for c in lr.coef_[0]), strict=True)),
        "bias": round(float(lr.intercept_[0]), 3),
    }
