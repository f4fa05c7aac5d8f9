"""A curator's report on one site: the verdict, every entry with its evidence, and a frequency plot.

The plot puts each word at (expected count in clean text, observed count on the site), both on log
scales: clean words lie along the diagonal, the originals a spinner replaced fall far below it and
their replacements rise far above it. Entries are drawn in colour. Pure: returns text, writes nothing.
"""

from __future__ import annotations

import html
import math

from despin.tables.site import SiteTable


def frequency_svg(site: SiteTable, *, size: int = 420) -> str:
    """An SVG scatter plot of observed against expected word counts (log scales, +1)."""
    d = site.decipherment
    observed = {e.observed for e in site.entries}
    originals = {e.original for e in site.entries}
    pts = [(w, n, e) for w, n, e in d.frequencies]
    top = max([1.0, *(max(n, e) for _, n, e in pts)])
    span = math.log10(top + 1.0) or 1.0
    pad = 40

    def xy(n: float, e: float) -> tuple[float, float]:
        x = pad + (size - 2 * pad) * math.log10(e + 1.0) / span
        y = size - pad - (size - 2 * pad) * math.log10(n + 1.0) / span
        return round(x, 1), round(y, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        'font-size="10" font-family="sans-serif">',
        f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{pad}" stroke="#bbb" stroke-dasharray="4"/>',
        f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{size - pad}" stroke="#000"/>',
        f'<line x1="{pad}" y1="{size - pad}" x2="{pad}" y2="{pad}" stroke="#000"/>',
        f'<text x="{size / 2}" y="{size - 8}" text-anchor="middle">expected in clean text (log)</text>',
        f'<text x="12" y="{size / 2}" transform="rotate(-90 12 {size / 2})" text-anchor="middle">'
        "observed on this site (log)</text>",
    ]
    for w, n, e in pts:
        x, y = xy(n, e)
        colour = "#d62728" if w in observed else "#1f77b4" if w in originals else "#999"
        r = 3 if colour != "#999" else 1.5
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="{r}" fill="{colour}"><title>{html.escape(w)}: '
            f"{n:g} seen, {e:g} expected</title></circle>"
        )
        if colour != "#999":
            parts.append(f'<text x="{x + 4}" y="{y - 3}" fill="{colour}">{html.escape(w)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _verdict(site: SiteTable) -> str:
    word = "spun" if site.is_spun else "not spun"
    flagged = "" if site.pages_flagged is None else f" The page detector flags {site.pages_flagged} of the pages."
    return (
        f"{site.pages} pages, {site.words} words: **{word}** (spun_score {site.spun_score:.3f}); "
        f"{len(site.entries)} entries explain {100 * site.decipherment.explained:.2f}% of the words.{flagged}"
    )


def markdown(site: SiteTable, *, title: str = "despin site report", plot_path: str | None = None) -> str:
    """The report as Markdown; ``plot_path`` names an SVG file written next to it (see :func:`frequency_svg`)."""
    lines = [f"# {title}", "", _verdict(site).replace("**", "**"), ""]
    if plot_path:
        lines += [f"![observed against expected word counts]({plot_path})", ""]
    lines += [
        "| observed | original | count | prob | original seen / expected | observed seen / expected | examples |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for e in site.entries:
        ex = "<br>".join(x.replace("|", "\\|") for x in e.examples)
        lines.append(
            f"| {e.observed} | {e.original} | {e.count:g} | {e.prob:.2f} "
            f"| {e.seen_original:g} / {e.expected_original:g} | {e.seen_observed:g} / {e.expected_observed:g} | {ex} |"
        )
    return "\n".join(lines) + "\n"


def html_report(site: SiteTable, *, title: str = "despin site report") -> str:
    """The report as one self-contained HTML page, the plot inline."""
    rows = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(c))}</td>"
            for c in (
                e.observed,
                e.original,
                f"{e.count:g}",
                f"{e.prob:.2f}",
                f"{e.seen_original:g} / {e.expected_original:g}",
                f"{e.seen_observed:g} / {e.expected_observed:g}",
            )
        )
        + "<td>"
        + "<br>".join(html.escape(x) for x in e.examples)
        + "</td></tr>"
        for e in site.entries
    )
    verdict = html.escape(_verdict(site).replace("**", ""))
    return (
        f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{html.escape(title)}</title>'
        "<style>body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;padding:3px 6px}"
        "table{border-collapse:collapse}</style>"
        f"<h1>{html.escape(title)}</h1><p>{verdict}</p>{frequency_svg(site)}"
        "<table><tr><th>observed</th><th>original</th><th>count</th><th>prob</th>"
        "<th>original seen / expected</th><th>observed seen / expected</th><th>examples</th></tr>"
        f"{rows}</table></html>\n"
    )
