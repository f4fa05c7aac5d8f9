"""``despin scan --executor ray`` on a REAL local Ray cluster: same bytes as the local executor."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from despin.model.bundle import DEFAULT_PATH
from despin.pipeline import scan

sys.path.insert(0, str(Path(__file__).parent))
from test_scan_local import make_corpus, output_bytes  # noqa: E402

ray = pytest.importorskip("ray")
pytestmark = [
    pytest.mark.ray,
    pytest.mark.skipif(
        not (DEFAULT_PATH / "manifest.json").is_file(), reason="the default model is not built"
    ),
]


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    """A real two-CPU Ray instance in this process (head, raylet, object store, worker processes)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()


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
