"""The page score: every word's evidence, accumulated (see :mod:`despin.detector.evidence`)."""

from despin.detector.evidence import EvidenceDetector, PageEvidence, PageModel, words_llr
from despin.detector.word_model import WordModel

__all__ = ["EvidenceDetector", "PageEvidence", "PageModel", "WordModel", "words_llr"]
