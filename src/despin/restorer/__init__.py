"""Restoration: undo synonym spinning with a language model and a reverse synonym channel."""

from __future__ import annotations

from collections.abc import Sequence

from despin.errors import ConfigError
from despin.types import Edit


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply sorted, disjoint edits to ``text``.

    Example:
        >>> apply_edits("a Besar b", [Edit(2, 7, "Besar", "agung", 0.9)])
        'a agung b'
    """
    out: list[str] = []
    pos = 0
    for e in edits:
        if e.start < pos or e.end > len(text) or text[e.start : e.end] != e.observed:
            raise ConfigError(f"edit {e.start}:{e.end} {e.observed!r} does not fit the text or overlaps")
        out.append(text[pos : e.start])
        out.append(e.restored)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)
