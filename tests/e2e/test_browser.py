"""The web page in real headless Chromium against a real ``despin serve`` (default model + a tiny index).

Screenshots (desktop and phone width) are written to ``test-artifacts/`` as test artifacts.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_helpers import (
    MODEL_AVAILABLE,
    REPO_ROOT,
    SKIP_NO_MODEL,
    SOURCES,
    RunningServer,
    build_index,
    run_server,
)

from despin import api
from despin.cli.core import versus

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"),
    pytest.mark.skipif(not MODEL_AVAILABLE, reason=SKIP_NO_MODEL),
]

# kupang-bridge spun by the despin simulator (seed 1, rate 0.25): synonyms, a repeated word, a footer.
SPUN_ARTICLE = (
    "Presiden Joko Widodo meresmikan jembatan baru baru atas Kupang pada hari Senin. Jambatan itu "
    "menghubungkan dua kabupaten nan selama ini hanya bisa dicapai dengan perahu. Menyetujui gubernur, "
    "pembangunan jembatan jembatan tersebut Siap dana sekitar dua seratus miliar rupiah dan selesai Kian "
    "cepat lebih kurang Skedul. Warga setempat mengadakan gembira karena prosedur berulah pesta kini "
    "praktik lebih singkat.\n\nSumber: Suara.com"
)


def stay_offline(pg: Any, *allowed: str) -> list[str]:
    """Abort every request of ``pg`` whose URL starts with none of ``allowed``; the list fills with their URLs."""
    outside: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(allowed):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    pg.route("**/*", guard)
    return outside


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    work = tmp_path_factory.mktemp("browser")
    index = build_index(work / "sources.db")
    with run_server("--index", str(index), log_dir=work) as running:
        yield running


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    """What the page must show: the Python API's answer for the same text."""
    return api.restore(SPUN_ARTICLE, model=api.load_model()).to_dict()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: RunningServer) -> Iterator[Any]:
    with open_page(browser, server) as pg:
        yield pg


