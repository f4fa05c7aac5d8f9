"""``despin dedup``: find the spun copies inside a corpus, link each to its source, and judge whole sites.

Output layout under ``out_dir`` (as ``scan``'s, plus the site verdicts)::

    <shard name>              one output shard per input shard: same name, format, compression
    rejects/<shard-id>.jsonl  records that could not be processed
    stats/, completions/      the write stage's per-shard stats and markers
    hosts.jsonl               one line per host: pages, copies, spun_copies, sources, is_farm, table
    tables/<host>.tsv         each farm's table, learned from its spun copies
    dedup/                    the stages' files (see :mod:`despin.batch.dedup_stages`) and links.json
    job.json, stats.json      the options, and the job summary

Each output record is the input record plus ``despin = {cluster, copy_of, relation, score,
coverage, substitutions, spun_score, is_spun}``. Five jobs run on one executor: sign, buckets,
verify, link (:mod:`despin.batch.dedup_stages`) and write (:class:`DedupWriteJob`), each resumable.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import orjson

from despin import api
from despin._version import __version__
from despin.batch.dedup_stages import (
    BucketJob,
    DedupPaths,
    LinkJob,
    SignJob,
    VerifyJob,
    check_reserved,
)
from despin.batch.progress import ScanProgress
from despin.batch.scan import (
    _finished_tasks,
    _refuse_inputs_inside,
    _refuse_outputs_over_inputs,
    make_executor,
    model_identity,
)
from despin.batch.shards import ShardPipelineJob
from despin.duplicates.options import DedupOptions, Keep
from despin.errors import ConfigError
from despin.executor.base import Executor, TaskResult
from despin.files import write_atomic
from despin.pipeline.base import Document, Shard, Step
from despin.pipeline.readers import find_shards
from despin.pipeline.stats import Stat, Stats
from despin.pipeline.steps import GroupKey, ModelRef, _ModelStep, open_pinned_table, read_pinned
from despin.pipeline.writers import (
    JsonlWriter,
    ParquetWriter,
    RejectWriter,
    _pyarrow,
    arrow_struct,
    substitution_type,
)

if TYPE_CHECKING:
    from despin.model.bundle import Model

EMPTY_ANNOTATION: dict[str, Any] = {
    "cluster": None,
    "copy_of": None,
    "relation": None,
    "score": None,
    "coverage": None,
    "substitutions": [],
    "spun_score": None,
    "is_spun": False,
}


@lru_cache(maxsize=2)
def _links_summary(path: str, sha256: str) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads(read_pinned(path, sha256, what="the links summary", job="dedup"))
    return summary


class DedupStep(_ModelStep):
    """Add the ``despin`` dedup annotation of every record; score a farm's pages without a source.

    A page with a copy relation or a cluster gets what the link stage decided. A page of a farm
    host that is no copy is scored by the page detector with the farm's learned table
    (``despin.detect(text, table=...)``); any other page gets ``spun_score`` null and ``is_spun``
    false (dedup does not run the page detector on it).

    Args:
        model: the bundle the farm pages are scored with.
        links_file: the shard's file of the link stage.
        links_json: ``links.json`` and its digest (farm tables and their digests).
        options: the job's options (url field, threshold, keep).
        rejects: where documents the detector refuses go.
    """

    name = "dedup"

    def __init__(
        self,
        model: ModelRef,
        *,
        links_file: Path,
        links_json: tuple[str, str],
        options: DedupOptions,
        rejects: RejectWriter | None = None,
    ) -> None:
        super().__init__(rejects=rejects)
        self.model, self.links_file, self.links_json, self.options = model, links_file, links_json, options
        self._links: dict[int, dict[str, Any]] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_links": None}

    def _annotations(self) -> dict[int, dict[str, Any]]:
        if self._links is None:
            with gzip.open(self.links_file, "rb") as fh:
                self._links = {(r := orjson.loads(line)).pop("line"): r for line in fh}
        return self._links

    def run(self, data: Iterable[Document] | None, *, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        for doc in super().run(data, rank=rank, world_size=world_size):
            if self.options.keep == Keep.SOURCES and doc.despin.get("copy_of") is not None:
                self.stats.inc(Stat.FILTERED)
                continue
            yield doc

    def apply(self, doc: Document) -> Document:
        ann = {**EMPTY_ANNOTATION, **self._annotations().get(doc.line, {})}
        if ann["copy_of"] is None:
            summary = _links_summary(*self.links_json)
            host = GroupKey(GroupKey.HOST, url_field=self.options.url_field).of(doc.record)
            farm = summary["tables"].get(host) if host is not None else None
            if farm is not None:
                root = Path(self.links_json[0]).parent.parent
                table = open_pinned_table(str(root / farm["table"]), farm["sha256"], "dedup")
                cpu0 = time.process_time()
                det = api.detect(doc.text, model=self.model.get(), table=table, threshold=self.options.threshold)
                self.stats.add_time("farm_scoring_cpu", time.process_time() - cpu0)
                ann["spun_score"], ann["is_spun"] = det.to_dict()["spun_score"], det.is_spun
                self.count(det)
        elif ann["is_spun"]:
            self.stats.inc(Stat.FLAGGED)
        return doc.annotate(**ann)


def dedup_type() -> Any:
    """The Arrow struct of the ``despin`` column of a dedup output (the JSONL output's fields)."""
    pa = _pyarrow()
    f, s = pa.float64(), pa.string()
    subs = pa.list_(substitution_type())
    return arrow_struct(
        cluster=s, copy_of=s, relation=s, score=f, coverage=f, substitutions=subs, spun_score=f, is_spun=pa.bool_()
    )


class DedupParquetWriter(ParquetWriter):
    """:class:`ParquetWriter` whose ``despin`` struct holds the dedup fields."""

    name = "dedup_parquet_writer"

    def despin_type(self) -> Any:
        return dedup_type()


class DedupWriteJob(ShardPipelineJob):
    """Stage 5: one task per input shard writes its annotated output shard and its rejects."""

    def __init__(
        self, shards: Sequence[Shard], out_dir: Path, options: DedupOptions, model: ModelRef, links_sha256: str
    ) -> None:
        super().__init__(shards)
        self._out_dir, self.options, self.model, self.links_sha256 = out_dir, options, model, links_sha256
        self.paths = DedupPaths(out_dir)

    @property
    def out_dir(self) -> Path:
        return self._out_dir

    def task_signature(self, task_id: str) -> dict[str, Any]:
        return {**self.shard_signature(task_id, self.options.fingerprint()), "links": self.links_sha256}

    def steps(self, shard: Shard, rejects: RejectWriter) -> list[Step]:
        o = self.options
        writer: Step = DedupParquetWriter(self.out_dir) if shard.fmt == "parquet" else JsonlWriter(self.out_dir)
        return [
            self.reader(shard, o, rejects),
            DedupStep(
                self.model,
                links_file=self.paths.links_file(shard.id),
                links_json=(str(self.paths.links_json), self.links_sha256),
                options=o,
                rejects=rejects,
            ),
            writer,
        ]


STAGES = ("sign", "buckets", "verify", "link", "write")


@dataclass(frozen=True)
class DedupStats:
    """What :func:`dedup` did: the write stage's counts, the link summary, and each stage's CPU time."""

    total: Stats
    shards: dict[str, Stats]
    skipped: tuple[str, ...]
    links: dict[str, Any]
    stage_cpu: dict[str, float]
    stage_peak_rss_mb: dict[str, float]
    pairs: dict[str, int]  # band pairs emitted, candidates merged, pairs aligned, copy pairs
    wall_seconds: float
    out_dir: Path
    executor: str
    workers: int | None

    def __getitem__(self, key: Stat) -> int:
        return self.total[key]

    @property
    def cpu_seconds(self) -> float:
        return sum(self.stage_cpu.values())

    def to_dict(self) -> dict[str, Any]:
        t = self.total
        pages = t[Stat.INPUT] - t[Stat.REJECTED]
        return {
            **t.balance(),
            "copies": self.links.get("copies", 0),
            "spun_copies": self.links.get("spun_copies", 0),
            "near_duplicates": self.links.get("near_duplicates", 0),
            "clusters": self.links.get("clusters", 0),
            "hosts": self.links.get("hosts", 0),
            "farms": self.links.get("farms", []),
            "farm_pages_scored": t[Stat.SCORED],
            "farm_scoring_cpu_seconds": round(t.timers.get("farm_scoring_cpu", 0.0), 3),
            "flagged": t[Stat.FLAGGED],
            "reject_reasons": t.to_dict()["reasons"],
            "n_shards": len(self.shards),
            "n_shards_skipped": len(self.skipped),
            "wall_seconds": round(self.wall_seconds, 3),
            "pairs": self.pairs,
            "cpu_seconds": {k: round(v, 3) for k, v in self.stage_cpu.items()},
            "cpu_seconds_per_page": round(self.cpu_seconds / pages, 6) if pages else None,
            "peak_rss_mb": {k: round(v, 1) for k, v in self.stage_peak_rss_mb.items()},
            "executor": self.executor,
            "workers": self.workers,
            "total": t.to_dict(),
            "shards": {k: s.to_dict() for k, s in self.shards.items()},
        }

    def summary(self) -> str:
        t, lk = self.total, self.links
        n = len(self.shards)
        lines = [
            f"deduplicated {n} shard{'' if n == 1 else 's'} ({len(self.skipped)} already done) into {self.out_dir}",
            f"  input {t[Stat.INPUT]:,} = output {t[Stat.OUTPUT]:,} + filtered {t[Stat.FILTERED]:,}"
            f" + rejected {t[Stat.REJECTED]:,}",
            f"  copies: {lk.get('copies', 0):,} ({lk.get('spun_copies', 0):,} spun, {lk.get('near_duplicates', 0):,}"
            f" near duplicates) in {lk.get('clusters', 0):,} clusters",
            f"  hosts: {lk.get('hosts', 0):,}, farms: {len(lk.get('farms', [])):,} ({self.out_dir / 'hosts.jsonl'});"
            f" farm pages without a source flagged: {t[Stat.FLAGGED] - lk.get('spun_copies', 0):,}"
            f" of {t[Stat.SCORED]:,}",
            f"  {self.wall_seconds:.1f}s wall, {self.cpu_seconds:.1f}s CPU ({self.executor} executor)",
        ]
        if t.reasons:
            reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(t.reasons.items()))
            lines.append(f"  rejects ({reasons}): {self.out_dir / 'rejects'}")
        return "\n".join(lines)


