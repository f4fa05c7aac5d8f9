"""The index file: one SQLite database in WAL mode (many readers, one writer, whole batches only).

This is the only module of ``despin.trace`` that touches the file system.

Tables::

    meta(key, value)                  header: format, despin/tokenizer versions, lexicon hash, config
    docs(id, source_id, digest, n_tokens, text)   source text (zlib) so evidence can be shown
    df(feature, n)                    document frequency of each indexed token
    postings(feature, batch, docs)    per committed batch, the doc ids holding a feature (uint32 LE)
    batches(batch, n_docs, first_id, last_id)

A batch is one transaction: a process killed mid-batch (even by SIGKILL) leaves the last committed
batch, and SQLite's WAL recovery removes the rest on the next open.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import zlib
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, NamedTuple, TypeVar

from despin.errors import IndexCorruptError, IndexMismatchError, InputError

Verify = Literal["auto", "quick", "header"]
# quick_check reads every page: measured 0.2-0.5 s for the 62 MB index of 27k references on one core.
# Up to 256 MB (~100k references) that is cheap next to a CLI start; above it "auto" checks only the
# header, the length and the meta table, and ``--verify quick`` forces the full check.
AUTO_QUICK_CHECK_BYTES = 256 * 1024 * 1024


class DocRow(NamedTuple):
    """One document to store: its id, text, number of content tokens and distinct features."""

    source_id: str
    text: str
    n_tokens: int
    features: Sequence[str]


class BatchResult(NamedTuple):
    """What one committed batch did."""

    n_added: int
    duplicates: tuple[str, ...]
    conflicts: tuple[str, ...]

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE docs(id INTEGER PRIMARY KEY, source_id TEXT NOT NULL UNIQUE, digest BLOB NOT NULL,
                  n_tokens INTEGER NOT NULL, text BLOB NOT NULL);
CREATE TABLE df(feature TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE postings(feature TEXT NOT NULL, batch INTEGER NOT NULL, docs BLOB NOT NULL,
                      PRIMARY KEY(feature, batch)) WITHOUT ROWID;
CREATE TABLE batches(batch INTEGER PRIMARY KEY, n_docs INTEGER NOT NULL, first_id INTEGER NOT NULL,
                     last_id INTEGER NOT NULL);
"""
_T = TypeVar("_T")
_MAGIC = b"SQLite format 3\x00"
# SQLite's default limit on bound parameters is 32766 since 3.32; stay far below it.
_CHUNK = 500


def pack_ids(ids: Sequence[int]) -> bytes:
    """Doc ids as little-endian uint32 (the postings blob format)."""
    arr = array("I", ids)
    if sys.byteorder != "little":  # pragma: no cover - every supported platform is little-endian
        arr.byteswap()
    return arr.tobytes()


def _chunks(items: Sequence[_T], size: int = _CHUNK) -> Iterator[Sequence[_T]]:
    for k in range(0, len(items), size):
        yield items[k : k + size]


