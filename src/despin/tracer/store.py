"""The index file: one SQLite database in WAL mode (many readers, one writer, whole batches only).

This is the only module of ``despin.tracer`` that touches the file system.

Tables (layout :data:`LAYOUT_VERSION`)::

    meta(key, value)                  header: format, layout, despin/tokenizer versions, config, counts,
                                      and ``checksum`` over all the other rows
    docs(id, source_id, digest, n_tokens, text, chk)   source text (zlib) so evidence can be shown
    sources(source_id, id, digest, chk, link)          source id -> doc id, sorted by source id
    df(feature, n, chk, link)         document frequency of each indexed token
    postings(feature, batch, docs, chk)   per committed batch, the doc ids holding a feature (uint32 LE)
    batches(batch, n_docs, first_id, last_id, chk)

A batch is one transaction: a process killed mid-batch (even by SIGKILL) leaves the last committed
batch, and SQLite's WAL recovery removes the rest on the next open.

Integrity: ``PRAGMA quick_check`` only proves the b-trees are well formed; a flipped bit inside a key or
a value leaves a valid database that answers differently. So every row carries ``chk``, an 8-byte
BLAKE2b of all its fields, including its key, and every read verifies the rows it uses (a stored text
also against ``digest``, the hash of the text). A checksum cannot flag a row that a damaged key hides, so
the two tables looked up by key (``df``, ``sources``) are chained: ``link`` hashes a row's key with the
next key in sort order, and a key that is not found is believed absent only when its neighbours' link
says they are adjacent. A reserved empty-key row heads each chain so every key has a predecessor.
Postings are range reads: a feature's rows must hold exactly ``df`` ids, which finds a hidden row. Any
failure is an :class:`IndexCorruptError`; 8 bytes make a random flip that passes a check a 2**-64 event
(benchmarks/index_flips.py measures it over 10,000 flips).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Literal, NamedTuple, TypeVar

from despin.errors import IndexCorruptError, IndexMismatchError, InputError

Verify = Literal["auto", "quick", "header"]
# quick_check reads every page: measured 0.2-0.5 s for the 62 MB index of 27k references on one core.
# Up to 256 MB (~100k references) that is cheap next to a CLI start; above it "auto" checks only the
# header, the length and the meta table, and ``--verify quick`` forces the full check.
AUTO_QUICK_CHECK_BYTES = 256 * 1024 * 1024
# 2: row checksums and key chains. Layout 1 files (no checksums) must be rebuilt.
LAYOUT_VERSION = 2
# Meta rows the store keeps itself; the rest is the caller's header.
STORE_KEYS = frozenset({"layout_version", "n_docs", "n_batches", "checksum"})


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
CREATE TABLE docs(id INTEGER PRIMARY KEY, source_id TEXT NOT NULL, digest BLOB NOT NULL,
                  n_tokens INTEGER NOT NULL, text BLOB NOT NULL, chk BLOB NOT NULL);
CREATE TABLE sources(source_id TEXT PRIMARY KEY, id INTEGER NOT NULL, digest BLOB NOT NULL, chk BLOB NOT NULL,
                     link BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE df(feature TEXT PRIMARY KEY, n INTEGER NOT NULL, chk BLOB NOT NULL, link BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE postings(feature TEXT NOT NULL, batch INTEGER NOT NULL, docs BLOB NOT NULL, chk BLOB NOT NULL,
                      PRIMARY KEY(feature, batch)) WITHOUT ROWID;
CREATE TABLE batches(batch INTEGER PRIMARY KEY, n_docs INTEGER NOT NULL, first_id INTEGER NOT NULL,
                     last_id INTEGER NOT NULL, chk BLOB NOT NULL);
"""
_TABLES = frozenset({"meta", "docs", "sources", "df", "postings", "batches"})
_LAYOUT_1_TABLES = frozenset({"meta", "docs", "df", "postings", "batches"})
# The chained tables and their key column (the SQL below interpolates only these constants).
_KEYED = {"df": "feature", "sources": "source_id"}
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


