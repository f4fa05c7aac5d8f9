"""Writers: one output shard per input shard, written under a temporary name and renamed when done.

A killed job leaves only ``*.tmp-*`` files behind, never a half-written shard under its final
name; :func:`despin.files.remove_stale` clears them when the shard is redone. Outputs are deterministic (gzip
headers carry no time or file name), so a rerun writes byte-identical shards.
"""

from __future__ import annotations

import decimal
import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Literal

import orjson

from despin.errors import MissingDependencyError
from despin.files import commit, remove_stale, tmp_name
from despin.pipeline.base import Document, Reject, Shard, Step
from despin.pipeline.fs import open_input
from despin.pipeline.stats import Stat

GZIP_LEVEL = 6  # zlib's default: 3x faster than 9 for a few percent of size
PARQUET_BATCH = 1000  # rows per write_table call (and so per row group at most)


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:  # pragma: no cover - pyarrow is a dependency of the test environment
        raise MissingDependencyError("Parquet needs pyarrow: pip install 'despin[parquet]'") from None
    return pyarrow


def _json_default(obj: Any) -> Any:
    if isinstance(obj, decimal.Decimal | bytes | bytearray):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def dumps_record(record: dict[str, Any], *, lenient: bool = False) -> bytes:
    """One compact JSON line (no newline), UTF-8. ``lenient`` keeps huge ints and NaN as read."""
    if lenient:
        return json.dumps(record, ensure_ascii=True, separators=(",", ":"), default=_json_default).encode()
    return orjson.dumps(record, default=_json_default, option=orjson.OPT_NON_STR_KEYS)


