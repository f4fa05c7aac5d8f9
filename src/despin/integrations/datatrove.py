"""despin as datatrove pipeline steps: annotate documents, or filter spun ones out.

Example (needs ``pip install datatrove``)::

    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter
    from despin.integrations.datatrove import DespinAnnotator, DespinFilter

    LocalPipelineExecutor(
        pipeline=[
            JsonlReader("crawl/"),
            DespinAnnotator(restore=True),  # metadata["despin"] = {spun_score, is_spun, spans, ...}
            DespinFilter(keep="clean", exclusion_writer=JsonlWriter("spun/")),
            JsonlWriter("clean/"),
        ],
        tasks=8,
        logging_dir="logs/",
    ).run()

Importing this module imports datatrove; despin itself never imports it. Models, tables and
indexes travel as paths (:class:`~despin.pipeline.steps.ModelRef` and friends) and load once
per worker process, which is what datatrove's pickled pipelines need.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from despin import api
from despin.errors import ConfigError, InputError, MissingDependencyError
from despin.pipeline.steps import IndexRef, ModelRef, TableRef

if TYPE_CHECKING:
    from despin.tables.table import SpinnerTable

try:
    from datatrove.data import Document, DocumentsPipeline  # type: ignore[import-untyped,unused-ignore]
    from datatrove.pipeline.base import PipelineStep  # type: ignore[import-untyped,unused-ignore]
except ImportError:  # pragma: no cover - exercised only without datatrove
    raise MissingDependencyError("despin.integrations.datatrove needs datatrove: pip install datatrove") from None

METADATA_KEY = "despin"


def annotation(
    text: str,
    *,
    model: ModelRef,
    restore: bool = False,
    table: TableRef | None = None,
    index: IndexRef | None = None,
    threshold: float | None = None,
    top: int = 5,
) -> dict[str, Any]:
    """The ``despin`` annotation of one text: the same fields as ``despin scan`` writes."""
    spinner_table = table.get() if table is not None else None
    if restore:
        res = api.restore(text, model=model.get(), table=spinner_table, threshold=threshold)
        out = {**res.detection.to_dict(), "restored": res.text, "edits": [e.to_dict() for e in res.edits]}
    else:
        out = api.detect(text, model=model.get(), table=spinner_table, threshold=threshold).to_dict()
    if index is not None:
        out["sources"] = api.trace(text, index=index.get(), top=top).to_dict()["matches"]
    return out


class DespinAnnotator(PipelineStep):  # type: ignore[misc]
    """Add ``doc.metadata["despin"]``; a text despin refuses gets ``{"error": ...}`` and a stat.

    Args:
        model: a model bundle directory; the packaged default when None.
        restore: also add ``restored`` and ``edits`` (detection runs once, inside restore).
        table: a learned spinner table used on top of the lexicon: a path or a
            :class:`~despin.tables.SpinnerTable`.
        index: a source index file; adds ``sources``.
        threshold: the detection threshold; the bundle's calibrated default when None.
        top: the most sources per document.
        metadata_key: where the annotation goes in ``doc.metadata``.
    """

    name = "despin"
    type = "Annotator"

    def __init__(
        self,
        *,
        model: str | Path | None = None,
        restore: bool = False,
        table: SpinnerTable | str | Path | None = None,
        index: str | Path | None = None,
        threshold: float | None = None,
        top: int = 5,
        metadata_key: str = METADATA_KEY,
    ) -> None:
        super().__init__()
        if top < 1:
            raise ConfigError(f"top must be >= 1, got {top}")
        self.model = ModelRef(model)
        self.restore = restore
        self.table = TableRef.of(table)
        self.index = IndexRef(index) if index is not None else None
        self.threshold, self.top, self.metadata_key = threshold, top, metadata_key

    def annotate(self, doc: Document) -> bool:
        """Annotate ``doc`` in place (datatrove documents are mutable); False if despin refused it."""
        try:
            with self.track_time():
                ann = annotation(
                    doc.text,
                    model=self.model,
                    restore=self.restore,
                    table=self.table,
                    index=self.index,
                    threshold=self.threshold,
                    top=self.top,
                )
        except InputError as exc:
            doc.metadata[self.metadata_key] = {"error": str(exc)}
            self.stat_update("despin_rejected")
            return False
        doc.metadata[self.metadata_key] = ann
        self.stat_update("despin_scored")
        if ann["is_spun"]:
            self.stat_update("despin_flagged")
        return True

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        for doc in data or ():
            self.stat_update("documents")
            self.annotate(doc)
            yield doc


class DespinFilter(DespinAnnotator):
    """Keep only clean (or only spun) documents; the others go to ``exclusion_writer`` if given.

    Documents already annotated by :class:`DespinAnnotator` are not scored again. Dropped
    documents carry ``metadata["filter_reason"]`` (``"spun"``, ``"clean"``, ``"low_score"`` or
    ``"rejected"``), as datatrove's filters do.

    Args:
        keep: ``"clean"`` drops spun documents; ``"spun"`` keeps only them.
        min_score: with ``keep="spun"``, also require ``spun_score >= min_score``.
        exclusion_writer: a datatrove writer for the dropped documents.
        **kwargs: as :class:`DespinAnnotator`.
    """

    name = "despin_filter"
    type = "Filter"

    def __init__(
        self,
        *,
        keep: Literal["clean", "spun"] = "clean",
        min_score: float | None = None,
        exclusion_writer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if keep not in ("clean", "spun"):
            raise ConfigError(f"keep must be 'clean' or 'spun', got {keep!r}")
        self.keep, self.min_score, self.exclusion_writer = keep, min_score, exclusion_writer

    def reason(self, doc: Document) -> str | None:
        """Why ``doc`` is dropped, or None to keep it."""
        ann = doc.metadata.get(self.metadata_key)
        if (not isinstance(ann, dict) or "is_spun" not in ann) and not self.annotate(doc):
            return "rejected"
        ann = doc.metadata[self.metadata_key]
        if self.keep == "clean":
            return "spun" if ann["is_spun"] else None
        if not ann["is_spun"]:
            return "clean"
        if self.min_score is not None and ann["spun_score"] < self.min_score:
            return "low_score"
        return None

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        with self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext() as writer:
            for doc in data or ():
                self.stat_update("documents")
                why = self.reason(doc)
                if why is None:
                    self.stat_update("forwarded")
                    yield doc
                    continue
                self.stat_update("dropped", f"dropped_{why}")
                doc.metadata["filter_reason"] = why
                if writer is not None:
                    writer.write(doc, rank)
