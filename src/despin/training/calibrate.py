"""Fit the edit-confidence map (:mod:`despin.restorer.calibration`) on simulated spins of the ``calib`` split.

Each training document is spun by a random spinner of the zoo or the classic simulator (the
detector's mix: :func:`despin.training.build.training_spinner`, rates 3-40%), restored with every
edit applied (``force``: the map describes an edit whatever the document's verdict), and each
synonym edit is judged against the spinner's gold edits. An isotonic regression of the outcome on
the raw confidence gives the curve.
"""

from __future__ import annotations

import bisect
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from despin.model.bundle import Model
from despin.restorer.calibration import Curve, EditCalibration, KindCalibration
from despin.restorer.document import DocumentRestorer
from despin.training.corpora import CorpusDoc, iter_docs
from despin.types import Edit, SpinEdit

Log = Callable[[str], None]

# A kind's curve needs this many judged edits; rarer kinds keep their raw confidence.
MIN_EDITS_PER_KIND = 200
# Judged edits pooled into one point before the isotonic fit.
EDITS_PER_KNOT = 50


def _norm(s: str) -> str:
    return "".join(s.lower().split())


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def _rewrite(text: str, lo: int, hi: int, spans: Sequence[tuple[int, int, str]]) -> str:
    """``text[lo:hi]`` with each ``(start, end, replacement)`` inside it applied."""
    out, pos = [], lo
    for start, end, replacement in sorted(spans):
        out += [text[pos:start], replacement]
        pos = end
    return "".join(out) + text[pos:hi]


def judge_edits(spun: str, gold: Sequence[SpinEdit], edits: Sequence[Edit]) -> list[bool]:
    """Per synonym edit of ``edits``: did it bring back the original of the gold substitution it touches?

    The region of an edit grows over every gold substitution and every other edit that overlaps it,
    until nothing crosses its border; the edit is right when the restorer's rewrite of the region
    equals the original's, ignoring case and spacing. An edit that touches no substitution changed
    an original word, and is wrong.

    Example:
        >>> spun = "dia Mengatakan hal itu"
        >>> gold = [SpinEdit(4, 14, "Mengatakan", "bilang")]
        >>> judge_edits(spun, gold, [Edit(4, 14, "Mengatakan", "bilang", 0.9), Edit(15, 18, "hal", "soal", 0.9)])
        [True, False]
    """
    subs = [(g.start, g.end, g.original) for g in gold if g.kind != "footer"]
    changes = [(e.start, e.end, e.restored) for e in edits if e.kind != "footer"]
    out: list[bool] = []
    for e in edits:
        if e.kind != "synonym":
            continue
        if not any(_overlaps(e.start, e.end, s, t) for s, t, _ in subs):
            out.append(False)
            continue
        lo, hi = e.start, e.end
        while True:
            in_gold = [x for x in subs if _overlaps(x[0], x[1], lo, hi)]
            in_changes = [x for x in changes if _overlaps(x[0], x[1], lo, hi)]
            new_lo = min([lo] + [x[0] for x in in_gold + in_changes])
            new_hi = max([hi] + [x[1] for x in in_gold + in_changes])
            if (new_lo, new_hi) == (lo, hi):
                break
            lo, hi = new_lo, new_hi
        out.append(_norm(_rewrite(spun, lo, hi, in_gold)) == _norm(_rewrite(spun, lo, hi, in_changes)))
    return out