@contextlib.contextmanager
def open_page(browser: Any, server: RunningServer) -> Iterator[Any]:
    """A desktop page of ``server``: script errors and requests leaving the machine fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    problems: list[str] = []
    # Script errors fail the test; the browser's own "Failed to load resource" line for an HTTP error status
    # does not (the tests that cause one check what the page shows instead).
    pg.on(
        "console",
        lambda m: (
            problems.append(f"console: {m.text}")
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # Nothing may leave the machine: no CDN, fonts or analytics. Any non-local request fails the test.
    outside = stay_offline(pg, server.url, "data:", "blob:")
    pg.goto(server.url + "/")
    yield pg
    context.close()
    assert not outside, f"the page requested outside resources: {outside}"
    assert not problems, problems


def check(pg: Any, text: str) -> None:
    pg.get_by_label("Article text").fill(text)
    pg.get_by_role("button", name="Check text").click()
    pg.wait_for_selector("#results:not([hidden])")
    expect(pg.locator("#status")).to_have_text(re.compile(r"^Done"), timeout=30_000)


def restored_words(expected: dict[str, Any]) -> list[str]:
    return [e["restored"] for e in expected["edits"] if e["restored"].strip()]


def test_check_shows_verdict_highlights_restored_text_and_source(page: Any, expected: dict[str, Any]) -> None:
    check(page, SPUN_ARTICLE)
    assert len(restored_words(expected)) >= 3, "the model should restore this article"

    # Verdict: the decision in words, the score against the threshold, as the API gives them.
    label = page.locator("#verdict-label").text_content()
    assert expected["is_spun"]
    assert label == "Judged spun: " + versus(expected["spun_score"], expected["threshold"]).replace(">=", "\u2265")
    assert page.locator("#legend").text_content().startswith("Highlighted words are suspected substitutions.")

    # Input view: one highlight per edit, on exactly the observed text; the tooltip: observed -> restored.
    marks = page.locator("#input-view mark")
    assert marks.count() == len(expected["edits"])
    assert marks.evaluate_all("ms => ms.map(m => m.textContent)") == [e["observed"] for e in expected["edits"]]
    assert page.locator("#input-view").text_content() == SPUN_ARTICLE
    jambatan = next(i for i, e in enumerate(expected["edits"]) if e["observed"] == "Jambatan")
    marks.nth(jambatan).hover()
    tip = page.locator("#tip")
    assert tip.is_visible()
    edit = expected["edits"][jambatan]
    confidence = round(edit["confidence"] * 100)
    assert tip.text_content() == f"Jambatan\u2192{edit['restored']} (confidence {confidence}%)"
    assert page.locator("#restored-view mark.linked").text_content() == edit["restored"]

    # Restored view: exactly the API's text, with every restored word marked.
    assert page.locator("#restored-view").text_content() == expected["text"]
    shown = page.locator("#restored-view mark.restored").evaluate_all("ms => ms.map(m => m.textContent)")
    assert shown == restored_words(expected)
    assert "Jembatan" in shown

    # Trace: the source of this article is found and aligned, substitutions linked both ways.
    assert page.locator("#matches tbody tr").first.locator("td").nth(1).text_content() == "kupang-bridge"
    assert page.locator("#source-view").text_content() == SOURCES["kupang-bridge"]
    sub = page.locator("#spun-view mark", has_text="Jambatan")
    sub.hover()
    partner = page.locator("#source-view mark.linked")
    assert partner.text_content() == "Jembatan"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-desktop.png"), full_page=True)


def test_keyboard_only_use(page: Any, expected: dict[str, Any]) -> None:
    page.keyboard.press("Tab")  # skip link
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "text"
    page.keyboard.insert_text(SPUN_ARTICLE)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "check"
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text(re.compile(r"^Done"), timeout=30_000)
    status = page.locator("#status")
    assert status.get_attribute("aria-live") == "polite" and "Judged spun: " in status.text_content()

    # Tab walks the highlighted substitutions; focus shows the tooltip and a visible outline.
    target = next(e for e in expected["edits"] if e["restored"].strip())
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName + ':' + document.activeElement.textContent") == (
            "MARK:" + target["observed"]
        ):
            break
    focused = page.evaluate(
        "(() => { const m = document.activeElement; const s = getComputedStyle(m);"
        " return [m.textContent, m.closest('.textview').id, s.outlineStyle, s.outlineWidth]; })()"
    )
    assert focused == [target["observed"], "input-view", "solid", "3px"]
    assert page.locator("#tip").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-keyboard-focus.png"))
    described_by = page.evaluate("document.activeElement.getAttribute('aria-describedby')")
    description = page.locator(f"#{described_by}").text_content()
    assert f"{target['observed']} \u2192 {target['restored']}" in description and "confidence" in description
    # Enter jumps to the partner in the restored text; Escape hides the tooltip.
    page.keyboard.press("Enter")
    jumped = page.evaluate("[document.activeElement.closest('.textview').id, document.activeElement.textContent]")
    assert jumped == ["restored-view", target["restored"]]
    page.keyboard.press("Escape")
    assert page.locator("#tip").is_hidden()

    # Ctrl+Enter in the text box checks again.
    page.get_by_label("Article text").focus()
    page.keyboard.press("Control+Enter")
    expect(page.locator("#status")).to_have_text(re.compile(r"^Done"), timeout=30_000)


def test_copy_and_download_give_the_api_json(page: Any, expected: dict[str, Any], server: RunningServer) -> None:
    check(page, SPUN_ARTICLE)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download JSON").click()
    download = info.value
    assert download.suggested_filename == "despin-result.json"
    saved = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert saved["restore"] == expected
    assert saved["trace"]["matches"][0]["source_id"] == "kupang-bridge"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page.get_by_role("button", name="Copy JSON").click()
    expect(page.locator("#status")).to_have_text(re.compile("copied"))
    assert json.loads(page.evaluate("navigator.clipboard.readText()"))["restore"] == expected


def test_user_text_is_never_parsed_as_html_and_astral_characters_keep_offsets(page: Any) -> None:
    # The emoji is one code point for Python but two UTF-16 units for JavaScript.
    hostile = '\U0001f600 Jambatan <img src=x onerror="window.pwned=1"> <script>window.pwned=2</script> nan baru.'
    check(page, hostile)
    assert page.locator("#input-view").text_content() == hostile
    assert page.locator("#results img, #results script").count() == 0
    assert page.evaluate("window.pwned === undefined")
    edits = api.restore(hostile, model=api.load_model()).to_dict()["edits"]
    assert edits, "the model should restore 'Jambatan'"
    shown = page.locator("#input-view mark").evaluate_all("ms => ms.map(m => m.textContent)")
    assert shown == [e["observed"] for e in edits]


def test_errors_are_shown_not_swallowed(page: Any) -> None:
    page.get_by_role("button", name="Check text").click()
    assert page.locator("#status").text_content() == "Paste some text first."
    page.get_by_label("Article text").fill("a" * 1_000_001)
    page.get_by_role("button", name="Check text").click()
    expect(page.locator("#status")).to_have_text(re.compile(r"^Error"), timeout=30_000)
    message = page.locator("#status").text_content()
    assert "over this server's 1,000,000-byte limit" in message and "[request " in message


def test_phone_layout_stacks_the_panes(browser: Any, server: RunningServer) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    pg = context.new_page()
    pg.goto(server.url + "/")
    check(pg, SPUN_ARTICLE)
    boxes = pg.evaluate(
        "['input-view', 'restored-view'].map(id => {"
        " const r = document.getElementById(id).getBoundingClientRect(); return [r.left, r.top, r.width]; })"
    )
    (left_a, top_a, width_a), (left_b, top_b, width_b) = boxes
    assert left_a == left_b and top_b > top_a, "panes should stack on a phone"
    assert width_a > 300
    assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    # A tap on a highlight shows its tooltip.
    pg.locator("#input-view mark").first.tap()
    assert pg.locator("#tip").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "page-phone.png"), full_page=True)
    context.close()


def test_docs_page_renders_offline(browser: Any, server: RunningServer) -> None:
    context = browser.new_context()
    pg = context.new_page()
    outside = stay_offline(pg, server.url, "data:")
    pg.goto(server.url + "/docs")
    expect(pg.get_by_text("/v1/restore", exact=True).first).to_be_visible(timeout=20_000)
    assert not outside, outside
    if os.environ.get("DESPIN_SCREENSHOT_DOCS"):
        pg.screenshot(path=str(ARTIFACTS / "docs.png"))
    context.close()


# ---------------------------------------------------------------------------------- say why (issue 17)


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The default model and no index: nothing to trace."""
    with run_server(log_dir=tmp_path_factory.mktemp("browser-bare")) as running:
        yield running


