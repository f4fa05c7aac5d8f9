"""Building a model bundle (``despin build-model``): corpora, splits, KenLM, neighbours, detector fit.

Nothing here runs in production: :mod:`despin.model` loads what this package writes.
"""