def checksum(kind: str, *fields: str | int | bytes | None) -> bytes:
    """The 8-byte BLAKE2b of one row: ``kind`` (the table) and its fields, each typed and length-prefixed.

    Example:
        >>> checksum("df", "kupang", 3).hex()
        '08f99cdd4a9accde'
        >>> checksum("df", "kupang", 3) != checksum("df", "kupang", 4) != checksum("postings", "kupang", 3)
        True
    """
    parts: list[bytes] = []
    for f in fields:
        if f is None:
            parts.append(b"n")
        elif isinstance(f, int):
            parts.append(b"i%d;" % f)
        elif isinstance(f, str):
            data = f.encode("utf-8")
            parts.append(b"s%d:%b" % (len(data), data))
        else:
            parts.append(b"b%d:%b" % (len(f), f))
    return hashlib.blake2b(b"".join(parts), digest_size=8, person=kind.encode()).digest()


def _postings_checksum(feature: str, batch: int, blob: bytes) -> bytes:
    """``checksum("postings", feature, batch, blob)``, unrolled like :func:`_df_checksum`."""
    data = feature.encode("utf-8")
    h = hashlib.blake2b(b"s%d:%bi%d;b%d:" % (len(data), data, batch, len(blob)), digest_size=8, person=b"postings")
    h.update(blob)
    return h.digest()


_DF_HASH = hashlib.blake2b(digest_size=8, person=b"df")


def _df_checksum(feature: str, n: int) -> bytes:
    """``checksum("df", feature, n)``, unrolled: it runs for every token of every query (0.4 us)."""
    data = feature.encode("utf-8")
    h = _DF_HASH.copy()  # a third cheaper than a new hash with the same parameters
    h.update(b"s%d:%bi%d;" % (len(data), data, n))
    return h.digest()


def _meta_checksum(rows: Iterable[tuple[str, str]]) -> str:
    return checksum("meta", *(x for k, v in sorted(rows) if k != "checksum" for x in (k, v))).hex()


