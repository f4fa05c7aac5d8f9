"""Reliability of despin's confidences: are edit confidences and spun scores calibrated?

``python -m benchmarks.reliability --suite quick|full`` spins held-out dev and test documents (never
train) with every family of :mod:`despin.spinner.zoo`, at the rates the zoo benchmark uses (3% without
a footer, and the family's own rate with all its artefacts; 10% too in the full suite), and restores
each with ``despin.restore(text, force=True)`` and the default model. It records:

* **edits**: every synonym edit's ``confidence``, and whether it is correct: it overlaps a gold
  substituted span and the output over that span equals the gold original, ignoring case and spacing
  (the zoo benchmark's per-span judging, :func:`benchmarks.zoo.span_outcomes`). An edit on an untouched
  word is wrong. Edits on clean documents are reported apart (all of them are wrong by definition);
* **documents**: each document's ``spun_score`` against whether it is spun; the negatives are the
  clean documents of the same split.

Per split, pooled over families and per family: a reliability table (10 equal-width confidence
bins: count, mean confidence, accuracy), the expected calibration error (ECE: the count-weighted
mean of ``|accuracy - mean confidence|`` over the bins) and the Brier score (mean squared error of
the confidence against the 0/1 outcome). Writes ``benchmarks/results/reliability-<suite>-<sha>``
``.json``, ``.md`` and ``.png`` (both reliability diagrams).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np

from benchmarks.datasets import CleanDoc
from benchmarks.detect_restore import _despin_restored
from benchmarks.metrics import _overlaps
from benchmarks.runner import git_info, machine, versions
from benchmarks.zoo import ZooConfig, _spin_seed, restorer_changes, span_outcomes, zoo_options, zoo_setup
from despin import api
from despin.spinner.zoo import SpinnerFamily
from despin.types import Edit, SpinEdit

N_BINS = 10
CLEAN = "clean"  # the family name of the unspun documents: negatives for detection

# -- calibration measures (pure) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bin:
    """One equal-width confidence bin ``[lo, hi)`` (the last one includes 1.0)."""

    lo: float
    hi: float
    n: int
    mean_confidence: float | None  # None when the bin is empty
    accuracy: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lo": round(self.lo, 4),
            "hi": round(self.hi, 4),
            "n": self.n,
            "mean_confidence": _r(self.mean_confidence),
            "accuracy": _r(self.accuracy),
        }


def _arrays(confidence: Sequence[float], correct: Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    if len(confidence) != len(correct):
        raise ValueError(f"{len(confidence)} confidences but {len(correct)} outcomes")
    p = np.asarray(confidence, dtype=np.float64)
    if p.size and (np.isnan(p).any() or p.min() < 0.0 or p.max() > 1.0):
        raise ValueError("confidences must lie in [0, 1]")
    return p, np.asarray(correct, dtype=np.float64)


def bin_index(confidence: Sequence[float] | np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """The bin of each confidence: ``floor(p * n_bins)``, with 1.0 in the last bin.

    Example:
        >>> bin_index([0.0, 0.05, 0.1, 0.95, 1.0]).tolist()
        [0, 0, 1, 9, 9]
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    p = np.asarray(confidence, dtype=np.float64)
    return np.clip(np.floor(p * n_bins), 0, n_bins - 1).astype(np.int64)


def reliability_bins(confidence: Sequence[float], correct: Sequence[bool], n_bins: int = N_BINS) -> list[Bin]:
    """The reliability table: per equal-width bin, its count, mean confidence and accuracy.

    Example:
        >>> [(b.n, b.mean_confidence, b.accuracy) for b in reliability_bins([0.25, 0.25, 0.75], [False, True, True], 2)]
        [(2, 0.25, 0.5), (1, 0.75, 1.0)]
    """
    p, y = _arrays(confidence, correct)
    idx = bin_index(p, n_bins)
    out: list[Bin] = []
    for b in range(n_bins):
        mask = idx == b
        n = int(mask.sum())
        mean_conf = float(p[mask].mean()) if n else None
        acc = float(y[mask].mean()) if n else None
        out.append(Bin(b / n_bins, (b + 1) / n_bins, n, mean_conf, acc))
    return out


