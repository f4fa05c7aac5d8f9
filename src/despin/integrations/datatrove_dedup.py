"""``despin dedup`` as datatrove pipeline stages, the shape of datatrove's own MinHash deduplication.

Near-duplicate removal in datatrove runs as separate stages (signatures, buckets, clusters, filter),
each its own ``LocalPipelineExecutor`` (or Slurm) run over shared files. despin's dedup keeps
that shape:

1. :class:`DespinDedupSignature` (any number of tasks): writes each task's documents as a shard
   of ``{id, text, url, date}`` under ``<folder>/input/``;
2. :class:`DespinDedupCluster` (one task): runs :func:`despin.dedup` on those shards into
   ``<folder>/output/`` (its own stages run on ``workers`` local processes or on Ray);
3. :class:`DespinDedupFilter` (any number of tasks, reading the same documents again): puts each
   document's annotation in ``doc.metadata["despin"]`` and, with ``keep="sources"``, drops the
   copies (``metadata["filter_reason"] = "spun_copy"`` or ``"near_duplicate"``) into
   ``exclusion_writer``.

Example (needs ``pip install datatrove``)::

    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter
    from despin.integrations.datatrove_dedup import DespinDedupCluster, DespinDedupFilter, DespinDedupSignature

    LocalPipelineExecutor([JsonlReader("crawl/"), DespinDedupSignature("dd/")], tasks=8).run()
    LocalPipelineExecutor([DespinDedupCluster("dd/", workers=8)], tasks=1).run()
    copies = JsonlWriter("copies/")
    LocalPipelineExecutor(
        [JsonlReader("crawl/"), DespinDedupFilter("dd/", exclusion_writer=copies), JsonlWriter("kept/")], tasks=8
    ).run()

Documents need ids (datatrove readers give ``<file>/<line>`` when a record has none). Importing this
module imports datatrove; despin itself never imports it.
"""

from __future__ import annotations

import contextlib
import gzip
import json
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import orjson

from despin.batch.dedup import EMPTY_ANNOTATION
from despin.duplicates.options import DedupOptions
from despin.errors import ConfigError, MissingDependencyError
from despin.pipeline.writers import _LineFile

try:
    from datatrove.data import Document, DocumentsPipeline  # type: ignore[import-untyped,unused-ignore]
    from datatrove.pipeline.base import PipelineStep  # type: ignore[import-untyped,unused-ignore]
except ImportError:  # pragma: no cover - exercised only without datatrove
    raise MissingDependencyError("despin.integrations.datatrove_dedup needs datatrove: pip install datatrove") from None

METADATA_KEY = "despin"


class DespinDedupSignature(PipelineStep):  # type: ignore[misc]
    """Stage 1: write this task's documents to ``<folder>/input/<rank>.jsonl.gz`` (it yields nothing).

    Args:
        folder: the dedup's working folder, shared by the three stages.
        url_key: the metadata key holding the page URL (its host is the site).
        date_key: a metadata key holding the publication date, or None.
    """

    name = "despin_dedup_signature"
    type = "Dedup"

    def __init__(self, folder: str | Path, *, url_key: str = "url", date_key: str | None = None) -> None:
        super().__init__()
        self.folder, self.url_key, self.date_key = Path(folder), url_key, date_key

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        out = _LineFile(self.folder / "input" / f"{rank:05d}.jsonl.gz", gz=True)
        try:
            for doc in data or ():
                self.stat_update("documents")
                rec: dict[str, Any] = {"id": str(doc.id), "text": doc.text, "url": doc.metadata.get(self.url_key)}
                if self.date_key is not None:
                    rec["date"] = doc.metadata.get(self.date_key)
                out.write(orjson.dumps(rec))
        except BaseException:
            out.abort()
            raise
        out.commit()
        yield from ()


