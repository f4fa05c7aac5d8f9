"""Exception hierarchy. The CLI and the server catch only :class:`DespinError`."""

from __future__ import annotations


class DespinError(Exception):
    """Base class of every error despin raises on purpose."""


class ConfigError(DespinError, ValueError):
    """A bad argument or configuration value."""


class InputError(DespinError):
    """Unreadable input: empty, binary, invalid UTF-8, too large, a bad record or field."""


class LexiconError(DespinError):
    """A malformed thesaurus or substitution table line (the message names file:line)."""


class ModelError(DespinError):
    """A model bundle is missing, incomplete or corrupted."""


class IndexMismatchError(DespinError):
    """An index was built with another despin config, tokenizer or lexicon."""


class IndexCorruptError(DespinError):
    """An index file is truncated or fails its checksum."""


class MissingDependencyError(DespinError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""