def expected_calibration_error(
    confidence: Sequence[float], correct: Sequence[bool], n_bins: int = N_BINS
) -> float | None:
    """ECE: ``sum_b (n_b / N) * |accuracy_b - mean confidence_b|`` over equal-width bins; None when empty.

    Example:
        >>> expected_calibration_error([0.25, 0.25, 0.75], [False, True, True], 2)
        0.25
    """
    bins = reliability_bins(confidence, correct, n_bins)
    total = sum(b.n for b in bins)
    if not total:
        return None
    return sum(
        b.n / total * abs(b.accuracy - b.mean_confidence)
        for b in bins
        if b.accuracy is not None and b.mean_confidence is not None
    )


def brier_score(confidence: Sequence[float], correct: Sequence[bool]) -> float | None:
    """Mean of ``(confidence - outcome) ** 2``; None when empty.

    Example:
        >>> brier_score([1.0, 0.5], [True, False])
        0.125
    """
    p, y = _arrays(confidence, correct)
    return float(np.mean((p - y) ** 2)) if p.size else None


def calibration(confidence: Sequence[float], correct: Sequence[bool], n_bins: int = N_BINS) -> dict[str, Any]:
    """Everything reported for one set of predictions: sizes, means, ECE, Brier and the bins."""
    bins = reliability_bins(confidence, correct, n_bins)
    n = len(confidence)
    return {
        "n": n,
        "mean_confidence": _r(float(np.mean(confidence))) if n else None,
        "accuracy": _r(float(np.mean(np.asarray(correct, dtype=np.float64)))) if n else None,
        "ece": _r(expected_calibration_error(confidence, correct, n_bins)),
        "brier": _r(brier_score(confidence, correct)),
        "bins": [b.to_dict() for b in bins],
    }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


# -- judging one document ------------------------------------------------------------------------------


def edit_correct(spun: str, gold: Sequence[SpinEdit], edits: Sequence[Edit], ok: Sequence[bool]) -> list[bool]:
    """Per synonym edit of ``edits``: does it restore the gold substituted span(s) it touches?

    Args:
        spun: the spun text the edits apply to.
        gold: the spinner's gold edits.
        edits: the restorer's edits (only ``kind == "synonym"`` ones are judged).
        ok: per synonym edit of ``gold``, in order, whether the restorer's output over it equals the
            original (:func:`benchmarks.zoo.span_outcomes`).

    An edit is correct when it overlaps at least one gold synonym span and every gold synonym span it
    overlaps is restored; an edit touching no substituted span changed an original word, and is wrong.
    """
    syn_gold = [g for g in gold if g.kind == "synonym"]
    if len(syn_gold) != len(ok):
        raise ValueError(f"{len(syn_gold)} gold synonym edits but {len(ok)} outcomes")
    out: list[bool] = []
    for e in edits:
        if e.kind != "synonym":
            continue
        hits = [g_ok for g, g_ok in zip(syn_gold, ok, strict=True) if _overlaps(e.start, e.end, g.start, g.end)]
        out.append(bool(hits) and all(hits))
    return out


@dataclass(frozen=True, slots=True)
class EditRecord:
    family: str
    split: str
    rate: str  # "0.03", "0.10" or "native" (the family's own rate and artefacts); "" on clean documents
    confidence: float
    correct: bool
    flagged: bool = False  # the document's detection says spun: restore applies this edit without force


@dataclass(frozen=True, slots=True)
class DocRecord:
    family: str  # CLEAN for the unspun documents
    split: str
    rate: str
    score: float
    spun: bool


# -- evaluation ----------------------------------------------------------------------------------------


