"""The training pipeline end to end on a small sample: zoo spins of calib pages -> positions -> every model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from despin.api import load_model
from despin.model.bundle import Model
from despin.spinner.zoo import ZooSources, build_zoo
from despin.training.build import training_documents
from despin.training.corpora import default_data_dir
from despin.training.fit import FittedModels, fit_models, page_scores
from despin.training.zoo_positions import training_positions


@pytest.fixture(scope="module")
def fitted() -> tuple[Model, FittedModels, dict[str, np.ndarray], list[dict[str, object]]]:
    model = load_model()
    zoo = build_zoo(ZooSources(lexicon=model.lexicon, vocab=model.vocab), seed=0)
    docs = training_documents(default_data_dir(), per_corpus=4, seed=0)
    table = training_positions(model, docs, zoo, seed=0, log=lambda _: None)
    arrays = table.arrays()
    return model, fit_models(arrays, table.doc_meta, seed=0), arrays, table.doc_meta


def test_the_fitted_models_separate_spun_pages_from_clean_ones_on_what_they_saw(fitted: tuple) -> None:
    _, models, arrays, meta = fitted
    llr, probs = page_scores(models, arrays, len(meta))
    spun = np.array([m["spun"] for m in meta])
    changed = arrays["changed"]
    assert probs[changed].mean() > 2 * probs[~changed].mean()
    assert np.median(llr[spun]) > np.median(llr[~spun])
    assert 0.5 <= models.page.threshold < 1.0
    assert 0.0 <= models.first_stage.gate <= 1.0


def test_fitted_models_round_trip_through_a_bundle_file_and_detect(fitted: tuple, tmp_path) -> None:
    model, models, _, _ = fitted
    params = json.loads(json.dumps(models.to_dict()))  # what build-model writes into detector.json
    scorer = model.with_models(models.edit, models.first_stage, models.words, models.page)
    from despin.detector.evidence import PageModel
    from despin.detector.word_model import WordModel
    from despin.restorer.edit_model import EditModel
    from despin.restorer.first_stage import FirstStage

    again = model.with_models(
        EditModel.from_dict(params["edit_model"]),
        FirstStage.from_dict(params["first_stage"]),
        WordModel.from_dict(params["words"]),
        PageModel.from_dict(params["page"]),
    )
    text = "Presiden mengatakan bahwa pemerintah akan membangun jalan baru di daerah itu."
    assert again.detect(text) == scorer.detect(text)