def _check_job_file(out_dir: Path, options: DedupOptions) -> None:
    path = out_dir / "job.json"
    mine = {
        "despin": __version__,
        "command": "dedup",
        "fingerprint": options.fingerprint(),
        "options": options.to_dict(),
    }
    if path.is_file():
        try:
            theirs = json.loads(path.read_bytes())
        except ValueError:
            theirs = {}
        if theirs.get("fingerprint") == mine["fingerprint"]:
            return
        stages = [out_dir / "dedup" / s for s in STAGES[:-1]]
        started = [s for s in stages if (s / "completions").is_dir() and any((s / "completions").iterdir())]
        if _finished_tasks(out_dir) or started:
            old, new = theirs.get("options", {}), options.to_dict()
            diff = sorted(k for k in new if old.get(k) != new[k])
            raise ConfigError(
                f"{out_dir} holds a job made with other options (differs in: {', '.join(diff) or 'version'}); "
                "use another output directory, or delete this one to start over"
            )
    write_atomic(path, json.dumps(mine, sort_keys=True, indent=1).encode() + b"\n")


def _run(runner: Executor, job: Any, label: str, progress: bool | None, unit: str = "shards") -> list[TaskResult]:
    total = sum(job.task_size(t) for t in job.task_ids())
    with ScanProgress(total, len(job.task_ids()), enabled=progress, label=label, unit=unit) as reporter:
        results: list[TaskResult] = runner.run(job, reporter=reporter)
    return results


