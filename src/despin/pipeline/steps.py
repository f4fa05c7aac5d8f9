"""Steps that wrap the API verbs: DetectStep, RestoreStep, TraceStep and FilterStep.

A step holds *references* (:class:`ModelRef`, :class:`TableRef`, :class:`IndexRef`): a path
that pickles as a path and opens once per process on first use. So a pool of N workers loads
the model N times, not once per document or task, and a Ray actor opens the source index by
path from a shared filesystem instead of receiving a copy with every task.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from despin import api
from despin.errors import ConfigError, InputError, ModelError
from despin.pipeline.base import Document, Reject, Step
from despin.pipeline.stats import RejectReason, Stat
from despin.pipeline.writers import RejectWriter

if TYPE_CHECKING:
    from despin.lexicon import SynonymLexicon
    from despin.model.bundle import Model
    from despin.tracer import Index


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


@lru_cache(maxsize=8)
def _open_table(path: str) -> SynonymLexicon:
    return api.load_table(path)


@lru_cache(maxsize=4)
def _open_index(path: str) -> Index:
    from despin.tracer import Index

    # The driver of a scan ran the full check once; every worker trusts the pages and checks the header.
    return Index.open(path, verify="header")


class TableRef:
    """A learned spinner table by path, read once per process."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)

    def get(self) -> SynonymLexicon:
        return _open_table(self.path)

    def __deepcopy__(self, memo: dict[int, Any]) -> TableRef:
        return self


class IndexRef:
    """A source index by path, opened read-only once per process (worker or Ray actor)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)

    def get(self) -> Index:
        return _open_index(self.path)

    def __deepcopy__(self, memo: dict[int, Any]) -> IndexRef:
        return self


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


class DetectStep(_ModelStep):
    """Add ``despin = {spun_score, is_spun, spans}`` (``despin.api.detect(text, table=...).to_dict()``).

    Args:
        model: the bundle (a path, a :class:`ModelRef`, or a loaded model for one process).
        table: a learned spinner table path used on top of the bundle's lexicon, as in
            :class:`RestoreStep`: a scan detects with the same inputs it would restore with.
        threshold: the decision threshold; the bundle's calibrated default when None.
        rejects: where documents the model refuses go.
    """

    name = "detect"

    def __init__(
        self,
        model: ModelRef | Model | str | Path | None = None,
        *,
        table: TableRef | str | Path | None = None,
        threshold: float | None = None,
        rejects: RejectWriter | None = None,
    ) -> None:
        super().__init__(rejects=rejects)
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ConfigError(f"threshold must lie in [0, 1], got {threshold}")
        self.model, self.threshold = ModelRef.of(model), threshold
        self.table = table if isinstance(table, TableRef) or table is None else TableRef(table)

    def apply(self, doc: Document) -> Document:
        det = api.detect(
            doc.text,
            model=self.model.get(),
            table=self.table.get() if self.table is not None else None,
            threshold=self.threshold,
        )
        self.stats.inc(Stat.SCORED)
        if det.is_spun:
            self.stats.inc(Stat.FLAGGED)
        return doc.annotate(**det.to_dict())


class RestoreStep(_ModelStep):
    """Add detection plus ``restored`` and ``edits``; detection runs once, inside restore.

    Use it instead of DetectStep, not after it: ``despin.api.restore`` already returns the
    detection, so chaining both would score every document twice.

    Args:
        model: the bundle (a path, a :class:`ModelRef`, or a loaded model for one process).
        table: a learned spinner table path used on top of the bundle's lexicon.
        threshold: the decision threshold; the bundle's calibrated default when None.
        remove_footer: drop a spinner's source footer from the restored text.
        rejects: where documents the model refuses go.
    """

    name = "restore"

    def __init__(
        self,
        model: ModelRef | Model | str | Path | None = None,
        *,
        table: TableRef | str | Path | None = None,
        threshold: float | None = None,
        remove_footer: bool = True,
        rejects: RejectWriter | None = None,
    ) -> None:
        super().__init__(rejects=rejects)
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ConfigError(f"threshold must lie in [0, 1], got {threshold}")
        self.model = ModelRef.of(model)
        self.table = table if isinstance(table, TableRef) or table is None else TableRef(table)
        self.threshold, self.remove_footer = threshold, remove_footer

    def apply(self, doc: Document) -> Document:
        res = api.restore(
            doc.text,
            model=self.model.get(),
            table=self.table.get() if self.table is not None else None,
            remove_footer=self.remove_footer,
            threshold=self.threshold,
        )
        self.stats.inc(Stat.SCORED)
        self.stats.inc(Stat.EDITS, len(res.edits))
        if res.detection.is_spun:
            self.stats.inc(Stat.FLAGGED)
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