def lightly_spun() -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A spun text the detector does not flag but whose forced restoration changes words (found, not fixed:
    the first of a fixed list of seeded spins), with the API's plain and forced answers."""
    model = api.load_model()
    for name in sorted(SOURCES):
        for rate in (0.1, 0.2, 0.3):
            for seed in range(6):
                text = api.spin(SOURCES[name], model=model, rate=rate, seed=seed, footer=False).text
                plain = api.restore(text, model=model).to_dict()
                forced = api.restore(text, model=model, force=True).to_dict()
                if not plain["is_spun"] and any(e["kind"] != "footer" for e in forced["edits"]):
                    return text, plain, forced
    raise AssertionError("no lightly spun text that the detector lets through: widen the search")


def test_a_clean_text_is_not_judged_spun_and_the_page_says_why(browser: Any, bare_server: RunningServer) -> None:
    text = SOURCES["rice-price"]
    want = api.restore(text, model=api.load_model()).to_dict()
    assert not want["is_spun"] and not want["changed"]
    with open_page(browser, bare_server) as pg:
        check(pg, text)
        label = pg.locator("#verdict-label").text_content()
        assert label == f"Not judged spun: {versus(want['spun_score'], want['threshold'])}"  # e.g. 0.10 < 0.94
        detail = pg.locator("#verdict-detail").text_content()
        assert "below the threshold, so despin left the words as they are" in detail
        assert "Restore even if the text is not judged spun" in detail
        assert pg.locator("#input-view mark").count() == 0  # no score or highlight without its meaning
        expect(pg.locator("#legend")).to_be_hidden()
        expect(pg.locator("#restored-pane")).to_be_hidden()  # an unchanged text is shown once
        assert pg.locator("#n-edits").text_content() == "(unchanged: nothing to restore)"
        # No index: no source section, no empty source panes, no trace promise in the tagline.
        expect(pg.locator("#trace")).to_be_hidden()
        expect(pg.locator("#align")).to_be_hidden()
        expect(pg.locator("#tagline-trace")).to_be_hidden()
        assert not pg.get_by_role("heading", name=re.compile("^Source")).is_visible()
        assert "Not judged spun" in pg.locator("#status").text_content()
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / "page-not-spun.png"), full_page=True)


def test_the_force_switch_restores_a_text_not_judged_spun_and_says_what_the_marks_mean(
    browser: Any, bare_server: RunningServer
) -> None:
    text, plain, forced = lightly_spun()
    with open_page(browser, bare_server) as pg:
        check(pg, text)
        assert pg.locator("#verdict-label").text_content().startswith("Not judged spun: ")
        assert pg.locator("#input-view mark").count() == 0
        pg.get_by_label("Restore even if the text is not judged spun").check()
        with pg.expect_request(lambda r: r.url.endswith("/v1/restore")) as request:
            pg.get_by_role("button", name="Check text").click()
        assert json.loads(request.value.post_data) == {"text": text, "force": True}
        expect(pg.locator("#status")).to_have_text(re.compile(r"^Done"), timeout=30_000)
        # Still not judged spun (the verdict does not change), but the words are restored on request.
        assert pg.locator("#verdict-label").text_content() == plain_label(plain)
        detail = pg.locator("#verdict-detail").text_content()
        assert detail.startswith("Restored on request although the text is not judged spun")
        legend = pg.locator("#legend")
        expect(legend).to_be_visible()
        assert "not judged spun" in legend.text_content() and "calibrated chance" in legend.text_content()
        marks = pg.locator("#input-view mark")
        assert marks.count() == len(forced["edits"])
        assert pg.locator("#restored-view").text_content() == forced["text"]
        marks.first.hover()
        assert "confidence" in pg.locator("#tip").text_content()
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / "page-forced.png"), full_page=True)


def plain_label(restoration: dict[str, Any]) -> str:
    return "Not judged spun: " + versus(restoration["spun_score"], restoration["threshold"])


def test_the_restore_endpoint_takes_force(bare_server: RunningServer) -> None:
    text, plain, forced = lightly_spun()
    with bare_server.client() as client:
        assert client.post("/v1/restore", json={"text": text}).json() == plain
        got = client.post("/v1/restore", json={"text": text, "force": True}).json()
    assert got == forced and got["changed"] and not got["is_spun"]
