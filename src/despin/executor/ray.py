"""Run a job's tasks on a Ray cluster: one actor per worker, each task an id sent to a free actor.

The job (paths and options, a few KB) goes to the object store once and every actor gets a
reference to it. An actor is a long-lived process, so the model, a learned table and the source
index are opened once per actor, by path, and reused for all its tasks; nothing big travels
with a task. Inputs, outputs and the index must be on a filesystem every node sees at the
same path (see docs/scaling.md). Tasks are idempotent, so a task retried after an actor died
rewrites the same bytes: a task whose actor died is redone once on a fresh actor. ``ray`` is
imported only when this executor runs.
"""

from __future__ import annotations

import os
from typing import Any

from despin.errors import ConfigError, MissingDependencyError
from despin.executor.base import Executor, Job, Reporter, TaskResult, execute_task
from despin.pipeline.stats import Stat


def import_ray() -> Any:
    """Import ray, or explain how to install it."""
    try:
        import ray
    except ImportError:
        raise MissingDependencyError("the Ray executor needs ray: pip install 'despin[ray]'") from None
    return ray


class TaskActor:
    """Holds the job and runs its tasks; wrapped with ``ray.remote`` when the executor starts."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def run(self, task_id: str) -> TaskResult:
        return execute_task(self.job, task_id, None)

    def pid(self) -> int:
        return os.getpid()


class RayExecutor(Executor):
    """Run tasks on Ray actors, on a running cluster or on a local one started for the job.

    Args:
        workers: how many actors (each reserves ``cpus_per_worker`` CPUs); None: all CPUs of the cluster.
        address: a cluster address (``"auto"``, ``"10.0.0.1:6379"``, ``"ray://head:10001"``); None
            joins the Ray instance already initialised in this process or starts a new local one.
        cpus_per_worker: CPUs each actor reserves.

    Raises:
        ConfigError: ``workers`` is below 1 or ``cpus_per_worker`` is not positive.
        MissingDependencyError: ray is not installed.
    """

    name = "ray"

    def __init__(self, workers: int | None = None, *, address: str | None = None, cpus_per_worker: float = 1.0) -> None:
        if workers is not None and workers < 1:
            raise ConfigError(f"workers must be >= 1, got {workers}")
        if cpus_per_worker <= 0:
            raise ConfigError(f"cpus_per_worker must be > 0, got {cpus_per_worker}")
        self.workers, self.address, self.cpus_per_worker = workers, address, cpus_per_worker

    def run(self, job: Job, *, reporter: Reporter | None = None) -> list[TaskResult]:
        ray = import_ray()
        results, todo = self.split(job, reporter)
        if not todo:
            return self.ordered(job, results)
        started = False
        if not ray.is_initialized():
            if self.address is None:
                ray.init(
                    address="local",  # a fresh local instance, never a cluster some other job started here
                    num_cpus=self.workers or os.cpu_count(),
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
            else:
                ray.init(address=self.address, log_to_driver=False, configure_logging=False)
            started = True
        actors: list[Any] = []
        try:
            cluster_cpus = int(ray.cluster_resources().get("CPU", 1) // self.cpus_per_worker) or 1
            n = min(self.workers or cluster_cpus, len(todo))
            actor_cls = ray.remote(num_cpus=self.cpus_per_worker)(TaskActor)
            job_ref = ray.put(job)
            actors = [actor_cls.remote(job_ref) for _ in range(n)]
            queue = list(reversed(todo))
            running: dict[Any, tuple[Any, str]] = {}
            retried: set[str] = set()
            error: BaseException | None = None
            for actor in actors:
                if queue:
                    task_id = queue.pop()
                    running[actor.run.remote(task_id)] = (actor, task_id)
            while running:
                ready, _ = ray.wait(list(running), num_returns=1)
                actor, task_id = running.pop(ready[0])
                try:
                    result: TaskResult = ray.get(ready[0])
                except ray.exceptions.RayActorError:
                    # The actor's process or node died. Tasks are idempotent: redo this one, once,
                    # on a fresh actor (whose temporary files replace the dead one's).
                    if task_id in retried:
                        raise
                    retried.add(task_id)
                    actor = actor_cls.remote(job_ref)
                    actors.append(actor)
                    running[actor.run.remote(task_id)] = (actor, task_id)
                    continue
                except Exception as exc:  # the task failed: start nothing new, let running tasks finish
                    cause = getattr(exc, "cause", None)  # RayTaskError wraps the task's own error
                    error = error or (cause if isinstance(cause, Exception) else exc)
                    queue.clear()
                    continue
                results.append(result)
                if reporter is not None:
                    reporter.advance(task_id, result.stats[Stat.INPUT], result.stats[Stat.BYTES_READ])
                    reporter.done(result)
                if queue:
                    next_id = queue.pop()
                    running[actor.run.remote(next_id)] = (actor, next_id)
            if error is not None:
                raise error
        finally:
            for actor in actors:
                ray.kill(actor)
            if started:
                ray.shutdown()
        return self.ordered(job, results)
