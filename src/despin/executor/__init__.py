"""Executors run a job's independent tasks: in local processes, or on Ray (imported lazily)."""

from despin.executor.base import Executor, Job, PipelineJob, TaskResult, execute_task
from despin.executor.local import LocalExecutor

__all__ = ["Executor", "Job", "LocalExecutor", "PipelineJob", "RayExecutor", "TaskResult", "execute_task"]


def __getattr__(name: str) -> object:
    if name == "RayExecutor":  # importing it does not import ray; running it does
        from despin.executor.ray import RayExecutor

        return RayExecutor
    raise AttributeError(f"module 'despin.executor' has no attribute {name!r}")