def fit_curve(confidence: Sequence[float], correct: Sequence[bool], *, per_knot: int = EDITS_PER_KNOT) -> Curve:
    """The isotonic (non-decreasing) regression of ``correct`` on ``confidence``, as interpolation knots.

    The edits are first pooled in groups of ``per_knot`` consecutive confidences, so that no knot
    rests on a handful of edits (plain isotonic regression ends on runs of a few lucky ones).
    """
    import numpy as np
    from sklearn.isotonic import IsotonicRegression

    order = np.argsort(np.asarray(confidence, dtype=float), kind="stable")
    p = np.asarray(confidence, dtype=float)[order]
    y = np.asarray(correct, dtype=float)[order]
    groups = max(1, len(p) // per_knot)
    chunks = np.array_split(np.arange(len(p)), groups)
    # Groups at the same confidence (many edits sit at exactly 1.0) become one point, or the curve
    # would hold two values there.
    means, inverse = np.unique(np.array([p[c].mean() for c in chunks]), return_inverse=True)
    weights = np.bincount(inverse, weights=[len(c) for c in chunks])
    hits = np.bincount(inverse, weights=[y[c].sum() for c in chunks])
    xs, ys = means, hits / weights
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    iso.fit(xs, ys, sample_weight=weights)
    knots_x = [round(float(x), 6) for x in iso.X_thresholds_]
    knots_y = [round(float(v), 6) for v in iso.y_thresholds_]
    return Curve(tuple(knots_x), tuple(knots_y))


Sample = tuple[float, bool, float]  # raw confidence, right, the document's spun score


def calibration_samples(
    data_dir: Path, model: Model, *, seed: int, per_corpus: int, log: Log
) -> dict[str, list[Sample]]:
    """Per edit kind, the forced edits on spins of ``calib`` documents, judged, with their document's score."""
    from despin.training.build import training_spinner, training_zoo

    rng = random.Random(seed)
    by_corpus: dict[str, list[CorpusDoc]] = defaultdict(list)
    for doc in iter_docs(data_dir, splits=("calib",)):
        by_corpus[doc.corpus].append(doc)
    half_a, _ = model.lexicon.split(seed=seed + 1)
    zoo = training_zoo(data_dir, model, seed=seed)
    detector = model.detector
    document = DocumentRestorer(model.restorer(), detector.detect)  # raw confidences: no calibration
    samples: dict[str, list[Sample]] = defaultdict(list)
    t0 = time.time()
    for corpus in sorted(by_corpus):
        docs = sorted(by_corpus[corpus], key=lambda d: d.doc_id)
        rng.shuffle(docs)
        for i, doc in enumerate(docs[:per_corpus]):
            _, spinner = training_spinner(rng, zoo, (half_a, model.lexicon), seed=seed + i)
            spin = spinner.spin(doc.text, doc=i)
            restored = document.restore(spin.text, force=True)
            syn = [e for e in restored.edits if e.kind == "synonym"]
            for e, ok in zip(syn, judge_edits(spin.text, spin.edits, restored.edits), strict=True):
                samples[e.kind].append((e.confidence, ok, restored.detection.score))
    log(f"edit calibration samples: {sum(map(len, samples.values()))} edits in {time.time() - t0:.0f}s")
    return dict(samples)


def fit_edit_calibration(samples: dict[str, list[Sample]], *, bands: Sequence[float] = ()) -> EditCalibration:
    """Per kind with at least :data:`MIN_EDITS_PER_KIND` judged edits, a curve per band of the document score.

    A kind with a band short of that many edits gets one curve for all scores.
    """
    kinds: dict[str, KindCalibration] = {}
    for kind, rows in sorted(samples.items()):
        if len(rows) < MIN_EDITS_PER_KIND:
            continue
        cuts = tuple(sorted(bands))
        groups: list[list[Sample]] = [[] for _ in range(len(cuts) + 1)]
        for row in rows:
            groups[bisect.bisect_right(cuts, row[2])].append(row)
        if any(len(g) < MIN_EDITS_PER_KIND for g in groups):
            cuts, groups = (), [rows]
        curves = tuple(fit_curve([c for c, _, _ in g], [ok for _, ok, _ in g]) for g in groups)
        kinds[kind] = KindCalibration(cuts, curves)
    return EditCalibration(kinds)


def calibrate_edits(model_dir: Path, *, data_dir: Path, seed: int, per_corpus: int, log: Log) -> dict[str, Any]:
    """Fit the map for the bundle in ``model_dir``; returns it as stored in ``detector.json``.

    The score bands are cut at 0.5 and at the detector's threshold: barely suspicious, suspicious but
    not flagged, and flagged (the documents whose edits restore applies without ``force``).
    """
    model = Model.load(model_dir, verify=False)
    samples = calibration_samples(data_dir, model, seed=seed, per_corpus=per_corpus, log=log)
    bands = sorted({0.5, model.detector.threshold})
    return fit_edit_calibration(samples, bands=bands).to_dict()
