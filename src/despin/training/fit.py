"""Fit every learned part of the page score and the restorer, in order, from one position table.

``fit_models`` is what ``despin build-model`` runs on all training positions and what the
leave-one-family-out benchmark runs with one family's spins masked out: the first stage and the
conditional logit (:mod:`despin.training.edit_model`), the word model over what they saw
(:mod:`despin.training.word_evidence`), and the page model over the words' summed evidence
(:mod:`despin.training.page_model`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from despin.detector.evidence import PageModel
from despin.detector.word_model import WordModel
from despin.restorer.edit_model import EditModel
from despin.training.edit_model import fit_edit_model, theta_of
from despin.training.page_model import fit_page_model, page_llrs
from despin.training.word_evidence import evidence_rows, fit_word_model


@dataclass(frozen=True)
class FittedModels:
    edit: EditModel
    words: WordModel
    page: PageModel

    def to_dict(self) -> dict[str, Any]:
        """The ``detector.json`` entries of a bundle."""
        return {"edit_model": self.edit.to_dict(), "words": self.words.to_dict(), "page": self.page.to_dict()}


def fit_models(
    arrays: Mapping[str, np.ndarray],
    meta: Sequence[Mapping[str, Any]],
    *,
    docs: np.ndarray | None = None,
    seed: int = 0,
) -> FittedModels:
    """Fit on the positions of the documents in ``docs`` (a boolean mask over ``meta``; all when None)."""
    doc = arrays["doc"]
    use_doc = np.ones(len(meta), dtype=bool) if docs is None else docs
    mask = use_doc[doc]
    edit, searched = fit_edit_model(arrays, mask)
    rows = evidence_rows(arrays, theta_of(edit), searched)
    words = fit_word_model(rows[mask], arrays["changed"][mask], seed=seed)
    probs = words.probabilities(rows)
    llr, _ = page_llrs(words, probs, doc, len(meta))
    keep = [int(i) for i in np.flatnonzero(use_doc)]
    page = fit_page_model(
        llr[keep],
        np.array([bool(meta[i]["footer"]) for i in keep]),
        np.array([bool(meta[i]["spun"]) for i in keep]),
        [str(meta[i]["register"]) for i in keep],
    )
    return FittedModels(edit, words, page)


def page_scores(models: FittedModels, arrays: Mapping[str, np.ndarray], n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    """Each document's words' LLR and word probabilities under fitted models (what ``detect`` would compute)."""
    edit = models.edit
    from despin.training.edit_model import gated_positions

    w1 = np.asarray(edit.first_stage)
    searched = gated_positions(arrays, w1, edit.gate)
    rows = evidence_rows(arrays, theta_of(edit), searched)
    probs = models.words.probabilities(rows)
    llr, _ = page_llrs(models.words, probs, arrays["doc"], n_docs)
    return llr, probs
