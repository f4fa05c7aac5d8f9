"""Restoration: undo synonym spinning with a language model and a reverse synonym channel."""

from despin.restorer.document import DocumentRestorer
from despin.restorer.edits import apply_edits, compose_edits

__all__ = ["DocumentRestorer", "apply_edits", "compose_edits"]
