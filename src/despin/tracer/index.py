"""``Index``: the reference collection (SQLite file) and ``trace``: find the sources of a spun text.

Retrieval (see :mod:`despin.tracer.fingerprint` for why unigrams): take the query's distinct tokens
known to the index, keep the ``max_query_features`` rarest, and add ``idf = log(N / df)`` to every
document holding one. The best ``n_candidates`` documents are then aligned to the query
(:func:`despin.tracer.align.align`); the alignment gives the score, the coverage and the evidence.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from cachetools import LRUCache

from despin._version import __version__
from despin.errors import ConfigError, IndexCorruptError, IndexMismatchError, InputError
from despin.textio import MAX_CHARS, check_text
from despin.tracer.fingerprint import FORMAT_VERSION, IndexConfig, features, tokenizer_version
from despin.tracer.store import LAYOUT_VERSION, STORE_KEYS, BatchResult, DocRow, Store, Verify

NO_LEXICON = "none"
_DF_CACHE_MAX = 500_000
# Counts and the checksum change with every batch; the layout version stays in what `index stats` shows.
_INTERNAL_KEYS = STORE_KEYS - {"layout_version"}
_MIN_QUERY_FEATURES = 8
DEFAULT_MAX_IDS = 20_000


@dataclass
class AddReport:
    """Counts of one :meth:`Index.add` call: ``n_seen == n_added + n_duplicate + n_conflict``."""

    n_seen: int = 0
    n_added: int = 0
    n_duplicate: int = 0
    n_conflict: int = 0
    n_batches: int = 0
    conflicts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The counts (not the conflicting ids)."""
        return {k: v for k, v in asdict(self).items() if k != "conflicts"}


