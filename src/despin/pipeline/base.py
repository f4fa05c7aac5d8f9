"""The pieces every pipeline step shares: shards, documents, rejects and the :class:`Step` ABC.

A pipeline is a list of steps. Each step follows datatrove's contract: ``run(data, rank=,
world_size=)`` takes a generator of documents and yields documents; a reader ignores ``data``
and reads its ``rank``'s share of the shards; a writer writes and passes documents through.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

from despin.pipeline.stats import RejectReason, Stats

Format = Literal["jsonl", "parquet"]

# Suffix -> (format, compression). Longest suffixes first: "x.jsonl.gz" is gzip JSONL.
SUFFIXES: tuple[tuple[str, Format, str | None], ...] = (
    (".jsonl.gz", "jsonl", "gzip"),
    (".ndjson.gz", "jsonl", "gzip"),
    (".json.gz", "jsonl", "gzip"),
    (".jsonl", "jsonl", None),
    (".ndjson", "jsonl", None),
    (".parquet", "parquet", None),
)

# Raw lines and rows are cut to this many characters in a reject record.
RAW_LIMIT = 4096


def shard_suffix(name: str) -> tuple[str, Format, str | None] | None:
    """The known suffix of ``name`` with its format and compression, or None.

    Example:
        >>> shard_suffix("news/part-1.jsonl.gz")
        ('.jsonl.gz', 'jsonl', 'gzip')
        >>> shard_suffix("notes.txt") is None
        True
    """
    lower = name.lower()
    for suffix, fmt, compression in SUFFIXES:
        if lower.endswith(suffix):
            return suffix, fmt, compression
    return None


@dataclass(frozen=True, slots=True)
class Shard:
    """One input file. ``name`` is its path relative to the input root; outputs reuse it.

    Example:
        >>> s = Shard.of("/data/news/part-1.jsonl.gz", "news/part-1.jsonl.gz")
        >>> s.id, s.fmt, s.compression
        ('news/part-1', 'jsonl', 'gzip')
    """

    path: str
    name: str
    fmt: Format
    compression: str | None

    @classmethod
    def of(cls, path: str | Path, name: str | None = None) -> Shard:
        """A shard for ``path``; ``name`` defaults to the file name. Unknown suffixes are a ConfigError."""
        from despin.errors import ConfigError

        name = name if name is not None else Path(path).name
        known = shard_suffix(name)
        if known is None:
            raise ConfigError(f"{path}: unknown shard type; expected one of {', '.join(s for s, _, _ in SUFFIXES)}")
        return cls(str(path), name, known[1], known[2])

    @property
    def id(self) -> str:
        """The name without its format suffix: used for completions/, stats/ and rejects/."""
        known = shard_suffix(self.name)
        return self.name[: -len(known[0])] if known else self.name


@dataclass(frozen=True, slots=True)
class Document:
    """A record read from a shard, with its text and the ``despin`` annotations added so far.

    ``line`` is the 1-based line of a JSONL shard or the 0-based row of a Parquet shard.
    ``record`` is the whole input record; writers emit ``record`` plus a ``despin`` field.
    """

    text: str
    record: dict[str, Any]
    shard: Shard
    line: int
    doc_id: str | None = None
    despin: dict[str, Any] = field(default_factory=dict)
    # True when the record needed the standard-library JSON codec (huge ints, NaN); writers reuse it.
    lenient_json: bool = False

    def annotate(self, **fields: Any) -> Document:
        """A new document with ``fields`` merged into ``despin``; this one is unchanged."""
        return dataclasses.replace(self, despin={**self.despin, **fields})


class RejectSink(Protocol):
    """Where rejects go: a :class:`~despin.pipeline.writers.RejectWriter`, or any collector."""

    def write(self, reject: Reject) -> None: ...


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that could not be processed, as written to ``rejects/<shard-id>.jsonl``."""

    shard: Shard
    line: int | None
    reason: RejectReason
    detail: str
    raw: bytes | str = b""
    doc_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The reject record: position, reason, detail and the raw input cut to ``RAW_LIMIT`` chars."""
        raw = self.raw.decode("utf-8", "backslashreplace") if isinstance(self.raw, bytes) else self.raw
        raw = _utf8_safe(raw)
        d: dict[str, Any] = {"shard": self.shard.id}
        d["row" if self.shard.fmt == "parquet" else "line"] = self.line
        d |= {"reason": self.reason.value, "detail": _utf8_safe(self.detail)}
        if self.doc_id is not None:
            d["id"] = _utf8_safe(self.doc_id)
        d |= {"raw": raw[:RAW_LIMIT], "raw_chars": len(raw), "raw_truncated": len(raw) > RAW_LIMIT}
        return d


def _utf8_safe(s: str) -> str:
    """``s`` with lone surrogates (from JSON "\\ud800" escapes), which UTF-8 cannot hold, written as ``\\ud800``."""
    return s.encode("utf-8", "backslashreplace").decode("utf-8")


class Step(ABC):
    """A pipeline step: wraps one piece of work over a document generator and counts what it does.

    Steps must pickle (they travel to worker processes and Ray actors): hold paths and lazy
    references, never open files or loaded models.
    """

    name: ClassVar[str] = "step"

    def __init__(self) -> None:
        self.stats = Stats()

    @abstractmethod
    def run(self, data: Iterable[Document] | None, *, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        """Consume ``data`` (None for readers) and yield the documents that go on."""

    def __call__(
        self, data: Iterable[Document] | None = None, *, rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        return self.run(data, rank=rank, world_size=world_size)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def run_steps(steps: Iterable[Step], *, rank: int = 0, world_size: int = 1) -> Stats:
    """Chain ``steps`` as generators, drain the last one, and return the summed stats of all steps."""
    steps = list(steps)
    data: Iterator[Document] | None = None
    for step in steps:
        data = step.run(data, rank=rank, world_size=world_size)
    if data is not None:
        for _ in data:
            pass
    return Stats.sum(s.stats for s in steps)
