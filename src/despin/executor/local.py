"""Run a job's tasks in this process (one worker) or in a pool of worker processes.

Workers are started with ``spawn`` and receive the job once, in the pool initializer; each
task is then just an id. Models and indexes load lazily, once per worker process (see
:class:`despin.pipeline.steps.ModelRef`). Workers send (docs, bytes) progress through a queue
that the driver drains while it waits; a worker whose driver died exits at its next progress
tick instead of racing the rerun.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from despin.errors import ConfigError
from despin.executor.base import Executor, Job, Reporter, TaskResult, execute_task, parent_watchdog

# Worker-process globals, set by _init_worker.
_JOB: Job | None = None
_QUEUE: Any = None
_CHECK_PARENT: Any = None


def _init_worker(job: Job, queue: Any, parent_pid: int) -> None:
    global _JOB, _QUEUE, _CHECK_PARENT
    _JOB, _QUEUE, _CHECK_PARENT = job, queue, parent_watchdog(parent_pid)


def _run_in_worker(task_id: str) -> TaskResult:
    assert _JOB is not None, "worker not initialised"
    _CHECK_PARENT()

    def progress(docs: int, nbytes: int) -> None:
        _CHECK_PARENT()
        _QUEUE.put((task_id, docs, nbytes))

    return execute_task(_JOB, task_id, progress)


class LocalExecutor(Executor):
    """Run tasks on this machine with ``workers`` processes (1: in this process, no pool).

    Args:
        workers: how many worker processes run tasks at once.

    Raises:
        ConfigError: ``workers`` is below 1.
    """

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ConfigError(f"workers must be >= 1, got {workers}")
        self.workers = workers

    def run(self, job: Job, *, reporter: Reporter | None = None) -> list[TaskResult]:
        results, todo = self.split(job, reporter)
        if self.workers == 1 or len(todo) <= 1:
            for task_id in todo:

                def progress(docs: int, nbytes: int, task_id: str = task_id) -> None:
                    if reporter is not None:
                        reporter.advance(task_id, docs, nbytes)

                result = execute_task(job, task_id, progress)
                results.append(result)
                if reporter is not None:
                    reporter.done(result)
            return self.ordered(job, results)
        ctx = mp.get_context("spawn")
        queue = ctx.SimpleQueue()
        n = min(self.workers, len(todo))
        with ProcessPoolExecutor(
            n, mp_context=ctx, initializer=_init_worker, initargs=(job, queue, os.getpid())
        ) as pool:
            futures: dict[Future[TaskResult], str] = {pool.submit(_run_in_worker, t): t for t in todo}
            try:
                while futures:
                    finished, _ = wait(futures, timeout=0.2, return_when=FIRST_COMPLETED)
                    self._drain(queue, reporter)
                    for fut in finished:
                        del futures[fut]
                        result = fut.result()  # re-raises the task's error
                        results.append(result)
                        if reporter is not None:
                            reporter.done(result)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            finally:
                self._drain(queue, reporter)
        return self.ordered(job, results)

    @staticmethod
    def _drain(queue: Any, reporter: Reporter | None) -> None:
        while not queue.empty():
            task_id, docs, nbytes = queue.get()
            if reporter is not None:
                reporter.advance(task_id, docs, nbytes)
