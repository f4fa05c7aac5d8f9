"""The spinner-zoo benchmark: detection and restoration on spinner families, held out one at a time.

``python -m benchmarks.zoo --suite quick|full`` spins held-out dev and test documents with every
family of :mod:`despin.spinner.zoo` and reports, per family and split:

* detection AUROC at 3% and at the family's own rate (and 10% in the full suite) against the clean
  documents of the same split, and the share of spun documents flagged; at 3% and 10% the spins carry
  no footer (a footer alone would give them away), at the native rate they have all the family's artefacts;
* restore recall (a substituted span is restored when the output over it equals the original,
  ignoring case and spacing; :mod:`benchmarks.metrics`) and damage (share of untouched words changed),
  as the API does it (edits only when the document is judged spun), and forced (every document edited);
* oracle candidate recall: is the true original among ``model.restorer().candidates.candidates(observed)``;
* an error analysis of the forced misses: no candidate, proposed but kept, only the case restored,
  or another candidate chosen; and concrete misrestored examples;
* a recall/damage curve over the edit confidence (one forced decoding pass, edits whose confidence
  reaches t);

plus the false-positive rate on each clean register and the real pages of ``shared/data/real``.

Leave-one-family-out training plugs in through ``model_for``: :func:`evaluate_zoo` asks it for the
model to evaluate each held-out family with (today the default model for every family), and computes
the clean false-positive rates once per distinct model. A model is anything :func:`despin.api.restore`
accepts; the oracle and the curve also use its ``restorer()`` when it has one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from benchmarks.config import RESULTS_DIR, BenchConfig
from benchmarks.datasets import CleanDoc, sample_clean
from benchmarks.detect_restore import Restored, System, make_despin
from benchmarks.metrics import Change, RestoreCounts, _apply, _norm, _overlaps, auroc, changes
from benchmarks.runner import git_info, machine, versions
from benchmarks.zoo_sources import THESAURUS_TYPES, load_real_pages, zoo_sources
from despin import api
from despin.restorer.edits import apply_edits
from despin.spinner.zoo import SpinnerFamily, build_zoo
from despin.text.normalize import lm_key
from despin.text.tokenize import tokenize
from despin.types import Spin, SpinEdit

ModelFor = Callable[[str], Any]

LOW_RATE = 0.03  # the hard case: AUROC >= 0.95 at 3%
MID_RATE = 0.10  # and >= 0.99 at 10% or more
CURVE_FLOOR = 0.3  # the curve pass keeps every edit whose posterior against keeping reaches this
CURVE_GRID = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99)
N_EXAMPLES = 20
# Why a span was missed: its original was never proposed; proposed and right at a lower edit bar (the
# confidence threshold held it back); proposed but the decoder kept the word; only its case restored; or
# another original chosen.
MISS_CLASSES = ("no_candidate", "below_bar", "kept", "case_only", "wrong")


@dataclass(frozen=True, slots=True)
class ZooConfig:
    """What the zoo benchmark measures.

    Args:
        suite: ``"quick"`` (8 documents per split and register, rates 3% and native, about 2
            minutes) or ``"full"`` (40 per split and register, rates 3%, 10% and native).
        seed: seeds sampling, the lexicon halves and every spin.
        splits: evaluation splits (never ``train``).
        sample_size: documents per (split, register); the suite's default when None.
        families: only these families (all when empty).
        curve: also compute the recall/damage curve (one extra decoding pass per spun document).
        disjoint_halves: evaluate the lexicon-half families (and the misspelt one, built on half A)
            with the model restricted to the *other* half (``model.with_lexicon``), so that the
            restorer has never seen a pair of the spinner's table: the leave-one-out hook at work.
    """

    suite: str = "quick"
    seed: int = 0
    splits: tuple[str, ...] = ("dev", "test")
    sample_size: int | None = None
    families: tuple[str, ...] = ()
    curve: bool = True
    disjoint_halves: bool = False

    def bench(self) -> BenchConfig:
        """The sampling config: held-out documents of every register, cut at the suite's length."""
        n = self.sample_size or (8 if self.suite == "quick" else 40)
        return BenchConfig(suite=self.suite, seed=self.seed, splits=self.splits, sample_size=n)  # type: ignore[arg-type]

    def rates(self, family: SpinnerFamily) -> tuple[float, ...]:
        extra = (MID_RATE,) if self.suite == "full" else ()
        return tuple(sorted({LOW_RATE, family.rate, *extra}))


# -- per-span outcomes -------------------------------------------------------------------------


def word_key(phrase: str) -> str:
    """The lexicon key of a phrase: its word tokens, LM-normalised, single-spaced."""
    return " ".join(lm_key(t.text) for t in tokenize(phrase) if t.kind in ("word", "number"))


