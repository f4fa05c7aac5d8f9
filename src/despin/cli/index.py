"""``despin index add|stats`` and ``despin trace``: the reference index and its uses (``despin learn`` is in learn.py).

Bad input records are never dropped silently: each is reported on stderr as ``FILE:LINE: reason``
and counted. The good records are still added (or learned from); the command then exits 1 unless
``--skip-bad`` is given. The printed counts always add up: ``read = added + duplicate + conflict +
rejected`` for ``index add``.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import orjson

from despin import api
from despin.cli.common import cli, emit_json, read_input
from despin.errors import InputError, MissingDependencyError
from despin.textio import MAX_CHARS, check_text
from despin.tracer import Index

VERIFY = click.Choice(["auto", "quick", "header"])


@dataclass(frozen=True, slots=True)
class BadRecord:
    """An input record that was rejected, with where it was and why."""

    where: str
    reason: str


def _json_lines(path: Path) -> Iterator[tuple[int, Any] | BadRecord]:
    """``(line number, parsed JSON)`` per non-blank line of a JSONL or JSONL.gz file."""
    gz = path.name.endswith(".gz")
    lineno = 0
    try:
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as fh:
            for lineno, raw in enumerate(fh, 1):  # noqa: B007 - lineno is read after the loop
                if not raw.strip():
                    continue
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield BadRecord(f"{path}:{lineno}", f"not valid UTF-8 (byte offset {exc.start})")
                    continue
                try:
                    yield lineno, orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    yield BadRecord(f"{path}:{lineno}", f"malformed JSON ({exc})")
    except (OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
        yield BadRecord(f"{path}:{lineno + 1}", f"file is damaged or truncated here ({exc})")


def _parquet_rows(path: Path, fields: tuple[str, str]) -> Iterator[tuple[int, Any] | BadRecord]:
    """``(row number, record)`` per row of a Parquet file; a file that is not (or no longer) Parquet is a
    :class:`BadRecord` at the row where reading stopped, like a damaged JSONL.gz."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingDependencyError("reading Parquet needs pyarrow: pip install 'despin[parquet]'") from None
    row = 0
    try:
        pf = pq.ParquetFile(path)
        present = [f for f in fields if f in pf.schema_arrow.names]
        for batch in pf.iter_batches(columns=present, batch_size=4096):
            for rec in batch.to_pylist():
                row += 1
                yield row, rec
    except (OSError, pa.ArrowException) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
            raise InputError(f"cannot read Parquet file {path}: {exc.strerror}") from None
        where = f"{path}:row {row + 1}" if row else str(path)
        yield BadRecord(where, f"not a readable Parquet file ({type(exc).__name__}: {exc})")


def iter_records(
    path: Path, *, id_field: str, text_field: str, max_chars: int = MAX_CHARS
) -> Iterator[tuple[str, str] | BadRecord]:
    """``(id, text)`` of every record of a JSONL(.gz) or Parquet file, or a :class:`BadRecord`.

    A text over ``max_chars`` characters, or not valid Unicode, is a :class:`BadRecord`.
    """
    is_parquet = path.suffix.lower() in (".parquet", ".pq")
    rows = _parquet_rows(path, (id_field, text_field)) if is_parquet else _json_lines(path)
    for item in rows:
        if isinstance(item, BadRecord):
            yield item
            continue
        lineno, rec = item
        where = f"{path}:{'row ' if is_parquet else ''}{lineno}"
        if not isinstance(rec, dict):
            yield BadRecord(where, f"expected a JSON object, got {type(rec).__name__}")
            continue
        rid, text = rec.get(id_field), rec.get(text_field)
        if not isinstance(rid, str) or not rid:
            yield BadRecord(where, f"field {id_field!r} is missing or not a non-empty string")
        elif not isinstance(text, str) or not text.strip():
            yield BadRecord(where, f"field {text_field!r} is missing, empty or not a string")
        else:
            try:
                yield rid, check_text(text, name=f"field {text_field!r}", max_chars=max_chars)
            except InputError as exc:
                yield BadRecord(where, f"{exc} (see --max-chars)" if len(text) > max_chars else str(exc))


