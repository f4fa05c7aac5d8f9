"""Detection and restoration quality of despin and of the baselines, on dev and test, plus speed.

Every system sees the same documents: clean held-out text of each register (negatives), and
spun copies at each rate with the shared and the disjoint table (positives). despin is called
only through :mod:`despin.api`. Quality numbers are a pure function of the seed and the model;
timings live under ``speed`` and are the only numbers that vary between runs.
"""

from __future__ import annotations

import resource
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.baselines import MostFrequentRestorer, PerplexityDetector
from benchmarks.config import CACHE_DIR, BenchConfig
from benchmarks.datasets import EvalSets, SpunDoc, build_sets
from benchmarks.metrics import Change, RestoreCounts, SpanCounts, auroc, binary_prf, roc_points
from despin import api
from despin.types import Restoration

# The rate at which per-register numbers and the ROC curve are reported.
HEADLINE_RATE = 0.15


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a detector said about one document."""

    score: float
    is_spun: bool | None
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restorer made of one document: its text and its own edits on the input."""

    text: str
    changes: tuple[Change, ...] | None
    verdict: Verdict | None = None  # when the restorer also decides (despin restores to detect)


class Timer:
    """Sums wall time and counts calls and characters of one kind of call."""

    def __init__(self) -> None:
        self.seconds, self.n_docs, self.n_chars = 0.0, 0, 0

    def call(self, fn: Callable[[str], Any], text: str) -> Any:
        t0 = time.perf_counter()
        out = fn(text)
        self.seconds += time.perf_counter() - t0
        self.n_docs += 1
        self.n_chars += len(text)
        return out

    def to_dict(self) -> dict[str, float | int | None]:
        if not self.n_docs or self.seconds <= 0:
            return {"docs_per_s": None, "chars_per_s": None, "n_docs": self.n_docs}
        return {
            "docs_per_s": round(self.n_docs / self.seconds, 2),
            "chars_per_s": round(self.n_chars / self.seconds),
            "ms_per_doc": round(1000 * self.seconds / self.n_docs, 2),
            "n_docs": self.n_docs,
        }


class System:
    """A named detector and/or restorer, with error capture and timing.

    A system whose first call fails (for instance a model without ``detect`` yet) is marked
    unavailable, and the benchmark carries on with the others.
    """

    def __init__(
        self,
        name: str,
        *,
        detect: Callable[[str], Verdict] | None = None,
        restore: Callable[[str], Restored] | None = None,
    ) -> None:
        self.name = name
        self._detect, self._restore = detect, restore
        self.detect_timer, self.restore_timer = Timer(), Timer()
        self.errors: list[str] = []
        self.n_errors = 0

    @property
    def can_detect(self) -> bool:
        return self._detect is not None

    @property
    def can_restore(self) -> bool:
        return self._restore is not None

    def _fail(self, what: str, exc: Exception, *, first: bool) -> None:
        self.n_errors += 1
        if len(self.errors) < 5:
            self.errors.append(f"{what}: {type(exc).__name__}: {exc}")
        if first:  # nothing works: stop calling it
            if what == "detect":
                self._detect = None
            else:
                self._restore = None

    def detect(self, text: str) -> Verdict | None:
        if self._detect is None:
            return None
        try:
            return self.detect_timer.call(self._detect, text)  # type: ignore[no-any-return]
        except Exception as exc:  # a benchmark records failures instead of dying on them
            self._fail("detect", exc, first=self.detect_timer.n_docs == 0)
            return None

    def restore(self, text: str) -> Restored | None:
        if self._restore is None:
            return None
        try:
            return self.restore_timer.call(self._restore, text)  # type: ignore[no-any-return]
        except Exception as exc:
            self._fail("restore", exc, first=self.restore_timer.n_docs == 0)
            return None


def _despin_restored(r: Restoration) -> Restored:
    changes = [Change(e.start, e.end, e.restored) for e in r.edits]
    if r.footer is not None and not any(c.start <= r.footer.start and r.footer.end <= c.end for c in changes):
        changes.append(Change(r.footer.start, r.footer.end, ""))
    d = r.detection
    verdict = Verdict(d.score, d.is_spun, tuple((s.start, s.end) for s in d.spans))
    return Restored(r.text, tuple(sorted(changes, key=lambda c: (c.start, c.end))), verdict)


