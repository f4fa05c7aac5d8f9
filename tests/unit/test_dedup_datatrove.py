"""despin dedup as datatrove stages (signature, cluster, filter), each under datatrove's own executor."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from tests.texts import SOURCES, SPUN_KUPANG

from despin.model.bundle import DEFAULT_PATH

datatrove = pytest.importorskip("datatrove")
pytestmark = pytest.mark.skipif(
    not (DEFAULT_PATH / "manifest.json").is_file(), reason="the default model bundle is not built"
)


def test_three_stages_keep_the_sources_and_drop_the_copies(tmp_path: Path) -> None:
    from datatrove.executor.local import LocalPipelineExecutor  # type: ignore[import-untyped,unused-ignore]
    from datatrove.pipeline.readers import JsonlReader  # type: ignore[import-untyped,unused-ignore]
    from datatrove.pipeline.writers.jsonl import JsonlWriter  # type: ignore[import-untyped,unused-ignore]

    from despin.integrations.datatrove_dedup import DespinDedupCluster, DespinDedupFilter, DespinDedupSignature

    rows = [{"id": k, "url": f"https://outlet.example/{k}", "text": t} for k, t in SOURCES.items()]
    rows += [
        {"id": "farm-1", "url": "https://farm.example/1", "text": SPUN_KUPANG},
        {"id": "mirror-1", "url": "https://mirror.example/1", "text": SOURCES["rice-price"]},
    ]
    (tmp_path / "crawl").mkdir()
    for i in range(2):
        data = "".join(json.dumps(r) + "\n" for r in rows[i::2])
        (tmp_path / "crawl" / f"part-{i}.jsonl").write_text(data, encoding="utf-8")
    work = tmp_path / "dd"

    def reader() -> object:
        return JsonlReader(str(tmp_path / "crawl"))

    LocalPipelineExecutor([reader(), DespinDedupSignature(work)], tasks=2, logging_dir=str(tmp_path / "l1")).run()
    assert sorted(p.name for p in (work / "input").iterdir()) == ["00000.jsonl.gz", "00001.jsonl.gz"]
    LocalPipelineExecutor([DespinDedupCluster(work)], tasks=1, logging_dir=str(tmp_path / "l2")).run()
    LocalPipelineExecutor(
        [
            reader(),
            DespinDedupFilter(work, exclusion_writer=JsonlWriter(str(tmp_path / "copies"))),
            JsonlWriter(str(tmp_path / "kept")),
        ],
        tasks=2,
        logging_dir=str(tmp_path / "l3"),
    ).run()

    def read(folder: str) -> dict[str, dict[str, object]]:
        out = {}
        for path in sorted((tmp_path / folder).glob("*.jsonl.gz")):
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                for line in fh:
                    rec = json.loads(line)
                    out[rec["id"]] = rec["metadata"]
        return out

    kept, copies = read("kept"), read("copies")
    assert sorted(kept) == sorted(SOURCES) and sorted(copies) == ["farm-1", "mirror-1"]
    farm = copies["farm-1"]
    assert farm["filter_reason"] == "spun_copy" and farm["despin"]["copy_of"] == "kupang-bridge"  # type: ignore[index]
    assert copies["mirror-1"]["filter_reason"] == "near_duplicate"
    assert kept["kupang-bridge"]["despin"]["cluster"] == "kupang-bridge"  # type: ignore[index]
    assert kept["flood-jakarta"]["despin"]["cluster"] is None  # type: ignore[index]
