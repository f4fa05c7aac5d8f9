"""Quality metrics: detection (AUROC, P/R, FPR), span F1, and restoration against gold edits.

Restoration is judged on text, not on how a restorer reports its edits: the restored text is
aligned to the spun text token by token (lower case), which turns any restorer, baselines
included, into a list of changed regions of the spun text. A gold edit is *restored* when the
restorer's output over the region around it equals the original, ignoring case and spacing.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from despin.text.tokenize import tokenize
from despin.types import SpinEdit

# -- detection -------------------------------------------------------------------------------


def auroc(pos: Sequence[float], neg: Sequence[float]) -> float | None:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties count half.

    Example:
        >>> auroc([0.9, 0.8], [0.1, 0.8])
        0.875
    """
    if not pos or not neg:
        return None
    ranked = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    # Mann-Whitney U with average ranks for ties.
    rank_sum = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        avg = (i + j + 1) / 2  # ranks are 1-based
        rank_sum += avg * sum(lbl for _, lbl in ranked[i:j])
        i = j
    n_p, n_n = len(pos), len(neg)
    return (rank_sum - n_p * (n_p + 1) / 2) / (n_p * n_n)


def roc_points(pos: Sequence[float], neg: Sequence[float], *, n_max: int = 101) -> list[tuple[float, float]]:
    """(FPR, TPR) points of the ROC curve, thinned to at most ``n_max`` points."""
    if not pos or not neg:
        return []
    thresholds = sorted(set(pos) | set(neg), reverse=True)
    pts = [(0.0, 0.0)]
    for t in thresholds:
        tpr = sum(s >= t for s in pos) / len(pos)
        fpr = sum(s >= t for s in neg) / len(neg)
        pts.append((round(fpr, 4), round(tpr, 4)))
    if len(pts) > n_max:
        step = (len(pts) - 1) / (n_max - 1)
        pts = [pts[round(k * step)] for k in range(n_max)]
    return pts


def binary_prf(pred_pos: Sequence[bool], pred_neg: Sequence[bool]) -> dict[str, float | int | None]:
    """Precision, recall, F1 and FPR from the decisions on positives and on negatives."""
    tp = sum(pred_pos)
    fn = len(pred_pos) - tp
    fp = sum(pred_neg)
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / len(pred_pos) if pred_pos else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else None
    return {
        "precision": _r(precision),
        "recall": _r(recall),
        "f1": _r(f1),
        "fpr": _r(fp / len(pred_neg)) if pred_neg else None,
        "tp": tp,
        "fn": fn,
        "fp": fp,
        "n_pos": len(pred_pos),
        "n_neg": len(pred_neg),
    }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


# -- spans -------------------------------------------------------------------------------------


def _word_tokens_in(text: str, spans: Sequence[tuple[int, int]]) -> set[int]:
    """Start offsets of word tokens of ``text`` that overlap any span."""
    out: set[int] = set()
    ordered = sorted(spans)
    for tok in tokenize(text):
        if tok.kind not in ("word", "number"):
            continue
        for s, e in ordered:
            if s >= tok.end:
                break
            if e > tok.start:
                out.add(tok.start)
                break
    return out


