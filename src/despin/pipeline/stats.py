"""Mergeable per-task statistics: counters, reject reasons, timers and gauges.

Every step owns a :class:`Stats`; a task sums its steps' stats and writes them to
``stats/<task-id>.json``; a job sums its tasks. Counter keys come from :class:`Stat` and reject
reasons from :class:`RejectReason`, never free strings.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Stat(StrEnum):
    """Counter names. ``INPUT == OUTPUT + FILTERED + REJECTED`` holds for every finished task."""

    INPUT = "input"  # records read, each reject counted once whatever it covers
    OUTPUT = "output"  # records written to the output shard
    FILTERED = "filtered"  # records dropped by FilterStep
    REJECTED = "rejected"  # records sent to the rejects file
    SCORED = "scored"  # records that went through detection
    FLAGGED = "flagged"  # scored records with is_spun true
    TRACED = "traced"  # records looked up in the source index
    WITH_SOURCE = "with_source"  # traced records with at least one source match
    EDITS = "edits"  # restoration edits written
    BYTES_READ = "bytes_read"  # input bytes consumed (compressed bytes for .gz)


_STAT_VALUES = frozenset(s.value for s in Stat)


class RejectReason(StrEnum):
    """Why a record went to ``rejects/<shard>.jsonl`` (the ``reason`` field of a reject)."""

    MALFORMED_JSON = "malformed_json"
    NOT_OBJECT = "not_object"
    BLANK_LINE = "blank_line"
    MISSING_TEXT = "missing_text"
    TEXT_NOT_STRING = "text_not_string"
    INVALID_UTF8 = "invalid_utf8"
    INVALID_UNICODE = "invalid_unicode"
    BLANK_TEXT = "blank_text"
    TEXT_TOO_LONG = "text_too_long"
    TRUNCATED_GZIP = "truncated_gzip"
    CORRUPT_GZIP = "corrupt_gzip"
    UNREADABLE_FILE = "unreadable_file"
    UNREADABLE_PARQUET = "unreadable_parquet"
    UNREADABLE_ROW_GROUP = "unreadable_row_group"
    MODEL_INPUT_ERROR = "model_input_error"
    MISSING_ID = "missing_id"  # a reader told to require ids (``despin index add``) found none
    ID_NOT_STRING = "id_not_string"  # ... or an id that is neither a string nor an integer


@dataclass
class Stats:
    """Counters, reject reasons, summed timers (seconds) and max-merged gauges.

    Example:
        >>> a = Stats(); a.inc(Stat.INPUT, 3); a.inc(Stat.OUTPUT, 2); a.reject(RejectReason.BLANK_TEXT)
        >>> b = Stats.from_dict((a + a).to_dict())
        >>> b[Stat.INPUT], b[Stat.REJECTED], b.reasons[RejectReason.BLANK_TEXT]
        (6, 2, 2)
    """

    counts: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    timers: dict[str, float] = field(default_factory=dict)
    gauges: dict[str, float] = field(default_factory=dict)

    def inc(self, key: Stat, n: int = 1) -> None:
        """Add ``n`` to counter ``key``."""
        self.counts[key.value] += n

    def reject(self, reason: RejectReason) -> None:
        """Count one rejected record and its reason."""
        self.counts[Stat.REJECTED.value] += 1
        self.reasons[reason.value] += 1

    def __getitem__(self, key: Stat) -> int:
        return self.counts.get(key.value, 0)

    @contextmanager
    def timer(self, name: str) -> Iterator[None]:
        """Add the wall time of the ``with`` block to timer ``name``."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timers[name] = self.timers.get(name, 0.0) + time.perf_counter() - t0

    def add_time(self, name: str, seconds: float) -> None:
        self.timers[name] = self.timers.get(name, 0.0) + seconds

    def gauge(self, name: str, value: float) -> None:
        """Record ``value`` for gauge ``name``; merging keeps the maximum."""
        self.gauges[name] = max(self.gauges.get(name, value), value)

    def __add__(self, other: Stats) -> Stats:
        out = Stats(self.counts + other.counts, self.reasons + other.reasons, dict(self.timers), dict(self.gauges))
        for k, v in other.timers.items():
            out.timers[k] = out.timers.get(k, 0.0) + v
        for k, g in other.gauges.items():
            out.gauge(k, g)
        return out

    @classmethod
    def sum(cls, items: Iterable[Stats]) -> Stats:
        """Merge many stats (an empty iterable gives empty stats)."""
        total = cls()
        for s in items:
            total = total + s
        return total

    @property
    def balanced(self) -> bool:
        """Whether ``input == output + filtered + rejected`` (true for every finished task)."""
        return self[Stat.INPUT] == self[Stat.OUTPUT] + self[Stat.FILTERED] + self[Stat.REJECTED]

    def balance(self) -> dict[str, Any]:
        """The record balance a job summary opens with: input, output, filtered, rejected, balanced."""
        return {
            "input": self[Stat.INPUT],
            "output": self[Stat.OUTPUT],
            "filtered": self[Stat.FILTERED],
            "rejected": self[Stat.REJECTED],
            "balanced": self.balanced,
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict; every :class:`Stat` key is present, sorted reasons and timers."""
        return {
            "counts": {s.value: self[s] for s in Stat}
            | {k: v for k, v in self.counts.items() if k not in _STAT_VALUES},
            "reasons": dict(sorted((k, v) for k, v in self.reasons.items() if v)),
            "timers": {k: round(v, 4) for k, v in sorted(self.timers.items())},
            "gauges": {k: round(v, 4) for k, v in sorted(self.gauges.items())},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Stats:
        return cls(
            Counter({k: int(v) for k, v in d.get("counts", {}).items() if v}),
            Counter({k: int(v) for k, v in d.get("reasons", {}).items()}),
            {k: float(v) for k, v in d.get("timers", {}).items()},
            {k: float(v) for k, v in d.get("gauges", {}).items()},
        )
