"""Reading record files for the commands that take them (``index add``, ``learn``), through the scan's readers.

The batch readers (:mod:`despin.pipeline.readers`) are the one place that parses JSONL(.gz) and
Parquet and decides what is a bad record; the commands here collect those rejects, print each as
``FILE:LINE: reason`` on stderr, count them, and exit 1 unless ``--skip-bad``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from despin.pipeline.base import Document, Format, Reject, Shard, shard_suffix
from despin.pipeline.fs import local_path
from despin.pipeline.readers import JsonlReader, ParquetReader
from despin.textio import MAX_CHARS


class Rejects:
    """Collects the bad records of every file a command reads, as ``(where, reason)``.

    A :class:`~despin.pipeline.base.RejectSink` for the readers; :meth:`add` takes what the command
    itself refuses.
    """

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self._lines: list[int] = []  # each item's line (or row) in its file; 0 when it has none

    def write(self, reject: Reject) -> None:
        self.add(where(reject), reject.detail, line=reject.line or 0)

    def add(self, place: str, reason: str, *, line: int = 0) -> None:
        self.items.append((place, reason))
        self._lines.append(line)

    def extend_in_line_order(self, other: Rejects) -> None:
        """Append ``other``'s items (one file's), sorted by their line: a stable sort keeps ties in order."""
        order = sorted(range(len(other.items)), key=other._lines.__getitem__)
        for k in order:
            self.add(*other.items[k], line=other._lines[k])

    def __len__(self) -> int:
        return len(self.items)

    def report(self, *, skip_bad: bool) -> None:
        """Print every bad record on stderr; raise (exit 1) if there is any, unless ``skip_bad``."""
        for place, reason in self.items:
            click.echo(f"{place}: {reason}", err=True)
        if self.items and not skip_bad:
            n = len(self.items)
            raise click.ClickException(f"{n} bad record(s) rejected (listed above); pass --skip-bad to accept")


def where(reject: Reject) -> str:
    """``FILE:LINE``, ``FILE:row N`` or ``FILE`` for a reject."""
    if reject.line is None:
        return reject.shard.path
    row = "row " if reject.shard.fmt == "parquet" else ""
    return f"{reject.shard.path}:{row}{reject.line}"


def _reader(
    path: str | Path, rejects: Rejects, *, text_field: str, id_field: str, max_chars: int, require_id: bool
) -> tuple[JsonlReader | ParquetReader, Shard]:
    """The reader of ``path`` (a local path or an fsspec URL): Parquet by its suffix (``.parquet``, ``.pq``),
    JSONL (gzip if ``.gz``) otherwise."""
    where = local_path(path)
    name = where.rstrip("/").rsplit("/", 1)[-1]
    known = shard_suffix(name)
    if known is not None:
        shard = Shard(where, name, known[1], known[2])
    else:
        suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        fmt: Format = "parquet" if suffix == "pq" else "jsonl"
        shard = Shard(where, name, fmt, "gzip" if suffix == "gz" else None)
    cls = ParquetReader if shard.fmt == "parquet" else JsonlReader
    reader = cls(
        shard, text_field=text_field, id_field=id_field, max_chars=max_chars, rejects=rejects, require_id=require_id
    )
    return reader, shard


def read_documents(
    path: str | Path,
    rejects: Rejects,
    *,
    text_field: str = "text",
    id_field: str = "id",
    max_chars: int = MAX_CHARS,
    require_id: bool = False,
) -> Iterator[Document]:
    """The good records of a JSONL(.gz) or Parquet file (a local path or an fsspec URL) as documents; bad ones
    go to ``rejects``."""
    reader, shard = _reader(
        path, rejects, text_field=text_field, id_field=id_field, max_chars=max_chars, require_id=require_id
    )
    yield from reader.read(shard)


def read_values(path: str | Path, rejects: Rejects) -> Iterator[tuple[int, Any]]:
    """``(line, JSON value)`` of every parsable line of a JSONL(.gz) file, whatever its shape."""
    reader, shard = _reader(path, rejects, text_field="text", id_field="id", max_chars=MAX_CHARS, require_id=False)
    for item in reader.records(shard):
        if isinstance(item, Reject):
            rejects.write(item)
        else:
            yield item[0], item[1]
