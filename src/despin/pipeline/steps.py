"""Steps that wrap the API verbs: DetectStep, RestoreStep, GroupTableStep, TraceStep and FilterStep.

A step holds *references* (:class:`ModelRef`, :class:`TableRef`, :class:`IndexRef`): a path
that pickles as a path and opens once per process on first use (a :class:`TableRef` may also hold a
:class:`~despin.tables.SpinnerTable`, which pickles as its rows). So a pool of N workers loads
the model N times, not once per document or task, and a Ray actor opens the source index by
path from a shared filesystem instead of receiving a copy with every task.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from despin import api
from despin.errors import ConfigError, InputError, ModelError
from despin.pipeline.base import Document, Reject, Step
from despin.pipeline.stats import RejectReason, Stat
from despin.pipeline.writers import RejectWriter

if TYPE_CHECKING:
    from despin.model.bundle import Model
    from despin.tables.table import SpinnerTable, TableLike
    from despin.tracer import Index
    from despin.types import Detection


def manifest_digest(manifest: dict[str, Any]) -> str:
    """A digest of a bundle's manifest, which lists the sha256 of every file of the bundle."""
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()


class ModelRef:
    """A model bundle by path (None: the packaged default), loaded once per process.

    Args:
        path: the bundle directory; None for the default bundle.
        model: an already loaded model, used in this process; workers reload it from ``path``.
        manifest: the :func:`manifest_digest` the loaded bundle must have: a bundle rebuilt
            while a job runs is a ModelError, never a job whose shards mix two models.
    """

    def __init__(
        self, path: str | Path | None = None, *, model: Model | None = None, manifest: str | None = None
    ) -> None:
        self.path = str(path) if path is not None else None
        self._model = model
        self.manifest = manifest
        self._checked = False

    @classmethod
    def of(cls, value: ModelRef | Model | str | Path | None) -> ModelRef:
        if isinstance(value, ModelRef):
            return value
        if value is None or isinstance(value, str | Path):
            return cls(value)
        return cls(getattr(value, "path", None), model=value)

    def get(self) -> Model:
        model = self._model if self._model is not None else api.load_model(self.path)
        if self.manifest is not None and not self._checked:
            if manifest_digest(model.manifest) != self.manifest:
                raise ModelError(
                    f"the model bundle at {model.path} changed after the job started "
                    f"(model version now {model.version}); rerun the job"
                )
            self._checked = True
        return model

    def __getstate__(self) -> dict[str, Any]:
        # Workers reload the bundle from its path; the loaded model itself never travels.
        if self.path is None and self._model is not None:
            raise ConfigError("an in-memory model without a path cannot be sent to worker processes")
        return {"path": self.path, "_model": None, "manifest": self.manifest, "_checked": False}

    def __deepcopy__(self, memo: dict[int, Any]) -> ModelRef:
        return self

    def __repr__(self) -> str:
        return f"ModelRef({self.path or ('<in-memory>' if self._model else '<default>')!r})"


@lru_cache(maxsize=4)
def _open_index(path: str) -> Index:
    from despin.tracer import Index

    # The driver of a scan ran the full check once; every worker trusts the pages and checks the header.
    return Index.open(path, verify="header")


class TableRef:
    """A spinner table: a path, read once per process while its file stays the same, or a table in memory.

    Args:
        table: the table file, a :class:`~despin.tables.SpinnerTable`, or any shape
            :func:`despin.tables.as_table` takes (converted here, once).
    """

    def __init__(self, table: TableLike) -> None:
        from despin.tables.table import as_table

        if table is None:
            raise ConfigError("a TableRef needs a table or a path, got None")
        self._source = os.fspath(table) if isinstance(table, str | os.PathLike) else as_table(table)

    @property
    def path(self) -> str | None:
        """The table's file, or None for a table held in memory."""
        return self._source if isinstance(self._source, str) else None

    @classmethod
    def of(cls, value: TableRef | TableLike) -> TableRef | None:
        """``value`` as a reference (None stays None)."""
        return value if isinstance(value, TableRef) or value is None else cls(value)

    def get(self) -> SpinnerTable:
        """The table (a path is read once per process while its file stays the same)."""
        from despin.tables.table import as_table

        return as_table(self._source)

    def __deepcopy__(self, memo: dict[int, Any]) -> TableRef:
        return self

    def __repr__(self) -> str:
        return f"TableRef({self._source!r})"


