"""The language-model interface the decoder needs: KenLM-style state passing, log10 probabilities.

:class:`~despin.lm.ngram.NgramLM` implements it over KenLM and :class:`~despin.lm.fake.FakeLM`
in pure Python, so the restorer runs (and is tested) with either.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Protocol


class LanguageModel(Protocol):
    """An n-gram model scored word by word from an explicit context state.

    States must hash and compare by value (KenLM's do): the decoder recombines hypotheses whose
    states are equal.
    """

    @property
    def order(self) -> int:
        """The n-gram order: how many words of context a state can remember, plus one."""
        ...

    def new_state(self) -> Hashable:
        """A blank state for :meth:`base_score` to write into."""
        ...

    def base_score(self, state: Hashable, word: str, out: Hashable) -> float:
        """log10 P(word | state), writing the state after ``word`` into ``out``."""
        ...

    def begin(self) -> Hashable:
        """The state at the start of a sentence."""
        ...

    def null(self) -> Hashable:
        """The state with no context (for unigram probabilities)."""
        ...

    def end(self, state: Hashable) -> float:
        """log10 P(end of sentence | state)."""
        ...


def advance_many(lm: LanguageModel, state: Hashable, words: Sequence[str]) -> tuple[float, Hashable]:
    """Score ``words`` one after another from ``state``: (summed log10 p, the state after them)."""
    total = 0.0
    for word in words:
        out = lm.new_state()
        total += lm.base_score(state, word, out)
        state = out
    return total, state
