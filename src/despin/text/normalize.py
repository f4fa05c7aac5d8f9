"""Normalization. Pure and idempotent; never used to compute offsets into the input."""

from __future__ import annotations

import unicodedata

_TRANSLATE = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ", "\x00": " "})


def normalize(text: str) -> str:
    """Return NFKC text with typographic quotes, NBSP and NUL folded to ASCII.

    Example:
        >>> normalize("kata\u2019nya\u00a0ok")
        "kata'nya ok"
    """
    return unicodedata.normalize("NFKC", text).translate(_TRANSLATE)


def lm_key(token: str) -> str:
    """The form under which a token is looked up in the LM and lexicon (normalized, lower case).

    Example:
        >>> lm_key("Jakarta")
        'jakarta'
    """
    if token.isascii():
        return token.lower()
    return normalize(token).lower()
