"""Clean sites of legal, report and devotional registers: does ``learn_site`` leave them unflagged?

Run: ``python -m benchmarks clean_sites``; writes ``clean-sites-<git sha>.json`` and ``.md`` under
``--out`` (default ``benchmarks/results/``).

Each site of ``benchmarks/real/clean_sites.jsonl`` (human-written Indonesian; evaluation only, see
``benchmarks/real/README.md``) is given to :func:`despin.learn_site` with the default model. Per site it
records pages, words, ``is_spun``, ``spun_score``, the number of learned entries and every entry with
``prob >= 0.9`` (``observed -> original``). On a clean site every such entry is a false one. Nothing is
tuned on these pages.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.config import REPO_ROOT, RESULTS_DIR
from benchmarks.registry import git_sha, md_table, parser_for

DATA = REPO_ROOT / "benchmarks" / "real" / "clean_sites.jsonl"
HIGH_PROB = 0.9
REGISTERS = ("legal", "report", "devotional")


@dataclass(frozen=True, slots=True)
class CleanSitesConfig:
    """Where the pages are and where results go."""

    data: Path = DATA
    out_dir: Path = RESULTS_DIR


def configure(argv: Sequence[str]) -> CleanSitesConfig:
    parser = parser_for("clean_sites", __doc__)
    parser.add_argument("--data", type=Path, default=DATA, help="the clean sites file (JSON lines)")
    a = parser.parse_args(list(argv))
    return CleanSitesConfig(data=a.data, out_dir=a.out)


def result_name(config: CleanSitesConfig, result: dict[str, Any]) -> str:
    return f"clean-sites-{result['git_sha']}"


def load_sites(path: Path) -> dict[str, tuple[str, list[str]]]:
    """site -> (register, its page texts in file order)."""
    sites: dict[str, tuple[str, list[str]]] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            register, texts = sites.setdefault(str(row["site"]), (str(row["register"]), []))
            texts.append(str(row["text"]))
    return sites


def run(config: CleanSitesConfig) -> dict[str, Any]:
    import despin

    sites_out: list[dict[str, Any]] = []
    for site, (register, texts) in sorted(load_sites(config.data).items()):
        t0 = time.perf_counter()
        result = despin.learn_site(texts)
        high = [
            {"observed": e.observed, "original": e.original, "prob": round(float(e.prob), 4)}
            for e in result.entries
            if e.prob >= HIGH_PROB
        ]
        sites_out.append(
            {
                "site": site,
                "register": register,
                "pages": result.pages,
                "words": result.words,
                "is_spun": bool(result.is_spun),
                "spun_score": round(float(result.spun_score), 4),
                "pages_flagged": result.pages_flagged,
                "entries": len(result.entries),
                "entries_p90": high,
                "top_entries": [
                    {"observed": e.observed, "original": e.original, "prob": round(float(e.prob), 4)}
                    for e in sorted(result.entries, key=lambda e: -e.prob)[:5]
                ],
                "seconds": round(time.perf_counter() - t0, 2),
            }
        )
    summary = []
    for register in REGISTERS:
        rows = [s for s in sites_out if s["register"] == register]
        summary.append(
            {
                "register": register,
                "sites": len(rows),
                "pages": sum(s["pages"] for s in rows),
                "sites_flagged": sum(s["is_spun"] for s in rows),
                "entries_p90": sum(len(s["entries_p90"]) for s in rows),
            }
        )
    return {
        "benchmark": "clean_sites",
        "git_sha": git_sha(),
        "data": str(config.data.relative_to(REPO_ROOT) if config.data.is_relative_to(REPO_ROOT) else config.data),
        "high_prob": HIGH_PROB,
        "summary": summary,
        "sites": sites_out,
    }


def render(result: dict[str, Any]) -> str:
    p = result["high_prob"]
    out = [
        f"# Clean sites (legal, report, devotional) at {result['git_sha']}",
        "",
        f"`despin.learn_site` on each clean site of `{result['data']}` (default model). On a clean site a flag is a "
        f"false positive and every entry with prob >= {p} is a false entry.",
        "",
        md_table(
            ["register", "sites", "pages", "sites flagged", f"entries p>={p}"],
            [[s["register"], s["sites"], s["pages"], s["sites_flagged"], s["entries_p90"]] for s in result["summary"]],
        ),
        "",
        md_table(
            ["site", "register", "pages", "words", "is_spun", "spun_score", "pages flagged", "entries", f"p>={p}"],
            [
                [
                    s["site"],
                    s["register"],
                    s["pages"],
                    s["words"],
                    s["is_spun"],
                    s["spun_score"],
                    s["pages_flagged"],
                    s["entries"],
                    len(s["entries_p90"]),
                ]
                for s in result["sites"]
            ],
        ),
    ]
    high = [(s["site"], e) for s in result["sites"] for e in s["entries_p90"]]
    out += ["", f"## Entries with prob >= {p} (all false on clean sites)", ""]
    if high:
        out.append(
            md_table(
                ["site", "observed -> original", "prob"],
                [[site, f"{e['observed']} -> {e['original']}", e["prob"]] for site, e in high],
            )
        )
    else:
        out.append("None.")
    return "\n".join(out)