@dataclass
class SpanCounts:
    """Token-level span agreement, summed over documents (micro-averaged)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, text: str, gold: Sequence[tuple[int, int]], pred: Sequence[tuple[int, int]]) -> None:
        g, p = _word_tokens_in(text, gold), _word_tokens_in(text, pred)
        self.tp += len(g & p)
        self.fp += len(p - g)
        self.fn += len(g - p)

    def to_dict(self) -> dict[str, float | int | None]:
        prec = self.tp / (self.tp + self.fp) if self.tp + self.fp else None
        rec = self.tp / (self.tp + self.fn) if self.tp + self.fn else None
        f1 = 2 * prec * rec / (prec + rec) if prec and rec else None
        return {
            "precision": _r(prec),
            "recall": _r(rec),
            "f1": _r(f1),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


# -- restoration -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """A region [start, end) of the spun text that a restorer rewrote as ``text`` (zero width: insertion)."""

    start: int
    end: int
    text: str


def changes(spun: str, restored: str) -> list[Change]:
    """Align ``restored`` to ``spun`` token by token (lower case) and list the changed regions.

    Example:
        >>> changes("Dia cuma pergi pergi.", "Dia hanya pergi.")  # ambiguous: scored by merged regions
        [Change(start=4, end=14, text='hanya')]
    """
    a, b = tokenize(spun), tokenize(restored)
    sm = difflib.SequenceMatcher(None, [t.text.lower() for t in a], [t.text.lower() for t in b], autojunk=False)
    la = [t.text.lower() for t in a]
    tags = [op[0] for op in sm.get_opcodes()]
    idx = [list(op[1:]) for op in sm.get_opcodes()]  # [i1, i2, j1, j2]
    for k, tag in enumerate(tags):
        # "pergi pergi" -> "pergi": delete the second copy, as a spinner's repeat is, not the first.
        if tag == "delete" and k + 1 < len(tags) and tags[k + 1] == "equal":
            i1, i2 = idx[k][0], idx[k][1]
            nxt = idx[k + 1]
            shift = 0
            while i2 + shift < nxt[1] and la[i1 + shift] == la[i2 + shift]:
                shift += 1
            if shift:
                idx[k][0:2] = [i1 + shift, i2 + shift]
                nxt[0] += shift
                nxt[2] += shift
                if k > 0 and tags[k - 1] == "equal":
                    idx[k - 1][1] += shift
                    idx[k - 1][3] += shift
    out = []
    for tag, (i1, i2, j1, j2) in zip(tags, idx, strict=True):
        if tag == "equal" or (i1 == i2 and j1 == j2):
            continue
        text = restored[b[j1].start : b[j2 - 1].end] if j2 > j1 else ""
        if i2 > i1:
            start, end = a[i1].start, a[i2 - 1].end
            if tag == "delete" and i1 > 0:
                start = a[i1 - 1].end  # a deleted word takes its leading space with it
        else:
            start = end = a[i1 - 1].end if i1 > 0 else 0
        out.append(Change(start, end, text))
    return out


def _norm(s: str) -> str:
    """Compare texts ignoring case and all spacing ("pergi ." == "pergi.")."""
    return "".join(s.lower().split())


def _apply(text: str, lo: int, hi: int, edits: Sequence[tuple[int, int, str]]) -> str:
    out, cur = [], lo
    for s, e, rep in sorted(edits):
        out.append(text[cur:s])
        out.append(rep)
        cur = e
    out.append(text[cur:hi])
    return "".join(out)


def _overlaps(s: int, e: int, lo: int, hi: int) -> bool:
    if s == e:  # an insertion counts only strictly inside the region
        return lo < s < hi
    return s < hi and e > lo


def _words(text: str) -> list[str]:
    return [t.text.lower() for t in tokenize(text) if t.kind in ("word", "number")]


def wer(hyp: str, ref: str) -> float:
    """Word error rate of ``hyp`` against ``ref`` (lower-cased word and number tokens).

    Example:
        >>> wer("dia cuma pergi", "dia hanya pergi")
        0.3333333333333333
    """
    r, h = _words(ref), _words(hyp)
    if not r:
        return 0.0 if not h else 1.0
    return Levenshtein.distance(r, h) / len(r)


@dataclass
class RestoreCounts:
    """Restoration counts summed over documents; :meth:`to_dict` gives the rates."""

    n_synonym: int = 0
    n_restored: int = 0
    n_repeat: int = 0
    n_repeat_removed: int = 0
    n_footer: int = 0
    n_footer_removed: int = 0
    n_untouched: int = 0
    n_damaged: int = 0
    wer_spun: list[float] = field(default_factory=list)
    wer_restored: list[float] = field(default_factory=list)
    errors: int = 0
    n_aligned: int = 0  # documents whose reported edits did not rebuild the output

    def add(
        self,
        spun: str,
        gold: Sequence[SpinEdit],
        original: str,
        restored: str,
        reported: Sequence[Change] | None = None,
    ) -> None:
        """Score one document: ``spun`` with its ``gold`` edits, ``original``, and the restorer's output.

        ``reported`` are the restorer's own edits on the spun text; they are used when they
        rebuild ``restored`` (up to spacing), and the token alignment of :func:`changes` otherwise.
        """
        ch = list(reported) if reported is not None else None
        if ch is None or _norm(_apply(spun, 0, len(spun), [(c.start, c.end, c.text) for c in ch])) != _norm(restored):
            ch = changes(spun, restored)
            self.n_aligned += reported is not None
        gold_edits = [(g.start, g.end, g.original) for g in gold]
        change_edits = [(c.start, c.end, c.text) for c in ch]
        correct: list[tuple[int, int]] = []  # regions restored right; changes in them are no damage
        for g in gold:
            lo, hi = g.start, g.end
            while True:  # grow the region until no edit crosses its border
                # Gold edits that touch the region join it: "cuma pergi pergi" -> "hanya pergi".
                in_gold = [x for x in gold_edits if x[0] <= hi and x[1] >= lo]
                # A repeat or footer edit starts with the space after the previous word, and an
                # aligned change may end right there: "pergi pergi" -> "pergi" deletes one copy.
                in_ch = [
                    x
                    for x in change_edits
                    if _overlaps(x[0], x[1], lo, hi) or (x[1] == lo and spun[lo : lo + 1].isspace())
                ]
                new_lo = min([lo] + [x[0] for x in in_gold + in_ch])
                new_hi = max([hi] + [x[1] for x in in_gold + in_ch])
                if (new_lo, new_hi) == (lo, hi):
                    break
                lo, hi = new_lo, new_hi
            ok = _norm(_apply(spun, lo, hi, in_gold)) == _norm(_apply(spun, lo, hi, in_ch))
            if ok:
                correct.append((lo, hi))
            if g.kind == "synonym":
                self.n_synonym += 1
                self.n_restored += ok
            elif g.kind == "repeat":
                self.n_repeat += 1
                self.n_repeat_removed += ok
            elif g.kind == "footer":
                self.n_footer += 1
                self.n_footer_removed += ok
        gold_spans = sorted((g.start, g.end) for g in gold)
        changed = [(c.start, c.end) for c in ch if c.end > c.start]
        for tok in tokenize(spun):
            if tok.kind not in ("word", "number"):
                continue
            if any(s < tok.end and e > tok.start for s, e in gold_spans):
                continue
            self.n_untouched += 1
            if any(s <= tok.start and tok.end <= e for s, e in correct):
                continue
            self.n_damaged += any(s < tok.end and e > tok.start for s, e in changed)
        self.wer_spun.append(wer(spun, original))
        self.wer_restored.append(wer(restored, original))

    def to_dict(self) -> dict[str, float | int | None]:
        ws = sum(self.wer_spun) / len(self.wer_spun) if self.wer_spun else None
        wr = sum(self.wer_restored) / len(self.wer_restored) if self.wer_restored else None
        return {
            "exact_restore": _r(self.n_restored / self.n_synonym) if self.n_synonym else None,
            "damage": _r(self.n_damaged / self.n_untouched) if self.n_untouched else None,
            "repeat_removal": _r(self.n_repeat_removed / self.n_repeat) if self.n_repeat else None,
            "footer_removal": _r(self.n_footer_removed / self.n_footer) if self.n_footer else None,
            "wer_spun": _r(ws),
            "wer_restored": _r(wr),
            "wer_reduction": _r((ws - wr) / ws) if ws and wr is not None else None,
            "n_docs": len(self.wer_spun),
            "n_synonym": self.n_synonym,
            "n_repeat": self.n_repeat,
            "n_footer": self.n_footer,
            "n_untouched": self.n_untouched,
            "errors": self.errors,
            "n_realigned": self.n_aligned,
        }
