"""Synonym lexicons: the forward table a spinner uses and the reverse index a restorer needs."""

from despin.lexicon.formats import parse_mythes, parse_wordnet
from despin.lexicon.synonyms import SynonymLexicon

__all__ = ["SynonymLexicon", "parse_mythes", "parse_wordnet"]
