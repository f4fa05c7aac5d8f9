"""A curator's report on one site: the verdict, every entry with its evidence, and a frequency plot.

The plot puts each word at (expected count in clean text, observed count on the site), both on log
scales with tick values: clean words lie along the diagonal, the originals a spinner replaced fall far
below it and their replacements rise far above it. Entries are drawn in colour (red observed, blue
original, explained in a legend), the words of the strongest 15 are named, and a caption says how to
read it. Pure: returns text, writes nothing.
"""

from __future__ import annotations

import html
import math

from despin.tables.site import SiteTable

# Colours of the plot, and what each means (the legend and the caption say the same).
OBSERVED_COLOUR = "#c62828"  # red: a word the learned table says the spinner wrote (an entry's observed word)
ORIGINAL_COLOUR = "#1565c0"  # blue: the word it replaced (an entry's original)
OTHER_COLOUR = "#9e9e9e"  # grey: any other word among the site's largest deviations
LABELLED_ENTRIES = 15  # only the strongest entries get their words written on the plot
CAPTION = (
    "Each dot is a word. Across: how often clean text of this size uses it (expected); up: how often this "
    "site uses it (observed); both axes count occurrences on a log scale. Words on the dashed line are used "
    "as often as expected. A spinner's replacements (red) sit far above the line: the site uses them much "
    "more than clean text does; the originals they replaced (blue) sit far below it. Only the "
    f"{LABELLED_ENTRIES} strongest entries are named; hover a dot for its word and counts."
)


def _ticks(top: float) -> list[int]:
    """Counts to mark on a log axis reaching ``top``: 0, 1, 10, 100, ... (and 3, 30, ... when few)."""
    out = [0]
    k = 1
    while k <= top:
        out.append(k)
        k *= 10
    if len(out) <= 3:
        out = sorted({*out, *(3 * t for t in out if 0 < 3 * t <= top)})
    return out


def _label_box(x: float, y: float, text: str, *, anchor: str) -> tuple[float, float, float, float]:
    width = 6.2 * len(text)  # about the advance of 11 px sans-serif
    left = x - width if anchor == "end" else x
    return (left, y - 10, left + width, y + 2)


