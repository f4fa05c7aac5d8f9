"""compose_edits against applying the two rounds one after the other (a reference kept here)."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from despin.restorer.edits import apply_edits, compose_edits
from despin.types import Edit


@st.composite
def rounds(draw: st.DrawFn, text: str) -> list[Edit]:
    """Sorted, disjoint edits over ``text``: replacements, deletions and growths, never empty spans."""
    edits: list[Edit] = []
    pos = 0
    while pos < len(text):
        start = draw(st.integers(pos, len(text)))
        if start >= len(text) or draw(st.booleans()):
            break
        end = draw(st.integers(start + 1, min(len(text), start + 4)))
        restored = draw(st.text(alphabet="xyz ", max_size=5))
        kind = draw(st.sampled_from(["synonym", "case", "repeat"]))
        edits.append(Edit(start, end, text[start:end], restored, draw(st.floats(0, 1)), kind))
        pos = end
    return edits


@settings(max_examples=400, deadline=None)
@given(st.data(), st.text(alphabet="abcd ", min_size=1, max_size=30))
def test_composed_edits_equal_two_rounds_applied_in_turn(data: st.DataObject, text: str) -> None:
    first = data.draw(rounds(text))
    middle = apply_edits(text, first)
    second = data.draw(rounds(middle)) if middle else []
    composed = compose_edits(text, first, second)
    assert apply_edits(text, composed) == apply_edits(middle, second)
    assert all(e.observed == text[e.start : e.end] for e in composed)
    assert all(a.end <= b.start for a, b in pairwise(composed))


def test_an_edit_undone_by_the_second_round_disappears() -> None:
    text = "kota agung itu"
    first = [Edit(5, 10, "agung", "besar", 0.9)]
    second = [Edit(5, 10, "besar", "agung", 0.6)]
    assert compose_edits(text, first, second) == ()


def test_a_second_edit_spanning_two_first_edits_merges_them_with_the_lowest_confidence() -> None:
    text = "aa bb cc"
    first = [Edit(0, 2, "aa", "x", 0.9), Edit(6, 8, "cc", "y", 0.8)]
    second = [Edit(0, 6, "x bb y", "zz", 0.7, "synonym")]  # middle is "x bb y"
    assert compose_edits(text, first, second) == (Edit(0, 8, "aa bb cc", "zz", 0.7, "synonym"),)