def restorer_changes(spun: str, restored: Restored) -> list[Change]:
    """The restorer's changes on ``spun``: its own edits when they rebuild its text, else a token alignment."""
    ch = list(restored.changes) if restored.changes is not None else None
    if ch is None or _norm(_apply(spun, 0, len(spun), [(c.start, c.end, c.text) for c in ch])) != _norm(restored.text):
        ch = changes(spun, restored.text)
    return ch


def span_outcomes(spun: str, gold: Sequence[SpinEdit], ch: Sequence[Change]) -> list[tuple[bool, str]]:
    """Per synonym edit of ``gold``: restored or not, and what the restorer wrote over its region.

    The region rule is :class:`benchmarks.metrics.RestoreCounts`': grow the edit's region until no
    gold edit or change crosses its border, then compare the two rewrites of the region.
    """
    gold_edits = [(g.start, g.end, g.original) for g in gold]
    change_edits = [(c.start, c.end, c.text) for c in ch]
    out: list[tuple[bool, str]] = []
    for g in gold:
        if g.kind != "synonym":
            continue
        lo, hi = g.start, g.end
        while True:
            in_gold = [x for x in gold_edits if x[0] <= hi and x[1] >= lo]
            in_ch = [
                x for x in change_edits if _overlaps(x[0], x[1], lo, hi) or (x[1] == lo and spun[lo : lo + 1].isspace())
            ]
            new_lo = min([lo] + [x[0] for x in in_gold + in_ch])
            new_hi = max([hi] + [x[1] for x in in_gold + in_ch])
            if (new_lo, new_hi) == (lo, hi):
                break
            lo, hi = new_lo, new_hi
        wrote = _apply(spun, lo, hi, in_ch)
        out.append((_norm(_apply(spun, lo, hi, in_gold)) == _norm(wrote), wrote.strip()))
    return out


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """One substituted span at the family's own rate, with what happened to it."""

    family: str
    split: str
    doc_id: str
    observed: str
    original: str
    flagged: bool
    gated_ok: bool
    forced_ok: bool
    forced_wrote: str
    oracle: bool | None  # None: the model exposes no candidate generator
    source: str | None  # the candidate source that proposed the original
    context: str
    low_bar_ok: bool | None = None  # restored by the curve's pass at CURVE_FLOOR (None: no curve pass)

    @property
    def miss_class(self) -> str | None:
        """Why the forced restorer missed this span (None when it restored it)."""
        if self.forced_ok:
            return None
        if self.oracle is False:
            return "no_candidate"
        if self.low_bar_ok:
            return "below_bar"
        if _norm(self.forced_wrote) == _norm(self.observed):
            return "kept" if self.forced_wrote == self.observed.strip() else "case_only"
        return "wrong"


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    left = text[max(0, start - width) : start].replace("\n", " ")
    right = text[end : end + width].replace("\n", " ")
    return f"…{left}[{text[start:end]}]{right}…"


def _oracle(model: Any) -> Callable[[str, str], tuple[bool, str | None]] | None:
    """``(observed, original) -> (original proposed?, its source)`` from the model's candidate generator."""
    try:
        gen = model.restorer().candidates
    except AttributeError:
        return None

    def check(observed: str, original: str) -> tuple[bool, str | None]:
        target = word_key(original)
        for cand in gen.candidates(word_key(observed)):
            if cand.original == target:
                return True, str(cand.source)
        return False, None

    return check


# -- the curve -----------------------------------------------------------------------------------


class CurveRestorer:
    """One forced decoding pass with a low edit bar, whose edits are then kept above each threshold."""

    def __init__(self, model: Any) -> None:
        from despin.restorer.restorer import Restorer

        base = model.restorer()
        config = dataclasses.replace(base.config, min_confidence=CURVE_FLOOR)
        self.restorer = Restorer(base.lm, base.candidates, case_share=base.case_share, config=config)

    def curve_points(self, spun: Spin, original: str, counts: dict[float, RestoreCounts]) -> list[bool]:
        """Add one document to the counts of every threshold of :data:`CURVE_GRID`.

        Returns:
            Per synonym edit of ``spun``: whether the pass restored it with the lowest bar.
        """
        outcome = self.restorer.restore(spun.text)
        for t in CURVE_GRID:
            kept = [e for e in outcome.edits if e.confidence >= t]
            text = apply_edits(spun.text, kept)
            ch = [Change(e.start, e.end, e.restored) for e in kept]
            counts.setdefault(t, RestoreCounts()).add(spun.text, spun.edits, original, text, ch)
        floor = [Change(e.start, e.end, e.restored) for e in outcome.edits]
        return [ok for ok, _ in span_outcomes(spun.text, spun.edits, floor)]


# -- evaluation ------------------------------------------------------------------------------------


