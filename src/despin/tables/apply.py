"""Restore a page with a site's learned table: each table phrase is decided in its own LM window.

This is the decision rule EM used while learning the table, applied to one page: an occurrence of
an observed phrase ``o`` goes back to original ``u`` when ``P(u | o) * P_LM(left, u, right)`` beats
every other original and the identity ``(1 - sum_u P(u | o)) * P_LM(left, o, right)``. Unlike the
general restorer it looks at nothing but the table, so words the table does not list are never touched.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from despin.lm.base import LanguageModel
from despin.lm.ngram import lm_token
from despin.restorer.edits import apply_edits, compose_edits
from despin.tables.pairs import TableRow
from despin.text.tokenize import sentences, tokenize
from despin.types import Edit, EditKind

__all__ = ["TableApplier", "apply_edits", "with_site_table"]

LN10 = math.log(10.0)
MIN_IDENTITY = 0.02  # even an entry with P = 1 leaves the observed phrase a chance in a strange context


class TableApplier:
    """Restore texts with one learned table.

    Args:
        rows: the table (observed, original, count, prob), e.g. from :func:`despin.tables.decipher.decipher`.
        lm: the LM that judges each occurrence in context.
    """

    def __init__(self, rows: Iterable[TableRow], lm: LanguageModel) -> None:
        self.lm = lm
        table: dict[str, dict[str, float]] = {}
        for r in rows:
            table.setdefault(r.observed, {})[r.original] = table.get(r.observed, {}).get(r.original, 0.0) + r.prob
        self.table = table
        self.max_len = max((k.count(" ") + 1 for k in table), default=1)
        self.context = max(1, lm.order - 1)

    def _score(
        self, left: Sequence[str], at_start: bool, mid: Sequence[str], right: Sequence[str], ends: bool
    ) -> float:
        lm = self.lm
        state = lm.begin() if at_start else lm.null()
        for w in left:
            out = lm.new_state()
            lm.base_score(state, w, out)
            state = out
        total = 0.0
        for w in (*mid, *right):
            out = lm.new_state()
            total += lm.base_score(state, w, out)
            state = out
        return total + (lm.end(state) if ends else 0.0)

    def edits(self, text: str) -> list[Edit]:
        """The edits that restore ``text`` (offsets into it, sorted, disjoint); confidence is the posterior."""
        if not self.table:
            return []
        tokens = tokenize(text)
        out: list[Edit] = []
        for a, b in sentences(text, tokens):
            keys = [lm_token(t) for t in tokens[a:b]]
            i = 0
            while i < len(keys):
                found = None
                for n in range(min(self.max_len, len(keys) - i), 0, -1):
                    if all(tokens[a + k].kind == "word" for k in range(i, i + n)):
                        phrase = " ".join(keys[i : i + n])
                        if phrase in self.table:
                            found = (phrase, n)
                            break
                if found is None:
                    i += 1
                    continue
                phrase, n = found
                edit = self._decide(text, tokens, a, keys, i, i + n, phrase)
                if edit is not None:
                    out.append(edit)
                i += n
        return out

    def _decide(
        self, text: str, tokens: Sequence[object], a: int, keys: list[str], i: int, j: int, phrase: str
    ) -> Edit | None:
        originals = self.table[phrase]
        ident = max(MIN_IDENTITY, 1.0 - sum(originals.values()))
        lo = max(0, i - self.context)
        left, right = keys[lo:i], keys[j : j + self.context]
        at_start, ends = lo == 0, j + self.context >= len(keys)
        scored = [(math.log(ident) + LN10 * self._score(left, at_start, phrase.split(" "), right, ends), phrase)]
        for orig, p in sorted(originals.items()):
            s = math.log(min(1.0, p)) + LN10 * self._score(left, at_start, orig.split(" "), right, ends)
            scored.append((s, orig))
        top = max(s for s, _ in scored)
        z = sum(math.exp(s - top) for s, _ in scored)
        best_s, best = max(scored, key=lambda x: (x[0], x[1] == phrase))
        if best == phrase:
            return None
        first, last = tokens[a + i], tokens[a + j - 1]
        start, end = first.start, last.end  # type: ignore[attr-defined]
        observed = text[start:end]
        return Edit(
            start,
            end,
            observed,
            _case_like(best, observed, sentence_start=i == 0),
            round(math.exp(best_s - top) / z, 4),
            EditKind.SYNONYM,
        )


def _case_like(original: str, observed: str, *, sentence_start: bool) -> str:
    """The original in the case the source most likely had: capitalised only where a sentence starts."""
    if len(observed) > 1 and observed.isupper():
        return original.upper()
    if sentence_start and observed[:1].isupper():
        return original[:1].upper() + original[1:]
    return original


def with_site_table(text: str, edits: Sequence[Edit], applier: TableApplier) -> tuple[Edit, ...]:
    """The edits for a page of a site judged spun: ``edits`` (a restoration of ``text``), then the table's.

    One page's evidence is weak and the site's is not, so the site's table is applied to the
    restoration's output even when the page alone does not look spun; the two rounds are composed
    into edits of ``text``.
    """
    return compose_edits(text, tuple(edits), applier.edits(apply_edits(text, edits)))
