"""trace(): finds the source of seeded spins, reports nothing for unrelated text, and gives evidence."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from despin.errors import ConfigError
from despin.lexicon import SynonymLexicon
from despin.spinner import spin
from despin.tracer import DEFAULT_THRESHOLD, Index, trace

SYLL = [c + v for c in "bcdgjklmnprstw" for v in "aiueo"]


def make_world(seed: int = 0) -> tuple[list[tuple[str, str]], SynonymLexicon]:
    """Synthetic articles and a spinner table covering their common words (replacements are new words)."""
    rng = random.Random(seed)
    vocab = sorted({"".join(rng.choice(SYLL) for _ in range(rng.randint(2, 4))) for _ in range(3000)})
    weights = [1.0 / (k + 1) for k in range(len(vocab))]
    docs = []
    for i in range(200):
        words = rng.choices(vocab, weights, k=150)
        for _ in range(6):
            words[rng.randrange(len(words))] = rng.choice(vocab).capitalize() + rng.choice(vocab)
        docs.append((f"doc-{i:04d}", " ".join(words) + "."))
    pairs = [(w, "x" + "".join(rng.choice(SYLL) for _ in range(3))) for w in vocab for _ in range(2)]
    return docs, SynonymLexicon.from_pairs(pairs)


DOCS, LEXICON = make_world()


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    path = tmp_path_factory.mktemp("trace") / "refs.db"
    with Index.create(path) as ix:
        ix.add(DOCS[:150])  # DOCS[150:] stay out: unrelated queries
    return Index.open(path)


@settings(max_examples=25, deadline=None)
@given(doc=st.integers(0, 149), rate=st.sampled_from([0.2, 0.4, 0.6]), seed=st.integers(0, 10_000))
def test_trace_of_a_seeded_spin_finds_its_source(index: Index, doc: int, rate: float, seed: int) -> None:
    source_id, text = DOCS[doc]
    spun = spin(text, lexicon=LEXICON, rate=rate, seed=seed).text
    result = trace(spun, index=index, top=3)
    assert result.matches, f"nothing found at rate {rate}"
    best = result.matches[0]
    assert best.source_id == source_id
    assert DEFAULT_THRESHOLD <= best.score <= 1.0 and 0.0 <= best.coverage <= 1.0
    for s in best.substitutions:
        assert spun[s.spun_start : s.spun_end] == s.spun
        assert text[s.source_start : s.source_end] == s.source


def test_evidence_lists_the_spinner_edits(index: Index) -> None:
    source_id, text = DOCS[3]
    spun = spin(text, lexicon=LEXICON, rate=0.3, seed=7, footer=False, repeat=0.0, capitalize=0.0)
    best = trace(spun.text, index=index).matches[0]
    blocks = [(s.spun_start, s.spun_end) for s in best.substitutions]
    covered = [e for e in spun.edits if any(a <= e.start and e.end <= b for a, b in blocks)]
    assert len(covered) >= 0.9 * len(spun.edits)  # adjacent edits merge into one block; runs > 4 do not count
    assert best.coverage > 0.95


def test_identical_text_scores_one(index: Index) -> None:
    best = trace(DOCS[10][1], index=index).matches[0]
    assert best.source_id == DOCS[10][0]
    assert best.score == pytest.approx(1.0) and best.substitutions == ()


@pytest.mark.parametrize("doc", range(150, 200, 5))
def test_unrelated_documents_match_nothing(index: Index, doc: int) -> None:
    assert trace(DOCS[doc][1], index=index).matches == ()
    spun = spin(DOCS[doc][1], lexicon=LEXICON, rate=0.4, seed=1).text
    assert trace(spun, index=index).matches == ()


def test_text_of_unknown_words_matches_nothing(index: Index) -> None:
    assert trace("Qqq zzz xxyy.", index=index).to_dict() == {"matches": []}


def test_top_threshold_and_with_text(index: Index) -> None:
    text = DOCS[20][1]
    assert len(trace(text, index=index, top=1, threshold=0.0).matches) == 1
    many = trace(text, index=index, top=5, threshold=0.0).matches
    assert [m.score for m in many] == sorted((m.score for m in many), reverse=True)
    assert trace(text, index=index, with_text=True).matches[0].source_text == text
    with pytest.raises(ConfigError, match="top"):
        trace(text, index=index, top=0)
    with pytest.raises(ConfigError, match="threshold"):
        trace(text, index=index, threshold=1.5)


def test_patchwork_of_two_sources_finds_both(index: Index) -> None:
    a, b = DOCS[30][1], DOCS[31][1]
    spun = spin(a + "\n" + b, lexicon=LEXICON, rate=0.2, seed=3, footer=False).text
    ids = [m.source_id for m in trace(spun, index=index, top=5, threshold=0.2).matches]
    assert ids[:2] == sorted(ids[:2]) or set(ids[:2]) == {DOCS[30][0], DOCS[31][0]}
    assert {DOCS[30][0], DOCS[31][0]} <= set(ids)


def test_empty_index(tmp_path: Path) -> None:
    with Index.create(tmp_path / "empty.db") as ix:
        assert trace("apa saja", index=ix).matches == ()


def test_a_tiny_id_budget_still_uses_the_eight_rarest_tokens(index: Index) -> None:
    source_id, text = DOCS[40]
    spun = spin(text, lexicon=LEXICON, rate=0.4, seed=11).text
    with index.store.snapshot():
        full, df, _ = index.candidates(spun, limit=3, max_query_features=64)
        tiny, _, _ = index.candidates(spun, limit=3, max_query_features=64, max_ids=1)
    assert full[0][0] == tiny[0][0]
    assert tiny[0][1] < full[0][1]  # fewer tokens scored
    assert trace(spun, index=index, max_ids=1).matches[0].source_id == source_id


def test_a_few_common_words_found_far_apart_in_an_article_are_no_match(index: Index) -> None:
    # Three of the commonest words of one indexed article, in its order: every word aligns, but they sit
    # far apart in the source, as a short sentence of common words does in almost any long article.
    words = DOCS[0][1].rstrip(".").split()
    picked = [words[5], words[70], words[140]]
    text = " ".join(picked) + "."
    assert trace(text, index=index, threshold=0.0).matches == () or all(
        m.score < DEFAULT_THRESHOLD for m in trace(text, index=index, threshold=0.0).matches
    )
    # The same words where they stand together in the article are the article's own text.
    together = " ".join(words[60:75]) + "."
    best = trace(together, index=index).matches
    assert best and best[0].source_id == DOCS[0][0] and best[0].score > DEFAULT_THRESHOLD