def make_despin(model: Any, name: str = "despin") -> System:
    # Every call starts with no decoded window cached: the same sentences come back in the clean
    # text, its spins at several rates and the speed pass, and a cache hit would time nothing.
    # (Word-level caches stay warm, as in a long-running process.)
    windows = model.restorer()._windows

    def detect(text: str) -> Verdict:
        windows.clear()
        d = api.detect(text, model=model)
        return Verdict(d.score, d.is_spun, tuple((s.start, s.end) for s in d.spans))

    def restore(text: str) -> Restored:
        windows.clear()
        return _despin_restored(api.restore(text, model=model))

    return System(name, detect=detect, restore=restore)


def _rate_key(rate: float) -> str:
    return f"{rate:.2f}"


def _headline(rates: Sequence[float]) -> float:
    return min(rates, key=lambda r: abs(r - HEADLINE_RATE))


@dataclass
class _DocResults:
    """Per-document outputs of one system on one split (kept in memory, aggregated after)."""

    clean: dict[int, Verdict]
    spun: dict[int, Verdict]
    clean_restored: dict[int, Restored]
    spun_restored: dict[int, Restored]


@dataclass(frozen=True, slots=True)
class Entry:
    """A system as benchmarked: itself on the shared sets and a variant on the disjoint ones.

    ``disjoint`` is the same object for lexicon-free systems (perplexity), a system built on
    lexicon half B for the others, and None when it cannot be built (the disjoint sets are skipped).
    """

    shared: System
    disjoint: System | None


def _evaluate_split(
    sets: EvalSets, split: str, entries: dict[str, Entry], *, threshold_for: dict[str, float]
) -> tuple[dict[str, Any], dict[str, _DocResults]]:
    clean = sets.clean_where(split=split)
    spun = [s for s in sets.spun if s.split == split]
    out: dict[str, _DocResults] = {}
    for name, entry in entries.items():
        res = _DocResults({}, {}, {}, {})
        jobs = [(entry.shared, doc.text, i, res.clean, res.clean_restored) for i, doc in enumerate(clean)]
        for i, sd in enumerate(spun):
            system = entry.shared if sd.table == "shared" else entry.disjoint
            if system is not None:
                jobs.append((system, sd.spin.text, i, res.spun, res.spun_restored))
        for system, text, i, verdicts, restored in jobs:
            r = system.restore(text)
            if r is not None:
                restored[i] = r
            # despin's restore() carries the same verdict as detect(): one call, not two
            v = r.verdict if r is not None and r.verdict is not None else system.detect(text)
            if v is not None:
                verdicts[i] = v
        out[name] = res
    return _aggregate(clean, spun, out, threshold_for), out


