"""Markdown from a results file: the full table next to it, and the README's results section.

Everything here reads only a results JSON written by ``python -m benchmarks run``; numbers are
never recomputed, so a report can always be traced to the file it came from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.config import RESULTS_DIR
from despin.errors import ConfigError

START, END = "<!-- results:start -->", "<!-- results:end -->"


def load_results(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def latest_results(results_dir: Path = RESULTS_DIR, *, prefer_full: bool = True) -> Path:
    """The newest results file (by its recorded timestamp), preferring the full suite."""
    files = sorted(results_dir.glob("*.json"))
    if not files:
        raise ConfigError(f"no results in {results_dir}; run `python -m benchmarks run` first")

    def key(p: Path) -> tuple[int, str]:
        try:
            r = load_results(p)
        except ValueError:
            return (-1, "")
        full = r.get("config", {}).get("suite") == "full"
        return (int(full) if prefer_full else 0, str(r.get("created", "")))

    return max(files, key=key)


def _f(x: Any, pct: bool = False) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{100 * x:.1f}%" if pct else f"{x:.3f}"
    return str(x)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _dr(results: dict[str, Any]) -> dict[str, Any]:
    return dict(results.get("benchmarks", {}).get("detect_restore", {}))


def detection_tables(results: dict[str, Any]) -> list[str]:
    dr = _dr(results)
    lines: list[str] = []
    q = dr.get("quality", {})
    head = dr.get("data", {}).get("headline_rate", 0.15)
    for split, sq in q.items():
        det = sq.get("detection", {})
        if not det:
            continue
        lines.append(f"**Detection, {split}** (spun at {head:.0%} with the shared table; FPR on clean text)")
        lines.append("")
        registers = sorted({r for d in det.values() for r in d.get("by_register", {})})
        rows = []
        for system, d in det.items():
            for reg in registers:
                n = d["by_register"].get(reg, {})
                rows.append(
                    [
                        system,
                        reg,
                        _f(n.get("auroc")),
                        _f(n.get("precision"), True),
                        _f(n.get("recall"), True),
                        _f(n.get("fpr"), True),
                        f"{n.get('n_pos', 0)}/{n.get('n_neg', 0)}",
                    ]
                )
        lines += _table(["system", "register", "AUROC", "precision", "recall", "FPR (clean)", "pos/neg"], rows)
        lines.append("")
        rows = []
        for system, d in det.items():
            for table, per_rate in d.get("by_rate", {}).items():
                for rate, n in per_rate.items():
                    rows.append(
                        [
                            system,
                            table,
                            rate,
                            _f(n.get("auroc")),
                            _f(n.get("auroc_no_footer")),
                            _f(n.get("recall"), True),
                            _f(n.get("fpr"), True),
                        ]
                    )
        if rows:
            lines.append(f"**Detection by spin rate, {split}** (all registers pooled)")
            lines.append("")
            lines += _table(["system", "table", "rate", "AUROC", "AUROC w/o footer", "recall", "FPR"], rows)
            lines.append("")
    return lines


def restoration_tables(results: dict[str, Any]) -> list[str]:
    dr = _dr(results)
    lines: list[str] = []
    for split, sq in dr.get("quality", {}).items():
        rest = sq.get("restoration", {})
        if not rest:
            continue
        lines.append(f"**Restoration, {split}** (exact restore of substituted words; damage to untouched words)")
        lines.append("")
        rows = []
        for system, r in rest.items():
            for table in ("shared", "disjoint"):
                for rate, n in r.get(table, {}).items():
                    rows.append(
                        [
                            system,
                            table,
                            rate,
                            _f(n.get("exact_restore"), True),
                            _f(n.get("damage"), True),
                            _f(n.get("repeat_removal"), True),
                            _f(n.get("footer_removal"), True),
                            f"{_f(n.get('wer_spun'))} → {_f(n.get('wer_restored'))}",
                            _f(n.get("wer_reduction"), True),
                        ]
                    )
        lines += _table(
            [
                "system",
                "table",
                "rate",
                "exact restore",
                "damage",
                "repeats removed",
                "footers removed",
                "WER spun → restored",
                "WER reduction",
            ],
            rows,
        )
        lines.append("")
        rows = [
            [
                system,
                _f(r.get("clean", {}).get("damage"), True),
                _f(r.get("clean", {}).get("docs_changed"), True),
            ]
            for system, r in rest.items()
        ]
        lines.append(f"Clean {split} text through the restorer (should stay unchanged):")
        lines.append("")
        lines += _table(["system", "words changed", "documents changed"], rows)
        lines.append("")
    return lines


def span_tables(results: dict[str, Any]) -> list[str]:
    """Token-level agreement of detected spans with the gold substitutions and repeats."""
    lines: list[str] = []
    for split, sq in _dr(results).get("quality", {}).items():
        rows = []
        for system, per_table in sq.get("spans", {}).items():
            for table, per_rate in per_table.items():
                for rate, n in per_rate.items():
                    rows.append(
                        [
                            system,
                            table,
                            rate,
                            _f(n.get("precision"), True),
                            _f(n.get("recall"), True),
                            _f(n.get("f1"), True),
                        ]
                    )
        if rows:
            lines += [f"**Suspicious spans vs gold edits, {split}** (word tokens)", ""]
            lines += _table(["system", "table", "rate", "precision", "recall", "F1"], rows) + [""]
        rows = []
        for system, r in sq.get("restoration", {}).items():
            for reg, n in r.get("by_register", {}).items():
                rows.append(
                    [
                        system,
                        reg,
                        _f(n.get("exact_restore"), True),
                        _f(n.get("damage"), True),
                        f"{_f(n.get('wer_spun'))} → {_f(n.get('wer_restored'))}",
                    ]
                )
        if rows:
            head = _dr(results).get("data", {}).get("headline_rate", 0.15)
            lines += [f"**Restoration by register, {split}** (shared table, rate {head:.2f})", ""]
            lines += _table(["system", "register", "exact restore", "damage", "WER spun → restored"], rows) + [""]
    return lines


def speed_table(results: dict[str, Any]) -> list[str]:
    sp = _dr(results).get("speed", {})
    rows = []
    for system, d in sp.items():
        if not isinstance(d, dict):
            continue
        label = "despin (same clean docs)" if system == "despin_clean_sample" else f"{system} (eval sets)"
        for verb in ("detect", "restore"):
            n = d.get(verb, {})
            if n.get("docs_per_s"):
                rows.append(
                    [
                        label,
                        verb,
                        f"{n['docs_per_s']:,.1f}",
                        f"{n.get('chars_per_s', 0):,}",
                        f"{n.get('ms_per_doc', 0):,.1f}",
                        str(n.get("n_docs", "")),
                    ]
                )
    if not rows:
        return []
    machine = results.get("machine", {})
    lines = [
        f"**Speed** (one process after loading; {machine.get('cpu_count', '?')} CPUs, "
        f"peak RSS {sp.get('peak_rss_mb', '?')} MB, model load {sp.get('load_s', '?')} s)",
        "",
    ]
    return lines + _table(["system", "verb", "docs/s", "chars/s", "ms/doc", "docs"], rows) + [""]


def other_sections(results: dict[str, Any]) -> list[str]:
    """One line per other benchmark module (trace, scale, serve): its headline numbers or its error."""
    lines = []
    for name, r in results.get("benchmarks", {}).items():
        if name == "detect_restore":
            continue
        if isinstance(r, dict) and "error" in r:
            lines.append(f"- `{name}`: failed: {r['error']}")
            continue
        flat = {k: v for k, v in (r or {}).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        summary = ", ".join(f"{k}={v:.4g}" for k, v in list(flat.items())[:8]) or "see the results file"
        lines.append(f"- `{name}`: {summary}")
    return lines + [""] if lines else []


def markdown(results: dict[str, Any], *, source: str = "") -> str:
    """The full report of one results file."""
    cfg = results.get("config", {})
    version = _dr(results).get("model", {}).get("version", "?")
    sha = results.get("git", {}).get("sha", "?")
    lines = [
        f"# despin benchmark: {cfg.get('suite', '?')} suite, {results.get('created', '')}",
        "",
        f"Model `{version}`, git `{sha}`, "
        f"seed {cfg.get('seed')}, config `{results.get('fingerprint', '')}`" + (f", file `{source}`" if source else ""),
        "",
    ]
    lines += (
        detection_tables(results)
        + restoration_tables(results)
        + span_tables(results)
        + speed_table(results)
        + other_sections(results)
    )
    notes = _dr(results).get("notes") or []
    errors = _dr(results).get("errors") or {}
    lines += [f"- note: {n}" for n in notes]
    lines += [f"- errors in `{k}`: {v['n']} (first: {v['first'][:1]})" for k, v in errors.items()]
    return "\n".join(lines).rstrip() + "\n"


def readme_section(results: dict[str, Any], *, source: str) -> str:
    """The compact summary that goes between the README markers."""
    dr = _dr(results)
    head = dr.get("data", {}).get("headline_rate", 0.15)
    cfg = results.get("config", {})
    sha = results.get("git", {}).get("sha", "?")
    lines = [
        f"Measured by `python -m benchmarks run --suite {cfg.get('suite', 'full')}` "
        f"(results file [`{source}`](benchmarks/results/{source}), git `{sha}`, "
        f"seed {cfg.get('seed')}). Dev and test are held-out splits (never trained on); the spinner is "
        "`despin.spin` with the model's lexicon (*shared*) or with a pair-disjoint half of it (*disjoint*, "
        "the restorer gets the other half). Baselines: `ppl` flags text by KenLM perplexity (CCNet-style, "
        "threshold at the 90th percentile of clean dev text); `most_frequent` replaces every word by its most "
        "frequent candidate original. Exact restore is per substituted word; damage is the share of untouched "
        "words the restorer changed; WER counts the footer and repeated words too.",
        "",
    ]
    rows = []
    for split, sq in dr.get("quality", {}).items():
        det = sq.get("detection", {})
        for system in ("despin", "ppl"):
            d = det.get(system)
            if not d:
                continue
            sh = d.get("by_rate", {}).get("shared", {}).get(f"{head:.2f}", {})
            dj = d.get("by_rate", {}).get("disjoint", {}).get(f"{head:.2f}", {})
            fprs = [n.get("fpr") for n in d.get("by_register", {}).values() if n.get("fpr") is not None]
            rows.append(
                [
                    split,
                    system,
                    _f(sh.get("auroc")),
                    _f(dj.get("auroc")),
                    _f(sh.get("precision"), True),
                    _f(sh.get("recall"), True),
                    _f(max(fprs), True) if fprs else "–",
                ]
            )
    if rows:
        lines.append(f"Detection at a {head:.0%} spin rate (default threshold):")
        lines.append("")
        lines += _table(
            [
                "split",
                "system",
                "AUROC shared",
                "AUROC disjoint",
                "precision",
                "recall",
                "worst clean FPR (per register)",
            ],
            rows,
        )
        lines.append("")
    rows = []
    for split, sq in dr.get("quality", {}).items():
        for system, r in sq.get("restoration", {}).items():
            for table in ("shared", "disjoint"):
                n = r.get(table, {}).get(f"{head:.2f}")
                if n:
                    rows.append(
                        [
                            split,
                            system,
                            table,
                            _f(n.get("exact_restore"), True),
                            _f(n.get("damage"), True),
                            _f(n.get("repeat_removal"), True),
                            f"{_f(n.get('wer_spun'))} → {_f(n.get('wer_restored'))}",
                        ]
                    )
    if rows:
        lines.append(f"Restoration at a {head:.0%} spin rate:")
        lines.append("")
        lines += _table(
            ["split", "system", "table", "exact restore", "damage", "repeats removed", "WER spun → restored"],
            rows,
        )
        lines.append("")
    lines += speed_table(results)
    stem = source.removesuffix(".json")
    lines.append(f"Full tables: [`{stem}.md`](benchmarks/results/{stem}.md); plots: `benchmarks/results/{stem}-*.png`.")
    return "\n".join(lines).rstrip() + "\n"


def update_readme(readme: Path, section: str) -> bool:
    """Replace the text between the results markers; False when the markers are missing."""
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        return False
    new = pattern.sub(lambda _: f"{START}\n{section}{END}", text, count=1)
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return True
