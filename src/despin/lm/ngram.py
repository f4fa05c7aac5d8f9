"""KenLM n-gram language model over lower-cased tokens (see :func:`lm_tokens`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from despin.errors import MissingDependencyError
from despin.text.normalize import lm_key
from despin.text.tokenize import Token

NUM = "<num>"


def lm_token(tok: Token) -> str:
    """The LM's view of a token: lower case, and every number collapsed to ``<num>``."""
    return NUM if tok.kind == "number" else lm_key(tok.text)


def lm_tokens(tokens: Sequence[Token]) -> list[str]:
    return [lm_token(t) for t in tokens]


class NgramLM:
    """Thin wrapper over ``kenlm.Model`` with state-passing scoring, for lattice decoding.

    Scores are log10 probabilities, as KenLM returns them.
    """

    def __init__(self, path: str) -> None:
        try:
            import kenlm
        except ImportError as exc:  # pragma: no cover - kenlm is a core dependency
            raise MissingDependencyError("kenlm is missing: pip install kenlm") from exc
        self._kenlm = kenlm
        self.model = kenlm.Model(path)
        self.order: int = self.model.order
        # A fresh KenLM state: the class itself, not a method wrapping it, because decoding
        # creates thousands per document.
        self.new_state: Callable[[], Any] = kenlm.State

    def begin(self) -> Any:
        state = self._kenlm.State()
        self.model.BeginSentenceWrite(state)
        return state

    def null(self) -> Any:
        state = self._kenlm.State()
        self.model.NullContextWrite(state)
        return state

    def advance(self, state: Any, word: str) -> tuple[float, Any]:
        """Score ``word`` after ``state``; return (log10 p, next state)."""
        out = self._kenlm.State()
        return self.model.BaseScore(state, word, out), out

    def advance_many(self, state: Any, words: Sequence[str]) -> tuple[float, Any]:
        total = 0.0
        for w in words:
            out = self._kenlm.State()
            total += self.model.BaseScore(state, w, out)
            state = out
        return total, state

    def end(self, state: Any) -> float:
        out = self._kenlm.State()
        return float(self.model.BaseScore(state, "</s>", out))

    def sentence_score(self, words: Sequence[str]) -> float:
        return float(self.model.score(" ".join(words), bos=True, eos=True))

    def __contains__(self, word: str) -> bool:
        return word in self.model