def evaluate(
    cfg: ZooConfig,
    families: dict[str, SpinnerFamily],
    docs_by_split: dict[str, list[CleanDoc]],
    model: Any,
    *,
    log: Callable[[str], None] = lambda _: None,
) -> tuple[list[EditRecord], list[DocRecord]]:
    """Restore (forced) every clean document and every family's spins of it; judge each edit and score."""
    edits: list[EditRecord] = []
    docs: list[DocRecord] = []
    for split, clean_docs in docs_by_split.items():
        for doc in clean_docs:
            r = api.restore(doc.text, model=model, force=True)
            docs.append(DocRecord(CLEAN, split, "", r.detection.score, False))
            flagged = r.detection.is_spun
            edits += [
                EditRecord(CLEAN, split, "", e.confidence, False, flagged) for e in r.edits if e.kind == "synonym"
            ]
    for name, family in families.items():
        t0 = time.perf_counter()
        for split, clean_docs in docs_by_split.items():
            for rate in cfg.rates(family):
                native = rate == family.rate
                footer = None if native else False  # as the zoo: a footer alone gives a 3% spin away
                rate_name = "native" if native else f"{rate:.2f}"
                spinner = family.spinner(seed=_spin_seed(cfg.seed, name), rate=rate, footer=footer)
                for i, doc in enumerate(clean_docs):
                    sp = spinner.spin(doc.text, doc=i)
                    if not any(e.kind == "synonym" for e in sp.edits):
                        continue  # nothing substituted: neither a positive nor a negative
                    r = api.restore(sp.text, model=model, force=True)
                    docs.append(DocRecord(name, split, rate_name, r.detection.score, True))
                    ok = [
                        o for o, _ in span_outcomes(sp.text, sp.edits, restorer_changes(sp.text, _despin_restored(r)))
                    ]
                    judged = edit_correct(sp.text, sp.edits, r.edits, ok)
                    syn = [e for e in r.edits if e.kind == "synonym"]
                    edits += [
                        EditRecord(name, split, rate_name, e.confidence, c, r.detection.is_spun)
                        for e, c in zip(syn, judged, strict=True)
                    ]
        log(f"{name}: {time.perf_counter() - t0:.1f} s")
    return edits, docs


def summarise(edits: Sequence[EditRecord], docs: Sequence[DocRecord], splits: Sequence[str]) -> dict[str, Any]:
    """Per split: calibration of edits and of document scores, pooled, per family and per rate."""

    def cal_e(rows: Sequence[EditRecord]) -> dict[str, Any]:
        return calibration([r.confidence for r in rows], [r.correct for r in rows])

    def cal_d(rows: Sequence[DocRecord]) -> dict[str, Any]:
        return calibration([r.score for r in rows], [r.spun for r in rows])

    out: dict[str, Any] = {}
    for split in splits:
        e_spun = [r for r in edits if r.split == split and r.family != CLEAN]
        e_clean = [r for r in edits if r.split == split and r.family == CLEAN]
        d_all = [r for r in docs if r.split == split]
        d_clean = [r for r in d_all if r.family == CLEAN]
        fams = [f for f in dict.fromkeys(r.family for r in d_all) if f != CLEAN]
        by_fam_e: dict[str, list[EditRecord]] = defaultdict(list)
        by_rate_e: dict[str, list[EditRecord]] = defaultdict(list)
        for er in e_spun:
            by_fam_e[er.family].append(er)
            by_rate_e[er.rate].append(er)
        by_rate_d: dict[str, list[DocRecord]] = defaultdict(list)
        for dr in d_all:
            if dr.family != CLEAN:
                by_rate_d[dr.rate].append(dr)
        out[split] = {
            "edits": {
                "pooled": cal_e(e_spun),
                # What restore applies without force: the edits of flagged documents, clean ones included.
                "gated": cal_e([r for r in e_spun + e_clean if r.flagged]),
                "families": {f: cal_e(by_fam_e[f]) for f in fams},
                "by_rate": {k: cal_e(v) for k, v in sorted(by_rate_e.items())},
                "on_clean_documents": {
                    "n": len(e_clean),
                    "n_clean_documents": len(d_clean),
                    "mean_confidence": _r(float(np.mean([r.confidence for r in e_clean]))) if e_clean else None,
                },
            },
            "documents": {
                "n_spun": len(d_all) - len(d_clean),
                "n_clean": len(d_clean),
                # The per-family sets pooled: each family's spins against the clean documents, so the
                # clean documents count once per family and the classes keep the per-family balance.
                "pooled": cal_d([*(r for r in d_all if r.family != CLEAN), *(d_clean * len(fams))]),
                # Every document once: most are spun (every family spins each clean document).
                "pooled_each_once": cal_d(d_all),
                "families": {f: cal_d([r for r in d_all if r.family in (f, CLEAN)]) for f in fams},
                # Each rate's spins of every family against the clean documents, once per family as pooled.
                "by_rate": {k: cal_d([*v, *(d_clean * len(fams))]) for k, v in sorted(by_rate_d.items())},
            },
        }
    return out


