"""``despin scan --executor ray`` on a REAL local Ray cluster: same bytes as the local executor."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from despin.batch import scan
from despin.errors import InputError
from despin.executor.ray import RayExecutor
from despin.files import write_atomic
from despin.model.bundle import DEFAULT_PATH
from despin.pipeline import Stat, Stats

sys.path.insert(0, str(Path(__file__).parent))
from job_helpers import output_bytes  # noqa: E402
from test_scan_local import make_corpus  # noqa: E402

ray = pytest.importorskip("ray")
pytestmark = [
    pytest.mark.ray,
    pytest.mark.skipif(not (DEFAULT_PATH / "manifest.json").is_file(), reason="the default model is not built"),
]


def test_ray_writes_the_same_bytes_as_the_local_executor(ray_cluster: None, tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "in")
    local = scan(corpus, tmp_path / "local", restore=True, progress=False)
    on_ray = scan(corpus, tmp_path / "ray", restore=True, executor="ray", workers=2, progress=False)
    assert output_bytes(tmp_path / "ray") == output_bytes(tmp_path / "local")
    assert on_ray.executor == "ray" and on_ray.workers == 2
    assert on_ray.to_dict()["input"] == local.to_dict()["input"] == 32
    stats = json.loads((tmp_path / "ray" / "stats.json").read_text())
    assert stats["input"] == stats["output"] + stats["filtered"] + stats["rejected"]
    assert sorted(p.name for p in (tmp_path / "ray" / "completions").rglob("*") if p.is_file()) == [
        "bad",
        "news-a",
        "news-b",
        "news-c",
    ]
    # rerunning on Ray skips every completed shard
    again = scan(corpus, tmp_path / "ray", restore=True, executor="ray", workers=2, progress=False)
    assert len(again.skipped) == 4 and again.docs_this_run == 0


class DyingJob:
    """A real job whose task "b" kills its worker process the first time it runs."""

    def __init__(self, out_dir: Path) -> None:
        self._out_dir = out_dir

    @property
    def out_dir(self) -> Path:
        return self._out_dir

    def task_ids(self) -> list[str]:
        return ["a", "b", "c"]

    def task_size(self, task_id: str) -> int:
        return 0

    def task_signature(self, task_id: str) -> dict[str, Any]:
        return {"task": task_id}

    def run_task(self, task_id: str, progress: Any) -> Stats:
        flag = self.out_dir / f"attempted-{task_id}"
        if task_id == "b" and not flag.exists():
            flag.touch()
            os._exit(1)  # the actor process dies mid-task, as on a lost node
        if task_id == "c":
            raise InputError("c is broken")
        write_atomic(self.out_dir / f"{task_id}.txt", task_id.encode())
        stats = Stats()
        stats.inc(Stat.INPUT)
        stats.inc(Stat.OUTPUT)
        return stats


def test_a_task_whose_actor_dies_is_redone_and_task_errors_propagate(ray_cluster: None, tmp_path: Path) -> None:
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import tests/
    job = DyingJob(tmp_path)
    with pytest.raises(InputError, match="c is broken"):
        RayExecutor(workers=2).run(job)
    assert (tmp_path / "attempted-b").exists() and (tmp_path / "b.txt").read_text() == "b"
    assert (tmp_path / "completions" / "a").is_file() and (tmp_path / "completions" / "b").is_file()
    assert not (tmp_path / "completions" / "c").exists()