def _spin_seed(seed: int, family: str) -> int:
    """One spinner seed per (run seed, family): a farm keeps its word map across rates and splits."""
    return seed * 1_000_003 + sum((i + 1) * ord(c) for i, c in enumerate(family))


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _mean(xs: Sequence[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return _r(sum(vals) / len(vals)) if vals else None


def _forced_system(model: Any, name: str) -> System:
    from benchmarks.detect_restore import _despin_restored

    return System(name, restore=lambda text: _despin_restored(api.restore(text, model=model, force=True)))


def evaluate_clean(model: Any, docs_by_split: dict[str, list[CleanDoc]]) -> dict[str, Any]:
    """Verdicts on clean held-out text: FPR per register at the default threshold, damage, and the scores."""
    system = make_despin(model, "despin_clean")
    out: dict[str, Any] = {}
    for split, docs in docs_by_split.items():
        flagged: dict[str, list[bool]] = defaultdict(list)
        scores: list[float] = []
        rc = RestoreCounts()
        for doc in docs:
            res = system.restore(doc.text)
            if res is None or res.verdict is None:
                continue
            scores.append(res.verdict.score)
            flagged[doc.register].append(bool(res.verdict.is_spun))
            rc.add(doc.text, (), doc.text, res.text, res.changes)
        out[split] = {
            "fpr_by_register": {reg: _r(sum(v) / len(v)) for reg, v in sorted(flagged.items())},
            "n_by_register": {reg: len(v) for reg, v in sorted(flagged.items())},
            "fpr": _r(sum(sum(v) for v in flagged.values()) / max(1, len(scores))),
            "damage": rc.to_dict()["damage"],
            "scores": scores,
        }
    if system.n_errors:
        out["errors"] = system.errors
    return out


def evaluate_family(
    family: SpinnerFamily,
    model: Any,
    docs_by_split: dict[str, list[CleanDoc]],
    clean: dict[str, Any],
    cfg: ZooConfig,
) -> tuple[dict[str, Any], list[SpanRecord]]:
    """Spin every held-out document with ``family`` and measure ``model`` on it (see the module docstring).

    Args:
        family: the held-out spinner family.
        model: what to evaluate it with (a model trained without this family, in a leave-one-out run).
        docs_by_split: clean held-out documents, by split.
        clean: :func:`evaluate_clean` of the same model: the negatives of the AUROC.
        cfg: rates, seed and whether to draw the curve.

    Returns:
        The numbers by split and rate, and every substituted span at the family's own rate.
    """
    gated, forced = make_despin(model, f"despin[{family.name}]"), _forced_system(model, f"forced[{family.name}]")
    oracle = _oracle(model)
    curve: CurveRestorer | None = None
    notes: list[str] = []
    if cfg.curve:
        try:
            curve = CurveRestorer(model)
        except (AttributeError, TypeError) as exc:  # a model without the restorer internals: no curve
            notes.append(f"no curve: {type(exc).__name__}: {exc}")
    records: list[SpanRecord] = []
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    for split, docs in docs_by_split.items():
        per_rate: dict[str, Any] = {}
        for rate in cfg.rates(family):
            native = rate == family.rate
            # Off its own rate the family writes no footer: a footer alone gives a 3% spin away.
            footer = None if native else False
            spinner = family.spinner(seed=_spin_seed(cfg.seed, family.name), rate=rate, footer=footer)
            rc, rc_forced = RestoreCounts(), RestoreCounts()
            curve_counts: dict[float, RestoreCounts] = {}
            pos: list[float] = []
            n_flagged = n_empty = 0
            for i, doc in enumerate(docs):
                sp = spinner.spin(doc.text, doc=i)
                syn = [e for e in sp.edits if e.kind == "synonym"]
                if not syn:  # nothing substituted (a short sentence at 3%): neither positive nor negative
                    n_empty += 1
                    continue
                res = gated.restore(sp.text)
                if res is None or res.verdict is None:
                    continue
                pos.append(res.verdict.score)
                n_flagged += bool(res.verdict.is_spun)
                rc.add(sp.text, sp.edits, doc.text, res.text, res.changes)
                if not native:
                    continue
                fres = forced.restore(sp.text)
                if fres is None:
                    continue
                rc_forced.add(sp.text, sp.edits, doc.text, fres.text, fres.changes)
                g_out = span_outcomes(sp.text, sp.edits, restorer_changes(sp.text, res))
                f_out = span_outcomes(sp.text, sp.edits, restorer_changes(sp.text, fres))
                low: list[bool | None] = [None] * len(syn)
                if curve is not None:
                    low = list(curve.curve_points(sp, doc.text, curve_counts))
                for e, (g_ok, _), (f_ok, wrote), low_ok in zip(syn, g_out, f_out, low, strict=True):
                    found, source = oracle(e.observed, e.original) if oracle else (None, None)
                    records.append(
                        SpanRecord(
                            family.name,
                            split,
                            doc.doc_id,
                            e.observed,
                            e.original,
                            bool(res.verdict.is_spun),
                            g_ok,
                            f_ok,
                            wrote,
                            found,
                            source,
                            _context(sp.text, e.start, e.end),
                            low_ok,
                        )
                    )
            entry: dict[str, Any] = {
                "n_docs": len(pos),
                "n_no_substitution": n_empty,
                "auroc": _r(auroc(pos, clean[split]["scores"])),
                "flagged": _r(n_flagged / len(pos)) if pos else None,
                "restore": rc.to_dict(),
            }
            if native:
                entry["forced"] = rc_forced.to_dict()
                entry.update(_span_summary([r for r in records if r.split == split]))
                if curve_counts:
                    entry["curve"] = [
                        {"min_confidence": t, "recall": c.to_dict()["exact_restore"], "damage": c.to_dict()["damage"]}
                        for t, c in sorted(curve_counts.items())
                    ]
            per_rate[f"{rate:.2f}"] = entry
        out[split] = per_rate
    out["seconds"] = round(time.perf_counter() - t0, 1)
    errors = gated.errors + forced.errors
    if errors or notes:
        out["notes"] = notes + errors
    return out, records


def _span_summary(records: Sequence[SpanRecord]) -> dict[str, Any]:
    """Oracle candidate recall, its sources, and why the forced restorer missed what it missed."""
    n = len(records)
    checked = [r for r in records if r.oracle is not None]
    misses = Counter(r.miss_class for r in records if not r.forced_ok)
    gated_misses = [r for r in records if not r.gated_ok]
    return {
        "n_spans": n,
        "oracle_recall": _r(sum(bool(r.oracle) for r in checked) / len(checked)) if checked else None,
        "oracle_by_source": dict(sorted(Counter(r.source for r in checked if r.oracle).items())),
        "forced_misses": {k: _r(misses.get(k, 0) / n) if n else None for k in MISS_CLASSES},
        # Of the spans the API left unrestored, the share in documents it did not flag (no edits at all).
        "gated_miss_unflagged": _r(sum(not r.flagged for r in gated_misses) / len(gated_misses))
        if gated_misses
        else None,
        "oracle_recall_of_forced_misses": _r(
            sum(bool(r.oracle) for r in records if not r.forced_ok) / max(1, sum(not r.forced_ok for r in records))
        ),
    }


def evaluate_real(model: Any, data_dir: Path) -> dict[str, Any]:
    """Detection on the real pages (evaluation only): flagged thesaurus pages, back-translations, look-alikes."""
    pages = load_real_pages(data_dir)
    if not pages:
        return {"note": f"no pages under {data_dir}/real"}
    system = make_despin(model, "despin_real")
    rows: list[dict[str, Any]] = []
    for page in pages:
        res = system.restore(page.text)
        if res is None or res.verdict is None:
            continue
        n_words = sum(1 for c in res.changes or () if c.text.strip())
        rows.append(
            {
                "id": page.page_id,
                "kind": page.kind,
                "score": _r(res.verdict.score),
                "flagged": bool(res.verdict.is_spun),
                "n_word_edits": n_words,
            }
        )

    def count(kinds: Sequence[str]) -> dict[str, int]:
        sel = [r for r in rows if r["kind"] in kinds]
        return {"flagged": sum(r["flagged"] for r in sel), "n": len(sel)}

    back = sorted({r["kind"] for r in rows} - {*THESAURUS_TYPES, "lookalike"})
    return {
        "thesaurus": count(THESAURUS_TYPES),
        "back_translation": count(back),
        "lookalikes": count(("lookalike",)),
        "pages": rows,
    }


def evaluate_zoo(
    cfg: ZooConfig,
    families: dict[str, SpinnerFamily],
    docs_by_split: dict[str, list[CleanDoc]],
    model_for: ModelFor,
    *,
    data_dir: Path | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> tuple[dict[str, Any], list[SpanRecord]]:
    """Evaluate every family with ``model_for(family.name)``; the real pages with ``model_for("real")``.

    A leave-one-family-out run passes a ``model_for`` that returns the model trained without that
    family; the baseline passes the default model for every name.
    """
    clean_by_model: dict[int, dict[str, Any]] = {}
    results: dict[str, Any] = {}
    records: list[SpanRecord] = []
    for name, family in families.items():
        model = model_for(name)
        if id(model) not in clean_by_model:
            clean_by_model[id(model)] = evaluate_clean(model, docs_by_split)
        res, recs = evaluate_family(family, model, docs_by_split, clean_by_model[id(model)], cfg)
        res["traits"] = family.traits()
        # The model's own false-positive rates: in a leave-one-out run every family has its own model.
        res["clean_fpr"] = {split: clean_by_model[id(model)][split]["fpr"] for split in docs_by_split}
        results[name] = res
        records += recs
        log(f"{name}: {res['seconds']} s")
    real = evaluate_real(model_for("real"), data_dir) if data_dir is not None else {}
    clean_models = list(clean_by_model.values())
    clean = (
        {split: {k: v for k, v in clean_models[0][split].items() if k != "scores"} for split in docs_by_split}
        if clean_models
        else {}
    )
    return {"families": results, "clean": clean, "n_clean_models": len(clean_models), "real": real}, records


# -- running and reporting -------------------------------------------------------------------------


@dataclass
class ZooSetup:
    """What a zoo benchmark run works on: the sampling config, the model, the families and the clean documents."""

    bench: Any
    model: Any
    families: dict[str, SpinnerFamily]
    notes: list[str]
    docs_by_split: dict[str, list[CleanDoc]]


def zoo_setup(cfg: ZooConfig, *, model_path: Path | None, log: Callable[[str], None]) -> ZooSetup:
    """Load the model, build the families (``cfg.families`` only) and sample the held-out clean documents."""
    bench = cfg.bench()
    model = api.load_model(model_path)
    sources, notes = zoo_sources(model, bench.resolved_data_dir())
    families = build_zoo(sources, seed=cfg.seed)
    if cfg.families:
        unknown = set(cfg.families) - set(families)
        if unknown:
            raise click.UsageError(f"unknown families {sorted(unknown)}; known: {sorted(families)}")
        families = {k: v for k, v in families.items() if k in cfg.families}
    docs = sample_clean(bench)
    docs_by_split = {split: [d for d in docs if d.split == split] for split in cfg.splits}
    log(f"{len(families)} families, {sum(map(len, docs_by_split.values()))} clean documents")
    return ZooSetup(bench, model, families, notes, docs_by_split)


def run(cfg: ZooConfig, *, model_path: Path | None = None, log: Callable[[str], None] = print) -> dict[str, Any]:
    """The baseline: the default model (or ``model_path``) evaluates every family."""
    t0 = time.perf_counter()
    setup = zoo_setup(cfg, model_path=model_path, log=log)
    bench, model, families, docs_by_split = setup.bench, setup.model, setup.families, setup.docs_by_split
    data_dir = bench.resolved_data_dir()
    results, records = evaluate_zoo(
        cfg, families, docs_by_split, _model_for(cfg, model, families), data_dir=data_dir, log=log
    )
    results["examples"] = _examples(records, families, seed=cfg.seed)
    results["config"] = dataclasses.asdict(cfg)
    results["model"] = {"path": str(model.path), "version": model.version}
    results["data"] = {
        "n_clean": {s: dict(sorted(Counter(d.register for d in ds).items())) for s, ds in docs_by_split.items()},
        "max_chars": bench.max_chars,
    }
    results["git"] = git_info()
    results["versions"] = versions()
    results["machine"] = machine()
    results["notes"] = setup.notes
    results["seconds"] = round(time.perf_counter() - t0, 1)
    results["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return results


def _model_for(cfg: ZooConfig, model: Any, families: dict[str, SpinnerFamily]) -> ModelFor:
    """The default model for every family, or (``disjoint_halves``) the other lexicon half for the half families."""
    if not cfg.disjoint_halves:
        return lambda _: model
    half_a, half_b = model.lexicon.split(seed=cfg.seed)  # the halves build_zoo made its tables from
    only_b, only_a = model.with_lexicon(half_b), model.with_lexicon(half_a)
    other = {"half_a": only_b, "misspelt": only_b, "half_b": only_a}

    def model_for(name: str) -> Any:
        fam = families.get(name)
        return other.get(fam.table_kind, model) if fam is not None else model

    return model_for


def _examples(records: Sequence[SpanRecord], families: dict[str, SpinnerFamily], *, seed: int) -> dict[str, Any]:
    """Up to :data:`N_EXAMPLES` forced misses per family, a seeded sample (dev first)."""
    out: dict[str, Any] = {}
    for name in families:
        misses = [r for r in records if r.family == name and not r.forced_ok]
        rng = random.Random(f"{seed}/{name}")
        dev = [r for r in misses if r.split == "dev"]
        rest = [r for r in misses if r.split != "dev"]
        picked = rng.sample(dev, min(len(dev), N_EXAMPLES))
        picked += rng.sample(rest, min(len(rest), N_EXAMPLES - len(picked)))
        out[name] = [
            {
                "split": r.split,
                "doc_id": r.doc_id,
                "observed": r.observed,
                "original": r.original,
                "restorer_wrote": r.forced_wrote,
                "class": r.miss_class,
                "flagged": r.flagged,
                "context": r.context,
            }
            for r in picked
        ]
    return out


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _f3(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def render_markdown(res: dict[str, Any], *, json_name: str) -> str:
    """The report: per family and split, the means, clean FPR, real pages, curves, error analysis, examples."""
    fams: dict[str, Any] = res["families"]
    splits = list(res["config"]["splits"])
    dirty = " (dirty tree)" if res["git"]["dirty"] else ""
    lines = [
        f"# Spinner zoo benchmark: {res['config']['suite']} suite",
        "",
        f"Model `{res['model']['version']}`, git `{res['git']['sha']}`{dirty}, "
        f"seed {res['config']['seed']}, file `{json_name}`; {res['seconds']} s on "
        f"{res['machine'].get('cpu_count', '?')} CPUs (load average at the end {res.get('load_average')}).",
        "",
        "Every family spins the same held-out documents (all registers; never the train split). "
        "*Gated* is what `despin.restore` does (words change only when the document is judged spun); "
        "*forced* edits every document (`force=True`). Restore recall: a substituted span whose output equals the "
        "original (ignoring case and spacing). Damage: share of untouched words changed. Oracle: the true original "
        "is among `model.restorer().candidates.candidates(observed)`. The baseline model saw none of the families "
        "in training, though its lexicon contains the lexicon-half, Wordnet, mythes and multi-word tables. "
        "AUROC 3% and 10%: spins without a footer; native: the family's own rate and artefacts. The *miss* columns "
        "split the forced restorer's misses by cause, as shares of all substituted spans.",
        "",
        "## Families",
        "",
        "| family | table | pairs | choice | rate | capitalised | repeats | footer | wrong sense | |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, fr in fams.items():
        t = fr["traits"]
        lines.append(
            f"| {name} | {t['table_kind']} | {t['table_pairs']:,} | {t['mode']} | {t['rate']:.2f} | "
            f"{t['capitalize']:.0%} | {t['repeat']:.0%} | {'yes' if t['footer'] else 'no'} | {t['wrong_sense']:.0%} | "
            f"{t['description']} |"
        )
    for split in splits:
        lines += [
            "",
            f"## Results, {split}",
            "",
            "| family | AUROC 3% | AUROC 10% | AUROC native | flagged (native) | recall gated | damage gated | "
            "recall forced | damage forced | oracle recall | miss: no cand. | miss: below bar | miss: kept | "
            "miss: case only | miss: wrong |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        means: dict[str, list[float | None]] = defaultdict(list)
        cap_means: dict[str, list[float | None]] = defaultdict(list)
        for name, fr in fams.items():
            per_rate = fr[split]
            nat = per_rate[f"{fr['traits']['rate']:.2f}"]
            low = per_rate.get(f"{LOW_RATE:.2f}", {})
            mid = per_rate.get(f"{MID_RATE:.2f}", {})
            miss = nat.get("forced_misses", {})
            row = {
                "auroc_low": low.get("auroc"),
                "auroc_mid": mid.get("auroc"),
                "auroc_native": nat.get("auroc"),
                "flagged": nat.get("flagged"),
                "recall": nat["restore"]["exact_restore"],
                "damage": nat["restore"]["damage"],
                "recall_forced": nat.get("forced", {}).get("exact_restore"),
                "damage_forced": nat.get("forced", {}).get("damage"),
                "oracle": nat.get("oracle_recall"),
                **{f"miss_{k}": miss.get(k) for k in MISS_CLASSES},
            }
            for k, v in row.items():
                means[k].append(v)
                if fr["traits"]["capitalize"] >= 1.0:
                    cap_means[k].append(v)
            lines.append(_result_row(f"{name} ({fr['traits']['rate']:.0%})", row))
        lines.append(_result_row("**mean over families**", {k: _mean(v) for k, v in means.items()}))
        if cap_means:
            lines.append(_result_row("**mean, capitalised families**", {k: _mean(v) for k, v in cap_means.items()}))
    if res["config"].get("disjoint_halves"):
        lines[3:3] = [
            "",
            "**Disjoint halves**: the lexicon-half and misspelt families are restored by the model restricted to "
            "the other half of the lexicon (`model.with_lexicon`), so the restorer never saw their table. "
            "Clean false-positive rates per family's model: "
            + ", ".join(f"{n} {fr.get('clean_fpr')}" for n, fr in fams.items()),
        ]
    failures = [f"- {name}: {'; '.join(fr['notes'])}" for name, fr in fams.items() if fr.get("notes")]
    if failures:
        lines += ["", "**Errors and notes** (a family whose model failed shows dashes):", "", *failures]
    lines += _clean_section(res, splits) + _real_section(res) + _curve_section(fams, splits)
    lines += _analysis_section(fams, splits) + _examples_section(res)
    return "\n".join(lines) + "\n"


def _result_row(label: str, r: dict[str, Any]) -> str:
    cells = [
        _f3(r["auroc_low"]),
        _f3(r["auroc_mid"]),
        _f3(r["auroc_native"]),
        _pct(r["flagged"]),
        _pct(r["recall"]),
        _pct(r["damage"]),
        _pct(r["recall_forced"]),
        _pct(r["damage_forced"]),
        _pct(r["oracle"]),
        *(_pct(r[f"miss_{k}"]) for k in MISS_CLASSES),
    ]
    return f"| {label} | " + " | ".join(cells) + " |"


def _clean_section(res: dict[str, Any], splits: Sequence[str]) -> list[str]:
    lines = ["", "## False positives on clean text (default threshold)", ""]
    regs = sorted({r for s in splits for r in res["clean"].get(s, {}).get("fpr_by_register", {})})
    lines += ["| split | " + " | ".join(regs) + " | all | damage |", "|---|" + "---|" * (len(regs) + 2)]
    for s in splits:
        c = res["clean"].get(s, {})
        fpr, n = c.get("fpr_by_register", {}), c.get("n_by_register", {})
        cells = [f"{_pct(fpr[r])} of {n[r]}" if r in fpr else "–" for r in regs]
        lines.append(f"| {s} | " + " | ".join(cells) + f" | {_pct(c.get('fpr'))} | {_pct(c.get('damage'))} |")
    return lines


def _real_section(res: dict[str, Any]) -> list[str]:
    real = res.get("real") or {}
    if "pages" not in real:
        return ["", "## Real pages", "", real.get("note", "not evaluated")]
    lines = [
        "",
        "## Real pages (shared/data/real; evaluation only)",
        "",
        f"- thesaurus / translation+thesaurus pages flagged: **{real['thesaurus']['flagged']} of "
        f"{real['thesaurus']['n']}** (target at least 5 of 6)",
        f"- back-translated pages flagged: {real['back_translation']['flagged']} of {real['back_translation']['n']}",
        f"- clean look-alikes flagged: **{real['lookalikes']['flagged']} of {real['lookalikes']['n']}** "
        "(target at most 1)",
        "",
        "| page | kind | score | flagged | word edits |",
        "|---|---|---|---|---|",
    ]
    for r in real["pages"]:
        lines.append(
            f"| {r['id']} | {r['kind']} | {r['score']:.3f} | {'yes' if r['flagged'] else 'no'} | {r['n_word_edits']} |"
        )
    return lines


def _curve_section(fams: dict[str, Any], splits: Sequence[str]) -> list[str]:
    lines = [
        "",
        "## Recall/damage curve (native rate, one forced pass, edits with confidence >= t)",
        "",
        "| family | split | " + " | ".join(f"t={t}" for t in CURVE_GRID) + " |",
        "|---|---|" + "---|" * len(CURVE_GRID),
    ]
    for name, fr in fams.items():
        for s in splits:
            pts = fr[s][f"{fr['traits']['rate']:.2f}"].get("curve")
            if pts:
                cells = [f"{_pct(p['recall'])} / {_pct(p['damage'])}" for p in pts]
                lines.append(f"| {name} | {s} | " + " | ".join(cells) + " |")
    return lines


def _analysis_section(fams: dict[str, Any], splits: Sequence[str]) -> list[str]:
    lines = [
        "",
        "## Error analysis: candidates or ranking?",
        "",
        "Of the substituted spans the forced restorer missed (native rate), the share whose original was not "
        "proposed at all (*no candidate*: widen the channel) against the share proposed but not chosen "
        "(*ranking*: restored at the curve's lowest bar but held back by the confidence threshold, kept, only "
        "the case restored, or another candidate won). *Unflagged*: of the spans the API left unrestored, the "
        "share in documents it did not judge spun.",
        "",
    ]
    order = sorted(
        fams,
        key=lambda n: (
            _mean(
                [fams[n][s][f"{fams[n]['traits']['rate']:.2f}"].get("forced", {}).get("exact_restore") for s in splits]
            )
            or 0.0
        ),
    )
    for name in order[:3]:  # the lowest forced recall: say in words where their misses come from
        lines.append(_verdict(name, fams[name], splits))
    lines += [
        "",
        "| family | split | forced recall | misses | no candidate | ranking | "
        "of which below bar / kept / case only / wrong | unflagged | oracle by source |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in order:
        fr = fams[name]
        for s in splits:
            nat = fr[s][f"{fr['traits']['rate']:.2f}"]
            m = nat.get("forced_misses") or {}
            total = sum(v or 0.0 for v in m.values())
            if not total:
                continue
            nc = (m.get("no_candidate") or 0.0) / total
            parts = " / ".join(_pct((m.get(k) or 0.0) / total) for k in MISS_CLASSES[1:])
            lines.append(
                f"| {name} | {s} | {_pct(nat.get('forced', {}).get('exact_restore'))} | {_pct(total)} | {_pct(nc)} | "
                f"{_pct(1 - nc)} | {parts} | {_pct(nat.get('gated_miss_unflagged'))} | "
                f"{', '.join(f'{k} {v}' for k, v in nat.get('oracle_by_source', {}).items())} |"
            )
    return lines


def _verdict(name: str, fr: dict[str, Any], splits: Sequence[str]) -> str:
    """One line: a family's forced recall, and whether its misses are candidates or ranking (splits pooled)."""
    nats = [fr[s][f"{fr['traits']['rate']:.2f}"] for s in splits]
    share = {k: _mean([(n.get("forced_misses") or {}).get(k) for n in nats]) or 0.0 for k in MISS_CLASSES}
    total = sum(share.values()) or 1.0
    nc = share["no_candidate"] / total
    ranking = ", ".join(f"{k.replace('_', ' ')} {_pct(share[k] / total)}" for k in MISS_CLASSES[1:])
    cause = "candidate recall: the original is not proposed" if nc >= 0.5 else "ranking: the original is proposed"
    gated = _mean([n["restore"]["exact_restore"] for n in nats])
    unflagged = _mean([n.get("gated_miss_unflagged") for n in nats])
    return (
        f"- **{name}**: forced recall {_pct(_mean([n.get('forced', {}).get('exact_restore') for n in nats]))} "
        f"(gated {_pct(gated)}; {_pct(unflagged)} of the gated misses are in unflagged documents). "
        f"Larger cause: {cause} "
        f"({_pct(nc)} of the misses have no candidate; {ranking})."
    )


def _examples_section(res: dict[str, Any]) -> list[str]:
    lines = ["", f"## Misrestored examples ({N_EXAMPLES} per family, forced restorer, dev first)", ""]
    for name, rows in res.get("examples", {}).items():
        lines += [
            f"### {name}",
            "",
            "| split | observed | original | restorer wrote | why | context |",
            "|---|---|---|---|---|---|",
        ]
        for r in rows:
            ctx = r["context"].replace("|", "\\|")
            lines.append(
                f"| {r['split']} | {r['observed']} | {r['original']} | {r['restorer_wrote']} | {r['class']} | {ctx} |"
            )
        lines.append("")
    return lines


def write_results(res: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    variant = "-disjoint" if res["config"].get("disjoint_halves") else ""
    stem = f"zoo-{res['config']['suite']}{variant}-{res['git']['sha']}"
    path = out_dir / f"{stem}.json"
    path.write_text(json.dumps(res, indent=1, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    (out_dir / f"{stem}.md").write_text(render_markdown(res, json_name=path.name), encoding="utf-8")
    return path


F = TypeVar("F", bound=Callable[..., Any])


def zoo_options(f: F) -> F:
    """The options every spinner-zoo benchmark takes: suite, seed, sample size, families, model, output, render."""
    options = [
        click.option("--suite", type=click.Choice(["quick", "full"]), default="quick", show_default=True),
        click.option("--seed", type=int, default=0, show_default=True),
        click.option("--sample-size", type=int, default=None, help="Documents per (split, register)."),
        click.option("--family", "families", multiple=True, help="Only these families (repeatable)."),
        click.option("--model", type=click.Path(file_okay=False, path_type=Path), default=None),
        click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=RESULTS_DIR),
        click.option(
            "--render",
            type=click.Path(dir_okay=False, exists=True, path_type=Path),
            default=None,
            help="Only redraw the report of an existing results file.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@click.command()
@zoo_options
@click.option("--no-curve", is_flag=True, help="Skip the recall/damage curve pass.")
@click.option("--disjoint-halves", is_flag=True, help="Restore the lexicon-half families with the other half only.")
def main(
    suite: str,
    seed: int,
    sample_size: int | None,
    families: tuple[str, ...],
    no_curve: bool,
    disjoint_halves: bool,
    model: Path | None,
    out_dir: Path,
    render: Path | None,
) -> None:
    """Run the spinner-zoo benchmark and write benchmarks/results/zoo-<suite>-<sha>.json and .md."""
    if render is not None:
        res = json.loads(render.read_text(encoding="utf-8"))
        render.with_suffix(".md").write_text(render_markdown(res, json_name=render.name), encoding="utf-8")
        click.echo(str(render.with_suffix(".md")))
        return
    cfg = ZooConfig(
        suite=suite,
        seed=seed,
        sample_size=sample_size,
        families=families,
        curve=not no_curve,
        disjoint_halves=disjoint_halves,
    )
    res = run(cfg, model_path=model, log=lambda m: print(m, file=sys.stderr))
    click.echo(str(write_results(res, out_dir)))


if __name__ == "__main__":
    main()
