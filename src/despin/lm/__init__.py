"""Language models: the :class:`LanguageModel` protocol, KenLM (:mod:`despin.lm.ngram`) and a fake for tests."""

from despin.lm.base import LanguageModel, advance_many
from despin.lm.fake import FakeLM

__all__ = ["FakeLM", "LanguageModel", "advance_many"]
