"""Frequency evidence of one site: what its pages over-use and under-use against clean text.

A spinner run over every page of a site leaves one trace no single page shows: the words it replaces
*vanish* (clean news of 40,000 words has about 200 ``tidak``) and their replacements are over-used by
the same amounts. This module tokenizes a site's pages for the LM, counts its words and short
phrases, and compares them with the expected counts of clean text: the model's training-split word
counts for single words, the LM's own probability for phrases.

Deviations are scored with the Poisson log-likelihood ratio ``G = n ln(n / E) - (n - E)``, which
grows with the evidence and not only with the ratio, so a word seen twice where one was expected is
no evidence while 0 where 200 were expected is overwhelming.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from despin.lm.base import LanguageModel
from despin.lm.ngram import NUM, lm_token
from despin.text.tokenize import sentences, tokenize


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Tokens ``[i, j)`` of sentence ``sent`` of page ``page`` (LM tokens, see :class:`SiteText`)."""

    page: int
    sent: int
    i: int
    j: int


@dataclass(slots=True)
class SiteText:
    """A site's pages as LM token sentences, with which words were capitalised mid-sentence.

    Attributes:
        sents: per page, its sentences as lists of LM tokens (lower case, numbers as ``<num>``).
        page_words: word tokens per page (boilerplate sentences left out).
        total_words: every word token of the site, boilerplate included.
        capitalised: word -> mid-sentence occurrences written with a capital letter.
        mid: word -> mid-sentence occurrences.
    """

    sents: list[list[list[str]]] = field(default_factory=list)
    page_words: list[int] = field(default_factory=list)
    total_words: int = 0
    capitalised: Counter[str] = field(default_factory=Counter)
    mid: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_pages(cls, pages: Sequence[str]) -> SiteText:
        site = cls()
        seen: set[tuple[str, ...]] = set()
        for text in pages:
            tokens = tokenize(text)
            page: list[list[str]] = []
            n_words = 0
            for a, b in sentences(text, tokens):
                sent = [lm_token(t) for t in tokens[a:b]]
                key_sent = tuple(sent)
                site.total_words += sum(t.kind == "word" for t in tokens[a:b])
                if key_sent in seen:
                    # A sentence another page already has is boilerplate (a footer, a byline, the
                    # source's own blurb): counted once, it cannot make its words over- or under-used.
                    continue
                seen.add(key_sent)
                for k in range(a, b):
                    tok = tokens[k]
                    if tok.kind != "word":
                        continue
                    n_words += 1
                    # Mid-sentence means after a word or a comma: a quote or a bracket opens a
                    # quoted sentence, whose capital says nothing about names.
                    if k > a and (tokens[k - 1].kind == "word" or tokens[k - 1].text in ",;"):
                        key = sent[k - a]
                        site.mid[key] += 1
                        site.capitalised[key] += tok.text[:1].isupper()
                page.append(sent)
            site.sents.append(page)
            site.page_words.append(n_words)
        return site

    def name_like(self, phrase: str) -> bool:
        """Whether the first word of ``phrase`` is mostly capitalised mid-sentence: a name, not a swap."""
        word = phrase.split(" ", 1)[0]
        mid = self.mid.get(word, 0)
        return mid >= 2 and self.capitalised.get(word, 0) >= 0.6 * mid


def is_word(token: str) -> bool:
    """A token that can be a table key: letters (with inner hyphens or apostrophes), not ``<num>``."""
    return token != NUM and token[:1].isalpha()


def poisson_g(n: float, expected: float) -> float:
    """Signed Poisson log-likelihood ratio of ``n`` observed against ``expected``: > 0 over-use, < 0 under-use.

    Example:
        >>> round(poisson_g(0, 200), 1), round(poisson_g(20, 2), 1)
        (-200.0, 28.1)
    """
    expected = max(expected, 1e-9)
    g = (n * math.log(n / expected) if n > 0 else 0.0) - (n - expected)
    return g if n >= expected else -g


@dataclass(slots=True)
class Counts:
    """Weighted n-gram counts of a site and their expected counts in clean text.

    Attributes:
        n_words: weighted word tokens.
        grams: phrase (1 to ``max_n`` words, space-joined) -> weighted count.
        occurrences: phrase -> where it occurs (every occurrence, whatever the page weight).
        page_grams: per page, its unweighted phrase counts (for tests restricted to some pages).
        page_words: per page, its word tokens (unweighted).
    """

    n_words: float
    grams: dict[str, float]
    occurrences: dict[str, list[Occurrence]]
    page_grams: list[Counter[str]] = field(default_factory=list)
    page_words: list[int] = field(default_factory=list)


def count_site(site: SiteText, *, max_n: int, weights: Sequence[float] | None = None) -> Counts:
    """Count the words and phrases (of words only, within a sentence) of ``site``, pages weighted."""
    grams: dict[str, float] = {}
    occ: dict[str, list[Occurrence]] = {}
    total = 0.0
    page_grams: list[Counter[str]] = []
    for p, page in enumerate(site.sents):
        w = 1.0 if weights is None else weights[p]
        total += w * site.page_words[p]
        here: Counter[str] = Counter()
        page_grams.append(here)
        for s, sent in enumerate(page):
            n = len(sent)
            for i in range(n):
                if not is_word(sent[i]):
                    continue
                for j in range(i + 1, min(n, i + max_n) + 1):
                    if not is_word(sent[j - 1]):
                        break
                    key = sent[i] if j == i + 1 else " ".join(sent[i:j])
                    grams[key] = grams.get(key, 0.0) + w
                    here[key] += 1
                    lst = occ.get(key)
                    if lst is None:
                        occ[key] = [Occurrence(p, s, i, j)]
                    elif len(lst) < 5000:  # a cap keeps a site of 1,000 pages linear in its words
                        lst.append(Occurrence(p, s, i, j))
    return Counts(total, grams, occ, page_grams, list(site.page_words))


class Expected:
    """Expected share of a phrase in clean text: training-split counts for words, the LM for phrases."""

    def __init__(self, lm: LanguageModel, vocab: Mapping[str, int]) -> None:
        self.lm, self.vocab = lm, vocab
        self.total = max(1, sum(vocab.values()))
        self._cache: dict[str, float] = {}

    def share(self, phrase: str) -> float:
        hit = self._cache.get(phrase)
        if hit is not None:
            return hit
        words = phrase.split(" ")
        if len(words) == 1:
            hit = (self.vocab.get(phrase, 0) + 0.5) / self.total
        else:
            # P(w1) from the counts, the rest from the LM in context: log10 P(w2 .. wk | w1).
            state = self.lm.null()
            logp = 0.0
            for k, w in enumerate(words):
                out = self.lm.new_state()
                score = self.lm.base_score(state, w, out)
                if k:
                    logp += score
                state = out
            hit = (self.vocab.get(words[0], 0) + 0.5) / self.total * 10.0**logp
        self._cache[phrase] = hit
        return hit

    def count(self, phrase: str, n_words: float) -> float:
        return self.share(phrase) * n_words
