"""Edits over a text: apply them, and compose two rounds of them into one round over the first text."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from despin.errors import ConfigError
from despin.types import Edit, EditKind


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


def compose_edits(text: str, first: Sequence[Edit], second: Sequence[Edit]) -> tuple[Edit, ...]:
    """One round of edits over ``text`` with the effect of ``first``, then ``second``.

    ``second`` holds offsets into ``apply_edits(text, first)``. Edits of the two rounds that overlap
    (in that middle text) merge into one edit over ``text``, with the lowest confidence among them;
    a merged edit that gives back the observed text disappears.

    Example:
        >>> text = "rumah agung sekali"
        >>> first = [Edit(6, 11, "agung", "besar", 0.9)]
        >>> second = [Edit(0, 5, "rumah", "gedung", 0.8), Edit(6, 11, "besar", "luas", 0.7)]
        >>> [(e.observed, e.restored, e.confidence) for e in compose_edits(text, first, second)]
        [('rumah', 'gedung', 0.8), ('agung', 'luas', 0.7)]
        >>> apply_edits(text, compose_edits(text, first, second))
        'gedung luas sekali'
    """
    if not second:
        return tuple(first)
    middle = apply_edits(text, first)
    # Each first edit's output span in the middle text; then the second edits' spans.
    items: list[tuple[int, int, bool, Edit]] = []
    shift = 0
    for e in first:
        items.append((e.start + shift, e.start + shift + len(e.restored), True, e))
        shift += len(e.restored) - (e.end - e.start)
    items.extend((e.start, e.end, False, e) for e in second)
    items.sort(key=lambda it: (it[0], it[1]))
    firsts = [it for it in items if it[2]]

    def to_text(pos: int, *, is_end: bool) -> int:
        """A middle-text offset outside every first edit's output, as an offset into ``text``.

        At a deletion's position, a span's end maps to before the deleted text and a start to after it.
        """
        delta = 0
        for lo, hi, _, e in firsts:
            if hi > pos or (is_end and hi == pos and lo == hi):
                break
            delta = hi - e.end
        return pos - delta

    out: list[Edit] = []
    cluster: list[tuple[int, int, bool, Edit]] = []
    for it in [*items, (len(middle) + 1, len(middle) + 1, False, None)]:
        if cluster and it[0] < max(c[1] for c in cluster):
            cluster.append(it)  # type: ignore[arg-type]
            continue
        if cluster:
            out.extend(_merge(text, middle, cluster, to_text))
        cluster = [it] if it[3] is not None else []  # type: ignore[list-item]
    return tuple(out)


def _merge(
    text: str, middle: str, cluster: list[tuple[int, int, bool, Edit]], to_text: Callable[..., int]
) -> list[Edit]:
    """The edits over ``text`` for one cluster of overlapping first-round outputs and second-round edits."""
    seconds = [c for c in cluster if not c[2]]
    if not seconds:
        return [c[3] for c in cluster]
    lo, hi = cluster[0][0], max(c[1] for c in cluster)
    first_lo = next((c for c in cluster if c[2] and c[0] == lo), None)
    first_hi = next((c for c in reversed(cluster) if c[2] and c[1] == hi), None)
    start = first_lo[3].start if first_lo else to_text(lo, is_end=False)
    end = first_hi[3].end if first_hi else to_text(hi, is_end=True)
    pieces, pos = [], lo
    for s_lo, s_hi, _, e in seconds:
        pieces += [middle[pos:s_lo], e.restored]
        pos = s_hi
    restored = "".join([*pieces, middle[pos:hi]])
    if restored == text[start:end]:
        return []
    kinds = [c[3].kind for c in cluster]
    kind = EditKind.SYNONYM if EditKind.SYNONYM in kinds else EditKind(seconds[0][3].kind)
    confidence = min(c[3].confidence for c in cluster)
    return [Edit(start, end, text[start:end], restored, confidence, kind)]