class _LineFile:
    """A JSONL file (optionally gzip) under a temporary name until :meth:`commit`."""

    def __init__(self, path: Path, *, gz: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(path)
        self.path, self.tmp = path, tmp_name(path)
        self._raw: IO[bytes] = open(self.tmp, "wb")  # noqa: SIM115 - closed in commit/abort
        self._fh: IO[bytes] = self._raw
        if gz:  # no file name and mtime 0 in the header: reruns write identical bytes
            self._fh = gzip.GzipFile(  # type: ignore[assignment]
                filename="", fileobj=self._raw, mode="wb", compresslevel=GZIP_LEVEL, mtime=0
            )

    def write(self, line: bytes) -> None:
        self._fh.write(line + b"\n")

    def commit(self) -> None:
        if self._fh is not self._raw:
            self._fh.close()
        self._raw.close()
        commit(self.tmp, self.path)

    def abort(self) -> None:
        if self._fh is not self._raw:
            self._fh.close()
        self._raw.close()
        self.tmp.unlink(missing_ok=True)


class RejectWriter:
    """Writes rejects to ``out_dir/<shard-id>.jsonl``, one file per shard that has any.

    Not a step: readers and steps that reject records share one instance. Files are committed
    when the shard changes and on :meth:`close`; a shard redone without rejects loses its old file.

    Args:
        out_dir: the rejects directory (``OUTDIR/rejects`` in a scan).
    """

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        self._file: _LineFile | None = None
        self._shard: Shard | None = None

    def path_for(self, shard: Shard) -> Path:
        return self.out_dir / f"{shard.id}.jsonl"

    def write(self, reject: Reject) -> None:
        if self._shard != reject.shard:
            self.close()
            self._shard = reject.shard
            self._file = _LineFile(self.path_for(reject.shard), gz=False)
        assert self._file is not None
        self._file.write(orjson.dumps(reject.to_dict()))

    def clear(self, shard: Shard) -> None:
        """Remove a rejects file a previous run left for ``shard`` (call before redoing it)."""
        self.path_for(shard).unlink(missing_ok=True)
        remove_stale(self.path_for(shard))

    def close(self) -> None:
        if self._file is not None:
            self._file.commit()
        self._file, self._shard = None, None

    def abort(self) -> None:
        if self._file is not None:
            self._file.abort()
        self._file, self._shard = None, None

    def __getstate__(self) -> dict[str, Any]:
        return {"out_dir": self.out_dir, "_file": None, "_shard": None}


class _ShardWriter(Step):
    """Shared logic: group passing documents by shard, one committed output file per shard."""

    def __init__(self, out_dir: str | Path) -> None:
        super().__init__()
        self.out_dir = Path(out_dir)
        self.written: set[str] = set()

    def run(self, data: Iterable[Document] | None, *, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        current: Shard | None = None
        try:
            for doc in data or ():
                if doc.shard != current:
                    if current is not None:
                        self._commit()
                    current = doc.shard
                    self._open(current)
                    self.written.add(current.name)
                with self.stats.timer("write"):
                    self._write(doc)
                self.stats.inc(Stat.OUTPUT)
                yield doc
        except BaseException:
            self._abort()
            raise
        if current is not None:
            self._commit()

    def ensure(self, shard: Shard) -> None:
        """Write an empty output for ``shard`` if no document of it reached this writer."""
        if shard.name not in self.written:
            self._open(shard)
            self._commit()
            self.written.add(shard.name)

    def _open(self, shard: Shard) -> None:
        raise NotImplementedError

    def _write(self, doc: Document) -> None:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    def _abort(self) -> None:
        raise NotImplementedError


class JsonlWriter(_ShardWriter):
    """Write each document as its input record plus a ``despin`` field, to ``out_dir/<shard name>``.

    Args:
        out_dir: the output root; shard names (with sub-directories) are kept.
        compression: ``"infer"`` keeps each input shard's compression; ``"gzip"``/``"none"`` force one.
    """

    name = "jsonl_writer"

    def __init__(self, out_dir: str | Path, *, compression: Literal["infer", "gzip", "none"] = "infer") -> None:
        super().__init__(out_dir)
        self.compression = compression
        self._file: _LineFile | None = None

    def path_for(self, shard: Shard) -> Path:
        gz = shard.compression == "gzip" if self.compression == "infer" else self.compression == "gzip"
        if shard.fmt == "jsonl" and (shard.compression == "gzip") == gz:
            return self.out_dir / shard.name
        return self.out_dir / (shard.id + (".jsonl.gz" if gz else ".jsonl"))

    def _open(self, shard: Shard) -> None:
        path = self.path_for(shard)
        self._file = _LineFile(path, gz=path.name.endswith(".gz"))

    def _write(self, doc: Document) -> None:
        assert self._file is not None
        self._file.write(dumps_record({**doc.record, "despin": doc.despin}, lenient=doc.lenient_json))

    def _commit(self) -> None:
        if self._file is not None:
            self._file.commit()
        self._file = None

    def _abort(self) -> None:
        if self._file is not None:
            self._file.abort()
        self._file = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_file": None}


def arrow_struct(**fields: Any) -> Any:
    """An Arrow struct of the named fields, in order: ``arrow_struct(start=pa.int64(), text=pa.string())``."""
    return _pyarrow().struct(list(fields.items()))


def substitution_type() -> Any:
    """The Arrow struct of one aligned substitution (``Substitution.to_dict()``)."""
    pa = _pyarrow()
    i, s = pa.int64(), pa.string()
    return arrow_struct(spun_start=i, spun_end=i, source_start=i, source_end=i, spun=s, source=s)


def despin_type(*, restored: bool = False, sources: bool = False) -> Any:
    """The Arrow struct type of the ``despin`` column (the same fields as the JSONL output)."""
    pa = _pyarrow()
    i, f, s = pa.int64(), pa.float64(), pa.string()
    span = arrow_struct(start=i, end=i, text=s, score=f)
    fields = {"spun_score": f, "is_spun": pa.bool_(), "spans": pa.list_(span), "threshold": f}
    if restored:
        edit = arrow_struct(start=i, end=i, observed=s, restored=s, confidence=f, kind=s)
        fields |= {"restored": s, "edits": pa.list_(edit)}
    if sources:
        subs = pa.list_(substitution_type())
        match = arrow_struct(source_id=s, score=f, coverage=f, substitutions=subs, source_text=s)
        fields["sources"] = pa.list_(match)
    return arrow_struct(**fields)


class ParquetWriter(_ShardWriter):
    """Write Parquet shards: the input columns plus a ``despin`` struct column, same compression.

    Args:
        out_dir: the output root; shard names (with sub-directories) are kept.
        restored: the ``despin`` struct has ``restored`` and ``edits`` (RestoreStep ran).
        sources: the ``despin`` struct has ``sources`` (TraceStep ran).
    """

    name = "parquet_writer"

    def __init__(self, out_dir: str | Path, *, restored: bool = False, sources: bool = False) -> None:
        super().__init__(out_dir)
        _pyarrow()
        self.restored, self.sources = restored, sources
        self._state: tuple[Any, Any, Path, Path] | None = None  # (pq writer, schema, tmp, final)
        self._rows: list[dict[str, Any]] = []

    def path_for(self, shard: Shard) -> Path:
        return self.out_dir / (shard.name if shard.fmt == "parquet" else shard.id + ".parquet")

    def despin_type(self) -> Any:
        """The Arrow struct of the ``despin`` column (a writer for other annotations overrides it)."""
        return despin_type(restored=self.restored, sources=self.sources)

    def _open(self, shard: Shard) -> None:
        pa = _pyarrow()
        pq = pa.parquet
        fields, compression = [], "snappy"
        if shard.fmt == "parquet":
            try:
                with open_input(shard.path) as fh:  # local or an fsspec URL
                    pf = pq.ParquetFile(fh)
                    fields = [f for f in pf.schema_arrow if f.name != "despin"]
                    if pf.metadata.num_row_groups and pf.metadata.row_group(0).num_columns:
                        codec = str(pf.metadata.row_group(0).column(0).compression).lower()
                        compression = "none" if codec == "uncompressed" else codec
            except Exception:  # noqa: BLE001 - the reader has rejected an unreadable file already
                fields = []
        schema = pa.schema([*fields, pa.field("despin", self.despin_type())])
        path = self.path_for(shard)
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(path)
        tmp = tmp_name(path)
        self._state = (pq.ParquetWriter(tmp, schema, compression=compression), schema, tmp, path)

    def _write(self, doc: Document) -> None:
        self._rows.append({**doc.record, "despin": doc.despin})
        if len(self._rows) >= PARQUET_BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._rows and self._state is not None:
            writer, schema = self._state[0], self._state[1]
            writer.write_table(_pyarrow().Table.from_pylist(self._rows, schema=schema))
        self._rows = []

    def _commit(self) -> None:
        if self._state is not None:
            self._flush()
            writer, _, tmp, path = self._state
            writer.close()
            commit(tmp, path)
        self._state = None

    def _abort(self) -> None:
        if self._state is not None:
            writer, _, tmp, _ = self._state
            try:
                writer.close()
            finally:
                tmp.unlink(missing_ok=True)
        self._state, self._rows = None, []

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_state": None, "_rows": []}
