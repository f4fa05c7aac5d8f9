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
    """Thin wrapper over ``kenlm.Model``: the :class:`~despin.lm.base.LanguageModel` protocol over KenLM.

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
        # The LanguageModel protocol's scorer: KenLM's bound C method itself, for the same reason.
        self.base_score: Callable[[Any, str, Any], float] = self.model.BaseScore

    def begin(self) -> Any:
        state = self._kenlm.State()
        self.model.BeginSentenceWrite(state)
        return state

    def null(self) -> Any:
        state = self._kenlm.State()
        self.model.NullContextWrite(state)
        return state

    def end(self, state: Any) -> float:
        out = self._kenlm.State()
        return float(self.model.BaseScore(state, "</s>", out))

    def sentence_score(self, words: Sequence[str]) -> float:
        return float(self.model.score(" ".join(words), bos=True, eos=True))

    def __contains__(self, word: str) -> bool:
        return word in self.model