def _aggregate(
    clean: Sequence[Any],
    spun: Sequence[SpunDoc],
    results: dict[str, _DocResults],
    threshold_for: dict[str, float],
) -> dict[str, Any]:
    rates = sorted({s.rate for s in spun})
    head = _headline(rates) if rates else HEADLINE_RATE
    registers = sorted({d.register for d in clean})
    detection: dict[str, Any] = {}
    restoration: dict[str, Any] = {}
    spans: dict[str, Any] = {}
    for name, res in results.items():
        thr = threshold_for.get(name)

        def decide(v: Verdict, thr: float | None = thr) -> bool:
            if thr is not None:
                return v.score >= thr
            return bool(v.is_spun)

        if res.clean or res.spun:
            det: dict[str, Any] = {"by_register": {}, "by_rate": {}}
            if thr is not None:
                det["threshold"] = round(thr, 4)

            def pos_where(
                table: str,
                rate: float,
                register: str | None = None,
                no_footer: bool = False,
                res: _DocResults = res,
            ) -> list[Verdict]:
                return [
                    res.spun[i]
                    for i, s in enumerate(spun)
                    if i in res.spun
                    and s.n_synonyms
                    and s.table == table
                    and s.rate == rate
                    and (register is None or s.register == register)
                    and not (no_footer and s.has_footer)
                ]

            for reg in registers:
                neg = [res.clean[i] for i, d in enumerate(clean) if i in res.clean and d.register == reg]
                det["by_register"][reg] = _det_numbers(pos_where("shared", head, reg), neg, decide)
            neg_all = [res.clean[i] for i in sorted(res.clean)]
            for table in ("shared", "disjoint"):
                by_rate: dict[str, Any] = {}
                for rate in rates:
                    pos = pos_where(table, rate)
                    if pos:
                        by_rate[_rate_key(rate)] = _det_numbers(pos, neg_all, decide)
                        no_footer = pos_where(table, rate, no_footer=True)
                        by_rate[_rate_key(rate)]["auroc_no_footer"] = _round(
                            auroc([v.score for v in no_footer], [v.score for v in neg_all])
                        )
                if by_rate:
                    det["by_rate"][table] = by_rate
            head_pos = pos_where("shared", head)
            det["headline_rate"] = head
            det["roc"] = roc_points([v.score for v in head_pos], [v.score for v in neg_all])
            detection[name] = det

            # A document-level detector (perplexity) marks no spans: nothing to score.
            if any(v.spans for v in res.spun.values()):
                spans[name] = _span_numbers(spun, res, rates)

        if res.spun_restored or res.clean_restored:
            rest: dict[str, Any] = {}
            for table in ("shared", "disjoint"):
                per_rate = {}
                for rate in rates:
                    rc = RestoreCounts()
                    for i, s in enumerate(spun):
                        if s.table == table and s.rate == rate and i in res.spun_restored:
                            r = res.spun_restored[i]
                            rc.add(s.spin.text, s.spin.edits, s.original, r.text, r.changes)
                    if rc.wer_spun:
                        per_rate[_rate_key(rate)] = rc.to_dict()
                if per_rate:
                    rest[table] = per_rate
            by_reg: dict[str, Any] = {}
            for reg in registers:
                rc = RestoreCounts()
                for i, s in enumerate(spun):
                    if s.table == "shared" and s.rate == head and s.register == reg and i in res.spun_restored:
                        r = res.spun_restored[i]
                        rc.add(s.spin.text, s.spin.edits, s.original, r.text, r.changes)
                if rc.wer_spun:
                    by_reg[reg] = rc.to_dict()
            rest["by_register"] = by_reg
            cc = RestoreCounts()
            for i, d in enumerate(clean):
                if i in res.clean_restored:
                    r = res.clean_restored[i]
                    cc.add(d.text, (), d.text, r.text, r.changes)
            clean_d = cc.to_dict()
            rest["clean"] = {
                "damage": clean_d["damage"],
                "docs_changed": _round(
                    sum(w > 0 for w in cc.wer_restored) / len(cc.wer_restored) if cc.wer_restored else None
                ),
                "n_docs": clean_d["n_docs"],
            }
            restoration[name] = rest
    return {"detection": detection, "restoration": restoration, "spans": spans}


def _span_numbers(spun: Sequence[SpunDoc], res: _DocResults, rates: Sequence[float]) -> dict[str, Any]:
    span_out: dict[str, Any] = {}
    for table in ("shared", "disjoint"):
        per_rate: dict[str, Any] = {}
        for rate in rates:
            sc = SpanCounts()
            for i, s in enumerate(spun):
                if s.table == table and s.rate == rate and i in res.spun:
                    gold = [(e.start, e.end) for e in s.spin.edits if e.kind != "footer"]
                    sc.add(s.spin.text, gold, list(res.spun[i].spans))
            if sc.tp + sc.fp + sc.fn:
                per_rate[_rate_key(rate)] = sc.to_dict()
        if per_rate:
            span_out[table] = per_rate
    return span_out


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _det_numbers(pos: list[Verdict], neg: list[Verdict], decide: Callable[[Verdict], bool]) -> dict[str, Any]:
    d: dict[str, Any] = {"auroc": _round(auroc([v.score for v in pos], [v.score for v in neg]))}
    d.update(binary_prf([decide(v) for v in pos], [decide(v) for v in neg]))
    return d


# Clean documents timed through api.detect (restore() already gave every verdict above).
SPEED_DOCS = {"quick": 20, "full": 100}