class IndexRef:
    """A source index by path, opened read-only once per process (worker or Ray actor)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)

    def get(self) -> Index:
        return _open_index(self.path)

    def __deepcopy__(self, memo: dict[int, Any]) -> IndexRef:
        return self


def _check_threshold(threshold: float | None) -> None:
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"threshold must lie in [0, 1], got {threshold}")


class _ModelStep(Step):
    """Runs a verb on every document; an InputError from the verb rejects that document."""

    def __init__(self, *, rejects: RejectWriter | None = None) -> None:
        super().__init__()
        self.rejects = rejects

    def run(self, data: Iterable[Document] | None, *, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        for doc in data or ():
            try:
                with self.stats.timer(self.name):
                    out = self.apply(doc)
            except InputError as exc:
                self.stats.reject(RejectReason.MODEL_INPUT_ERROR)
                if self.rejects is not None:
                    self.rejects.write(
                        Reject(
                            doc.shard,
                            doc.line,
                            RejectReason.MODEL_INPUT_ERROR,
                            str(exc),
                            doc.text,
                            doc.doc_id,
                        )
                    )
                continue
            yield out

    def apply(self, doc: Document) -> Document:
        raise NotImplementedError

    def count(self, detection: Detection, edits: Sized | None = None) -> None:
        """Count a scored document: ``scored``, ``flagged`` when it is judged spun, and its ``edits``."""
        self.stats.inc(Stat.SCORED)
        if edits is not None:
            self.stats.inc(Stat.EDITS, len(edits))
        if detection.is_spun:
            self.stats.inc(Stat.FLAGGED)


class DetectStep(_ModelStep):
    """Add ``despin = {spun_score, is_spun, spans}`` (``despin.api.detect(text, table=...).to_dict()``).

    Args:
        model: the bundle (a path, a :class:`ModelRef`, or a loaded model for one process).
        table: a learned spinner table used on top of the bundle's lexicon (a path, a
            :class:`~despin.tables.SpinnerTable` or a :class:`TableRef`), as in :class:`RestoreStep`:
            a scan detects with the same inputs it would restore with.
        threshold: the decision threshold; the bundle's calibrated default when None.
        rejects: where documents the model refuses go.
    """

    name = "detect"

    def __init__(
        self,
        model: ModelRef | Model | str | Path | None = None,
        *,
        table: TableRef | TableLike = None,
        threshold: float | None = None,
        rejects: RejectWriter | None = None,
    ) -> None:
        super().__init__(rejects=rejects)
        _check_threshold(threshold)
        self.model, self.threshold = ModelRef.of(model), threshold
        self.table = TableRef.of(table)

    def spinner_table(self) -> SpinnerTable | None:
        """The step's table, read once per process (None without one)."""
        return self.table.get() if self.table is not None else None

    def apply(self, doc: Document) -> Document:
        det = api.detect(doc.text, model=self.model.get(), table=self.spinner_table(), threshold=self.threshold)
        self.count(det)
        return doc.annotate(**det.to_dict())


class RestoreStep(DetectStep):
    """Add detection plus ``restored`` and ``edits``; detection runs once, inside restore.

    Use it instead of DetectStep, not after it: ``despin.api.restore`` already returns the
    detection, so chaining both would score every document twice.

    Args:
        model: the bundle (a path, a :class:`ModelRef`, or a loaded model for one process).
        table: a learned spinner table used on top of the bundle's lexicon (a path, a
            :class:`~despin.tables.SpinnerTable` or a :class:`TableRef`).
        threshold: the decision threshold; the bundle's calibrated default when None.
        remove_footer: drop a spinner's source footer from the restored text.
        rejects: where documents the model refuses go.
    """

    name = "restore"

    def __init__(
        self,
        model: ModelRef | Model | str | Path | None = None,
        *,
        remove_footer: bool = True,
        table: TableRef | TableLike = None,
        threshold: float | None = None,
        rejects: RejectWriter | None = None,
    ) -> None:
        super().__init__(model, table=table, threshold=threshold, rejects=rejects)
        self.remove_footer = remove_footer

    def apply(self, doc: Document) -> Document:
        table, model = self.spinner_table(), self.model.get()
        res = api.restore(
            doc.text, model=model, table=table, remove_footer=self.remove_footer, threshold=self.threshold
        )
        self.count(res.detection, res.edits)
        return doc.annotate(**res.detection.to_dict(), restored=res.text, edits=[e.to_dict() for e in res.edits])


class TraceStep(_ModelStep):
    """Add ``sources``: the index matches of ``despin.api.trace(text, index=...)``, best first.

    Args:
        index: the source index file (or an :class:`IndexRef`); each process opens it once.
        top: at most this many matches per document.
        rejects: where documents the tracer refuses go.
    """

    name = "trace"

    def __init__(self, index: IndexRef | str | Path, *, top: int = 5, rejects: RejectWriter | None = None) -> None:
        super().__init__(rejects=rejects)
        if top < 1:
            raise ConfigError(f"top must be >= 1, got {top}")
        self.index = index if isinstance(index, IndexRef) else IndexRef(index)
        self.top = top

    def apply(self, doc: Document) -> Document:
        matches = api.trace(doc.text, index=self.index.get(), top=self.top).to_dict()["matches"]
        self.stats.inc(Stat.TRACED)
        if matches:
            self.stats.inc(Stat.WITH_SOURCE)
        return doc.annotate(sources=matches)