class DespinDedupCluster(PipelineStep):  # type: ignore[misc]
    """Stage 2 (run with ``tasks=1``): :func:`despin.dedup` over the signature stage's shards.

    Args:
        folder: the working folder of :class:`DespinDedupSignature`.
        options: the dedup's options; ``date_field`` is set to ``"date"`` when the signature stage
            had a ``date_key``.
        model: a model bundle directory (the packaged default when None).
        workers: local worker processes of the dedup's own stages.
        executor: ``"local"`` or ``"ray"``.
    """

    name = "despin_dedup_cluster"
    type = "Dedup"

    def __init__(
        self,
        folder: str | Path,
        *,
        options: DedupOptions | None = None,
        model: str | Path | None = None,
        workers: int = 1,
        executor: Literal["local", "ray"] = "local",
    ) -> None:
        super().__init__()
        self.folder, self.options, self.model = Path(folder), options or DedupOptions(), model
        self.workers, self.executor = workers, executor

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        if world_size != 1:
            raise ConfigError("DespinDedupCluster runs as one task: use tasks=1 for its stage")
        from despin.api import dedup

        stats = dedup(
            self.folder / "input",
            self.folder / "output",
            options=self.options,
            model=self.model,
            workers=self.workers,
            executor=self.executor,
            progress=False,
        )
        for key in ("copies", "spun_copies", "near_duplicates", "clusters"):
            self.stat_update(key, value=int(stats.links.get(key, 0)))
        yield from data or ()


class DespinDedupFilter(PipelineStep):  # type: ignore[misc]
    """Stage 3: annotate every document with its dedup verdict; with ``keep="sources"`` drop the copies.

    Args:
        folder: the working folder (the cluster stage wrote ``output/`` there).
        keep: ``"sources"`` drops documents judged a copy; ``"all"`` only annotates.
        exclusion_writer: a datatrove writer for the dropped documents.
        metadata_key: where the annotation goes in ``doc.metadata``.
    """

    name = "despin_dedup_filter"
    type = "Filter"

    def __init__(
        self,
        folder: str | Path,
        *,
        keep: Literal["sources", "all"] = "sources",
        exclusion_writer: Any = None,
        metadata_key: str = METADATA_KEY,
    ) -> None:
        super().__init__()
        if keep not in ("sources", "all"):
            raise ConfigError(f"keep must be 'sources' or 'all', got {keep!r}")
        self.folder, self.keep, self.exclusion_writer, self.metadata_key = (
            Path(folder),
            keep,
            exclusion_writer,
            metadata_key,
        )

    @cached_property
    def annotations(self) -> dict[str, dict[str, Any]]:
        """Document id -> its ``despin`` annotation, read once per task from the dedup's output shards.

        Only pages with a verdict (in a cluster, or scored as a farm's page) are held; every other
        document gets :data:`despin.batch.dedup.EMPTY_ANNOTATION`.
        """
        out: dict[str, dict[str, Any]] = {}
        shards = sorted((self.folder / "output").glob("*.jsonl.gz"))
        if not shards:
            raise ConfigError(f"no dedup output under {self.folder / 'output'}: run DespinDedupCluster first")
        for path in shards:
            with gzip.open(path, "rb") as fh:
                for line in fh:
                    rec = json.loads(line)
                    ann = rec["despin"]
                    if ann["cluster"] is not None or ann["spun_score"] is not None:
                        out[str(rec["id"])] = ann
        return out

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        with self.exclusion_writer if self.exclusion_writer else contextlib.nullcontext() as writer:
            for doc in data or ():
                self.stat_update("documents")
                ann = self.annotations.get(str(doc.id), EMPTY_ANNOTATION)
                doc.metadata[self.metadata_key] = dict(ann)
                if self.keep == "sources" and ann["copy_of"] is not None:
                    why = "spun_copy" if ann["relation"] == "spun" else "near_duplicate"
                    self.stat_update("dropped", f"dropped_{why}")
                    doc.metadata["filter_reason"] = why
                    if writer is not None:
                        writer.write(doc, rank)
                    continue
                self.stat_update("forwarded")
                yield doc
