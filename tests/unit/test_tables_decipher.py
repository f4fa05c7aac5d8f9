"""Decipherment of a site's spinner table from its pages alone, with the real bundle's LM and counts."""

from __future__ import annotations

import gzip
import json
import random
from functools import lru_cache

import pytest

from despin.api import load_model
from despin.lexicon import SynonymLexicon
from despin.spinner import Spinner
from despin.tables.apply import TableApplier, apply_edits
from despin.tables.decipher import decipher
from despin.tables.report import html_report, markdown
from despin.tables.site import SiteTable, judge_site
from despin.training.corpora import default_data_dir
from despin.training.splits import split_of

# An invented table (frequent originals, one replacement each); the learner gets no lexicon at all,
# so every entry must come from frequency pairing checked by the LM. No pair is quoted in the issues or
# in the real-page notes (in either direction).
TABLE = SynonymLexicon.from_pairs([("untuk", "bagi"), ("dengan", "beserta"), ("karena", "sebab")])

DATA = default_data_dir() / "corpus" / "indosum_dev.jsonl.gz"


@lru_cache(maxsize=1)
def sources() -> tuple[str, ...]:
    """Sixty held-out news articles (the test split, which the LM never trained on)."""
    if not DATA.is_file():
        pytest.skip(f"no corpus at {DATA}")
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    texts = sorted((r["id"], r["text"]) for r in rows if split_of("indosum_dev", r) == "test")
    return tuple(t for _, t in texts[:60])


def learn(pages: list[str]) -> SiteTable:
    m = load_model()
    return judge_site(decipher(pages, lm=m.lm, vocab=m.vocab, lexicon=SynonymLexicon({}), neighbours={}))


def farm() -> list[str]:
    spinner = Spinner(TABLE, rate=1.0, mode="deterministic", capitalize=0.0, repeat=0.0, footer=False)
    return [spinner.spin(p, doc=i).text for i, p in enumerate(sources())]


def test_the_spun_site_gives_back_its_table() -> None:
    site = learn(farm())
    top3 = {(e.observed, e.original) for e in site.entries[:3]}  # entries come strongest first
    assert top3 == {("bagi", "untuk"), ("beserta", "dengan"), ("sebab", "karena")}
    assert all(e.count < 12 for e in site.entries[3:])  # what else is found is weak
    assert site.is_spun and site.spun_score > 0.5
    entry = next(e for e in site.entries if e.observed == "bagi")
    assert entry.seen_original == 0 and entry.expected_original > 1
    assert len(entry.examples) == 2 and all("[bagi -> untuk]" in x for x in entry.examples)


def test_a_clean_site_has_no_table_and_is_not_spun() -> None:
    site = learn(list(sources()))
    assert len(site.rows) <= 2 and not site.is_spun and site.spun_score < 0.1


def test_the_learned_table_restores_the_pages() -> None:
    pages = farm()
    site = learn(pages)
    applier = TableApplier(site.rows, load_model().lm)
    restored = [apply_edits(p, applier.edits(p)) for p in pages]
    before, after = " ".join(pages).lower(), " ".join(restored).lower()
    assert after.count(" bagi ") < 0.2 * before.count(" bagi ")
    assert after.count(" untuk ") > before.count(" untuk ") + 100


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_report_names_each_entry_with_its_evidence(fmt: str) -> None:
    site = learn(farm())
    text = markdown(site) if fmt == "md" else html_report(site)
    assert "bagi" in text and "untuk" in text and ("spun" in text)
    if fmt == "html":
        assert "<svg" in text and "[bagi -&gt; untuk]" in text


def test_the_same_pages_in_another_order_give_the_same_table() -> None:
    # A random-choice spinner over 12 and 20 pages: cases where sampling contexts in page order gave a
    # different table for a shuffled or sorted copy of the same pages.
    for n, seed in ((12, 3), (20, 3)):
        spinner = Spinner(TABLE, rate=0.8, seed=seed)
        pages = [spinner.spin(p, doc=i).text for i, p in enumerate(sources()[:n])]
        shuffled = list(pages)
        random.Random(seed).shuffle(shuffled)
        want = learn(pages).rows
        assert want and learn(shuffled).rows == want and learn(sorted(pages)).rows == want
