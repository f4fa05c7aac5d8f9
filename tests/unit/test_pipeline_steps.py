"""Steps: lazy model references, verdict filters, and documents the model refuses."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from despin import api
from despin.errors import ConfigError, ModelError
from despin.model.bundle import DEFAULT_PATH
from despin.pipeline import DetectStep, Document, FilterStep, ModelRef, RejectWriter, Shard, Stat
from despin.pipeline.steps import manifest_digest

needs_model = pytest.mark.skipif(
    not (DEFAULT_PATH / "manifest.json").is_file(), reason="the default model bundle is not built"
)
SHARD = Shard.of("/data/x.jsonl")


def doc(text: str, despin: dict[str, object] | None = None, line: int = 1) -> Document:
    return Document(text, {"text": text}, SHARD, line, f"d{line}", dict(despin or {}))


def test_filter_keeps_by_verdict_and_score_and_counts_the_rest() -> None:
    docs = [
        doc("a", {"is_spun": True, "spun_score": 0.9}, 1),
        doc("b", {"is_spun": True, "spun_score": 0.6}, 2),
        doc("c", {"is_spun": False, "spun_score": 0.2}, 3),
    ]
    step = FilterStep(keep="spun", min_score=0.7)
    assert [d.line for d in step.run(docs)] == [1]
    assert step.stats[Stat.FILTERED] == 2
    assert [d.line for d in FilterStep(keep="clean").run(docs)] == [3]
    assert [d.line for d in FilterStep(min_score=0.5).run(docs)] == [1, 2]
    with pytest.raises(ConfigError, match="needs a detection"):
        list(FilterStep(keep="spun").run([doc("x")]))
    with pytest.raises(ConfigError, match="min_score"):
        FilterStep(min_score=1.5)


def test_model_ref_pickles_as_a_path_never_as_a_model(tmp_path: Path) -> None:
    class Loaded:
        path = tmp_path / "bundle"
        manifest: dict[str, object] = {}

    ref = ModelRef.of(Loaded())  # type: ignore[arg-type]
    clone = pickle.loads(pickle.dumps(ref))
    assert clone.path == str(tmp_path / "bundle") and clone._model is None
    with pytest.raises(ConfigError, match="cannot be sent to worker processes"):
        pickle.dumps(ModelRef(model=object()))  # type: ignore[arg-type]


@needs_model
def test_model_ref_refuses_a_bundle_that_changed_since_the_job_started() -> None:
    model = api.load_model()
    assert ModelRef(manifest=manifest_digest(model.manifest)).get() is model
    with pytest.raises(ModelError, match="changed after the job started"):
        ModelRef(manifest="0" * 64).get()


@needs_model
def test_detect_step_annotates_and_rejects_what_the_model_refuses(tmp_path: Path) -> None:
    rejects = RejectWriter(tmp_path)
    step = DetectStep(rejects=rejects)
    text = "Harga cabai rawit di sejumlah pasar tradisional melonjak dua kali lipat."
    out = list(step.run([doc(text, line=1), doc("   ", line=2)]))
    rejects.close()
    assert [d.line for d in out] == [1]
    assert out[0].despin == api.detect(text).to_dict()
    assert (step.stats[Stat.SCORED], step.stats[Stat.REJECTED]) == (1, 1)
    assert '"reason":"model_input_error"' in (tmp_path / "x.jsonl").read_text()
