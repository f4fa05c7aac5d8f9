"""The options of a dedup job, written once: the CLI, ``despin.dedup`` and the batch job use :class:`DedupOptions`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from despin.errors import ConfigError
from despin.textio import MAX_CHARS


class Relation(StrEnum):
    """How a copy relates to its source (the ``relation`` field of a record)."""

    SPUN = "spun"  # words and phrases substituted: a spinner's copy
    NEAR_DUPLICATE = "near_duplicate"  # copied with little or no change: a mirror, syndication


class Keep(StrEnum):
    """What ``--keep`` writes: everything, or only what a curator keeps."""

    ALL = "all"
    SOURCES = "sources"  # sources and unique pages; nothing judged a copy


@dataclass(frozen=True, slots=True)
class DedupOptions:
    """Everything that decides a dedup job's output bytes (not how it is executed).

    Record fields:
        text_field, id_field, url_field: where the text, the id and the URL (whose host is the site) are.
        date_field: a publication date; when given, the earlier page of a pair is the source.

    Retrieval (see :mod:`despin.duplicates.signature` and docs/dedup.md for the measurements):
        n_common: the most frequent words of the model's vocabulary left out of signatures.
        bands, rows: LSH bands of ``rows`` MinHash minima each (``bands * rows`` permutations).
        seed: picks the permutations.
        bucket_cap: a band bucket with more pages than this is skipped (boilerplate shared by many
            pages); it bounds the pairs a bucket emits, so retrieval stays linear.
        min_bands: least bands a candidate pair must share.
        max_candidates: most candidates per page, the most shared bands first.
        min_similarity: least MinHash estimate of the pair's rare-word Jaccard (over all
            ``bands * rows`` minima) before it is aligned: spun copies measured 0.36 and up, 99% of
            other band collisions under 0.24 (docs/dedup.md).
        bucket_tasks: tasks the band buckets are split among.

    Verification (the tracer's aligner, both ways):
        min_score: least trace score (``(2 * coverage + weighted match) / 3``) of the copy side.
        min_coverage: least share of the copy's words its source explains (a page quoting a few
            sentences of another is no copy).
        min_source_coverage: least share of the source's words the copy explains (independent
            reports of one event share names, not sentences).
        spun_min_substituted: a copy with at least this share of its words substituted is ``spun``,
            below it ``near_duplicate``.

    Sites:
        min_farm_copies: least spun copies that make a host a farm.
        min_farm_share: least share of the host's pages that are spun copies.
        threshold: the page detector's threshold for a farm's pages without a source (the bundle's
            calibrated default when None).

    Output:
        keep: ``"all"`` or ``"sources"`` (sources and unique pages only).
        model: the model bundle directory (None: the packaged default).
        max_chars: longer texts are rejected.
        identity: fingerprints of the model, filled by the job.
    """

    text_field: str = "text"
    id_field: str = "id"
    url_field: str = "url"
    date_field: str | None = None
    n_common: int = 1000
    bands: int = 64
    rows: int = 2
    seed: int = 1
    bucket_cap: int = 100
    min_bands: int = 1
    max_candidates: int = 8
    min_similarity: float = 0.2
    bucket_tasks: int = 8
    min_score: float = 0.45
    min_coverage: float = 0.6
    min_source_coverage: float = 0.5
    spun_min_substituted: float = 0.03
    min_farm_copies: int = 3
    min_farm_share: float = 0.1
    threshold: float | None = None
    keep: Keep = Keep.ALL
    model: str | None = None
    max_chars: int = MAX_CHARS
    identity: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("text_field", "id_field", "url_field"):
            if not getattr(self, name):
                raise ConfigError(f"{name} must be a non-empty field name")
        if self.date_field is not None and not self.date_field:
            raise ConfigError("date_field must be a non-empty field name or None")
        for name in ("bands", "rows", "bucket_cap", "min_bands", "max_candidates", "bucket_tasks", "min_farm_copies"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.bucket_cap < 2:
            raise ConfigError(f"bucket_cap must be >= 2, got {self.bucket_cap}")
        if self.n_common < 0:
            raise ConfigError(f"n_common must be >= 0, got {self.n_common}")
        if self.min_bands > self.bands:
            raise ConfigError(f"min_bands ({self.min_bands}) cannot exceed bands ({self.bands})")
        for name in (
            "min_score",
            "min_coverage",
            "min_source_coverage",
            "spun_min_substituted",
            "min_farm_share",
            "min_similarity",
        ):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"{name} must lie in [0, 1], got {v}")
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            raise ConfigError(f"threshold must lie in [0, 1], got {self.threshold}")
        if self.max_chars < 1:
            raise ConfigError(f"max_chars must be >= 1, got {self.max_chars}")
        object.__setattr__(self, "keep", Keep(self.keep))

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "keep": self.keep.value}

    def fingerprint(self, version: str = "") -> str:
        """A short digest of every field (and ``version``): a changed option never mixes with old outputs."""
        blob = json.dumps({"despin": version, **self.to_dict()}, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]