def run(cfg: ZooConfig, *, model_path: Path | None = None, log: Callable[[str], None] = print) -> dict[str, Any]:
    """The default model (or ``model_path``) on every zoo family; see the module docstring."""
    t0 = time.perf_counter()
    setup = zoo_setup(cfg, model_path=model_path, log=log)
    bench, model, families, docs_by_split = setup.bench, setup.model, setup.families, setup.docs_by_split
    edits, docs = evaluate(cfg, families, docs_by_split, model, log=log)
    return {
        "results": summarise(edits, docs, cfg.splits),
        "families": {name: fam.traits() for name, fam in families.items()},
        "config": {**dataclasses.asdict(cfg), "n_bins": N_BINS},
        "model": {"path": str(model.path), "version": model.version},
        "data": {"n_clean": {s: len(d) for s, d in docs_by_split.items()}, "max_chars": bench.max_chars},
        "git": git_info(),
        "versions": versions(),
        "machine": machine(),
        "notes": setup.notes,
        "seconds": round(time.perf_counter() - t0, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


# -- reporting -------------------------------------------------------------------------------------------


def _f(x: float | None, fmt: str = ".3f") -> str:
    return "–" if x is None else format(x, fmt)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _bins_table(c: dict[str, Any]) -> list[str]:
    lines = ["| bin | count | mean confidence | accuracy | gap |", "|---|---|---|---|---|"]
    for b in c["bins"]:
        gap = None if b["n"] == 0 else b["accuracy"] - b["mean_confidence"]
        lines.append(
            f"| [{b['lo']:.1f}, {b['hi']:.1f}{']' if b['hi'] >= 1 else ')'} | {b['n']} | "
            f"{_f(b['mean_confidence'])} | {_f(b['accuracy'])} | {_f(gap, '+.3f')} |"
        )
    return lines


def _family_table(fams: dict[str, Any], pooled: dict[str, Any]) -> list[str]:
    head = " | ".join(f"{b / N_BINS:.1f}" for b in range(N_BINS))
    lines = [
        f"| family | n | mean conf. | accuracy | ECE | Brier | {head} |",
        "|---|---|---|---|---|---|" + "---|" * N_BINS,
    ]
    for name, c in [*fams.items(), ("**pooled**", pooled)]:
        cells = [f"{_f(b['accuracy'], '.2f')} ({b['n']})" if b["n"] else "·" for b in c["bins"]]
        lines.append(
            f"| {name} | {c['n']} | {_f(c['mean_confidence'])} | {_f(c['accuracy'])} | {_f(c['ece'])} | "
            f"{_f(c['brier'])} | " + " | ".join(cells) + " |"
        )
    return lines


def render_markdown(res: dict[str, Any], *, stem: str) -> str:
    dirty = " (dirty tree)" if res["git"]["dirty"] else ""
    cfg = res["config"]
    lines = [
        f"# Reliability of confidences: {cfg['suite']} suite",
        "",
        f"Model `{res['model']['version']}`, git `{res['git']['sha']}`{dirty}, seed {cfg['seed']}, "
        f"files `{stem}.json` / `.png`; {res['seconds']} s on {res['machine'].get('cpu_count', '?')} CPUs "
        f"(load average at the end {res['load_average']}).",
        "",
        "Held-out documents (dev and test, never train) spun by every spinner-zoo family at 3% (no footer), at the "
        "family's own rate with all its artefacts" + (" and at 10%" if cfg["suite"] == "full" else "") + ", then "
        "`despin.restore(text, force=True)` with the default model. **Edits**: every synonym edit's `confidence` "
        "against whether it is correct (it touches a gold substituted span and the output over that span equals the "
        "original, ignoring case and spacing; the zoo benchmark's judging). **Documents**: `spun_score` against "
        "spun/clean; the negatives are the clean documents of the split (per family: that family's spins against "
        "them; pooled: the per-family sets together). "
        f"{N_BINS} equal-width bins; ECE is the count-weighted mean |accuracy - mean confidence|; Brier is the mean "
        "squared error of the confidence against the 0/1 outcome. Per-family cells: accuracy (count) per bin.",
        "",
        "## Summary",
        "",
        "| split | what | n | mean confidence | accuracy | ECE | Brier |",
        "|---|---|---|---|---|---|---|",
    ]
    for split, r in res["results"].items():
        rows = (
            ("edits", r["edits"]["pooled"]),
            ("edits of flagged documents", r["edits"]["gated"]),
            ("documents", r["documents"]["pooled"]),
        )
        for what, c in rows:
            lines.append(
                f"| {split} | {what} | {c['n']} | {_f(c['mean_confidence'])} | {_f(c['accuracy'])} | "
                f"**{_f(c['ece'])}** | **{_f(c['brier'])}** |"
            )
    for split, r in res["results"].items():
        e, d = r["edits"], r["documents"]
        oc = e["on_clean_documents"]
        lines += [
            "",
            f"## {split}: edits",
            "",
            f"Pooled over families, all rates: ECE {_f(e['pooled']['ece'])}, Brier {_f(e['pooled']['brier'])}. "
            f"On the {oc['n_clean_documents']} clean documents the forced restorer made {oc['n']} synonym edits "
            f"(all wrong; mean confidence {_f(oc['mean_confidence'])}); they are not in the tables.",
            "",
            *_bins_table(e["pooled"]),
            "",
            f"Edits of the documents the API flags (what restore applies without force; clean documents "
            f"included): ECE {_f(e['gated']['ece'])}, Brier {_f(e['gated']['brier'])}, mean confidence "
            f"{_f(e['gated']['mean_confidence'])}, accuracy {_f(e['gated']['accuracy'])} (n {e['gated']['n']}).",
            "",
            "By rate: "
            + ", ".join(
                f"{k} ECE {_f(c['ece'])} / Brier {_f(c['brier'])} (n {c['n']})" for k, c in e["by_rate"].items()
            )
            + ".",
            "",
            *_family_table(e["families"], e["pooled"]),
            "",
            f"## {split}: document scores",
            "",
            f"{d['n_spun']} spun and {d['n_clean']} clean documents. Pooled (the per-family sets together: the "
            f"clean documents count once per family): ECE {_f(d['pooled']['ece'])}, Brier {_f(d['pooled']['brier'])}. "
            f"Every document once ({_pct(d['pooled_each_once']['accuracy'])} spun): ECE "
            f"{_f(d['pooled_each_once']['ece'])}, Brier {_f(d['pooled_each_once']['brier'])}.",
            "",
            *_bins_table(d["pooled"]),
            "",
            "By rate (that rate's spins against the clean documents, once per family): "
            + ", ".join(
                f"{k} ECE {_f(c['ece'])} / Brier {_f(c['brier'])} (n {c['n']})" for k, c in d["by_rate"].items()
            )
            + ".",
            "",
            *_family_table(d["families"], d["pooled"]),
        ]
    if res.get("notes"):
        lines += ["", "Notes: " + "; ".join(res["notes"])]
    return "\n".join(lines) + "\n"


def plot(res: dict[str, Any], path: Path) -> Path:
    """Both reliability diagrams (edits, document scores) for every split, with the bin counts."""
    from benchmarks.plots import _plt, _save

    plt = _plt()
    splits = list(res["results"])
    width = 1.0 / N_BINS
    fig, axes = plt.subplots(2, len(splits), figsize=(5.4 * len(splits), 10), squeeze=False)
    for col, split in enumerate(splits):
        for row, (what, title) in enumerate((("edits", "synonym edits: confidence"), ("documents", "spun_score"))):
            ax = axes[row][col]
            c = res["results"][split][what]["pooled"]
            full = [b for b in c["bins"] if b["n"]]
            ax.bar(
                [b["lo"] for b in full],
                [b["accuracy"] for b in full],
                width=width,
                align="edge",
                color="tab:blue",
                alpha=0.75,
                edgecolor="black",
                label="accuracy (pooled)",
            )
            # The bin's mean confidence as a red bar top: above the blue bar is over-confidence.
            ax.hlines(
                [b["mean_confidence"] for b in full],
                [b["lo"] for b in full],
                [b["hi"] for b in full],
                color="tab:red",
                lw=2.5,
                label="mean confidence",
            )
            for b in full:
                ax.text(b["lo"] + width / 2, 0.01, str(b["n"]), ha="center", va="bottom", fontsize=6, rotation=90)
            ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
            for fam, fc in res["results"][split][what]["families"].items():
                pts = [(b["mean_confidence"], b["accuracy"]) for b in fc["bins"] if b["n"] >= 5]
                if pts:
                    ax.plot(*zip(*pts, strict=True), marker=".", lw=0.7, alpha=0.5, label=fam)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_xlabel("confidence" if what == "edits" else "spun_score")
            ax.set_ylabel("share correct" if what == "edits" else "share spun")
            ax.set_title(f"{split}: {title}\nECE {_f(c['ece'])}, Brier {_f(c['brier'])}, n {c['n']}", fontsize=10)
            if (row, col) == (0, 0):
                ax.legend(loc="upper left", fontsize=6.5)
    fig.suptitle(
        f"despin reliability ({res['config']['suite']}, git {res['git']['sha']}): pooled bars with counts, "
        "families as lines (bins with 5 or more)",
        fontsize=10,
    )
    fig.tight_layout()
    return _save(fig, path)


def write_results(res: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"reliability-{res['config']['suite']}-{res['git']['sha']}"
    path = out_dir / f"{stem}.json"
    path.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out_dir / f"{stem}.md").write_text(render_markdown(res, stem=stem), encoding="utf-8")
    plot(res, out_dir / f"{stem}.png")
    return path


@click.command()
@zoo_options
def main(
    suite: str,
    seed: int,
    sample_size: int | None,
    families: tuple[str, ...],
    model: Path | None,
    out_dir: Path,
    render: Path | None,
) -> None:
    """Measure calibration and write benchmarks/results/reliability-<suite>-<sha>.json, .md and .png."""
    if render is not None:
        res = json.loads(render.read_text(encoding="utf-8"))
        stem = render.with_suffix("").name
        render.with_suffix(".md").write_text(render_markdown(res, stem=stem), encoding="utf-8")
        plot(res, render.with_suffix(".png"))
        click.echo(str(render.with_suffix(".md")))
        return
    cfg = ZooConfig(suite=suite, seed=seed, sample_size=sample_size, families=families, curve=False)
    res = run(cfg, model_path=model, log=lambda m: print(m, file=sys.stderr))
    click.echo(str(write_results(res, out_dir)))


if __name__ == "__main__":
    main()