class FilterStep(Step):
    """Keep documents by verdict and score; the rest count as ``filtered``.

    Args:
        keep: ``"spun"`` keeps documents with ``is_spun``, ``"clean"`` those without; None keeps both.
        min_score: keep only documents with ``spun_score >= min_score``.

    Raises:
        ConfigError: a document reached the filter without a detection (put DetectStep or RestoreStep first).
    """

    name = "filter"

    def __init__(self, *, keep: Literal["spun", "clean"] | None = None, min_score: float | None = None) -> None:
        super().__init__()
        if keep not in (None, "spun", "clean"):
            raise ConfigError(f"keep must be 'spun', 'clean' or None, got {keep!r}")
        if min_score is not None and not 0.0 <= min_score <= 1.0:
            raise ConfigError(f"min_score must lie in [0, 1], got {min_score}")
        self.keep, self.min_score = keep, min_score

    def accepts(self, despin: dict[str, Any]) -> bool:
        """Whether a document with these annotations passes the filter."""
        if "is_spun" not in despin:
            raise ConfigError("FilterStep needs a detection: put DetectStep or RestoreStep before it")
        if self.keep is not None and bool(despin["is_spun"]) != (self.keep == "spun"):
            return False
        return self.min_score is None or float(despin["spun_score"]) >= self.min_score

    def run(self, data: Iterable[Document] | None, *, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        for doc in data or ():
            if self.accepts(doc.despin):
                yield doc
            else:
                self.stats.inc(Stat.FILTERED)


class GroupKey:
    """How a grouped scan finds a record's group: a field's value, or the host of its URL.

    ``group_by="host"`` takes the host of the record's ``url_field`` (lower-cased, without port,
    user info or a leading ``www.``); any other ``group_by`` names a record field whose string (or
    integer) value is the key. A record without a usable value has no group (None).

    Example:
        >>> GroupKey("host").of({"url": "https://WWW.Farm.example:8080/a?b=1"})
        'farm.example'
        >>> GroupKey("site").of({"site": " kabar-kita "}), GroupKey("site").of({"url": "x"})
        ('kabar-kita', None)
    """

    HOST = "host"

    def __init__(self, group_by: str, *, url_field: str = "url") -> None:
        if not group_by:
            raise ConfigError("group_by must be 'host' or a non-empty field name")
        if not url_field:
            raise ConfigError("url_field must be a non-empty field name")
        self.group_by, self.url_field = group_by, url_field

    def of(self, record: dict[str, Any]) -> str | None:
        """The group key of ``record``, or None when it has none."""
        key: str | None = None
        if self.group_by == self.HOST:
            url = record.get(self.url_field)
            key = url_host(url) if isinstance(url, str) else None
        else:
            value = record.get(self.group_by)
            if isinstance(value, int) and not isinstance(value, bool):
                key = str(value)
            elif isinstance(value, str):
                key = value.strip() or None
        if key is not None and not key.isprintable():
            return None  # a lone surrogate or a control character is no site name, and cannot be a file's
        return key


def url_host(url: str) -> str | None:
    """The host of ``url`` (a scheme is optional), lower-cased and without ``www.``; None if it has none.

    Example:
        >>> url_host("http://www.Kabar.example/berita/1"), url_host("kabar.example/x"), url_host("/relative")
        ('kabar.example', 'kabar.example', None)
    """
    s = url.strip()
    if "://" not in s and not s.startswith("//"):
        s = "//" + s  # "kabar.example/x": urlsplit reads a host only after "//"
    try:
        host = urlsplit(s).hostname
    except ValueError:  # a malformed IPv6 literal
        return None
    host = (host or "").rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    return host or None


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """One group of ``groups.json``: its table file and digest (None: no entries) and its annotation."""

    table: str | None
    sha256: str | None
    annotation: dict[str, Any]


def read_pinned(path: str, sha256: str, *, what: str, job: str) -> bytes:
    """A file an earlier stage of a job wrote, refused when it changed since (its digest is not ``sha256``).

    Raises:
        ConfigError: the file cannot be read, or it changed; the message names ``what`` and the ``job`` to rerun.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ConfigError(f"{what} {path} changed after the {job} wrote it; rerun the {job}")
    return data


@lru_cache(maxsize=16)
def open_pinned_table(path: str, sha256: str, job: str) -> SpinnerTable:
    """A spinner table an earlier stage of ``job`` wrote (:func:`read_pinned`), read once per process.

    Keyed by digest too: a long-lived worker never reuses a table a later job rewrote at the same path.
    """
    from despin.tables.table import SpinnerTable

    return SpinnerTable.from_bytes(read_pinned(path, sha256, what="the table", job=job), source=path)


@lru_cache(maxsize=2)
def _open_groups(path: str, sha256: str) -> dict[str, GroupInfo]:
    data = read_pinned(path, sha256, what="the groups file", job="scan")
    root = Path(path).parent
    out: dict[str, GroupInfo] = {}
    for g in json.loads(data)["groups"]:
        table = str(root / g["table"]) if g["entries"] else None
        note = {"key": g["key"], "spun_score": g["spun_score"], "is_spun": g["is_spun"], "entries": g["entries"]}
        out[g["key"]] = GroupInfo(table, g["sha256"] if table else None, note)
    return out


class GroupsRef:
    """A grouped scan's ``groups.json`` (group key -> table and verdict) by path and digest, read once per process.

    Args:
        path: the ``groups.json`` file; the table paths in it are relative to its directory.
        sha256: the digest the file must have (it also covers every table, whose digests it lists).
    """

    def __init__(self, path: str | Path, sha256: str) -> None:
        self.path, self.sha256 = str(path), sha256

    def get(self) -> dict[str, GroupInfo]:
        return _open_groups(self.path, self.sha256)

    def table(self, info: GroupInfo) -> SpinnerTable | None:
        """A group's table, or None when the group has no entries."""
        if info.table is None or info.sha256 is None:
            return None
        return open_pinned_table(info.table, info.sha256, "scan")

    def __deepcopy__(self, memo: dict[int, Any]) -> GroupsRef:
        return self


class GroupTableStep(_ModelStep):
    """Detect (or restore) each document with its own group's learned table, and add ``group``.

    ``group`` is ``{key, spun_score, is_spun, entries}``: the verdict on the document's whole group
    (site), next to the page's own ``spun_score``; it is null for a document without a group key.
    The page is detected and restored as ``despin.restore(text, table=<its group's table>)`` does
    (a group without entries uses the model's lexicon alone). When the *group* is spun, the page
    is then also restored with the table alone (:class:`despin.tables.apply.TableApplier`, which
    touches nothing but the table's phrases), even if the page alone does not look spun: one page's
    evidence is weak, the site's is not.

    Args:
        model: the bundle (a path, a :class:`ModelRef`, or a loaded model for one process).
        groups: the ``groups.json`` a grouped scan's table stage wrote.
        key: how a record's group key is found.
        restore: also restore (adds ``restored`` and ``edits``, as :class:`RestoreStep`).
        threshold: the decision threshold; the bundle's calibrated default when None.
        remove_footer: with ``restore``, drop a spinner's source footer from the restored text.
        rejects: where documents the model refuses go.
    """

    name = "group_table"

    def __init__(
        self,
        model: ModelRef | Model | str | Path | None = None,
        *,
        groups: GroupsRef,
        key: GroupKey,
        restore: bool = False,
        threshold: float | None = None,
        remove_footer: bool = True,
        rejects: RejectWriter | None = None,
    ) -> None:
        super().__init__(rejects=rejects)
        _check_threshold(threshold)
        self.model = ModelRef.of(model)
        self.groups = groups
        self.key, self.restore, self.threshold, self.remove_footer = key, restore, threshold, remove_footer

    def apply(self, doc: Document) -> Document:
        k = self.key.of(doc.record)
        info = None
        if k is not None:
            info = self.groups.get().get(k)
            if info is None:
                raise ConfigError(f"group {k!r} is missing from {self.groups.path}; the input changed, rerun the scan")
        table = self.groups.table(info) if info is not None else None
        group = info.annotation if info is not None else None
        model = self.model.get()
        if not self.restore:
            det = api.detect(doc.text, model=model, table=table, threshold=self.threshold)
            self.count(det)
            return doc.annotate(**det.to_dict(), group=group)
        res = api.restore(
            doc.text, model=model, table=table, remove_footer=self.remove_footer, threshold=self.threshold
        )
        edits, restored = res.edits, res.text
        if table is not None and group is not None and group["is_spun"]:
            from despin.tables.apply import TableApplier, apply_edits, with_site_table

            edits = with_site_table(doc.text, res.edits, TableApplier(table.rows, model.lm))
            restored = apply_edits(doc.text, edits)
        self.count(res.detection, edits)
        return doc.annotate(
            **res.detection.to_dict(), restored=restored, edits=[e.to_dict() for e in edits], group=group
        )