def _report_bad(bad: list[BadRecord], skip_bad: bool) -> None:
    for b in bad:
        click.echo(f"{b.where}: {b.reason}", err=True)
    if bad and not skip_bad:
        raise click.ClickException(
            f"{len(bad)} bad record(s) rejected (listed above); pass --skip-bad to accept"
        )


@cli.group("index")
def index_group() -> None:
    """Build and inspect a reference index for `despin trace`."""


@index_group.command("add")
@click.option("--index", "index_path", required=True, type=click.Path(dir_okay=False), help="Index file.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--id-field", default="id", show_default=True, help="Record field with the document id.")
@click.option("--text-field", default="text", show_default=True, help="Record field with the text.")
@click.option("--batch-size", type=click.IntRange(1), default=None, help="Records per transaction [4000].")
@click.option("--skip-bad", is_flag=True, help="Exit 0 even when bad records were rejected.")
@click.option("--compact/--no-compact", default=True, show_default=True, help="Merge postings at the end.")
@click.option("--max-chars", type=click.IntRange(1), default=MAX_CHARS, show_default=True,
              help="Longer references are rejected (each trace retrieving one aligns all of it).")
def index_add(index_path: str, files: tuple[str, ...], id_field: str, text_field: str,
              batch_size: int | None, skip_bad: bool, compact: bool, max_chars: int) -> None:
    """Add JSONL(.gz) or Parquet records {id, text} to an index (created if missing).

    Each batch is one transaction: an interrupted run keeps whole batches. Ids already in the index
    are skipped (a different text under a known id is a conflict, and rejected).

    \b
    Example:
        despin index add --index refs.db news.jsonl.gz more.parquet
    """
    bad: list[BadRecord] = []

    def records() -> Iterator[tuple[str, str]]:
        for f in files:
            for item in iter_records(Path(f), id_field=id_field, text_field=text_field, max_chars=max_chars):
                if isinstance(item, BadRecord):
                    bad.append(item)
                else:
                    yield item

    with Index.open(index_path, create=True) as ix:
        report = ix.add(records(), batch_size=batch_size, max_chars=max_chars)
        if compact and report.n_added:
            ix.compact()
        count = len(ix)
    emit_json({"read": report.n_seen + len(bad), "added": report.n_added, "duplicate": report.n_duplicate,
               "conflict": report.n_conflict, "rejected": len(bad), "count": count})
    bad.extend(BadRecord(f"id {c!r}", "already in the index with a different text") for c in report.conflicts)
    _report_bad(bad, skip_bad)


@index_group.command("stats")
@click.option("--index", "index_path", required=True, type=click.Path(dir_okay=False), help="Index file.")
@click.option("--verify", type=VERIFY, default="auto", show_default=True,
              help="quick: check every page; header: header only; auto: quick up to 256 MB.")
def index_stats(index_path: str, verify: str) -> None:
    """Print {count, size_bytes, config, header} of an index as JSON.

    \b
    Example:
        despin index stats --index refs.db
    """
    with Index.open(index_path, verify=verify) as ix:  # type: ignore[arg-type]
        emit_json(ix.stats())


@cli.command("trace")
@click.argument("source", metavar="[FILE|-]", default="-")
@click.option("--index", "index_path", required=True, type=click.Path(dir_okay=False), help="Index file.")
@click.option("--top", type=click.IntRange(1), default=5, show_default=True, help="Most matches to print.")
def trace_command(source: str, index_path: str, top: int) -> None:
    """Find the sources of a spun text, best first, with the substitutions as evidence.

    Prints {"matches": [{source_id, score, coverage, substitutions}]}; empty when nothing plausible.

    \b
    Example:
        despin trace spun.txt --index refs.db --top 3
    """
    text = read_input(source)
    with Index.open(index_path) as ix:
        emit_json(api.trace(text, index=ix, top=top).to_dict())
