"""``scan``: run detect (and restore, trace, filter) over a corpus of shards, resumably.

Output layout under ``out_dir``::

    <shard name>               one output shard per input shard: same relative name, format, compression
    rejects/<shard-id>.jsonl   records that could not be processed, with line/row, reason and raw input
    stats/<shard-id>.json      per-shard counters and timers
    groups/, tables/, groups.json   with ``group_by``: the grouped pages, learned tables and verdicts
                               (see :mod:`despin.batch.groups`)
    completions/<shard-id>     marker: the shard is done (holds the input's size/mtime and options)
    job.json                   the options of the job; a rerun with other options is refused
    stats.json                 the job summary (counts, per shard, share flagged, time, docs/s)
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from despin._version import __version__
from despin.batch.groups import GroupParquetWriter, learn_groups
from despin.batch.options import ScanOptions
from despin.batch.progress import ScanProgress
from despin.batch.remote import PublishingReporter, RemoteOutput
from despin.batch.shards import ShardPipelineJob
from despin.errors import ConfigError, InputError
from despin.executor.base import Executor, Reporter, TaskResult
from despin.files import write_atomic
from despin.pipeline.base import Shard, Step
from despin.pipeline.fs import is_remote, join, local_path
from despin.pipeline.readers import find_shards
from despin.pipeline.stats import Stat, Stats
from despin.pipeline.steps import (
    DetectStep,
    FilterStep,
    GroupKey,
    GroupsRef,
    GroupTableStep,
    IndexRef,
    ModelRef,
    RestoreStep,
    TraceStep,
    manifest_digest,
)
from despin.pipeline.writers import JsonlWriter, ParquetWriter, RejectWriter

if TYPE_CHECKING:
    from despin.model.bundle import Model


class ScanJob(ShardPipelineJob):
    """One task per input shard; the task id is the shard id. See :func:`scan`."""

    def __init__(
        self,
        shards: Sequence[Shard],
        out_dir: str | Path,
        options: ScanOptions,
        *,
        model: Model | ModelRef | None = None,
        groups_sha256: str | None = None,
    ) -> None:
        super().__init__(shards)
        self._out_dir = Path(out_dir)
        self.options = options
        manifest = options.identity.get("model", {}).get("manifest")
        self.model = model if isinstance(model, ModelRef) else ModelRef(options.model, model=model, manifest=manifest)
        if (options.group_by is None) != (groups_sha256 is None):
            raise ConfigError("a grouped scan needs the digest of its groups.json (and only a grouped scan)")
        self.groups_sha256 = groups_sha256

    @property
    def out_dir(self) -> Path:
        return self._out_dir

    def task_signature(self, task_id: str) -> dict[str, Any]:
        sig = self.shard_signature(task_id, self.options.fingerprint())
        if self.groups_sha256 is not None:  # new tables redo every shard
            sig["groups"] = self.groups_sha256
        return sig

    def steps(self, shard: Shard, rejects: RejectWriter) -> list[Step]:
        """The pipeline of one shard: reader, detect or restore, filter, trace, writer."""
        o = self.options
        steps: list[Step] = [self.reader(shard, o, rejects)]
        if o.group_by is not None:
            assert self.groups_sha256 is not None
            steps.append(
                GroupTableStep(
                    self.model,
                    groups=GroupsRef(self.out_dir / "groups.json", self.groups_sha256),
                    key=GroupKey(o.group_by, url_field=o.url_field),
                    restore=o.restore,
                    threshold=o.threshold,
                    rejects=rejects,
                )
            )
        elif o.restore:
            steps.append(RestoreStep(self.model, table=o.table, threshold=o.threshold, rejects=rejects))
        else:
            steps.append(DetectStep(self.model, table=o.table, threshold=o.threshold, rejects=rejects))
        if o.keep is not None or o.min_score is not None:
            steps.append(FilterStep(keep=o.keep, min_score=o.min_score))
        if o.index is not None:
            steps.append(TraceStep(IndexRef(o.index), top=o.top, rejects=rejects))
        out = self.out_dir
        if shard.fmt == "parquet":
            writer = GroupParquetWriter if o.group_by is not None else ParquetWriter
            steps.append(writer(out, restored=o.restore, sources=o.index is not None))
        else:
            steps.append(JsonlWriter(out))
        return steps

    def outputs(self, task_id: str) -> tuple[list[str], str]:
        """The output shard and the rejects file of a task, relative to ``out_dir`` (what is published)."""
        shard = self._by_id[task_id]
        writer = ParquetWriter(self.out_dir) if shard.fmt == "parquet" else JsonlWriter(self.out_dir)
        output = writer.path_for(shard).relative_to(self.out_dir).as_posix()
        rejects = RejectWriter(self.out_dir / "rejects").path_for(shard).relative_to(self.out_dir).as_posix()
        return [output], rejects


@dataclass(frozen=True)
class ScanStats:
    """What :func:`scan` did: the total, per-shard stats, and timing of this run."""

    total: Stats
    shards: dict[str, Stats]
    skipped: tuple[str, ...]
    wall_seconds: float
    out_dir: Path | str  # a local directory, or the fsspec URL the scan wrote to
    executor: str
    workers: int | None
    groups: dict[str, Any] | None = None  # a grouped scan's summary (see groups.json)
    # Shards an earlier run in this directory finished that are not among this run's inputs: their
    # outputs stay in the directory, and are not in these counts.
    other_shards: tuple[str, ...] = ()

    def __getitem__(self, key: Stat) -> int:
        return self.total[key]

    @property
    def docs_this_run(self) -> int:
        return sum(s[Stat.INPUT] for k, s in self.shards.items() if k not in self.skipped)

    @property
    def docs_per_second(self) -> float:
        return self.docs_this_run / self.wall_seconds if self.wall_seconds > 0 else 0.0

    @property
    def share_flagged(self) -> float:
        scored = self.total[Stat.SCORED]
        return self.total[Stat.FLAGGED] / scored if scored else 0.0

    def to_dict(self) -> dict[str, Any]:
        t = self.total
        return {
            **t.balance(),
            "scored": t[Stat.SCORED],
            "flagged": t[Stat.FLAGGED],
            "share_flagged": round(self.share_flagged, 4),
            "reject_reasons": t.to_dict()["reasons"],
            "n_shards": len(self.shards),
            "n_shards_skipped": len(self.skipped),
            "wall_seconds": round(self.wall_seconds, 3),
            "docs_this_run": self.docs_this_run,
            "docs_per_second": round(self.docs_per_second, 2),
            "task_seconds": round(t.timers.get("task", 0.0), 3),
            "executor": self.executor,
            "workers": self.workers,
            "other_shards": list(self.other_shards),
            **({"groups": self.groups} if self.groups is not None else {}),
            "total": t.to_dict(),
            "shards": {
                k: {
                    "input": s[Stat.INPUT],
                    "output": s[Stat.OUTPUT],
                    "filtered": s[Stat.FILTERED],
                    "rejected": s[Stat.REJECTED],
                    "flagged": s[Stat.FLAGGED],
                    **s.to_dict(),
                }
                for k, s in self.shards.items()
            },
        }

    def summary(self) -> str:
        """A few human-readable lines for the end of ``despin scan``."""
        t = self.total
        lines = [
            f"scanned {len(self.shards)} shard{'' if len(self.shards) == 1 else 's'} "
            f"({len(self.skipped)} already done) into {self.out_dir}",
            f"  input {t[Stat.INPUT]:,} = output {t[Stat.OUTPUT]:,} + filtered {t[Stat.FILTERED]:,}"
            f" + rejected {t[Stat.REJECTED]:,}",
            f"  flagged as spun: {t[Stat.FLAGGED]:,} of {t[Stat.SCORED]:,} scored ({self.share_flagged:.1%})",
            f"  {self.docs_this_run:,} docs in {self.wall_seconds:.1f}s ({self.docs_per_second:,.1f} docs/s,"
            f" {self.executor} executor)",
        ]
        if self.groups is not None:
            g = self.groups
            lines.append(
                f"  groups by {g['group_by']}: {g['n_groups']:,} ({g['spun']:,} spun, {g['with_entries']:,} with"
                f" a table, {g['too_small']:,} under {g['min_group_pages']} pages); {g['ungrouped_records']:,}"
                f" records without a group: {join(str(self.out_dir), 'groups.json')}"
            )
        if t.reasons:
            reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(t.reasons.items()))
            lines.append(f"  rejects ({reasons}): {join(str(self.out_dir), 'rejects')}")
        if self.other_shards:
            n = len(self.other_shards)
            lines.append(
                f"  note: {n:,} shard{'' if n == 1 else 's'} an earlier run finished here "
                f"{'is' if n == 1 else 'are'} not among these inputs; {'its' if n == 1 else 'their'} outputs "
                f"stay in {self.out_dir} and are not counted above: {', '.join(self.other_shards[:5])}"
                + (" ..." if n > 5 else "")
            )
        return "\n".join(lines)


def model_identity(model: Model | str | Path | None) -> dict[str, Any]:
    """The model a job runs with, checked to exist and fingerprinted: ``{"version", "manifest"}``.

    The bundle is opened without its checksums (workers check the manifest's digest against this one).
    """
    from despin.model.bundle import DEFAULT_PATH, Model

    if model is not None and not isinstance(model, str | Path):
        loaded = model
    elif model is None:
        loaded = (
            Model.default()
            if not (DEFAULT_PATH / "manifest.json").is_file()
            else Model.load(DEFAULT_PATH, verify=False)
        )
    else:
        loaded = Model.load(Path(model), verify=False)
    return {"version": loaded.version, "manifest": manifest_digest(loaded.manifest)}


def _identity(model: Model | str | Path | None, table: str | None, index: str | None) -> dict[str, Any]:
    """Check that the model, table and index exist (fail before any worker starts) and fingerprint them."""
    from despin.model.bundle import sha256_file

    out: dict[str, Any] = {"model": model_identity(model)}
    if table is not None:
        if not Path(table).is_file():
            raise InputError(f"table {table}: no such file")
        from despin.tables.table import SpinnerTable

        # Parsed here, not first in a worker: a malformed table fails before job.json is written.
        SpinnerTable.load(table)
        out["table"] = sha256_file(Path(table))
    if index is not None:
        if not Path(index).is_file():
            raise InputError(f"index {index}: no such file")
        from despin.tracer import Index

        Index.open(index).close()  # header and page check, once, before any worker opens it
        st = Path(index).stat()
        out["index"] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    return out


def _check_job_file(out_dir: Path, options: ScanOptions) -> None:
    path = out_dir / "job.json"
    mine = {"despin": __version__, "fingerprint": options.fingerprint(), "options": asdict(options)}
    if path.is_file():
        try:
            theirs = json.loads(path.read_bytes())
        except ValueError:
            theirs = {}
        if theirs.get("fingerprint") != mine["fingerprint"] and _finished_tasks(out_dir):
            old, new = theirs.get("options", {}), asdict(options)
            diff = sorted(k for k in new if old.get(k) != new[k])
            raise ConfigError(
                f"{out_dir} holds a scan made with other options "
                f"(differs in: {', '.join(diff) or 'version'}); "
                "use another output directory, or delete this one to start over"
            )
        if theirs.get("fingerprint") == mine["fingerprint"]:
            return
    # New, or a job that never finished a task (it failed at start-up): these options take over.
    write_atomic(path, json.dumps(mine, sort_keys=True, indent=1).encode() + b"\n")


def _finished_tasks(out_dir: Path) -> bool:
    """Whether any task of a scan in ``out_dir`` (a shard, or a grouped scan's stage) left its marker."""
    for stage in (out_dir, out_dir / "groups", out_dir / "tables"):
        markers = stage / "completions"
        if markers.is_dir() and any(markers.iterdir()):
            return True
    return False


def _other_shards(out_dir: Path, shards: Sequence[Shard]) -> tuple[str, ...]:
    """Ids of shards with a completion marker in ``out_dir`` that are not among ``shards``."""
    markers = out_dir / "completions"
    if not markers.is_dir():
        return ()
    mine = {s.id for s in shards}
    names = (p.name for p in markers.iterdir() if p.is_file() and ".tmp-" not in p.name)  # not a killed write
    return tuple(sorted(n for n in names if n not in mine))


def _refuse_inputs_inside(out: Path | str, shards: Sequence[Shard]) -> None:
    """Outputs go under ``out``: an input shard there could be overwritten by one, so none may be."""
    for shard in shards:
        if isinstance(out, str):  # an fsspec URL: by prefix
            inside = shard.path.rstrip("/").startswith(out.rstrip("/") + "/")
        else:
            inside = not is_remote(shard.path) and Path(shard.path).is_relative_to(out)
        if inside:
            raise ConfigError(
                f"input shard {shard.path} is inside the output directory {out}, where the scan's outputs "
                "could overwrite it; choose an output directory outside the inputs"
            )


def _refuse_outputs_over_inputs(out: Path, shards: Sequence[Shard]) -> None:
    """No output file may already be an input: a symlink or hard link in ``out`` escapes the path check above."""
    inputs: dict[tuple[int, int], str] = {}
    for shard in shards:
        if is_remote(shard.path):
            continue
        st = Path(shard.path).stat()
        inputs[(st.st_dev, st.st_ino)] = shard.path
    for shard in shards:
        for target in (out / shard.name, RejectWriter(out / "rejects").path_for(shard)):
            try:
                st = target.stat()  # follows a symlink to the file it names
            except OSError:
                continue
            same = inputs.get((st.st_dev, st.st_ino))
            if same is not None:
                raise ConfigError(
                    f"the output {target} would overwrite the input shard {same} (it is the same file); "
                    "choose another output directory"
                )


def make_executor(
    executor: Literal["local", "ray"] | Executor, *, workers: int | None, ray_address: str | None
) -> Executor:
    """The executor for ``scan``'s ``executor``/``workers``/``ray_address`` arguments."""
    if isinstance(executor, Executor):
        return executor
    if executor == "local":
        if ray_address is not None:
            raise ConfigError("ray_address needs executor='ray'")
        from despin.executor.local import LocalExecutor

        return LocalExecutor(workers or 1)
    if executor == "ray":
        from despin.executor.ray import RayExecutor, import_ray

        import_ray()
        return RayExecutor(workers, address=ray_address)
    raise ConfigError(f"executor must be 'local' or 'ray', got {executor!r}")


def scan(
    inputs: str | Path | Iterable[str | Path],
    out_dir: str | Path,
    options: ScanOptions | None = None,
    *,
    workers: int | None = None,
    executor: Literal["local", "ray"] | Executor = "local",
    ray_address: str | None = None,
    progress: bool | None = None,
    **overrides: Any,
) -> ScanStats:
    """Detect spun documents in JSONL/Parquet shards, writing one annotated output shard per input.

    Each output record is the input record plus ``despin = {spun_score, is_spun, spans}``; with
    ``restore`` also ``restored`` and ``edits``; with ``index`` also ``sources``. Bad records go to
    ``rejects/``; ``input == output + filtered + rejected``. A rerun skips completed shards.

    What the scan computes is a :class:`~despin.batch.options.ScanOptions` (``options``); keyword
    arguments named like its fields override it, so ``scan(inputs, out, restore=True,
    text_field="content")`` works too. Its fields:

    * ``text_field``, ``id_field``: the record fields holding the text and the document id.
    * ``restore``: also restore the original wording (detection is computed once, inside restore).
    * ``index``: a source index file to trace documents to their sources; ``top`` sources at most.
    * ``keep``: ``"spun"`` or ``"clean"``: write only those documents (the rest count as filtered);
      ``min_score``: write only documents with ``spun_score >= min_score``.
    * ``model``: a model bundle directory (or, as a keyword argument, a loaded model); the packaged
      default when None. ``table``: a learned spinner table used on top of the model's lexicon.
      ``threshold``: the detection threshold; the bundle's calibrated default when None.
    * ``max_chars``: longer texts are rejected.
    * ``group_by``: learn one spinner table per group of records and use each record's own group's
      table (adds ``group``): ``"host"`` groups by the host of ``url_field``, any other value names
      the record field holding the group; a group under ``min_group_pages`` pages gets an empty
      table; ``group_tasks`` table-learning tasks share the groups. See docs/scaling.md.

    Args:
        inputs: shard files (.jsonl, .jsonl.gz, .parquet) and directories of them.
        out_dir: the output directory (created if needed).
        options: what to compute (see above); the defaults when None.
        workers: parallel workers (local processes or Ray actors); None: 1 locally, all CPUs on Ray.
        executor: ``"local"``, ``"ray"`` or an :class:`~despin.executor.base.Executor` instance.
        ray_address: the Ray cluster to join (executor ``"ray"`` only).
        progress: draw a progress bar on stderr; None draws it only when stderr is a terminal.
        overrides: fields of :class:`~despin.batch.options.ScanOptions`.

    Returns:
        The job's :class:`ScanStats`, also written to ``out_dir/stats.json``.

    Raises:
        InputError: an input, the table or the index does not exist.
        ConfigError: bad option values, or ``out_dir`` holds a scan made with other options.
        ModelError: the model bundle is missing or broken.
        MissingDependencyError: Parquet or Ray support is not installed.
        TypeError: a keyword argument that is not an option.
    """
    t0 = time.perf_counter()
    model = overrides.pop("model", None)
    loaded = model if model is not None and not isinstance(model, str | Path) else None
    if model is not None and loaded is None:
        overrides["model"] = model
    options = ScanOptions.from_kwargs(options, **overrides)
    if workers is not None and workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    sources = [inputs] if isinstance(inputs, str | Path) else list(inputs)
    run = _Run(options, loaded, workers=workers, executor=executor, ray_address=ray_address, progress=progress, t0=t0)
    if is_remote(out_dir):
        with RemoteOutput(str(out_dir)) as staging:
            return run.into(sources, staging.local, remote=staging)
    return run.into(sources, Path(local_path(out_dir)).resolve())


@dataclass
class _Run:
    """One call of :func:`scan`, once its options are known: into a local directory, or a staged remote one."""

    options: ScanOptions
    loaded: Model | None
    workers: int | None
    executor: Literal["local", "ray"] | Executor
    ray_address: str | None
    progress: bool | None
    t0: float

    def into(self, sources: Sequence[str | Path], out: Path, *, remote: RemoteOutput | None = None) -> ScanStats:
        shown: str | Path = remote.url if remote is not None else out
        shards = find_shards(sources, exclude=shown)
        _refuse_inputs_inside(shown, shards)
        if remote is None:
            _refuse_outputs_over_inputs(out, shards)
        runner = make_executor(self.executor, workers=self.workers, ray_address=self.ray_address)
        options, loaded = self.options, self.loaded
        table_s = str(Path(options.table).resolve()) if options.table is not None else None
        index_s = str(Path(options.index).resolve()) if options.index is not None else None
        if options.model is not None:
            model_s: str | None = str(Path(options.model).resolve())
        else:
            model_s = str(loaded.path) if loaded is not None else None
        options = replace(
            options,
            index=index_s,
            model=model_s,
            table=table_s,
            identity=_identity(loaded or model_s, table_s, index_s),
        )
        out.mkdir(parents=True, exist_ok=True)
        _check_job_file(out, options)
        if remote is not None:
            remote.publish_all()  # the job file first: a rerun with other options is refused on the store too
        model_ref = ModelRef(options.model, model=loaded, manifest=options.identity["model"]["manifest"])
        groups_sha256, groups = None, None
        if options.group_by is not None:
            groups_sha256, groups = learn_groups(
                shards, out, options, model=model_ref, runner=runner, progress=self.progress
            )
            if remote is not None:
                remote.publish_all()
        job = ScanJob(shards, out, options, model=model_ref, groups_sha256=groups_sha256)
        total_bytes = sum(job.task_size(t) for t in job.task_ids())
        with ScanProgress(total_bytes, len(shards), enabled=self.progress) as progress:
            reporter: Reporter = progress if remote is None else PublishingReporter(progress, remote, job.outputs)
            results: list[TaskResult] = runner.run(job, reporter=reporter)
        per_shard = {r.task_id: r.stats for r in results}
        stats = ScanStats(
            total=Stats.sum(per_shard.values()),
            shards=per_shard,
            skipped=tuple(r.task_id for r in results if r.skipped),
            wall_seconds=time.perf_counter() - self.t0,
            out_dir=out if remote is None else remote.url,
            executor=runner.name,
            workers=getattr(runner, "workers", None),
            groups=groups,
            other_shards=_other_shards(out, shards),
        )
        blob = json.dumps(stats.to_dict(), indent=1, ensure_ascii=False).encode() + b"\n"
        write_atomic(out / "stats.json", blob)
        if remote is not None:
            remote.publish_all()
        return stats