def _speed_and_checks(despin: System, sets: EvalSets, *, n: int) -> dict[str, Any]:
    """Time ``detect`` and ``restore`` on the same clean documents; check that their verdicts agree."""
    agree = total = 0
    detect_t, restore_t = Timer(), Timer()
    docs = sets.clean[:: max(1, len(sets.clean) // n)][:n]  # spread over splits and registers
    for doc in docs:
        if not despin.can_detect or not despin.can_restore:
            break
        v = detect_t.call(despin.detect, doc.text)
        r = restore_t.call(despin.restore, doc.text)
        if v is not None and r is not None and r.verdict is not None:
            total += 1
            agree += abs(v.score - r.verdict.score) < 1e-9 and v.is_spun == r.verdict.is_spun
    return {
        "detect_equals_restore_verdict": f"{agree}/{total}",
        "same_docs": {"detect": detect_t.to_dict(), "restore": restore_t.to_dict()},
    }


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS; we report Linux, where CI runs).
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run(cfg: BenchConfig, *, cache_dir: Path | None = CACHE_DIR) -> dict[str, Any]:
    """Run the detection/restoration benchmark; see the module docstring."""
    t0 = time.perf_counter()
    rss_before = _peak_rss_mb()
    model = api.load_model(cfg.model)
    lexicon = model.lexicon
    vocab = model.vocab
    lm = model.lm
    load_s = time.perf_counter() - t0
    half_a, half_b = lexicon.split(seed=cfg.seed)
    notes: list[str] = []
    model_b: Any = None
    if hasattr(model, "with_lexicon"):
        model_b = model.with_lexicon(half_b)
    else:
        notes.append("Model.with_lexicon is missing: despin was not measured on the disjoint table")

    t1 = time.perf_counter()
    sets = build_sets(cfg, shared=lexicon, disjoint=half_a, cache_dir=cache_dir)
    data_s = time.perf_counter() - t1

    ppl = PerplexityDetector(lm)
    ppl_system = System("ppl", detect=lambda t: Verdict(ppl.score(t), None))
    entries: dict[str, Entry] = {
        "despin": Entry(make_despin(model), make_despin(model_b, "despin_disjoint") if model_b else None),
        "ppl": Entry(ppl_system, ppl_system),
        "most_frequent": Entry(
            System("most_frequent", restore=_mfs(MostFrequentRestorer(lexicon, vocab))),
            System("most_frequent_disjoint", restore=_mfs(MostFrequentRestorer(half_b, vocab))),
        ),
    }

    quality: dict[str, Any] = {}
    threshold_for: dict[str, float] = {}
    for split in cfg.splits:  # dev first: the perplexity threshold is calibrated on clean dev text
        q, raw = _evaluate_split(sets, split, entries, threshold_for=threshold_for)
        if "ppl" not in threshold_for and raw["ppl"].clean:
            threshold_for["ppl"] = ppl.calibrate([raw["ppl"].clean[i].score for i in sorted(raw["ppl"].clean)])
            clean = sets.clean_where(split=split)
            q = _aggregate(clean, [s for s in sets.spun if s.split == split], raw, threshold_for)
        quality[split] = q

    checks = _speed_and_checks(entries["despin"].shared, sets, n=SPEED_DOCS[cfg.suite])

    speed: dict[str, Any] = {
        "load_s": round(load_s, 2),
        "data_s": round(data_s, 2),
        "despin_clean_sample": checks.pop("same_docs"),
    }
    errors: dict[str, Any] = {}
    for entry in entries.values():
        for system in {id(x): x for x in (entry.shared, entry.disjoint) if x is not None}.values():
            speed[system.name] = {
                "detect": system.detect_timer.to_dict(),
                "restore": system.restore_timer.to_dict(),
            }
            if system.n_errors:
                errors[system.name] = {"n": system.n_errors, "first": system.errors}
    speed["peak_rss_mb"] = _peak_rss_mb()
    speed["rss_before_load_mb"] = rss_before

    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for d in sets.clean:
        counts[d.split][d.register] = counts[d.split].get(d.register, 0) + 1
    return {
        "model": {
            "path": str(model.path),
            "version": model.version,
            "lexicon_fingerprint": lexicon.fingerprint(),
            "lexicon_pairs": lexicon.n_pairs,
            "disjoint_half_pairs": [half_a.n_pairs, half_b.n_pairs],
        },
        "data": {
            "key": sets.key,
            "n_clean": {k: dict(sorted(v.items())) for k, v in sorted(counts.items())},
            "n_spun": len(sets.spun),
            "rates": list(cfg.spin_rates),
            "headline_rate": _headline(cfg.spin_rates),
        },
        "quality": quality,
        "checks": checks,
        "speed": speed,
        "errors": errors,
        "notes": notes,
    }


def _mfs(restorer: MostFrequentRestorer) -> Callable[[str], Restored]:
    def restore(text: str) -> Restored:
        out, changes = restorer.restore(text)
        return Restored(out, tuple(changes))

    return restore
