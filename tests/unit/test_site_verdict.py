"""A site's verdict from its pages: the binomial test on the page detector's flags, and learn_site's use of it."""

from __future__ import annotations

import math
import random

import pytest
from tests.texts import SOURCES

from despin import api
from despin.lexicon import SynonymLexicon
from despin.model.bundle import Model
from despin.spinner import Spinner
from despin.tables.decipher import decipher
from despin.tables.site import (
    PAGE_ALPHA,
    PAGE_NULL_RATE,
    THRESHOLD,
    binomial_tail,
    judge_site,
    page_score,
)


@pytest.mark.parametrize(("k", "n", "p"), [(0, 5, 0.3), (1, 1, 0.2), (3, 10, 0.1), (7, 25, 0.03), (11, 10, 0.5)])
def test_the_binomial_tail_matches_the_sum_of_the_probabilities(k: int, n: int, p: float) -> None:
    exact = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))
    assert binomial_tail(k, n, p) == pytest.approx(exact, rel=1e-9, abs=1e-300)


def test_the_page_score_crosses_the_threshold_where_the_tail_reaches_alpha() -> None:
    n = 25
    scores = [page_score(k, n) for k in range(n + 1)]
    assert scores == sorted(scores)
    first = next(k for k in range(n + 1) if binomial_tail(k, n, PAGE_NULL_RATE) <= PAGE_ALPHA)
    assert scores[first] >= THRESHOLD > scores[first - 1]
    # A clean site flags about PAGE_NULL_RATE of its pages at most: far from the threshold.
    assert page_score(round(n * PAGE_NULL_RATE), n) < 0.01


def test_a_large_clean_site_at_the_null_rate_is_not_flagged() -> None:
    assert page_score(30, 1_000) < THRESHOLD  # 3% of 1,000 pages: what the null allows
    assert page_score(60, 1_000) > THRESHOLD  # 6%: far more than a clean site shows


def test_page_flags_can_flag_a_site_whose_table_explains_nothing(model: Model) -> None:
    pages = list(SOURCES.values())
    d = decipher(pages, lm=model.lm, vocab=model.vocab, lexicon=SynonymLexicon({}), neighbours={})
    table_only = judge_site(d)
    assert not table_only.is_spun and table_only.pages_flagged is None
    flagged = judge_site(d, page_flags=[True] * len(pages))
    assert flagged.is_spun and flagged.pages_flagged == len(pages)
    assert flagged.spun_score == pytest.approx(max(table_only.spun_score, page_score(len(pages), len(pages))))
    clean = judge_site(d, page_flags=[False] * len(pages))
    assert not clean.is_spun and clean.spun_score == pytest.approx(max(table_only.spun_score, page_score(0, 3)))
    with pytest.raises(ValueError, match="page flags"):
        judge_site(d, page_flags=[True])


def test_learn_site_counts_the_pages_the_detector_flags(model: Model) -> None:
    texts = list(SOURCES.values())
    rng = random.Random(4)
    spinner = Spinner(model.lexicon, rate=0.3, seed=4, capitalize=0.25, repeat=0.02)
    spun = [spinner.spin(t, doc=i).text for i, t in enumerate(texts)]
    site = api.learn_site(spun, model=model)
    expected = sum(api.detect(t, model=model).is_spun for t in spun)
    assert site.pages_flagged == expected > 0
    assert site.to_dict()["pages_flagged"] == expected
    clean = api.learn_site(rng.sample(texts, len(texts)), model=model)
    assert clean.pages_flagged == 0 and not clean.is_spun
