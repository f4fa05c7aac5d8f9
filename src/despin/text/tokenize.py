"""An Indonesian tokenizer that keeps exact, half-open character offsets into the input.

Whitespace is never part of a token, so any span of the input can be rebuilt byte-exact from
the tokens and the gaps between them. Kept whole: reduplication (``kata-kata``), clitics
(``rumahnya``, ``pergilah``), numbers with separators (``1.500``, ``2,5``), dates (``21/10``)
and words with digits (``COVID-19``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Bump when tokenization changes: index headers record it, and an index built with another
# version is refused instead of answering with fingerprints that no longer line up.
TOKENIZER_VERSION = "1"

# Order matters: numbers with separators before plain words, so "1.500" is one token.
_TOKEN_RE = re.compile(
    r"""
    (?P<number>\d+(?:[.,/:]\d+)+%?|\d+%?)(?![^\W_])      # 1.500  2,5  21/10  07:30  45%
  | (?P<word>[^\W_]+(?:(?:[-'\u2019]|(?<=\d)[.,/](?=\d))[^\W_]+)*)  # kata-kata  COVID-19  Ma'ruf  Rp1.500
  | (?P<punct>[^\w\s])                                  # one punctuation or symbol char
  | (?P<other>_+)
    """,
    re.VERBOSE,
)


class Token(NamedTuple):
    """A token: its text, half-open offsets into the input, and its kind."""

    text: str
    start: int
    end: int
    kind: str  # "word" | "number" | "punct" | "other"

    @property
    def is_word(self) -> bool:
        return self.kind == "word"


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens with offsets; whitespace is dropped.

    Example:
        >>> [t.text for t in tokenize("Harga naik 1.500 rupiah, kata-katanya.")]
        ['Harga', 'naik', '1.500', 'rupiah', ',', 'kata-katanya', '.']
    """
    out = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or "other"
        out.append(Token(m.group(), m.start(), m.end(), kind))
    return out


def words(text: str) -> list[Token]:
    """Only the word and number tokens of ``text``."""
    return [t for t in tokenize(text) if t.kind in ("word", "number")]


_ENDERS = frozenset(".!?")


def sentences(text: str, tokens: list[Token]) -> list[tuple[int, int]]:
    """Token index ranges [i, j) of sentences: split after . ! ? before a capital, and at newlines.

    Example:
        >>> t = "Ia pergi. Dia pulang.\\nSelesai"
        >>> [[x.text for x in tokenize(t)[i:j]] for i, j in sentences(t, tokenize(t))]
        [['Ia', 'pergi', '.'], ['Dia', 'pulang', '.'], ['Selesai']]
    """
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(tokens)
    for i, tok in enumerate(tokens):
        if i + 1 >= n:
            break
        nxt = tokens[i + 1]
        gap = text[tok.end : nxt.start]
        if "\n" in gap or (tok.text in _ENDERS and gap and nxt.text[:1].isupper()):
            spans.append((start, i + 1))
            start = i + 1
    if start < n:
        spans.append((start, n))
    return spans
