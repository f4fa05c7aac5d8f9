"""Text handling: normalization and an offset-keeping Indonesian tokenizer."""

from despin.text.normalize import lm_key, normalize
from despin.text.tokenize import Token, sentences, tokenize, words

__all__ = ["Token", "lm_key", "normalize", "sentences", "tokenize", "words"]
