"""SpinnerTable: a spinner's substitution table as one value, with its TSV file and its lexicon.

A table is the rows ``observed <- original`` (with a count and ``P(original | observed)``) that
:func:`despin.learn`, :func:`despin.learn_site`, ``despin learn``, ``despin scan --group-by`` and
``despin dedup`` produce, and that ``despin restore --table``, the pipeline steps and the server
read. Its file is TSV, ``observed<TAB>original<TAB>count<TAB>prob`` with ``#`` comment lines
(``.tsv.gz`` is gzipped); :meth:`SpinnerTable.load` is the one reader of that format and
:meth:`SpinnerTable.to_tsv` its one writer.

Two tables with the same rows are equal and hash alike, whatever their comment, and their
:attr:`~SpinnerTable.lexicon` has the same fingerprint, which is what the model's restorer cache
keys on: the same table loaded twice decodes with one restorer.

Example:
    >>> t = SpinnerTable.from_tsv("# learned\\nKabar\\tberita\\t3\\t0.75\\nwarta\\tberita\\n")
    >>> [(r.observed, r.original, r.count, r.prob) for r in t]
    [('kabar', 'berita', 3, 0.75), ('warta', 'berita', 1, 1.0)]
    >>> t.lexicon.synonyms("berita"), t.comment
    (('kabar', 'warta'), 'learned')
    >>> t.to_tsv().splitlines()
    ['# learned', '# observed\\toriginal\\tcount\\tprob', 'kabar\\tberita\\t3\\t0.7500', 'warta\\tberita\\t1\\t1.0000']
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import math
import os
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, overload

from despin.errors import ConfigError, LexiconError
from despin.files import write_atomic
from despin.lexicon import SynonymLexicon
from despin.tables.pairs import TableRow

if TYPE_CHECKING:
    from despin.tables.site import SiteTable

HEADER = "# observed\toriginal\tcount\tprob"
# The file keeps probabilities to 4 places (TableRow.to_tsv); a table keeps them so too, so that a
# table equals what loading its saved file gives.
PROB_PLACES = 4
_GZIP_MAGIC = b"\x1f\x8b"
# Tables read from paths kept in memory (as many as the model keeps restorers for).
TABLE_CACHE = 8


def clean_phrase(phrase: str) -> str:
    """A table phrase as tables and lexicons hold it: lower case, single spaces, ``_`` read as a space.

    Example:
        >>> clean_phrase("  Tempat_tinggal  Baru ")
        'tempat tinggal baru'
    """
    return " ".join(phrase.replace("_", " ").split()).lower()


def _row_problem(row: TableRow) -> str | None:
    """What is wrong with a row, or None (the one check, shared by the reader and the constructor)."""
    if not row.observed or not row.original:
        return "an empty phrase"
    if row.observed == row.original:
        return f"{row.observed!r} replaces itself"
    if not 0.0 < row.count < math.inf:
        return f"count {row.count!r} must be a positive number"
    if not 0.0 <= row.prob <= 1.0:
        return f"probability {row.prob!r} must lie in [0, 1]"
    return None


def _normal(row: TableRow) -> TableRow:
    count = int(row.count) if float(row.count).is_integer() else float(row.count)
    observed, original = clean_phrase(row.observed), clean_phrase(row.original)
    prob = round(float(row.prob), PROB_PLACES)
    same = (observed, original, prob) == (row.observed, row.original, row.prob) and type(count) is type(row.count)
    if same and count == row.count:
        return row
    return TableRow(observed, original, count, prob)


def _shares(pairs: list[tuple[str, str, float]]) -> list[float]:
    """``P(original | observed)`` of each ``(observed, original, count)``: its count over its observed's."""
    totals: dict[str, float] = {}
    for observed, _, count in pairs:
        totals[observed] = totals.get(observed, 0.0) + count
    return [count / totals[observed] for observed, _, count in pairs]


