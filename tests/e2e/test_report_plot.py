"""The learn report's plot (issue 17, item 8), rendered in real headless Chromium: readable labels (the 15
strongest entries only, none overlapping another), tick values, a legend and a caption that says how to read
it. The site is built here with invented words, so the test needs no corpus; a screenshot is kept in
test-artifacts/report-plot.png."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest

from despin.tables.decipher import Decipherment, Entry
from despin.tables.report import CAPTION, LABELLED_ENTRIES, OBSERVED_COLOUR, ORIGINAL_COLOUR, html_report, markdown
from despin.tables.site import SiteTable

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"),
]


def site(n_entries: int = 40, n_other: int = 300, seed: int = 3) -> SiteTable:
    """A farm's learned table, strongest entry first, with crowded frequencies (invented words)."""
    rng = random.Random(seed)
    entries, freqs = [], []
    for k in range(n_entries):
        count = 400 / (k + 1)  # falling strength: entry 0 is the strongest
        seen_obs, exp_obs = count + rng.uniform(0, 3), rng.uniform(0, 2)
        seen_org, exp_org = rng.uniform(0, 1), count * rng.uniform(0.8, 1.2)
        obs, org = f"tiruan{k:02d}", f"semula{k:02d}"
        entries.append(
            Entry(obs, org, count, 0.9, exp_org, seen_org, exp_obs, seen_obs, (f"... [{obs} -> {org}] ...",))
        )
        freqs += [(obs, seen_obs, exp_obs), (org, seen_org, exp_org)]
    for k in range(n_other):  # clean words near the diagonal, many of them piled up
        expected = math.exp(rng.uniform(0, 6))
        freqs.append((f"kata{k:03d}", expected * rng.uniform(0.6, 1.6), expected))
    d = Decipherment(tuple(entries), 100, 30_000, (0.01,) * 100, tuple(freqs))
    rows = tuple(e.row() for e in entries)
    return SiteTable(rows, tuple(entries), 100, 30_000, 0.99, True, d, pages_flagged=80)


def labels(page: Any, selector: str) -> list[dict[str, Any]]:
    return list(
        page.evaluate(
            f"""Array.from(document.querySelectorAll({selector!r})).map(t => {{
                const b = t.getBBox(); return {{text: t.textContent, fill: t.getAttribute('fill'),
                x: b.x, y: b.y, w: b.width, h: b.height}}; }})"""
        )
    )


def test_the_plot_is_readable_in_chromium(tmp_path: Path) -> None:
    s = site()
    report = tmp_path / "site.html"
    report.write_text(html_report(s), encoding="utf-8")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 900, "height": 1000})
        page.goto(report.as_uri())
        words = labels(page, "svg text.word")
        strongest = s.entries[:LABELLED_ENTRIES]
        named = {e.observed for e in strongest} | {e.original for e in strongest}
        # Only the strongest entries are named, all of their replacements are, and no two labels overlap.
        assert {w["text"] for w in words} <= named
        assert {e.observed for e in strongest} <= {w["text"] for w in words}
        assert len(words) >= 2 * LABELLED_ENTRIES - 4
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                apart = a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"]
                apart = apart or a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"]
                assert apart, (a, b)
        # Colours: red for what the spinner wrote, blue for what it replaced.
        assert all(w["fill"] == (OBSERVED_COLOUR if w["text"].startswith("tiruan") else ORIGINAL_COLOUR) for w in words)
        # Tick values on both axes (count + 1 on a log scale: 0, 1, 10, 100 ...).
        ticks = [t["text"] for t in labels(page, "svg text.tick")]
        for value in ("0", "1", "10", "100"):
            assert ticks.count(value) == 2, (value, ticks)
        # A legend that explains the colours and the dashed line, and a caption that explains the plot.
        legend = page.locator("svg g.legend").text_content()
        assert "observed: a word the spinner wrote" in legend and "original: the word it replaced" in legend
        assert "observed = expected" in legend
        caption = page.locator("figcaption").text_content()
        assert caption == CAPTION and "Words on the dashed line are used as often as expected" in caption
        # Nothing is drawn outside the picture.
        box = page.evaluate(
            "(() => { const b = document.querySelector('svg').getBBox(); return [b.x, b.y, b.width, b.height]; })()"
        )
        width = float(page.locator("svg").get_attribute("width"))
        assert box[0] >= 0 and box[1] >= 0 and box[0] + box[2] <= width + 1 and box[1] + box[3] <= width + 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-plot.png"), full_page=True)
        browser.close()


def test_the_markdown_report_carries_the_caption() -> None:
    text = markdown(site(), plot_path="site.svg")
    assert "![observed against expected word counts](site.svg)" in text and CAPTION in text
