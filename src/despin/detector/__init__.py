"""The page score: every word's evidence, accumulated (see :mod:`despin.detector.evidence`)."""

from despin.detector.evidence import EvidenceDetector, PageEvidence, PageModel
from despin.detector.word_model import WordModel
from despin.likelihood import words_llr

__all__ = ["EvidenceDetector", "PageEvidence", "PageModel", "WordModel", "words_llr"]