@dataclass(frozen=True)
class SpinnerTable:
    """A spinner's table: rows ``observed <- original``, its lexicon, and its TSV file.

        Args:
            rows: the entries (:class:`~despin.tables.pairs.TableRow`). Phrases are stored clean (lower
                case, single spaces) and probabilities to 4 places, as the file keeps them.
            comment: text for the file's leading ``#`` lines; not part of the table's identity.

        Raises:
            ConfigError: a row that is not a ``TableRow``, has an empty phrase, replaces a phrase by
                itself, or has a count that is not positive or a probability outside [0, 1].

        Example:
            >>> from despin.tables.pairs import TableRow

    if TYPE_CHECKING:
        from despin.tables.site import SiteTable
            >>> a = SpinnerTable.from_rows([TableRow("agung", "besar", 3, 0.6)], comment="one")
            >>> b = SpinnerTable.from_rows([TableRow("Agung", "besar", 3, 0.60001)])
            >>> a == b, hash(a) == hash(b), len(a)
            (True, True, 1)
            >>> SpinnerTable.from_rows([TableRow("agung", "Agung", 1, 1.0)])
            Traceback (most recent call last):
            ...
            despin.errors.ConfigError: table row 1: 'agung' replaces itself
    """

    rows: tuple[TableRow, ...] = ()
    comment: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        rows = []
        for i, row in enumerate(self.rows, 1):
            if not isinstance(row, TableRow):
                raise ConfigError(f"table row {i}: expected a TableRow, got {type(row).__name__}")
            row = _normal(row)
            problem = _row_problem(row)
            if problem is not None:
                raise ConfigError(f"table row {i}: {problem}")
            rows.append(row)
        object.__setattr__(self, "rows", tuple(rows))

    # -- construction ------------------------------------------------------------------------------

    @classmethod
    def from_rows(cls, rows: Iterable[TableRow], *, comment: str | None = None) -> SpinnerTable:
        """A table of ``rows`` (what :func:`despin.learn` returns)."""
        return cls(tuple(rows), comment)

    @classmethod
    def from_lexicon(cls, lexicon: SynonymLexicon, *, comment: str | None = None) -> SpinnerTable:
        """A lexicon (``original -> {observed: weight}``) as a table: weights become counts.

        The table's :attr:`lexicon` is ``lexicon`` itself.

        Example:
            >>> lex = SynonymLexicon.from_pairs([("besar", "agung", 3.0), ("luas", "agung", 1.0)])
            >>> [(r.observed, r.original, r.count, r.prob) for r in SpinnerTable.from_lexicon(lex)]
            [('agung', 'besar', 3, 0.75), ('agung', 'luas', 1, 0.25)]
        """
        pairs = [(observed, original, weight) for original, observed, weight in lexicon.pairs()]
        pairs.sort(key=lambda p: (p[0], -p[2], p[1]))
        rows = [TableRow(o, u, n, p) for (o, u, n), p in zip(pairs, _shares(pairs), strict=True)]
        table = cls(tuple(rows), comment)
        table.__dict__["lexicon"] = lexicon  # the same graph; keeps the caller's object (and its caches)
        return table

    @classmethod
    def from_tsv(cls, text: str | Iterable[str], *, source: str = "table") -> SpinnerTable:
        """Parse the TSV format (the one reader; :meth:`load` reads a file with it).

        A line is ``observed<TAB>original[<TAB>count[<TAB>prob]]``; a missing count is 1 and a
        missing probability the row's share of its observed phrase's counts. Blank lines are
        skipped; ``#`` lines before the first row are the comment (the column header aside).
        Rows whose two phrases are the same once cleaned are skipped.

        Raises:
            LexiconError: a malformed line, named as ``source:line``.
        """
        lines = text.splitlines() if isinstance(text, str) else text
        comment: list[str] = []
        parsed: list[tuple[str, str, float]] = []
        probs: list[float | None] = []
        for lineno, raw in enumerate(lines, 1):
            line = raw.rstrip("\r\n")
            if line.startswith("#"):
                if not parsed and line != HEADER:
                    comment.append(line[2:] if line.startswith("# ") else line[1:])
                continue
            if not line.strip():
                continue
            row = _parse_line(line, f"{source}:{lineno}")
            if row is not None:
                parsed.append(row[:3])
                probs.append(row[3])
        shares = _shares(parsed)
        rows = (TableRow(o, u, n, s if p is None else p) for (o, u, n), p, s in zip(parsed, probs, shares, strict=True))
        return cls(tuple(rows), "\n".join(comment) if comment else None)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SpinnerTable:
        """Read a table file (gzipped or not, told by its content); a ``file://`` URL is read as its path.

        Raises:
            LexiconError: the file cannot be read, is not UTF-8 text, or has a malformed line (``file:line``).
        """
        name = str(path).removeprefix("file://")
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            raise LexiconError(f"cannot read table {name}: {exc.strerror or exc}") from exc
        return cls.from_bytes(data, source=name)

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = "table") -> SpinnerTable:
        """Parse a table file's bytes: UTF-8 TSV, gzipped or not."""
        try:
            if data.startswith(_GZIP_MAGIC):
                data = gzip.decompress(data)
            text = data.decode("utf-8")
        except (OSError, EOFError) as exc:
            raise LexiconError(f"table {source} is not a readable gzip file: {exc}") from None
        except UnicodeDecodeError:
            raise LexiconError(f"table {source} is not UTF-8 text") from None
        return cls.from_tsv(text, source=source)

    # -- output ------------------------------------------------------------------------------------

    def to_tsv(self) -> str:
        """The TSV text (the one writer): the comment, the column header, one line per row."""
        head = [f"# {line}" if line else "#" for line in self.comment.splitlines()] if self.comment else []
        return "\n".join([*head, HEADER, *(r.to_tsv() for r in self.rows)]) + "\n"

    def to_bytes(self, *, compress: bool = False) -> bytes:
        """The file's bytes; ``compress`` gzips them (with no name or time inside, so they are reproducible)."""
        data = self.to_tsv().encode("utf-8")
        return gzip.compress(data, compresslevel=6, mtime=0) if compress else data

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the table file (gzipped when ``path`` ends with ``.gz``), all at once or not at all.

        Returns:
            The sha256 of the bytes written: a job that reads the table back later checks it.
        """
        target = Path(str(path).removeprefix("file://"))
        data = self.to_bytes(compress=target.name.endswith(".gz"))
        write_atomic(target, data)
        return hashlib.sha256(data).hexdigest()

    def with_comment(self, comment: str | None) -> SpinnerTable:
        """The same table with another comment (the same lexicon too)."""
        other = dataclasses.replace(self, comment=comment)
        if "lexicon" in self.__dict__:
            other.__dict__["lexicon"] = self.__dict__["lexicon"]
        return other

    # -- use ---------------------------------------------------------------------------------------

    @cached_property
    def lexicon(self) -> SynonymLexicon:
        """The table as the lexicon the restorer reads (``original -> observed``, counts as weights)."""
        return SynonymLexicon.from_pairs((r.original, r.observed, float(r.count)) for r in self.rows)

    def fingerprint(self) -> str:
        """A stable hash of the rows (not the comment).

        Example:
            >>> SpinnerTable().fingerprint() == SpinnerTable(comment="empty").fingerprint()
            True
        """
        h = hashlib.sha256()
        for r in self.rows:
            h.update(r.to_tsv().encode() + b"\n")
        return h.hexdigest()[:16]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[TableRow]:
        return iter(self.rows)

    def __getstate__(self) -> dict[str, Any]:
        # The lexicon is rebuilt where it is needed: a table sent to a worker is its rows.
        return {"rows": self.rows, "comment": self.comment}

    def __setstate__(self, state: dict[str, Any]) -> None:
        object.__setattr__(self, "rows", state["rows"])
        object.__setattr__(self, "comment", state["comment"])

    def __repr__(self) -> str:
        note = f", comment={self.comment!r}" if self.comment else ""
        return f"SpinnerTable(<{len(self.rows)} rows, {self.fingerprint()}>{note})"


def _number(text: str, what: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise LexiconError(f"{where}: {what} {text!r} is not a number") from None


def _parse_line(line: str, where: str) -> tuple[str, str, float, float | None] | None:
    """One row line as ``(observed, original, count, prob or None)``; None when it replaces a phrase by itself."""
    fields = line.split("\t")
    if len(fields) < 2:
        raise LexiconError(f"{where}: expected 'observed<TAB>original', got {line[:60]!r}")
    observed, original = clean_phrase(fields[0]), clean_phrase(fields[1])
    count = _number(fields[2], "count", where) if len(fields) >= 3 else 1.0
    prob = _number(fields[3], "probability", where) if len(fields) >= 4 and fields[3].strip() else None
    if not 0.0 < count < math.inf:
        raise LexiconError(f"{where}: count {fields[2]!r} must be a positive number")
    # 0 stays valid: `despin learn --min-prob 0` writes a rare original's share rounded, as 0.0000.
    if prob is not None and not 0.0 <= prob <= 1.0:
        raise LexiconError(f"{where}: probability {fields[3]!r} must lie in [0, 1]")
    if not observed or not original:
        raise LexiconError(f"{where}: an empty phrase in {line[:60]!r}")
    if observed == original:
        return None  # a case-only entry (Kabar -> kabar): no substitution
    return observed, original, count, prob


# Every shape a ``table=`` argument may take; :func:`as_table` turns each into a SpinnerTable.
TableSource: TypeAlias = "SpinnerTable | SiteTable | SynonymLexicon | Sequence[TableRow] | str | os.PathLike[str]"
TableLike: TypeAlias = "TableSource | None"


@overload
def as_table(table: None) -> None: ...
@overload
def as_table(table: TableSource) -> SpinnerTable: ...
def as_table(table: TableLike) -> SpinnerTable | None:
    """Any shape a spinner table comes in, as a :class:`SpinnerTable`: the one conversion, at the edge.

        Takes a :class:`SpinnerTable`, a path to a table file (read once while the file stays the
        same), the :class:`~despin.tables.site.SiteTable` :func:`despin.learn_site` returns (its
        ``table``), the rows :func:`despin.learn` returns, a :class:`~despin.lexicon.SynonymLexicon`
        (converted once per lexicon object), or None.

        Raises:
            TypeError: anything else.
            LexiconError: a path that cannot be read as a table.

        Example:
            >>> from despin.tables.pairs import TableRow

    if TYPE_CHECKING:
        from despin.tables.site import SiteTable
            >>> rows = [TableRow("agung", "besar", 2, 1.0)]
            >>> as_table(rows) == as_table(SpinnerTable.from_rows(rows)) == as_table(as_table(rows).lexicon)
            True
            >>> as_table({"agung": "besar"})  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            TypeError: table must be a SpinnerTable, a path to a TSV table, ...; got dict
    """
    if table is None or isinstance(table, SpinnerTable):
        return table
    if isinstance(table, (str, os.PathLike)):
        name = str(table).removeprefix("file://")
        try:
            st = os.stat(name)
        except OSError as exc:
            raise LexiconError(f"cannot read table {name}: {exc.strerror or exc}") from exc
        return _load_cached(name, st.st_mtime_ns, st.st_size)
    inner = getattr(table, "table", None)
    if isinstance(inner, SpinnerTable):  # a SiteTable
        return inner
    if isinstance(table, SynonymLexicon):
        found = _BY_LEXICON.get(table)
        if found is None:
            found = _BY_LEXICON[table] = SpinnerTable.from_lexicon(table)
        return found
    if isinstance(table, (list, tuple)) and all(isinstance(r, TableRow) for r in table):
        return SpinnerTable.from_rows(table)
    raise TypeError(
        "table must be a SpinnerTable, a path to a TSV table, the rows despin.learn returns, the SiteTable "
        f"despin.learn_site returns, or a SynonymLexicon; got {type(table).__name__}"
    )


@lru_cache(maxsize=TABLE_CACHE)
def _load_cached(path: str, mtime_ns: int, size: int) -> SpinnerTable:
    # Keyed by the file's time and size too: a table rewritten at the same path is read again.
    return SpinnerTable.load(path)


# One table per lexicon object, for as long as the lexicon lives.
_BY_LEXICON: weakref.WeakKeyDictionary[SynonymLexicon, SpinnerTable] = weakref.WeakKeyDictionary()