def _label_offsets() -> list[tuple[float, float]]:
    """Where a label may go relative to its dot, nearest first: beside it, then further up or down."""
    out: list[tuple[float, float]] = []
    for step in range(12):
        for dx in (6.0, -6.0, 24.0, -24.0):
            for sign in (1,) if step == 0 else (-1, 1):
                out.append((dx, sign * 12.0 * step - 4.0 + (0.0 if sign < 0 else 0.0)))
    return out


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def frequency_svg(site: SiteTable, *, size: int = 560) -> str:
    """An SVG scatter plot of observed against expected word counts, with ticks, a legend and labels.

    Both axes are log scales of ``count + 1`` (so a word never seen still has a place), with tick
    values. The words of the :data:`LABELLED_ENTRIES` strongest entries are named, each label placed
    where it overlaps no other; every dot has a tooltip with its word and counts. See :data:`CAPTION`.
    """
    d = site.decipherment
    strongest = site.entries[:LABELLED_ENTRIES]
    observed = {e.observed for e in site.entries}
    originals = {e.original for e in site.entries}
    named = {e.observed for e in strongest} | {e.original for e in strongest}
    pts = list(d.frequencies)
    top = max([1.0, *(max(n, e) for _, n, e in pts)])
    span = math.log10(top + 1.0) or 1.0
    left, right, upper, lower = 64, 24, 24, 150  # margins: tick labels left, axis title and legend below
    inner_w, inner_h = size - left - right, size - upper - lower

    def sx(e: float) -> float:
        return round(left + inner_w * math.log10(e + 1.0) / span, 1)

    def sy(n: float) -> float:
        return round(upper + inner_h - inner_h * math.log10(n + 1.0) / span, 1)

    base_y = upper + inner_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}" '
        'font-size="11" font-family="sans-serif" role="img" aria-labelledby="plot-title plot-desc">',
        '<title id="plot-title">Observed against expected word counts on this site</title>',
        f'<desc id="plot-desc">{html.escape(CAPTION)}</desc>',
        '<rect width="100%" height="100%" fill="#fff"/>',
    ]
    for t in _ticks(top):  # grid, ticks and their values on both axes
        x, y = sx(t), sy(t)
        label = f"{t:,}"
        parts += [
            f'<line x1="{x}" y1="{upper}" x2="{x}" y2="{base_y}" stroke="#eee"/>',
            f'<line x1="{left}" y1="{y}" x2="{left + inner_w}" y2="{y}" stroke="#eee"/>',
            f'<line x1="{x}" y1="{base_y}" x2="{x}" y2="{base_y + 5}" stroke="#000"/>',
            f'<text class="tick" x="{x}" y="{base_y + 17}" text-anchor="middle">{label}</text>',
            f'<line x1="{left - 5}" y1="{y}" x2="{left}" y2="{y}" stroke="#000"/>',
            f'<text class="tick" x="{left - 8}" y="{y + 4}" text-anchor="end">{label}</text>',
        ]
    parts += [
        f'<line x1="{sx(0)}" y1="{sy(0)}" x2="{sx(top)}" y2="{sy(top)}" stroke="#777" stroke-dasharray="5 4"/>',
        f'<line x1="{left}" y1="{base_y}" x2="{left + inner_w}" y2="{base_y}" stroke="#000"/>',
        f'<line x1="{left}" y1="{base_y}" x2="{left}" y2="{upper}" stroke="#000"/>',
        f'<text x="{left + inner_w / 2}" y="{base_y + 36}" text-anchor="middle">'
        "expected count in clean text of this size (log scale)</text>",
        f'<text x="16" y="{upper + inner_h / 2}" transform="rotate(-90 16 {upper + inner_h / 2})" '
        'text-anchor="middle">observed count on this site (log scale)</text>',
    ]

    # Dots: the plain words first, so that the entries' dots are drawn on top of them.
    def colour(w: str) -> str:
        return OBSERVED_COLOUR if w in observed else ORIGINAL_COLOUR if w in originals else OTHER_COLOUR

    for w, n, e in sorted(pts, key=lambda p: colour(p[0]) != OTHER_COLOUR):
        c = colour(w)
        look = f'r="3.5" fill="{c}"' if c != OTHER_COLOUR else f'r="2" fill="{c}" fill-opacity="0.6"'
        parts.append(
            f'<circle cx="{sx(e)}" cy="{sy(n)}" {look}><title>{html.escape(w)}: '
            f"{n:g} seen, {e:g} expected</title></circle>"
        )
    # Labels of the strongest entries' words: the nearest place around the dot that overlaps no label
    # placed before (a label set apart from its dot gets a thin line to it).
    placed: list[tuple[float, float, float, float]] = []
    for w, n, e in sorted((p for p in pts if p[0] in named), key=lambda p: -max(p[1], p[2])):
        x, y = sx(e), sy(n)
        for dx, dy in _label_offsets():
            anchor = "start" if dx > 0 else "end"
            box = _label_box(x + dx, y + dy, w, anchor=anchor)
            inside = box[0] >= left + 2 and box[2] <= size - 2 and box[1] >= 2 and box[3] <= base_y - 2
            if inside and not any(_overlaps(box, b) for b in placed):
                placed.append(box)
                if abs(dy + 4) > 8 or abs(dx) > 6:
                    tx, ty = (box[0] if anchor == "start" else box[2]), y + dy - 4
                    parts.append(
                        f'<line x1="{x}" y1="{y}" x2="{round(tx, 1)}" y2="{round(ty, 1)}" stroke="{colour(w)}" '
                        'stroke-width="0.6"/>'
                    )
                parts.append(
                    f'<text class="word" x="{round(x + dx, 1)}" y="{round(y + dy, 1)}" text-anchor="{anchor}" '
                    f'fill="{colour(w)}">{html.escape(w)}</text>'
                )
                break
    # Legend, below the axis title.
    ly = base_y + 60
    legend = [
        (OBSERVED_COLOUR, "observed: a word the spinner wrote (an entry's replacement)"),
        (ORIGINAL_COLOUR, "original: the word it replaced"),
        (OTHER_COLOUR, "other words that deviate most"),
    ]
    parts.append(f'<g class="legend"><text x="{left}" y="{ly}" font-weight="bold">Legend</text>')
    for k, (c, text) in enumerate(legend):
        y = ly + 16 * (k + 1)
        parts.append(f'<circle cx="{left + 5}" cy="{y - 4}" r="4" fill="{c}"/>')
        parts.append(f'<text x="{left + 16}" y="{y}">{html.escape(text)}</text>')
    dash_y = ly + 16 * 4
    parts.append(
        f'<line x1="{left}" y1="{dash_y - 4}" x2="{left + 11}" y2="{dash_y - 4}" stroke="#777" stroke-dasharray="3 2"/>'
    )
    parts.append(f'<text x="{left + 16}" y="{dash_y}">observed = expected</text></g>')
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
        lines += [f"![observed against expected word counts]({plot_path})", "", CAPTION, ""]
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
        "table{border-collapse:collapse}figure{margin:1em 0}figcaption{max-width:560px;color:#333}</style>"
        f"<h1>{html.escape(title)}</h1><p>{verdict}</p><figure>{frequency_svg(site)}"
        f"<figcaption>{html.escape(CAPTION)}</figcaption></figure>"
        "<table><tr><th>observed</th><th>original</th><th>count</th><th>prob</th>"
        "<th>original seen / expected</th><th>observed seen / expected</th><th>examples</th></tr>"
        f"{rows}</table></html>\n"
    )
