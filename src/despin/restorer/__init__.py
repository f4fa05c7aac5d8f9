"""Restoration: undo synonym spinning with a language model, pluggable candidate sources and an edit model."""

from despin.restorer.document import DocumentRestorer
from despin.restorer.edits import apply_edits, compose_edits
from despin.restorer.factory import build_restorer

__all__ = ["DocumentRestorer", "apply_edits", "build_restorer", "compose_edits"]
