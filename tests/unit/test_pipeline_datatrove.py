"""despin inside a real datatrove pipeline: annotator and filter steps, under datatrove's executor."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from despin import api
from despin.model.bundle import DEFAULT_PATH

datatrove = pytest.importorskip("datatrove")
pytestmark = pytest.mark.skipif(
    not (DEFAULT_PATH / "manifest.json").is_file(), reason="the default model bundle is not built"
)
NEWS = Path(__file__).parents[1] / "data" / "scan" / "news.jsonl"


def rows() -> list[dict[str, Any]]:
    return [json.loads(x) for x in NEWS.read_text(encoding="utf-8").splitlines()][:10]


def test_annotator_adds_the_api_detection_to_metadata() -> None:
    from datatrove.data import Document  # type: ignore[import-untyped,unused-ignore]

    from despin.integrations.datatrove import DespinAnnotator

    docs = [Document(text=r["text"], id=r["id"]) for r in rows()] + [Document(text="   ", id="blank")]
    step = DespinAnnotator(restore=True)
    out = list(step.run(iter(docs)))
    model = api.load_model()
    for doc in out[:-1]:
        res = api.restore(doc.text, model=model)
        assert doc.metadata["despin"] == {
            **res.detection.to_dict(),
            "restored": res.text,
            "edits": [e.to_dict() for e in res.edits],
        }
    assert out[-1].metadata["despin"] == {"error": "input: text is empty"}
    assert step.stats["despin_scored"].total == 10 and step.stats["despin_rejected"].total == 1


def test_filter_splits_a_corpus_under_datatrove_local_executor(tmp_path: Path) -> None:
    from datatrove.executor.local import LocalPipelineExecutor  # type: ignore[import-untyped,unused-ignore]
    from datatrove.pipeline.readers import JsonlReader  # type: ignore[import-untyped,unused-ignore]
    from datatrove.pipeline.writers.jsonl import JsonlWriter  # type: ignore[import-untyped,unused-ignore]

    from despin.integrations.datatrove import DespinAnnotator, DespinFilter

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows()), encoding="utf-8")
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(tmp_path / "in")),
            DespinAnnotator(),
            DespinFilter(keep="clean", exclusion_writer=JsonlWriter(str(tmp_path / "spun"))),
            JsonlWriter(str(tmp_path / "clean")),
        ],
        tasks=1,
        workers=1,
        logging_dir=str(tmp_path / "logs"),
    ).run()

    def ids(folder: str) -> list[str]:
        return [
            json.loads(line)["id"]
            for p in sorted((tmp_path / folder).glob("*.jsonl.gz"))
            for line in gzip.decompress(p.read_bytes()).decode().splitlines()
        ]

    model = api.load_model()
    spun = {r["id"] for r in rows() if api.detect(r["text"], model=model).is_spun}
    assert set(ids("spun")) == spun
    assert set(ids("clean")) == {r["id"] for r in rows()} - spun
    assert (tmp_path / "logs" / "completions" / "00000").is_file()