def _check_file(path: Path) -> None:
    """Cheap structural checks before SQLite opens the file: magic bytes and a truncated tail."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise InputError(f"cannot read index {path}: {exc.strerror or exc}") from None
    if len(head) < 100 or head[:16] != _MAGIC:
        raise IndexCorruptError(f"{path} is not a despin index (not an SQLite database, or truncated)")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    n_pages = int.from_bytes(head[28:32], "big")
    wal = Path(f"{path}-wal")
    has_wal = wal.exists() and wal.stat().st_size > 0
    # The in-header page count is valid when the change counters agree (SQLite file format, section 1.3.7).
    valid = head[24:28] == head[92:96]
    if valid and not has_wal and path.stat().st_size < page_size * n_pages:
        raise IndexCorruptError(
            f"{path} is truncated: {path.stat().st_size:,} bytes, header says {page_size * n_pages:,}"
        )


class Store:
    """A connection to one index file. Use :meth:`create` or :meth:`open`, never the constructor.

    Args:
        path: the database file.
        conn: an open connection in autocommit mode (transactions are explicit).
        writable: whether :meth:`write_batch` is allowed.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection, *, writable: bool) -> None:
        self.path, self.conn, self.writable = path, conn, writable

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, header: dict[str, str]) -> Store:
        """Create a new index file with ``header`` in its meta table (built aside, then renamed)."""
        if path.exists():
            raise InputError(f"{path} already exists")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        try:
            conn = cls._connect(tmp, readonly=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(f"BEGIN; {_SCHEMA} COMMIT;")
            conn.execute("BEGIN IMMEDIATE")
            rows = sorted({**header, "n_docs": "0"}.items())
            conn.executemany("INSERT INTO meta(key, value) VALUES(?, ?)", rows)
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            os.replace(tmp, path)
        except (sqlite3.Error, OSError) as exc:
            raise InputError(f"cannot create an index at {path}: {exc}") from None
        finally:
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                leftover.unlink(missing_ok=True)
        return cls.open(path, writable=True, verify="header")

    @classmethod
    def open(cls, path: Path, *, writable: bool = False, verify: Verify = "auto") -> Store:
        """Open an existing index; a damaged file is an :class:`IndexCorruptError`, never a wrong answer.

        Args:
            path: the database file.
            writable: open for :meth:`write_batch` (one writer at a time; others wait up to 60 s).
            verify: ``"quick"`` also runs ``PRAGMA quick_check`` (reads every page: ~0.5 s per 100 MB);
                ``"header"`` only checks the magic bytes, the length and the meta table; ``"auto"`` is
                ``"quick"`` up to :data:`AUTO_QUICK_CHECK_BYTES`, else ``"header"``.
        """
        if not path.is_file():
            raise InputError(f"no index at {path}")
        _check_file(path)
        try:
            conn = cls._connect(path, readonly=not writable)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # a damaged schema text is not UTF-8
            raise IndexCorruptError(f"{path}: cannot open the index: {exc}") from None
        try:
            if verify == "quick" or (verify == "auto" and path.stat().st_size <= AUTO_QUICK_CHECK_BYTES):
                rows = conn.execute("PRAGMA quick_check").fetchall()
                if rows != [("ok",)]:
                    detail = "; ".join(str(r[0]) for r in rows[:3])
                    raise IndexCorruptError(f"{path} is corrupted (quick_check: {detail})")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not {"meta", "docs", "df", "postings", "batches"} <= tables:
                raise IndexMismatchError(f"{path} is an SQLite database but not a despin index")
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            conn.close()
            raise IndexCorruptError(f"{path} is corrupted: {exc}") from None
        except BaseException:
            conn.close()
            raise
        return cls(path, conn, writable=writable)

    @staticmethod
    def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
        uri = f"file:{path.resolve()}{'?mode=ro' if readonly else ''}"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=60.0)
        conn.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache
        if not readonly:
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
        return conn

    def close(self) -> None:
        """Close; a writer first folds the WAL into the main file so the file is self-contained."""
        try:
            if self.writable:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.conn.close()

    # -- reading ---------------------------------------------------------------------------

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: every query inside sees one committed state, whatever a writer does."""
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def _guard(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise IndexCorruptError(f"{self.path}: {exc}") from None

    def _int(self, value: object, what: str, *, least: int = 0) -> int:
        """A stored count; anything else (a damaged value) is an :class:`IndexCorruptError`."""
        if isinstance(value, int) and not isinstance(value, bool) and value >= least:
            return value
        if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) >= least:
            return int(value)
        raise IndexCorruptError(f"{self.path} is corrupted: {what} is {value!r:.40}, not a count >= {least}")

    def _blob(self, value: object, what: str) -> bytes:
        if not isinstance(value, bytes):
            raise IndexCorruptError(f"{self.path} is corrupted: {what} is a {type(value).__name__}, not a blob")
        return value

    def header(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self._guard("SELECT key, value FROM meta")}

    def n_docs(self) -> int:
        rows = self._guard("SELECT value FROM meta WHERE key='n_docs'")
        return self._int(rows[0][0], "the document count") if rows else 0

    def n_batches(self) -> int:
        return self._int(self._guard("SELECT count(*) FROM batches")[0][0], "the batch count")

    def df(self, features: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for part in _chunks(features):
            q = f"SELECT feature, n FROM df WHERE feature IN ({','.join('?' * len(part))})"
            out.update((str(f), self._int(n, f"df of {f!r}", least=1)) for f, n in self._guard(q, part))
        return out

    def postings(self, features: Sequence[str]) -> list[tuple[str, bytes]]:
        """``(feature, packed doc ids)`` rows; a blob that is not whole uint32s is an IndexCorruptError."""
        out: list[tuple[str, bytes]] = []
        for part in _chunks(features):
            q = f"SELECT feature, docs FROM postings WHERE feature IN ({','.join('?' * len(part))})"
            for f, d in self._guard(q, part):
                blob = self._blob(d, f"the postings of {f!r}")
                if len(blob) % 4:
                    raise IndexCorruptError(f"{self.path} is corrupted: the postings of {f!r} are {len(blob)} bytes")
                out.append((str(f), blob))
        return out

    def texts(self, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """``id -> (source_id, text)``."""
        out: dict[int, tuple[str, str]] = {}
        for part in _chunks(ids):
            q = f"SELECT id, source_id, text FROM docs WHERE id IN ({','.join('?' * len(part))})"
            for i, sid, blob in self._guard(q, part):
                out[self._int(i, "a document id")] = (str(sid), self._text(blob, sid))
        return out

    def _text(self, blob: object, source_id: object) -> str:
        try:
            return zlib.decompress(self._blob(blob, f"the text of {source_id!r}")).decode("utf-8")
        except (zlib.error, UnicodeDecodeError):
            raise IndexCorruptError(f"{self.path}: stored text of {source_id!r} is damaged") from None

    def text_of(self, source_id: str) -> str | None:
        rows = self._guard("SELECT text FROM docs WHERE source_id=?", (source_id,))
        return self._text(rows[0][0], source_id) if rows else None

    def digests(self, source_ids: Sequence[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for part in _chunks(source_ids):
            q = f"SELECT source_id, digest FROM docs WHERE source_id IN ({','.join('?' * len(part))})"
            out.update((str(s), bytes(d)) for s, d in self._guard(q, part))  # type: ignore[call-overload]
        return out

    def compact(self) -> int:
        """Merge each feature's per-batch postings rows into one (one transaction); returns rows merged."""
        if not self.writable:
            raise InputError(f"{self.path} is open read-only")
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                multi = [str(r[0]) for r in conn.execute(
                    "SELECT feature FROM postings GROUP BY feature HAVING count(*) > 1")]
                merged = 0
                for part in _chunks(multi, 2000):
                    marks = ",".join("?" * len(part))
                    rows = conn.execute(
                        "SELECT feature, docs FROM postings "
                        f"WHERE feature IN ({marks}) ORDER BY feature, batch",
                        part).fetchall()
                    blobs: dict[str, list[bytes]] = {}
                    for f, blob in rows:
                        blobs.setdefault(f, []).append(blob)
                    conn.execute(f"DELETE FROM postings WHERE feature IN ({marks})", part)
                    conn.executemany("INSERT INTO postings(feature, batch, docs) VALUES(?, 0, ?)",
                                     ((f, b"".join(bs)) for f, bs in blobs.items()))
                    merged += len(rows)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{self.path}: compaction failed: {exc}") from None
        return merged

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())

    # -- writing ---------------------------------------------------------------------------

    def write_batch(self, docs: Sequence[DocRow], *, max_postings_df: int) -> BatchResult:
        """Commit one batch atomically; ids already present are not added again.

        A ``source_id`` already stored (or earlier in the batch) with the same text is a duplicate;
        with another text it is a conflict. Neither changes the index.
        """
        if not self.writable:
            raise InputError(f"{self.path} is open read-only")
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = self._write_batch(docs, max_postings_df)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{self.path}: write failed: {exc}") from None
        return result

    def _write_batch(self, docs: Sequence[DocRow], max_postings_df: int) -> BatchResult:
        conn = self.conn
        seen = self.digests([d.source_id for d in docs])
        fresh: list[tuple[DocRow, bytes]] = []
        duplicates: list[str] = []
        conflicts: list[str] = []
        for d in docs:
            digest = hashlib.blake2b(d.text.encode("utf-8"), digest_size=16).digest()
            old = seen.get(d.source_id)
            if old is not None:
                (duplicates if old == digest else conflicts).append(d.source_id)
                continue
            seen[d.source_id] = digest
            fresh.append((d, digest))
        if not fresh:
            return BatchResult(0, tuple(duplicates), tuple(conflicts))
        first = int(str(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM docs").fetchone()[0]))
        conn.executemany(
            "INSERT INTO docs(id, source_id, digest, n_tokens, text) VALUES(?, ?, ?, ?, ?)",
            ((first + k, d.source_id, g, d.n_tokens, zlib.compress(d.text.encode("utf-8"), 1))
             for k, (d, g) in enumerate(fresh)),
        )
        inverted: dict[str, list[int]] = {}
        for k, (d, _) in enumerate(fresh):
            for f in d.features:
                inverted.setdefault(f, []).append(first + k)
        batch = int(str(conn.execute("SELECT coalesce(max(batch), 0) + 1 FROM batches").fetchone()[0]))
        # A feature past max_postings_df gets no more postings; queries skip it (df > cap), so the
        # postings of every feature a query uses are complete.
        before = self.df(list(inverted))
        conn.executemany(
            "INSERT INTO postings(feature, batch, docs) VALUES(?, ?, ?)",
            ((f, batch, pack_ids(ids)) for f, ids in inverted.items()
             if before.get(f, 0) + len(ids) <= max_postings_df),
        )
        conn.executemany(
            "INSERT INTO df(feature, n) VALUES(?, ?) ON CONFLICT(feature) DO UPDATE SET n = n + excluded.n",
            ((f, len(ids)) for f, ids in inverted.items()),
        )
        conn.execute(
            "INSERT INTO batches(batch, n_docs, first_id, last_id) VALUES(?, ?, ?, ?)",
            (batch, len(fresh), first, first + len(fresh) - 1),
        )
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key='n_docs'", (len(fresh),))
        return BatchResult(len(fresh), tuple(duplicates), tuple(conflicts))