def dedup(
    inputs: str | Path | Iterable[str | Path],
    out_dir: str | Path,
    *,
    options: DedupOptions | None = None,
    model: Model | str | Path | None = None,
    workers: int | None = None,
    executor: Literal["local", "ray"] | Executor = "local",
    ray_address: str | None = None,
    progress: bool | None = None,
) -> DedupStats:
    """Find the copies inside a corpus of shards, link each to its source, and judge every host.

    Args:
        inputs: shard files (.jsonl, .jsonl.gz, .parquet) and directories of them.
        out_dir: the output directory (created if needed).
        options: what decides the output (:class:`DedupOptions`); its ``model`` and ``identity``
            are filled from ``model``.
        model: a model bundle directory or a loaded model; the packaged default when None.
        workers: parallel workers (local processes or Ray actors); None: 1 locally, all CPUs on Ray.
        executor: ``"local"``, ``"ray"`` or an :class:`~despin.executor.base.Executor`.
        ray_address: the Ray cluster to join (executor ``"ray"`` only).
        progress: draw progress bars on stderr; None draws them only when stderr is a terminal.

    Returns:
        The job's :class:`DedupStats`, also written to ``out_dir/stats.json``.

    Raises:
        InputError: an input does not exist.
        ConfigError: bad option values, or ``out_dir`` holds a job made with other options.
    """
    t0 = time.perf_counter()
    o = options or DedupOptions()
    if workers is not None and workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    out = Path(out_dir).resolve()
    shards = find_shards([inputs] if isinstance(inputs, str | Path) else inputs, exclude=out)
    _refuse_inputs_inside(out, shards)
    _refuse_outputs_over_inputs(out, shards)
    check_reserved(shards)
    runner = make_executor(executor, workers=workers, ray_address=ray_address)
    loaded = model if model is not None and not isinstance(model, str | Path) else None
    model_s = (
        str(Path(model).resolve())
        if isinstance(model, str | Path)
        else (str(loaded.path) if loaded is not None and loaded.path is not None else None)
    )
    identity = {"model": model_identity(loaded or model_s)}
    from dataclasses import replace

    o = replace(o, model=model_s, identity=identity)
    out.mkdir(parents=True, exist_ok=True)
    _check_job_file(out, o)
    ref = ModelRef(o.model, model=loaded, manifest=identity["model"]["manifest"])
    sign = SignJob(shards, out, o, ref)
    buckets = BucketJob(sign)
    verify = VerifyJob(buckets)
    link = LinkJob(verify, sign)
    per_stage: dict[str, list[TaskResult]] = {}
    per_stage["sign"] = _run(runner, sign, "sign", progress)
    per_stage["buckets"] = _run(runner, buckets, "buckets", progress, unit="buckets")
    per_stage["verify"] = _run(runner, verify, "verify", progress)
    per_stage["link"] = _run(runner, link, "link", progress, unit="tasks")
    links_blob = DedupPaths(out).links_json.read_bytes()
    write = DedupWriteJob(shards, out, o, ref, hashlib.sha256(links_blob).hexdigest())
    per_stage["write"] = _run(runner, write, "write", progress)
    results = per_stage["write"]
    per_shard = {r.task_id: r.stats for r in results}
    stats = DedupStats(
        total=Stats.sum(per_shard.values()),
        shards=per_shard,
        skipped=tuple(r.task_id for r in results if r.skipped),
        links=json.loads(links_blob),
        stage_cpu={k: sum(r.stats.timers.get("task_cpu", 0.0) for r in v) for k, v in per_stage.items()},
        pairs={
            key: sum(r.stats.counts.get(name, 0) for stage in ("buckets", "verify") for r in per_stage[stage])
            for key, name in (
                ("emitted", "band_pairs"),
                ("candidates", "candidate_pairs"),
                ("aligned", "verified_pairs"),
                ("copies", "copy_pairs"),
            )
        },
        stage_peak_rss_mb={
            k: max((r.stats.gauges.get("peak_rss_mb", 0.0) for r in v), default=0.0) for k, v in per_stage.items()
        },
        wall_seconds=time.perf_counter() - t0,
        out_dir=out,
        executor=runner.name,
        workers=getattr(runner, "workers", None),
    )
    write_atomic(out / "stats.json", json.dumps(stats.to_dict(), indent=1, ensure_ascii=False).encode() + b"\n")
    return stats