def text_digest(text: str) -> bytes:
    """The 16-byte digest of a stored text (duplicate detection and the check of a decompressed text)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def _chunks(items: Sequence[_T], size: int = _CHUNK) -> Iterator[Sequence[_T]]:
    for k in range(0, len(items), size):
        yield items[k : k + size]


def _marks(n: int) -> str:
    return ",".join("?" * n)


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
            meta = {**header, "layout_version": str(LAYOUT_VERSION), "n_docs": "0", "n_batches": "0"}
            meta["checksum"] = _meta_checksum(meta.items())
            conn.executemany("INSERT INTO meta(key, value) VALUES(?, ?)", sorted(meta.items()))
            # The reserved empty key heads each chain (features and source ids are never empty).
            conn.execute("INSERT INTO df VALUES('', 0, ?, ?)", (checksum("df", "", 0), checksum("df-link", "", None)))
            conn.execute(
                "INSERT INTO sources VALUES('', 0, x'', ?, ?)",
                (checksum("sources", "", 0, b""), checksum("sources-link", "", None)),
            )
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

        The caller checks the header (:meth:`header` with ``verified=False``), then calls
        :meth:`verify_header`; every read after that verifies the rows it uses.

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
            if not tables >= _LAYOUT_1_TABLES:
                raise IndexMismatchError(f"{path} is an SQLite database but not a despin index")
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            conn.close()
            raise IndexCorruptError(f"{path} is corrupted: {exc}") from None
        except BaseException:
            conn.close()
            raise
        return cls(path, conn, writable=writable)

    def verify_header(self) -> None:
        """Check the meta checksum and the tables of this layout (after the caller accepted the header)."""
        self._meta()
        tables = {str(r[0]) for r in self._guard("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables >= _TABLES:
            raise IndexCorruptError(f"{self.path} is corrupted: tables {sorted(_TABLES - tables)} are missing")

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

    # -- checked values --------------------------------------------------------------------

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: every query inside sees one committed state, whatever a writer does."""
        self._guard("BEGIN")
        try:
            yield
        except BaseException:
            # After SQLITE_CORRUPT even COMMIT fails ("malformed"): end quietly, keep the first error.
            with suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            raise
        self._guard("COMMIT")

    def _guard(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise IndexCorruptError(f"{self.path}: {exc}") from None

    def _corrupt(self, what: str) -> IndexCorruptError:
        return IndexCorruptError(f"{self.path} is corrupted: {what}; rebuild the index")

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

    def _str(self, value: object, what: str) -> str:
        if not isinstance(value, str):
            raise IndexCorruptError(f"{self.path} is corrupted: {what} is a {type(value).__name__}, not text")
        return value

    def _check(self, stored: object, kind: str, fields: tuple[str | int | bytes | None, ...], what: str) -> None:
        if stored != checksum(kind, *fields):
            raise self._corrupt(f"{what} fails its checksum")

    # -- reading ---------------------------------------------------------------------------

    def _meta(self) -> dict[str, str]:
        """The meta table, verified against its checksum."""
        rows = [
            (self._str(k, "a meta key"), self._str(v, "a meta value"))
            for k, v in self._guard("SELECT key, value FROM meta")
        ]
        meta = dict(rows)
        if len(meta) != len(rows) or meta.get("checksum") != _meta_checksum(rows):
            raise self._corrupt("the header (meta table) fails its checksum")
        return meta

    def header(self, *, verified: bool = True) -> dict[str, str]:
        """The meta table; ``verified=False`` skips the checksum, to tell an older or foreign file first."""
        if verified:
            return self._meta()
        return {str(k): str(v) for k, v in self._guard("SELECT key, value FROM meta")}

    def n_docs(self) -> int:
        return self._int(self._meta().get("n_docs"), "the document count")

    def n_batches(self) -> int:
        return self._int(self._meta().get("n_batches"), "the batch count")

    def _prove_absent(self, table: str, keys: Iterable[str]) -> None:
        """Raise unless the chain of ``table`` shows each of ``keys`` is not stored.

        The predecessor of an absent key must link to its successor: a key hidden by damage (a flipped
        key, a misrouted b-tree search) breaks that link.
        """
        col = _KEYED[table]
        for part in _chunks(sorted(set(keys))):
            sql = (
                f"WITH q(k) AS (VALUES {','.join(['(?)'] * len(part))}) SELECT q.k, "
                f"(SELECT {col} FROM {table} WHERE {col} < q.k ORDER BY {col} DESC LIMIT 1), "
                f"(SELECT link FROM {table} WHERE {col} < q.k ORDER BY {col} DESC LIMIT 1), "
                f"(SELECT {col} FROM {table} WHERE {col} > q.k ORDER BY {col} LIMIT 1) FROM q"
            )
            for k, before, link, after in self._guard(sql, part):
                ok = (
                    isinstance(k, str)
                    and isinstance(before, str)
                    and (after is None or isinstance(after, str))
                    and before < k
                    and (after is None or k < after)
                    and link == checksum(f"{table}-link", before, after)
                )
                if not ok:
                    raise self._corrupt(f"the {table} chain around {k!r} is broken (a damaged key or link)")

    def df(self, features: Sequence[str]) -> dict[str, int]:
        """``feature -> df`` of the stored ``features``; the others are proved absent.

        Like every look-up by key, call it inside :meth:`snapshot` (or a write): the look-up and the
        proof are two statements, and a batch committed between them would break the proof.
        """
        wanted = {f for f in features if f}
        out: dict[str, int] = {}
        items = sorted(wanted)
        for part in _chunks(items):
            q = f"SELECT feature, n, chk FROM df WHERE feature IN ({_marks(len(part))})"
            for f, n, chk in self._guard(q, part):
                if type(f) is not str or type(n) is not int or n < 1:  # the common case stays inline
                    f = self._str(f, "a df key")
                    n = self._int(n, f"df of {f!r}", least=1)
                if chk != _df_checksum(f, n):
                    raise self._corrupt(f"the df row of {f!r} fails its checksum")
                if f not in wanted or f in out:
                    raise self._corrupt(f"df lookup returned {f!r} unasked or twice")
                out[f] = n
        self._prove_absent("df", (f for f in items if f not in out))
        return out

    def postings(self, features: Sequence[str]) -> list[tuple[str, bytes]]:
        """``(feature, packed doc ids)`` rows, each verified; the caller checks they hold ``df`` ids."""
        wanted = set(features)
        out: list[tuple[str, bytes]] = []
        seen: set[tuple[str, int]] = set()
        for part in _chunks(features):
            q = f"SELECT feature, batch, docs, chk FROM postings WHERE feature IN ({_marks(len(part))})"
            for f, batch, blob, chk in self._guard(q, part):
                if type(f) is not str or type(batch) is not int or batch < 0 or type(blob) is not bytes:
                    f = self._str(f, "a postings key")
                    batch = self._int(batch, f"the batch of the postings of {f!r}")
                    blob = self._blob(blob, f"the postings of {f!r}")
                if len(blob) % 4:
                    raise IndexCorruptError(f"{self.path} is corrupted: the postings of {f!r} are {len(blob)} bytes")
                if chk != _postings_checksum(f, batch, blob):
                    raise self._corrupt(f"the postings of {f!r} (batch {batch}) fail their checksum")
                if f not in wanted or (f, batch) in seen:
                    raise self._corrupt(f"postings of {f!r} (batch {batch}) were not asked for, or came twice")
                seen.add((f, batch))
                out.append((f, blob))
        return out

    def texts(self, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """``id -> (source_id, text)`` of the stored ``ids``, each verified (absent ids are left out)."""
        wanted = set(ids)
        out: dict[int, tuple[str, str]] = {}
        for part in _chunks(ids):
            q = f"SELECT id, source_id, digest, n_tokens, text, chk FROM docs WHERE id IN ({_marks(len(part))})"
            for i, sid, digest, n_tokens, blob, chk in self._guard(q, part):
                doc = self._int(i, "a document id")
                source_id = self._str(sid, f"the source id of document {doc}")
                dig = self._blob(digest, f"the digest of {source_id!r}")
                n = self._int(n_tokens, f"the token count of {source_id!r}")
                self._check(chk, "docs", (doc, source_id, dig, n), f"the document row of {source_id!r}")
                if doc not in wanted or doc in out:
                    raise self._corrupt(f"document {doc} was not asked for, or came twice")
                text = self._text(blob, source_id)
                if text_digest(text) != dig:
                    raise IndexCorruptError(f"{self.path}: stored text of {source_id!r} is damaged (checksum)")
                out[doc] = (source_id, text)
        return out

    def _text(self, blob: object, source_id: object) -> str:
        try:
            return zlib.decompress(self._blob(blob, f"the text of {source_id!r}")).decode("utf-8")
        except (zlib.error, UnicodeDecodeError):
            raise IndexCorruptError(f"{self.path}: stored text of {source_id!r} is damaged") from None

    def _sources(self, source_ids: Sequence[str]) -> dict[str, tuple[int, bytes]]:
        """``source_id -> (doc id, text digest)`` of the stored ids; the others are proved absent."""
        wanted = {s for s in source_ids if s}  # the empty key is the chain's head, never a source
        items = sorted(wanted)
        out: dict[str, tuple[int, bytes]] = {}
        for part in _chunks(items):
            q = f"SELECT source_id, id, digest, chk FROM sources WHERE source_id IN ({_marks(len(part))})"
            for s, i, d, chk in self._guard(q, part):
                sid = self._str(s, "a source id")
                doc = self._int(i, f"the document id of {sid!r}", least=1)
                dig = self._blob(d, f"the digest of {sid!r}")
                self._check(chk, "sources", (sid, doc, dig), f"the source row of {sid!r}")
                if sid not in wanted or sid in out:
                    raise self._corrupt(f"source lookup returned {sid!r} unasked or twice")
                out[sid] = (doc, dig)
        self._prove_absent("sources", (s for s in items if s not in out))
        return out

    def contains(self, source_id: str) -> bool:
        return bool(self._sources([source_id]))

    def text_of(self, source_id: str) -> str | None:
        found = self._sources([source_id]).get(source_id)
        if found is None:
            return None
        doc, digest = found
        row = self.texts([doc]).get(doc)
        if row is None or row[0] != source_id or text_digest(row[1]) != digest:
            raise self._corrupt(f"the source row of {source_id!r} names document {doc}, which does not hold it")
        return row[1]

    def digests(self, source_ids: Sequence[str]) -> dict[str, bytes]:
        """``source_id -> text digest`` of the stored ids."""
        return {s: d for s, (_, d) in self._sources(source_ids).items()}

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())

    def check_contents(self, *, max_postings_df: int | None = None) -> dict[str, int]:
        """Verify every row, both chains and the counts (reads the whole file); returns rows per table.

        Reads never need this (each verifies what it uses); it is for tests and for auditing a file.

        Args:
            max_postings_df: the index's cap; features with a df up to it must hold exactly df ids.
        """
        with self.snapshot():
            meta = self._meta()
            n_docs = self._int(meta.get("n_docs"), "the document count")
            ids = [self._int(r[0], "a document id") for r in self._guard("SELECT id FROM docs ORDER BY id")]
            if ids != list(range(1, n_docs + 1)):
                raise self._corrupt(f"document ids are not 1..{n_docs}")
            docs: dict[int, tuple[str, str]] = {}
            for part in _chunks(ids):
                docs.update(self.texts(part))
            keys: dict[str, list[str]] = {}
            for table, col in _KEYED.items():
                rows = self._guard(f"SELECT {col}, link FROM {table} ORDER BY {col}")
                keys[table] = [self._str(k, f"a {table} key") for k, _ in rows]
                for (k, link), nxt in zip(rows, [*keys[table][1:], None], strict=True):
                    self._check(link, f"{table}-link", (str(k), nxt), f"the {table} link of {k!r}")
                if keys[table][:1] != [""]:
                    raise self._corrupt(f"the {table} chain has no head")
            for sid, (doc, digest) in self._sources(keys["sources"][1:]).items():
                if docs.get(doc, ("", ""))[0] != sid or text_digest(docs[doc][1]) != digest:
                    raise self._corrupt(f"source {sid!r} names document {doc}, which does not hold it")
            if len(keys["sources"]) - 1 != n_docs:
                raise self._corrupt(f"{len(keys['sources']) - 1} sources for {n_docs} documents")
            df = self.df(keys["df"][1:])
            features = [str(r[0]) for r in self._guard("SELECT DISTINCT feature FROM postings")]
            held = dict.fromkeys(features, 0)
            for some in _chunks(features):
                for f, blob in self.postings(some):
                    held[f] += len(blob) // 4
            for f, n in held.items():
                full = max_postings_df is not None and df.get(f, 0) <= max_postings_df
                if n > df.get(f, 0) or (full and n != df[f]):
                    raise self._corrupt(f"the postings of {f!r} hold {n} ids, its df is {df.get(f, 0)}")
            if max_postings_df is not None and any(f not in held for f, n in df.items() if n <= max_postings_df):
                raise self._corrupt("a feature under the postings cap has no postings")
            batches = self._guard("SELECT batch, n_docs, first_id, last_id, chk FROM batches ORDER BY batch")
            for b, size, lo, hi, chk in batches:
                fields = tuple(self._int(v, "a batch field") for v in (b, size, lo, hi))
                self._check(chk, "batches", fields, f"batch {b}")
            if len(batches) != self._int(meta.get("n_batches"), "the batch count"):
                raise self._corrupt("the batch count disagrees with the batches table")
        return {"docs": len(docs), "sources": n_docs, "df": len(df), "postings": len(held), "batches": len(batches)}

    # -- writing ---------------------------------------------------------------------------

    def _begin_write(self) -> None:
        if not self.writable:
            raise InputError(f"{self.path} is open read-only")
        self.conn.execute("BEGIN IMMEDIATE")

    def compact(self) -> int:
        """Merge each feature's per-batch postings rows into one (one transaction); returns rows merged."""
        conn = self.conn
        try:
            self._begin_write()
            try:
                multi = [
                    str(r[0]) for r in conn.execute("SELECT feature FROM postings GROUP BY feature HAVING count(*) > 1")
                ]
                merged = 0
                for part in _chunks(multi, 2000):
                    blobs: dict[str, list[bytes]] = {}
                    rows = self.postings(part)  # verified: a damaged row is never sealed with a fresh checksum
                    for f, blob in rows:
                        blobs.setdefault(f, []).append(blob)
                    conn.execute(f"DELETE FROM postings WHERE feature IN ({_marks(len(part))})", part)
                    conn.executemany(
                        "INSERT INTO postings(feature, batch, docs, chk) VALUES(?, 0, ?, ?)",
                        ((f, b"".join(bs), _postings_checksum(f, 0, b"".join(bs))) for f, bs in blobs.items()),
                    )
                    merged += len(rows)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{self.path}: compaction failed: {exc}") from None
        return merged

    def write_batch(self, docs: Sequence[DocRow], *, max_postings_df: int) -> BatchResult:
        """Commit one batch atomically; ids already present are not added again.

        A ``source_id`` already stored (or earlier in the batch) with the same text is a duplicate;
        with another text it is a conflict. Neither changes the index.
        """
        conn = self.conn
        try:
            self._begin_write()
            try:
                result = self._write_batch(docs, max_postings_df)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(f"{self.path}: write failed: {exc}") from None
        return result

    def _relink(self, table: str, new_keys: Iterable[str]) -> None:
        """Re-hash the links of freshly inserted keys and of their predecessors."""
        col = _KEYED[table]
        links: dict[str, bytes] = {}
        fresh = sorted(new_keys)
        added = set(fresh)
        for part in _chunks(fresh):
            sql = (
                f"WITH q(k) AS (VALUES {','.join(['(?)'] * len(part))}) SELECT q.k, "
                f"(SELECT {col} FROM {table} WHERE {col} < q.k ORDER BY {col} DESC LIMIT 1), "
                f"(SELECT {col} FROM {table} WHERE {col} > q.k ORDER BY {col} LIMIT 1) FROM q"
            )
            for k, before, after in self.conn.execute(sql, part):
                links[k] = checksum(f"{table}-link", k, after)
                if before not in added:  # an old key whose successor is now k (a new key gets its own row)
                    links[before] = checksum(f"{table}-link", before, k)
        self.conn.executemany(f"UPDATE {table} SET link = ? WHERE {col} = ?", ((v, k) for k, v in links.items()))

    def _write_batch(self, docs: Sequence[DocRow], max_postings_df: int) -> BatchResult:
        conn = self.conn
        meta = self._meta()
        n_docs = self._int(meta.get("n_docs"), "the document count")
        n_batches = self._int(meta.get("n_batches"), "the batch count")
        seen = self.digests([d.source_id for d in docs])
        fresh: list[tuple[DocRow, bytes]] = []
        duplicates: list[str] = []
        conflicts: list[str] = []
        for d in docs:
            digest = text_digest(d.text)
            old = seen.get(d.source_id)
            if old is not None:
                (duplicates if old == digest else conflicts).append(d.source_id)
                continue
            seen[d.source_id] = digest
            fresh.append((d, digest))
        if not fresh:
            return BatchResult(0, tuple(duplicates), tuple(conflicts))
        first, batch = n_docs + 1, n_batches + 1  # ids are 1..n_docs, batches 1..n_batches
        conn.executemany(
            "INSERT INTO docs(id, source_id, digest, n_tokens, text, chk) VALUES(?, ?, ?, ?, ?, ?)",
            (
                (
                    first + k,
                    d.source_id,
                    g,
                    d.n_tokens,
                    zlib.compress(d.text.encode("utf-8"), 1),
                    checksum("docs", first + k, d.source_id, g, d.n_tokens),
                )
                for k, (d, g) in enumerate(fresh)
            ),
        )
        conn.executemany(
            "INSERT INTO sources(source_id, id, digest, chk, link) VALUES(?, ?, ?, ?, x'')",
            (
                (d.source_id, first + k, g, checksum("sources", d.source_id, first + k, g))
                for k, (d, g) in enumerate(fresh)
            ),
        )
        self._relink("sources", (d.source_id for d, _ in fresh))
        inverted: dict[str, list[int]] = {}
        for k, (d, _) in enumerate(fresh):
            for f in d.features:
                inverted.setdefault(f, []).append(first + k)
        # A feature past max_postings_df gets no more postings; queries skip it (df > cap), so the
        # postings of every feature a query uses are complete (and hold exactly df ids).
        before = self.df(list(inverted))
        postings = [(f, pack_ids(ids)) for f, ids in inverted.items() if before.get(f, 0) + len(ids) <= max_postings_df]
        conn.executemany(
            "INSERT INTO postings(feature, batch, docs, chk) VALUES(?, ?, ?, ?)",
            ((f, batch, blob, _postings_checksum(f, batch, blob)) for f, blob in postings),
        )
        counts = [(f, before.get(f, 0) + len(ids)) for f, ids in inverted.items()]
        conn.executemany(
            "INSERT INTO df(feature, n, chk, link) VALUES(?, ?, ?, x'') "
            "ON CONFLICT(feature) DO UPDATE SET n = excluded.n, chk = excluded.chk",
            ((f, n, _df_checksum(f, n)) for f, n in counts),
        )
        self._relink("df", (f for f in inverted if f not in before))
        last = first + len(fresh) - 1
        conn.execute(
            "INSERT INTO batches(batch, n_docs, first_id, last_id, chk) VALUES(?, ?, ?, ?, ?)",
            (batch, len(fresh), first, last, checksum("batches", batch, len(fresh), first, last)),
        )
        meta.update(n_docs=str(last), n_batches=str(batch))
        meta["checksum"] = _meta_checksum(meta.items())
        conn.executemany(
            "UPDATE meta SET value = ? WHERE key = ?",
            ((meta[k], k) for k in ("n_docs", "n_batches", "checksum")),
        )
        return BatchResult(len(fresh), tuple(duplicates), tuple(conflicts))
