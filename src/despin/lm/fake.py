"""A deterministic pure-Python language model for tests and docs, with no KenLM file."""

from __future__ import annotations

import zlib
from collections.abc import Hashable


class FakeState:
    """A KenLM-like state: the words it remembers, compared and hashed by value."""

    __slots__ = ("ctx",)

    def __init__(self) -> None:
        self.ctx: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FakeState) and self.ctx == other.ctx

    def __hash__(self) -> int:
        return hash(self.ctx)

    def __repr__(self) -> str:
        return f"FakeState({self.ctx!r})"


class FakeLM:
    """Trigram log10 probabilities drawn from a hash of the n-gram: exact, repeatable, and cheap.

    Words starting with ``z`` end the remembered context, as KenLM's state minimisation does after
    an n-gram that never continues, so paths recombine. ``preferred`` words get a bonus, so a test
    can make the LM want one candidate over another.

    Args:
        preferred: word -> log10 bonus added to every probability of that word.

    Example:
        >>> lm = FakeLM()
        >>> lm.base_score(lm.begin(), "kota", lm.new_state()) == lm.base_score(lm.begin(), "kota", lm.new_state())
        True
        >>> FakeLM(preferred={"kota": 1.0}).base_score(lm.null(), "kota", lm.new_state()) > lm.base_score(
        ...     lm.null(), "kota", lm.new_state())
        True
    """

    order = 3

    def __init__(self, preferred: dict[str, float] | None = None) -> None:
        self.preferred = dict(preferred or {})
        self.calls = 0  # words scored, sentence ends aside

    def new_state(self) -> FakeState:
        return FakeState()

    def base_score(self, state: Hashable, word: str, out: Hashable) -> float:
        assert isinstance(state, FakeState) and isinstance(out, FakeState)
        self.calls += word != "</s>"
        key = " ".join((*state.ctx, word)).encode()
        out.ctx = () if word.startswith("z") else (*state.ctx, word)[-2:]
        return -0.05 - (zlib.crc32(key) % 1000) / 250.0 + self.preferred.get(word, 0.0)

    def begin(self) -> FakeState:
        state = FakeState()
        state.ctx = ("<s>",)
        return state

    def null(self) -> FakeState:
        return FakeState()

    def end(self, state: Hashable) -> float:
        return self.base_score(state, "</s>", FakeState())
