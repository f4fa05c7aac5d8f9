"""Readers: JSONL (plain or gzip) and Parquet shards to documents; every bad record becomes a reject.

A reader takes its ``rank``'s shards (``shards[rank::world_size]``, one file is one shard) and
yields one :class:`Document` per good record. Anything else goes to the :class:`RejectWriter`
with a reason (see :class:`RejectReason`): malformed JSON, a non-object line, a missing or
non-string text field, invalid UTF-8, a blank or over-long text. A truncated gzip stream or an
unreadable Parquet file keeps every record read before the damage and adds one reject for the
rest. Readers never raise on bad data; each reject counts once in ``Stat.INPUT``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from despin.errors import ConfigError, InputError
from despin.pipeline.base import Document, Reject, RejectSink, Shard, Step, shard_suffix
from despin.pipeline.fields import FieldCensus
from despin.pipeline.fs import is_remote, list_files, local_path, open_input, size_of
from despin.pipeline.stats import RejectReason, Stat
from despin.pipeline.writers import _pyarrow, dumps_record
from despin.textio import MAX_CHARS

# (docs, bytes) read since the last call; set by the executor in the worker, never pickled.
ProgressFn = Callable[[int, int], None]
# A parsed record: (line or row, the JSON value, its raw line, parsed by the lenient codec).
Record = tuple[int, Any, bytes | str, bool]

CHUNK_BYTES = 1 << 20
PROGRESS_EVERY = 64  # documents between progress callbacks
RESERVED = frozenset({"rejects", "stats", "completions", "stats.json", "job.json"})


def find_shards(inputs: Iterable[str | Path], *, exclude: str | Path | None = None) -> list[Shard]:
    """Expand files and directories (local paths or fsspec URLs) into shards, sorted by name.

    A file is named by its file name; a directory contributes every shard file below it (hidden
    files and ``exclude`` skipped), named by its path relative to the directory. An fsspec URL
    (``s3://bucket/crawl/``, ``memory://x/a.jsonl``; see :mod:`despin.pipeline.fs`) is listed and read
    through fsspec; a ``file://`` URL is a local path.

    Raises:
        InputError: an input does not exist, or a directory holds no shard.
        ConfigError: an input file has an unknown suffix, or two shards would share a name or id.
    """
    local_exclude = exclude is not None and not is_remote(exclude)
    excluded = Path(local_path(exclude)).resolve() if exclude is not None and local_exclude else None
    remote_exclude = str(exclude).rstrip("/") + "/" if exclude is not None and not local_exclude else None
    shards: list[Shard] = []
    for item in inputs:
        if is_remote(item):
            shards += _remote_shards(str(item), remote_exclude)
            continue
        root = Path(local_path(item))
        if root.is_file():
            shards.append(Shard.of(root.resolve(), root.name))
        elif root.is_dir():
            found = []
            for dirpath, dirnames, filenames in os.walk(root):
                here = Path(dirpath)
                dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and (here / d).resolve() != excluded)
                for fn in sorted(filenames):
                    if not fn.startswith(".") and shard_suffix(fn) is not None:
                        path = here / fn
                        found.append(Shard.of(path.resolve(), path.relative_to(root).as_posix()))
            if not found:
                raise InputError(f"{root}: no .jsonl, .jsonl.gz or .parquet files in this directory")
            shards += found
        else:
            raise InputError(f"{root}: no such file or directory")
    shards.sort(key=lambda s: s.name)
    for what in ("name", "id"):
        seen: dict[str, Shard] = {}
        for s in shards:
            key = s.name if what == "name" else s.id
            other = seen.setdefault(key, s)
            if other is not s:
                raise ConfigError(
                    f"two input shards share the {what} {key!r}: {other.path} and {s.path}; "
                    "rename one or scan them into separate output directories"
                )
    for s in shards:
        if s.name.split("/")[0] in RESERVED:
            raise ConfigError(f"{s.path}: shard name {s.name!r} clashes with an output directory of scan")
    return shards


def _remote_shards(url: str, exclude: str | None) -> list[Shard]:
    """The shards of one fsspec URL: the file itself, or the shard files below a directory."""
    is_dir, files = list_files(url)
    if not is_dir:
        return [Shard.of(files[0][0], files[0][1])]
    found = [
        Shard.of(path, name)
        for path, name in files
        if shard_suffix(name) is not None
        and not any(part.startswith(".") for part in name.split("/"))
        and (exclude is None or not (path.rstrip("/") + "/").startswith(exclude))
    ]
    if not found:
        raise InputError(f"{url}: no .jsonl, .jsonl.gz or .parquet files in this directory")
    return found


def _as_shards(paths: Shard | str | Path | Sequence[Shard | str | Path]) -> list[Shard]:
    items = [paths] if isinstance(paths, Shard | str | Path) else list(paths)
    return [p if isinstance(p, Shard) else Shard.of(p) for p in items]


class _Reader(Step):
    """Shared record checks, rejects and progress of the readers.

    Args:
        paths: shard files (or :class:`Shard` objects); task ``rank`` reads ``paths[rank::world_size]``.
        text_field: the record field holding the text.
        id_field: the record field holding the document id (optional in records; used in rejects).
        max_chars: longer texts are rejected (``text_too_long``); the API's limit by default.
        rejects: where rejected records go; None counts them and drops them.
        require_id: reject records without a non-empty ``id_field`` (``missing_id``), or whose id is
            neither a string nor an integer (``id_not_string``).
        check_text_field: after a shard whose records are objects but none has ``text_field``, raise
            :class:`~despin.pipeline.fields.MissingTextFieldError` naming the fields they do have (every
            record is still rejected first); False only rejects them.
    """

    def __init__(
        self,
        paths: Shard | str | Path | Sequence[Shard | str | Path],
        *,
        text_field: str = "text",
        id_field: str = "id",
        max_chars: int = MAX_CHARS,
        rejects: RejectSink | None = None,
        require_id: bool = False,
        check_text_field: bool = True,
    ) -> None:
        super().__init__()
        if max_chars < 1:
            raise ConfigError(f"max_chars must be >= 1, got {max_chars}")
        if not text_field:
            raise ConfigError("text_field must be a non-empty field name")
        self.shards = _as_shards(paths)
        self.text_field, self.id_field, self.max_chars = text_field, id_field, max_chars
        self.rejects = rejects
        self.require_id = require_id
        self.check_text_field = check_text_field
        self.progress: ProgressFn | None = None
        self._pending = [0, 0]

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "progress": None, "_pending": [0, 0]}

    def run(self, data: Iterable[Document] | None, *, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        if data is not None:
            yield from data
        for shard in self.shards[rank::world_size]:
            yield from self.read(shard)
            self._tick(0, 0, flush=True)

    def read(self, shard: Shard) -> Iterator[Document]:
        """The shard's good documents; everything else goes to the rejects.

        Raises:
            MissingTextFieldError: no record of the shard has the text field (``check_text_field``),
                raised once the whole shard has been read and rejected.
        """
        census = FieldCensus(self.text_field)
        for item in self.records(shard):
            if isinstance(item, Reject):
                self._reject(item)
                continue
            line, record, raw, lenient = item
            census.add(record)
            doc = self._document(shard, line, record, raw, lenient=lenient)
            if isinstance(doc, Reject):
                self._reject(doc if doc.raw else dataclasses.replace(doc, raw=_row_raw(record)))
            else:
                self.stats.inc(Stat.INPUT)
                yield doc
        if self.check_text_field:
            census.check(shard.path)

    def records(self, shard: Shard) -> Iterator[Record | Reject]:
        """Every parsed record of ``shard`` (any JSON value), or a :class:`Reject` for what cannot be parsed.

        For callers that read records of another shape than ``{text}`` (``despin learn``'s pairs);
        the text checks of :meth:`read` are not applied.
        """
        raise NotImplementedError

    def _tick(self, docs: int, nbytes: int, *, flush: bool = False) -> None:
        self._pending[0] += docs
        self._pending[1] += nbytes
        self.stats.inc(Stat.BYTES_READ, nbytes)
        if self.progress is not None and (flush or self._pending[0] >= PROGRESS_EVERY):
            self.progress(self._pending[0], self._pending[1])
            self._pending = [0, 0]

    def _reject(self, reject: Reject) -> None:
        self.stats.inc(Stat.INPUT)
        self.stats.reject(reject.reason)
        if self.rejects is not None:
            self.rejects.write(reject)

    def _document(
        self, shard: Shard, line: int, record: Any, raw: bytes | str, *, lenient: bool = False
    ) -> Document | Reject:
        """Check one parsed record; a :class:`Document`, or the :class:`Reject` saying why not."""
        if not isinstance(record, dict):
            kind = "null" if record is None else type(record).__name__
            return Reject(shard, line, RejectReason.NOT_OBJECT, f"record is a JSON {kind}, not an object", raw)
        raw_id = record.get(self.id_field)
        doc_id = None if raw_id is None else str(raw_id)
        text = record.get(self.text_field)

        def bad(reason: RejectReason, detail: str) -> Reject:
            return Reject(shard, line, reason, detail, raw, doc_id)

        if self.require_id and not doc_id:
            return bad(RejectReason.MISSING_ID, f"id field {self.id_field!r} is missing or empty")
        if self.require_id and (isinstance(raw_id, bool) or not isinstance(raw_id, (str, int))):
            # A list or an object would be stored under its Python repr, which no user would look up.
            kind = type(raw_id).__name__
            return bad(RejectReason.ID_NOT_STRING, f"id field {self.id_field!r} is not a string or an integer ({kind})")

        if text is None:
            what = "is null" if self.text_field in record else "is missing"
            return bad(RejectReason.MISSING_TEXT, f"text field {self.text_field!r} {what}")
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                return bad(RejectReason.INVALID_UTF8, f"text is not valid UTF-8 (byte offset {exc.start})")
        if not isinstance(text, str):
            return bad(
                RejectReason.TEXT_NOT_STRING,
                f"text field {self.text_field!r} is not a string (it is of type {type(text).__name__})",
            )
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            return bad(
                RejectReason.INVALID_UNICODE,
                f"text has a lone surrogate at character {exc.start}, not Unicode",
            )
        if not text.strip():
            return bad(RejectReason.BLANK_TEXT, "text is empty or only whitespace")
        if len(text) > self.max_chars:
            return bad(
                RejectReason.TEXT_TOO_LONG,
                f"text has {len(text):,} characters, over the {self.max_chars:,} limit",
            )
        return Document(text, record, shard, line, doc_id, lenient_json=lenient)


class _GzipBroken(Exception):
    def __init__(self, reason: RejectReason, detail: str, partial: bytes) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.partial = reason, detail, partial


def _decompress_safely(d: Any, chunk: bytes) -> tuple[bytes, str | None]:
    """Decompress ``chunk`` with ``d``; on corruption, keep the output of the good prefix."""
    saved = d.copy()
    try:
        return d.decompress(chunk), None
    except zlib.error:
        d = saved
    out = []
    for i in range(0, len(chunk), 512):
        try:
            out.append(d.decompress(chunk[i : i + 512]))
        except zlib.error as exc:
            return b"".join(out), str(exc)
    return b"".join(out), None  # pragma: no cover - the whole chunk failed above


def iter_lines(path: str, *, gz: bool) -> Iterator[tuple[bytes, int]]:
    """Yield ``(line, bytes consumed so far)`` from a JSONL file, handling multi-member gzip.

    Raises:
        _GzipBroken: the gzip stream is truncated or corrupt; ``partial`` holds the incomplete line.
    """
    d: Any = zlib.decompressobj(31) if gz else None
    pending = b""
    n_lines = reported = 0
    with open_input(path) as fh:
        while chunk := fh.read(CHUNK_BYTES):
            if d is None:
                data = chunk
            else:
                parts = []
                while chunk:
                    if d.eof:
                        if not chunk.strip(b"\x00"):  # zero padding after the last member is allowed
                            break
                        d = zlib.decompressobj(31)
                    out, err = _decompress_safely(d, chunk)
                    parts.append(out)
                    if err is not None:
                        pending += b"".join(parts)
                        for line in pending.split(b"\n")[:-1]:
                            n_lines += 1
                            yield line, fh.tell()
                        raise _GzipBroken(
                            RejectReason.CORRUPT_GZIP,
                            f"gzip data is corrupt ({err}) after {n_lines} lines; the rest of the file "
                            "is lost, and the lines just before this point may be damaged",
                            pending.rsplit(b"\n", 1)[-1],
                        )
                    chunk = d.unused_data if d.eof else b""
                data = b"".join(parts)
            pending += data
            if b"\n" in data:
                lines = pending.split(b"\n")
                pending = lines.pop()
                # Spread the chunk's bytes over its lines, so progress moves per line, not per chunk.
                pos, k = fh.tell(), len(lines)
                for j, line in enumerate(lines, 1):
                    n_lines += 1
                    yield line, reported + (pos - reported) * j // k
                reported = pos
        if d is not None and not d.eof and fh.tell() > 0:  # a 0-byte .gz is an empty shard, as for gzip
            raise _GzipBroken(
                RejectReason.TRUNCATED_GZIP,
                f"gzip stream ends early (truncated file?) after {n_lines} complete lines; "
                "raw holds the incomplete last line",
                pending,
            )
    if pending:
        yield pending, size_of(path)


class JsonlReader(_Reader):
    """Read JSON Lines shards, plain or gzip (``.jsonl``, ``.jsonl.gz``, ``.ndjson``).

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
        >>> _ = p.write_text('{"id": 1, "text": "Harga naik."}\\n{"id": 2}\\n')
        >>> reader = JsonlReader(p)
        >>> [(d.doc_id, d.text) for d in reader.run(None)], dict(reader.stats.reasons)
        ([('1', 'Harga naik.')], {'missing_text': 1})
    """

    name = "jsonl_reader"

    def records(self, shard: Shard) -> Iterator[Record | Reject]:
        line_no, last_pos = 0, 0
        try:
            for raw, pos in iter_lines(shard.path, gz=shard.compression == "gzip"):
                line_no += 1
                self._tick(1, pos - last_pos)
                last_pos = pos
                with self.stats.timer("read"):
                    item = _parse_line(shard, line_no, raw)
                yield item
        except _GzipBroken as exc:
            yield Reject(shard, line_no + 1, exc.reason, exc.detail, exc.partial)
        except OSError as exc:
            yield Reject(shard, line_no + 1, RejectReason.UNREADABLE_FILE, f"cannot read {shard.path}: {exc}")
        self._tick(0, max(0, _size(shard.path) - last_pos))


def _parse_line(shard: Shard, line_no: int, raw: bytes) -> Record | Reject:
    """One JSONL line as ``(line, value, raw, lenient)``, or the :class:`Reject` saying why not."""
    if not raw.strip():
        return Reject(shard, line_no, RejectReason.BLANK_LINE, "blank line", raw)
    try:
        return line_no, orjson.loads(raw), raw, False
    except orjson.JSONDecodeError:
        pass
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Reject(
            shard,
            line_no,
            RejectReason.INVALID_UTF8,
            f"line is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            raw,
        )
    try:  # the standard library also accepts integers beyond 64 bits, NaN and Infinity
        return line_no, json.loads(text), raw, True
    except (ValueError, RecursionError) as exc:
        return Reject(shard, line_no, RejectReason.MALFORMED_JSON, f"malformed JSON: {exc}", raw)


def _size(path: str) -> int:
    return size_of(path)


def _row_raw(row: dict[str, Any]) -> str:
    try:
        return dumps_record(row).decode("utf-8", "backslashreplace")
    except (TypeError, ValueError):
        return repr(row)


class ParquetReader(_Reader):
    """Read Parquet shards row group by row group; ``line`` is the 0-based row number.

    An unreadable file (bad footer, not Parquet) is one ``unreadable_parquet`` reject; a row
    group that fails to decode keeps the rows read before the failure and adds one
    ``unreadable_row_group`` reject.
    """

    name = "parquet_reader"
    batch_rows = 1024

    def records(self, shard: Shard) -> Iterator[Record | Reject]:
        with contextlib.ExitStack() as stack:
            yield from self._records(shard, stack)

    def _records(self, shard: Shard, stack: contextlib.ExitStack) -> Iterator[Record | Reject]:
        pq = _pyarrow().parquet
        try:
            source: Any = stack.enter_context(open_input(shard.path)) if is_remote(shard.path) else shard.path
            pf = pq.ParquetFile(source)
            meta = pf.metadata
        except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError, ...
            yield Reject(shard, None, RejectReason.UNREADABLE_PARQUET, f"cannot open Parquet file: {exc}")
            self._tick(0, _size(shard.path))
            return
        size, total = _size(shard.path), max(meta.num_rows, 1)
        row = 0
        for group in range(meta.num_row_groups):
            start, end = row, row + meta.row_group(group).num_rows
            try:
                for batch in pf.iter_batches(batch_size=self.batch_rows, row_groups=[group], use_threads=False):
                    with self.stats.timer("read"):
                        rows = batch.to_pylist()
                    self._tick(len(rows), size * len(rows) // total)
                    for record in rows:
                        yield row, record, "", False
                        row += 1
            except Exception as exc:  # noqa: BLE001 - corrupt pages raise ArrowInvalid/OSError
                yield Reject(
                    shard,
                    row,
                    RejectReason.UNREADABLE_ROW_GROUP,
                    f"row group {group} (rows {start}-{end - 1}) fails to decode at row {row}: {exc}; "
                    f"{end - row} rows lost",
                )
                row = end