class Index:
    """A reference collection for :func:`trace`, stored in one SQLite file.

    Open with :meth:`open` (read-only, for queries) or :meth:`create` / ``open(writable=True)``.
    Many processes may read while one writes; readers see whole committed batches only.

    Args:
        store: the open file.
        config: the feature configuration recorded in the file's header.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "refs.db"
        >>> with Index.create(path) as ix:
        ...     ix.add([("a", "Presiden Joko Widodo meresmikan jembatan di Kupang, Senin.")]).n_added
        1
        >>> with Index.open(path) as ix:
        ...     len(ix), "a" in ix
        (1, True)
    """

    def __init__(self, store: Store, config: IndexConfig) -> None:
        self.store, self.config = store, config
        self._lock = threading.RLock()
        # Document frequencies of tokens seen in queries, valid while the index holds ``_df_state`` docs
        # (adds only ever grow it). Function words recur in every query: this halves the SQL per query.
        self._df_cache: LRUCache[str, int] = LRUCache(maxsize=_DF_CACHE_MAX)
        self._df_state = -1

    # -- opening ---------------------------------------------------------------------------

    @staticmethod
    def header_for(config: IndexConfig) -> dict[str, str]:
        """The header a new index gets."""
        return {
            "format_version": str(FORMAT_VERSION),
            "despin_version": __version__,
            "tokenizer_version": tokenizer_version(),
            "lexicon_hash": NO_LEXICON,
            "config": config.to_json(),
            "config_fingerprint": config.fingerprint(),
        }

    @classmethod
    def create(cls, path: str | Path, *, config: IndexConfig | None = None) -> Index:
        """Create a new, empty index file (an existing file is an InputError)."""
        config = config or IndexConfig()
        return cls(Store.create(Path(path), cls.header_for(config)), config)

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        config: IndexConfig | None = None,
        writable: bool = False,
        create: bool = False,
        verify: Verify = "auto",
    ) -> Index:
        """Open an index, checking its header and (by default) every page.

        Args:
            path: the index file.
            config: the config the caller expects; None accepts the stored one.
            writable: open for :meth:`add`.
            create: create the file when it does not exist (implies ``writable``).
            verify: ``"quick"`` runs SQLite's ``quick_check`` (about 0.5 s per 100 MB);
                ``"header"`` trusts the pages and checks only the file header and meta table;
                ``"auto"``: quick up to 256 MB, header above.

        Every read verifies the checksums of the rows it uses (see :mod:`despin.tracer.store`), so a
        damaged file gives an :class:`IndexCorruptError`, whichever ``verify`` was chosen.

        Raises:
            IndexMismatchError: the file was built with another format, layout, tokenizer or config
                (an index written before content checksums must be rebuilt).
            IndexCorruptError: the file is truncated or damaged.
            InputError: there is no file at ``path``.
        """
        path = Path(path)
        if create and not path.exists():
            return cls.create(path, config=config)
        store = Store.open(path, writable=writable or create, verify=verify)
        try:
            # Versions before the checksum, so an older or edited file says "rebuild" rather than
            # "corrupted"; the config only after it, so damage to it is never read as a config error.
            cls._check_versions(path, store.header(verified=False))
            store.verify_header()
            stored = cls._check_config(path, store.header(), config)
        except BaseException:
            store.close()
            raise
        return cls(store, stored)

    @staticmethod
    def _check_versions(path: Path, header: dict[str, str]) -> None:
        if "format_version" not in header or "config" not in header:
            raise IndexMismatchError(f"{path}: not a despin index (its header has no format or config)")
        if header["format_version"] != str(FORMAT_VERSION):
            raise IndexMismatchError(
                f"{path}: index format {header['format_version']}, this despin reads {FORMAT_VERSION}; rebuild it"
            )
        if header.get("layout_version") != str(LAYOUT_VERSION):
            raise IndexMismatchError(
                f"{path}: index layout {header.get('layout_version', '1')}, this despin reads layout "
                f"{LAYOUT_VERSION} (with content checksums); rebuild the index into a new file with "
                "`despin index add`"
            )
        if header.get("tokenizer_version") != tokenizer_version():
            raise IndexMismatchError(
                f"{path}: built with tokenizer {header.get('tokenizer_version')}, this despin has "
                f"{tokenizer_version()}; rebuild the index with `despin index add`"
            )

    @staticmethod
    def _check_config(path: Path, header: dict[str, str], config: IndexConfig | None) -> IndexConfig:
        stored = IndexConfig.from_json(header.get("config", ""))
        if config is not None and config.fingerprint() != stored.fingerprint():
            raise IndexMismatchError(
                f"{path}: built with config {stored.fingerprint()}, you asked for {config.fingerprint()}"
            )
        return stored

    def close(self) -> None:
        with self._lock:
            self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- contents --------------------------------------------------------------------------

    def __len__(self) -> int:
        with self._lock:
            return self.store.n_docs()

    def __contains__(self, source_id: object) -> bool:
        if not isinstance(source_id, str):
            return False
        with self._lock, self.store.snapshot():  # the look-up and its absence proof see one state
            return self.store.contains(source_id)

    def text(self, source_id: str) -> str | None:
        """The stored text of ``source_id`` (None when absent)."""
        with self._lock, self.store.snapshot():
            return self.store.text_of(source_id)

    def stats(self) -> dict[str, Any]:
        """What ``despin index stats`` prints: count, size, config and header."""
        with self._lock, self.store.snapshot():
            header = self.store.header()
            return {
                "path": str(self.store.path),
                "count": self.store.n_docs(),
                "batches": self.store.n_batches(),
                "size_bytes": self.store.size_bytes(),
                "config": self.config_dict(),
                "header": {k: v for k, v in sorted(header.items()) if k not in _INTERNAL_KEYS},
            }

    def check(self) -> dict[str, int]:
        """Verify every row of the file (reads all of it; queries verify what they read without this).

        Returns:
            Rows per table: ``docs``, ``sources``, ``df``, ``postings`` (features), ``batches``.

        Raises:
            IndexCorruptError: the first damaged row or broken link found.
        """
        with self._lock:
            return self.store.check_contents(max_postings_df=self.config.max_postings_df)

    def config_dict(self) -> dict[str, Any]:
        return {
            "min_token_chars": self.config.min_token_chars,
            "max_token_chars": self.config.max_token_chars,
            "max_postings_df": self.config.max_postings_df,
            "batch_size": self.config.batch_size,
            "fingerprint": self.config.fingerprint(),
        }

    # -- writing ---------------------------------------------------------------------------

    def add(
        self,
        records: Iterable[tuple[str, str]],
        *,
        batch_size: int | None = None,
        on_batch: Callable[[BatchResult], None] | None = None,
        max_chars: int = MAX_CHARS,
    ) -> AddReport:
        """Add ``(source_id, text)`` records, one transaction per ``batch_size`` records.

        Ids already in the index are skipped: with the same text as duplicates, with another text as
        conflicts (listed in the report). Interrupting the call keeps every batch committed so far.

        A text longer than ``max_chars`` (the API's limit by default) is refused: every trace that
        retrieved it would decompress and align all of it.

        Raises:
            InputError: an id that is not a non-empty string, or a text that is not a non-blank string
                of valid Unicode within ``max_chars`` (:func:`despin.textio.check_text`). Batches before
                it stay committed.
        """
        size = batch_size or self.config.batch_size
        if size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {size}")
        if max_chars < 1:
            raise ConfigError(f"max_chars must be >= 1, got {max_chars}")
        report = AddReport()
        for chunk in _batched(records, size):
            rows = [self._row(sid, text, max_chars) for sid, text in chunk]
            with self._lock:
                result = self.store.write_batch(rows, max_postings_df=self.config.max_postings_df)
            report.n_seen += len(rows)
            report.n_added += result.n_added
            report.n_duplicate += len(result.duplicates)
            report.n_conflict += len(result.conflicts)
            report.conflicts.extend(result.conflicts)
            report.n_batches += 1 if result.n_added else 0
            if on_batch is not None:
                on_batch(result)
        return report

    def compact(self) -> int:
        """Merge postings rows of every batch into one per token: faster queries after many adds."""
        with self._lock:
            return self.store.compact()

    def _row(self, source_id: str, text: str, max_chars: int) -> DocRow:
        if not isinstance(source_id, str) or not source_id:
            raise InputError(f"record id must be a non-empty string, got {source_id!r:.60}")
        text = check_text(text, name=f"record {source_id!r}", max_chars=max_chars)
        feats, n_runs = features(text, self.config)
        return DocRow(source_id, text, n_runs, feats)

    # -- retrieval -------------------------------------------------------------------------

    def _df(self, feats: list[str], n_docs: int) -> dict[str, int]:
        """``feature -> df`` of the known ``feats`` (call under the lock, inside a snapshot)."""
        cache = self._df_cache
        if self._df_state != n_docs:
            cache.clear()
            self._df_state = n_docs
        missing = [f for f in feats if f not in cache]
        if missing:
            found = self.store.df(missing)
            for f in missing:
                cache[f] = found.get(f, 0)
        return {f: n for f in feats if (n := cache[f])}

    def candidates(
        self,
        text: str,
        *,
        limit: int,
        max_query_features: int,
        max_ids: int = DEFAULT_MAX_IDS,
    ) -> tuple[list[tuple[int, float]], dict[str, int], int]:
        """Rank documents by the IDF mass of the query's rarest tokens they hold.

        Tokens are taken rarest first, at most ``max_query_features`` of them, and (after the first 8)
        only while the ids read stay within ``max_ids``. Reading ids is the one cost that grows with the
        index (a token's df grows with it); the budget keeps a query's retrieval near 8 ms of CPU at any
        size, and the rarest tokens it keeps (names, numbers) are the ones that identify the article.

        Returns:
            ``[(doc id, retrieval score)]`` best first, the query's ``feature -> df``, and N.
            Call inside ``store.snapshot()`` so the three agree.
        """
        feats, _ = features(text, self.config)
        n_docs = self.store.n_docs()
        df = self._df(feats, n_docs)
        if not df or n_docs == 0:
            return [], df, n_docs
        if max(df.values()) > n_docs:
            f = max(df, key=lambda f: df[f])
            raise IndexCorruptError(
                f"{self.store.path} is corrupted: df of {f!r} is {df[f]:,}, over the {n_docs:,} documents"
            )
        cap = self.config.max_postings_df
        chosen: list[str] = []
        budget = max_ids
        for f in sorted((f for f in df if df[f] <= cap), key=lambda f: (df[f], f))[:max_query_features]:
            if len(chosen) >= _MIN_QUERY_FEATURES and df[f] > budget:
                break
            chosen.append(f)
            budget -= df[f]
        if not chosen:
            return [], df, n_docs
        idf = {f: math.log(n_docs / df[f]) + 1e-3 for f in chosen}
        rows = self.store.postings(chosen)
        held = dict.fromkeys(chosen, 0)
        for f, blob in rows:
            if f not in held:
                raise IndexCorruptError(f"{self.store.path} is corrupted: postings of {f!r} were not asked for")
            held[f] += len(blob) // 4
        # Every chosen feature is under the cap, so its postings hold exactly df ids: a row that damage
        # hid (or duplicated) shows here, where row checksums alone cannot see it.
        if (short := next((f for f in chosen if held[f] != df[f]), None)) is not None:
            raise IndexCorruptError(
                f"{self.store.path} is corrupted: the postings of {short!r} hold {held[short]} documents, "
                f"its df is {df[short]}"
            )
        all_ids = np.frombuffer(b"".join(blob for _, blob in rows), dtype="<u4")
        lengths = np.fromiter((len(blob) // 4 for _, blob in rows), dtype=np.int64, count=len(rows))
        row_weights = np.fromiter((idf[f] for f, _ in rows), dtype=np.float64, count=len(rows))
        uniq, inverse = np.unique(all_ids, return_inverse=True)
        scores = np.bincount(inverse, weights=np.repeat(row_weights, lengths))
        best = np.argsort(-scores, kind="stable")[:limit]
        return [(int(uniq[k]), float(scores[k])) for k in best], df, n_docs


def _batched(records: Iterable[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    chunk: list[tuple[str, str]] = []
    for rec in records:
        chunk.append(rec)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
