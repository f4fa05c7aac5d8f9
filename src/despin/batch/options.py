"""``ScanOptions``: what decides a scan's output bytes, written once.

:func:`despin.scan` takes it (or keyword arguments named like its fields), ``despin scan`` makes one
flag per field from it (the help text is the field's metadata), the scan job, its steps and the
grouped stage read it, and its :meth:`~ScanOptions.fingerprint` guards a rerun in the same output
directory. This module imports nothing heavy, so the CLI can build its flags without loading the
pipeline.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from despin._options import flag, with_overrides
from despin._version import __version__
from despin.errors import ConfigError
from despin.textio import MAX_CHARS

# A group with fewer pages than this gets an empty table: a few pages cannot show which words vanish.
MIN_GROUP_PAGES = 5
# Buckets of groups, one table-stage task each (a group's pages all land in one bucket).
GROUP_TASKS = 16


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """Everything that decides a scan's output bytes (not how it is executed).

    Example:
        >>> ScanOptions(restore=True).restore
        True
        >>> ScanOptions.from_kwargs(None, text_field="content").text_field
        'content'
        >>> ScanOptions(keep="all")
        Traceback (most recent call last):
        ...
        despin.errors.ConfigError: keep must be 'spun', 'clean' or None, got 'all'
    """

    text_field: str = field(default="text", metadata=flag("Record field holding the text."))
    id_field: str = field(default="id", metadata=flag("Record field holding the document id."))
    restore: bool = field(default=False, metadata=flag("Also restore the original wording (adds restored, edits)."))
    index: str | None = field(default=None, metadata=flag("Trace sources in this index.", path="file"))
    keep: Literal["spun", "clean"] | None = field(
        default=None, metadata=flag("Write only these documents.", flag="--filter", choices=("spun", "clean"))
    )
    min_score: float | None = field(
        default=None, metadata=flag("Write only documents scoring at least this.", range=(0.0, 1.0))
    )
    model: str | None = field(default=None, metadata=flag("Model bundle directory.", path="dir"))
    table: str | None = field(
        default=None, metadata=flag("Learned spinner table (for detect and restore).", path="file")
    )
    threshold: float | None = field(
        default=None, metadata=flag("Decision threshold (default: calibrated).", range=(0.0, 1.0))
    )
    top: int = field(default=5, metadata=flag("The most sources listed per document (with --index).", min=1))
    max_chars: int = MAX_CHARS
    group_by: str | None = field(
        default=None,
        metadata=flag(
            "Learn a spinner table per group and restore each record with its own: 'host' (the URL's host) or a field."
        ),
    )
    url_field: str = field(default="url", metadata=flag("Record field holding the URL (--group-by host)."))
    min_group_pages: int = field(default=MIN_GROUP_PAGES, metadata=flag("Smaller groups get an empty table.", min=1))
    group_tasks: int = field(
        default=GROUP_TASKS, metadata=flag("Table-learning tasks the groups are shared among.", min=1)
    )
    # Identity of the model, table and index files: a changed file must not be mixed with old outputs.
    identity: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.keep not in (None, "spun", "clean"):
            raise ConfigError(f"keep must be 'spun', 'clean' or None, got {self.keep!r}")
        for name in ("min_score", "threshold"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must lie in [0, 1], got {value}")
        if self.top < 1:
            raise ConfigError(f"top must be >= 1, got {self.top}")
        if not self.text_field:
            raise ConfigError("text_field must be a non-empty field name")
        if self.group_by is not None:
            if not self.group_by or not self.url_field:
                raise ConfigError("group_by and url_field must be non-empty")
            if self.table is not None:
                raise ConfigError("group_by learns a table per group: it cannot be combined with table")
            if self.min_group_pages < 1 or self.group_tasks < 1:
                raise ConfigError(
                    f"min_group_pages and group_tasks must be >= 1, got {self.min_group_pages}, {self.group_tasks}"
                )

    @classmethod
    def from_kwargs(cls, options: ScanOptions | None, **overrides: Any) -> ScanOptions:
        """``options`` (the defaults when None) with ``overrides``; an unknown name is a TypeError."""
        paths = {k: str(v) for k, v in overrides.items() if isinstance(v, Path)}
        return with_overrides(cls, options, {**overrides, **paths}, what="scan")

    def fingerprint(self) -> str:
        blob = json.dumps({"despin": __version__, **asdict(self)}, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]
