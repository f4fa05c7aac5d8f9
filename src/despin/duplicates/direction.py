"""Which page of a copy pair is the copy: substitution evidence, artefacts and dates.

A spinner replaces a word by a rarer synonym that fits its context worse, so at each aligned
substitution the source's side is the more probable one under the clean-text LM and the more
frequent one in clean text (the LM picks the original of a swap about 3 times in 4, so a page's
dozens of substitutions vote it right almost surely). A spinner also leaves artefacts on the copy:
a replacement capitalised in mid-sentence, a word repeated. :func:`substitution_votes` sums these
into one signed number per pair (positive: the first page is the copy); :mod:`despin.duplicates.links`
then decides per pair of hosts by majority, since a farm is always the copying side.

A date field, when given, decides first: the earlier page is the source.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from despin.lm.base import LanguageModel, advance_many
from despin.types import Substitution

_WORD_RE = re.compile(r"[^\W_]+")
_NUM = "<num>"
# LM differences smaller than this (log10) are no vote: the two sides fit the context equally.
LM_MARGIN = 0.1
CONTEXT = 2  # words of context on each side of a substitution
# At most this many substitutions (evenly spaced) vote: 40 votes at 3 in 4 right are a near-certain
# majority, and a long copy's hundreds of votes would cost more than its alignment.
MAX_VOTES = 40
CAPS_VOTE = 2.0  # a mid-sentence capital is a spinner's habit, rare in edited text
VOCAB_VOTE = 0.5
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            ("januari", "january", "jan"),
            ("februari", "february", "feb", "pebruari"),
            ("maret", "march", "mar"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("agustus", "august", "agu", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov", "nopember"),
            ("desember", "december", "des", "dec"),
        )
    )
    for m in names
}


def _lm_words(text: str) -> list[str]:
    return [_NUM if w.isdigit() else w for w in _WORD_RE.findall(text.lower())]


@dataclass(frozen=True, slots=True)
class Votes:
    """The evidence of one pair: ``total > 0`` says the first page is the copy."""

    total: float
    n: int  # substitutions that voted

    def to_list(self) -> list[float]:
        return [round(self.total, 4), self.n]


def _window(lm: LanguageModel, left: Sequence[str], phrase: Sequence[str], right: Sequence[str]) -> float:
    state: Hashable = lm.null()
    _, state = advance_many(lm, state, left)
    score, state = advance_many(lm, state, [*phrase, *right])
    return score


def _mid_sentence_capital(text: str, start: int) -> bool:
    if start >= len(text) or not text[start].isupper():
        return False
    before = text[:start].rstrip()
    return bool(before) and before[-1] not in '.!?:;"\u201c\n' and not text[start:].split(" ", 1)[0].isupper()


def substitution_votes(
    copy: str, source: str, subs: Sequence[Substitution], *, lm: LanguageModel, vocab: Mapping[str, int]
) -> Votes:
    """How strongly the substitutions say that ``copy`` (the spun side of ``subs``) is the copy of ``source``.

    Each substitution votes +1 when the LM finds the source's words more probable in the copy's
    context (-1 the other way, nothing within :data:`LM_MARGIN`), +/-0.5 for the more frequent
    words in clean text, and +/-2 for a mid-sentence capital on one side only.
    """
    total = 0.0
    n = 0
    # The copy's words once, with offsets: each substitution's context is a bisection away.
    spans = [(m.start(), m.end()) for m in _WORD_RE.finditer(copy)]
    starts = [st for st, _ in spans]
    words = _lm_words(copy)
    step = max(1, len(subs) // MAX_VOTES)
    for s in subs[::step]:
        i, j = bisect_left(starts, s.spun_start), bisect_left(starts, s.spun_end)
        left, right = words[max(0, i - CONTEXT) : i], words[j : j + CONTEXT]
        a, b = _lm_words(s.spun), _lm_words(s.source)
        if not a or not b or a == b:
            vote = 0.0
        else:
            diff = _window(lm, left, b, right) - _window(lm, left, a, right)
            vote = 0.0 if abs(diff) < LM_MARGIN else math.copysign(1.0, diff)
            fa = sum(math.log1p(vocab.get(w, 0)) for w in a) / len(a)
            fb = sum(math.log1p(vocab.get(w, 0)) for w in b) / len(b)
            if fa != fb:
                vote += math.copysign(VOCAB_VOTE, fb - fa)
        caps_a = _mid_sentence_capital(copy, s.spun_start)
        caps_b = _mid_sentence_capital(source, s.source_start)
        if caps_a != caps_b:
            vote += CAPS_VOTE if caps_a else -CAPS_VOTE
        if vote:
            total += vote
            n += 1
    return Votes(total, n)


def parse_date(value: object) -> date | None:
    """A date from a record field: ISO (``2018-02-02``, ``2018-02-02T10:00``) or ``14 Oktober 2019 20:32``.

    Example:
        >>> parse_date("2018-02-02"), parse_date("14 Oktober 2019 20:32"), parse_date("soon")
        (datetime.date(2018, 2, 2), datetime.date(2019, 10, 14), None)
    """
    if not isinstance(value, str):
        return None
    s = value.strip()
    m = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", s)
    try:
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = re.match(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})", s)
        if m and m.group(2).lower() in _MONTHS:
            return date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    except ValueError:
        return None
    return None
