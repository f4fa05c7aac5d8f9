"""PNG plots drawn from a results file only: restore rate and detection vs spin rate, ROC, throughput."""

from __future__ import annotations

from pathlib import Path
from typing import Any

STYLE = {
    ("despin", "shared"): ("tab:blue", "-"),
    ("despin", "disjoint"): ("tab:blue", "--"),
    ("most_frequent", "shared"): ("tab:orange", "-"),
    ("most_frequent", "disjoint"): ("tab:orange", "--"),
    ("ppl", "shared"): ("tab:gray", "-"),
    ("ppl", "disjoint"): ("tab:gray", "--"),
}


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    # Fixed metadata so the same numbers give the same bytes.
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    _plt().close(fig)
    return path


def _by_rate_lines(ax: Any, section: dict[str, Any], metric: str) -> bool:
    drawn = False
    for system, d in section.items():
        for table in ("shared", "disjoint"):
            per_rate = d.get(table) if "by_rate" not in d else d["by_rate"].get(table)
            if not per_rate:
                continue
            xs = sorted(per_rate, key=float)
            ys = [per_rate[x].get(metric) for x in xs]
            pts = [(float(x), y) for x, y in zip(xs, ys, strict=True) if y is not None]
            if not pts:
                continue
            color, ls = STYLE.get((system, table), (None, "-"))
            ax.plot(
                [p[0] for p in pts],
                [p[1] for p in pts],
                marker="o",
                color=color,
                linestyle=ls,
                label=f"{system} ({table})",
            )
            drawn = True
    return drawn


def plot_all(results: dict[str, Any], out_dir: Path, stem: str) -> list[Path]:
    """Write every plot the results support; returns the files written."""
    plt = _plt()
    dr = results.get("benchmarks", {}).get("detect_restore", {})
    quality = dr.get("quality", {})
    written: list[Path] = []
    splits = list(quality)

    for metric, title, section_name, fname in (
        ("exact_restore", "exact restore of substituted words", "restoration", "restore"),
        ("damage", "damage to untouched words", "restoration", "damage"),
        ("auroc", "detection AUROC (vs clean text)", "detection", "detect"),
    ):
        if not splits:
            break
        fig, axes = plt.subplots(1, len(splits), figsize=(5 * len(splits), 3.6), squeeze=False)
        any_line = False
        for ax, split in zip(axes[0], splits, strict=True):
            any_line |= _by_rate_lines(ax, quality[split].get(section_name, {}), metric)
            ax.set_title(f"{split}: {title}", fontsize=9)
            ax.set_xlabel("spin rate (share of words substituted)")
            ax.set_ylim(0, 1.02)
            ax.grid(alpha=0.3)
        if any_line:
            axes[0][-1].legend(fontsize=7)
            written.append(_save(fig, out_dir / f"{stem}-{fname}-vs-rate.png"))
        else:
            plt.close(fig)

    if splits:
        fig, axes = plt.subplots(1, len(splits), figsize=(4 * len(splits), 4), squeeze=False)
        drawn = False
        for ax, split in zip(axes[0], splits, strict=True):
            for system, d in quality[split].get("detection", {}).items():
                pts = d.get("roc") or []
                if pts:
                    auc = d.get("by_rate", {}).get("shared", {}).get(f"{d.get('headline_rate', 0.15):.2f}", {})
                    ax.plot(
                        [p[0] for p in pts],
                        [p[1] for p in pts],
                        color=STYLE.get((system, "shared"), (None,))[0],
                        label=f"{system} (AUROC {auc.get('auroc', float('nan')):.3f})",
                    )
                    drawn = True
            ax.plot([0, 1], [0, 1], color="lightgray", linestyle=":")
            ax.set_title(f"{split}: ROC at the headline spin rate", fontsize=9)
            ax.set_xlabel("false-positive rate (clean)")
            ax.set_ylabel("true-positive rate (spun)")
            ax.legend(fontsize=7, loc="lower right")
        if drawn:
            written.append(_save(fig, out_dir / f"{stem}-roc.png"))
        else:
            plt.close(fig)

    bars = []
    for system, d in dr.get("speed", {}).items():
        if isinstance(d, dict):
            for verb in ("detect", "restore"):
                v = d.get(verb, {}).get("docs_per_s")
                if v:
                    bars.append((f"{system}\n{verb}", float(v)))
    if bars:
        fig, ax = plt.subplots(figsize=(1.4 * len(bars) + 2, 3.6))
        ax.bar([b[0] for b in bars], [b[1] for b in bars], color="tab:blue")
        ax.set_yscale("log")
        ax.set_ylabel("documents / second (one process)")
        ax.set_title("throughput", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        written.append(_save(fig, out_dir / f"{stem}-throughput.png"))

    trace = trace_recall(results.get("benchmarks", {}).get("trace"))
    if trace:
        fig, ax = plt.subplots(figsize=(5, 3.6))
        for label, pts in sorted(trace.items()):
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
        ax.set_xlabel("spin rate")
        ax.set_ylabel("recall")
        ax.set_ylim(0, 1.02)
        ax.set_title("trace: source found vs spin rate", fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        written.append(_save(fig, out_dir / f"{stem}-trace-recall.png"))
    return written


def trace_recall(trace: Any) -> dict[str, list[tuple[float, float]]]:
    """Find ``{rate: {"recall...": x}}`` mappings anywhere in the trace results: label -> points."""
    found: dict[str, list[tuple[float, float]]] = {}

    def as_rate(key: str) -> float | None:
        try:
            x = float(key)
        except ValueError:
            return None
        return x if 0.0 <= x <= 1.0 else None

    def walk(node: Any, path: str) -> None:
        if not isinstance(node, dict):
            return
        rate_keys = {k: as_rate(str(k)) for k in node}
        if node and all(v is not None for v in rate_keys.values()):
            for k, v in node.items():
                if isinstance(v, dict):
                    for mk, mv in v.items():
                        if "recall" in str(mk) and isinstance(mv, (int, float)):
                            found.setdefault(f"{path} {mk}".strip(), []).append((rate_keys[k] or 0.0, float(mv)))
            return
        for k, v in node.items():
            walk(v, f"{path}/{k}" if path else str(k))

    walk(trace, "")
    return {k: sorted(v) for k, v in found.items()}
