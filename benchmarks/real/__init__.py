"""Real web pages for evaluation: machine-spun Indonesian pages and clean look-alikes from the same kinds of sites.

The set lives in ``benchmarks/real/pages.jsonl`` (one JSON object a line, sorted by ``id``); README.md in this
folder says how it was collected, the label rules and the split rule. It is for evaluation only: never train on
it and never tune a threshold on it alone.

The split is by site, so that the pages of one site never straddle dev and test: the first 8 hex digits of the
SHA-1 of the site, read as an integer, even -> ``dev``, odd -> ``test``.

Example:
    >>> split_of("kembangwisata.com")
    <Split.TEST: 'test'>
    >>> site_of("https://www.Example.co.id/a?b=1")
    'example.co.id'
    >>> spun = load_pages(label="spun")
    >>> all(page.label is Label.SPUN and page.evidence for page in spun)
    True
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

__all__ = [
    "PAGES_PATH",
    "SHARED_HASHES_PATH",
    "Confidence",
    "Label",
    "RealPage",
    "SpinType",
    "Split",
    "load_pages",
    "site_of",
    "split_of",
    "url_hashes",
]

PAGES_PATH = Path(__file__).with_name("pages.jsonl")
"""The page set shipped with the benchmarks."""
SHARED_HASHES_PATH = Path(__file__).with_name("shared_url_hashes.txt")
"""SHA-256 of each URL of ../shared/data/real (its pages are never reused here; the hashes let a checkout
without the shared data check that too, and carry none of its content)."""


class Label(StrEnum):
    """Whether a page was machine-spun or is human-written."""

    SPUN = "spun"
    CLEAN = "clean"


class Split(StrEnum):
    """Which evaluation split a page (by its site) belongs to."""

    DEV = "dev"
    TEST = "test"


class SpinType(StrEnum):
    """How a spun page was rewritten."""

    THESAURUS = "thesaurus"
    BACK_TRANSLATION = "back-translation"
    TRANSLATION_THESAURUS = "translation+thesaurus"


class Confidence(StrEnum):
    """How sure the label is."""

    HIGH = "high"
    MEDIUM = "medium"


@dataclass(frozen=True, slots=True)
class RealPage:
    """One page of the set.

    ``evidence`` is, for a spun page, the swaps a reader verified (``"observed -> original"``), and for a clean
    page one sentence on why it is clean and what could fool a detector. ``original_url``/``original_text`` name
    the page the spun text was made from, where it was found.
    """

    id: str
    label: Label
    split: Split
    url: str
    site: str
    text: str
    spin_type: SpinType | None
    evidence: tuple[str, ...] | str
    confidence: Confidence
    original_url: str | None
    original_text: str | None
    found_via: str


def site_of(url: str) -> str:
    """The site of a URL: its host in lower case, without a leading ``www.``."""
    host = (urlparse(url).hostname or "").lower()
    if not host:
        raise ValueError(f"no host in URL {url!r}")
    return host.removeprefix("www.")


def split_of(site: str) -> Split:
    """The split of every page of ``site``: SHA-1 of the site, first 8 hex digits as an int, even -> dev."""
    return Split.DEV if int(hashlib.sha1(site.encode("utf-8")).hexdigest()[:8], 16) % 2 == 0 else Split.TEST


def _optional_str(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string or null")
    return value


def _page(row: dict[str, Any]) -> RealPage:
    label = Label(row["label"])
    raw_evidence = row["evidence"]
    evidence: tuple[str, ...] | str
    if label is Label.SPUN:
        if not isinstance(raw_evidence, list) or not raw_evidence or not all(isinstance(e, str) for e in raw_evidence):
            raise ValueError("a spun page needs a non-empty list of evidence strings")
        evidence = tuple(raw_evidence)
        spin_type: SpinType | None = SpinType(row["spin_type"])
    else:
        if not isinstance(raw_evidence, str) or not raw_evidence.strip():
            raise ValueError("a clean page needs one evidence sentence")
        evidence = raw_evidence
        if row.get("spin_type") is not None:
            raise ValueError("a clean page has no spin_type")
        spin_type = None
    for key in ("id", "url", "site", "text", "found_via"):
        if not isinstance(row.get(key), str) or not row[key]:
            raise ValueError(f"{key} must be a non-empty string")
    return RealPage(
        id=row["id"],
        label=label,
        split=Split(row["split"]),
        url=row["url"],
        site=row["site"],
        text=row["text"],
        spin_type=spin_type,
        evidence=evidence,
        confidence=Confidence(row["confidence"]),
        original_url=_optional_str(row, "original_url"),
        original_text=_optional_str(row, "original_text"),
        found_via=row["found_via"],
    )


def load_pages(split: str | None = None, label: str | None = None, path: Path = PAGES_PATH) -> list[RealPage]:
    """The pages of ``path`` (by default the shipped set), optionally only one split and/or one label.

    Raises ``ValueError`` naming the line for a malformed record, and for an unknown ``split`` or ``label``.
    """
    wanted_split = Split(split) if split is not None else None
    wanted_label = Label(label) if label is not None else None
    pages: list[RealPage] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("a record must be a JSON object")
                page = _page(row)
            except (KeyError, ValueError, json.JSONDecodeError) as error:
                raise ValueError(f"{path}:{number}: {error}") from error
            if (wanted_split is None or page.split is wanted_split) and (
                wanted_label is None or page.label is wanted_label
            ):
                pages.append(page)
    return pages


def url_hashes(real_dir: Path) -> list[str]:
    """Sorted SHA-256 hex digests of the ``url`` of every record in ``real_dir/*.jsonl``."""
    urls: set[str] = set()
    for name in sorted(real_dir.glob("*.jsonl")):
        for line in name.read_text(encoding="utf-8").splitlines():
            if line.strip():
                urls.add(json.loads(line)["url"])
    return sorted(hashlib.sha256(u.encode("utf-8")).hexdigest() for u in urls)
