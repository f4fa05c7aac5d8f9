"""Fit every learned part of the page score and the restorer, in order, from one position table.

``fit_models`` is what ``despin build-model`` runs on all training positions and what the
leave-one-family-out benchmark runs with one family's spins masked out: the first stage and the
conditional logit (:mod:`despin.training.edit_model`), the word model over what they saw
(:mod:`despin.training.word_evidence`), the page model over the words' summed evidence
(:mod:`despin.training.page_model`), and last the first stage's pre-screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from despin.detector.evidence import PageModel
from despin.detector.word_model import WordModel
from despin.restorer.edit_model import EditModel
from despin.restorer.first_stage import FirstStage
from despin.restorer.word_features import N_CHEAP
from despin.training.edit_model import fit_edit_model, searched_positions, theta_of
from despin.training.page_model import fit_page_model, page_llrs
from despin.training.word_evidence import evidence_rows, fit_word_model

# The pre-screen may skip at most this share of the spun training pages the full page score flags.
SKIP_LOSS = 0.01


@dataclass(frozen=True)
class FittedModels:
    edit: EditModel
    first_stage: FirstStage
    words: WordModel
    page: PageModel

    def to_dict(self) -> dict[str, Any]:
        """The ``detector.json`` entries of a bundle."""
        return {
            "edit_model": self.edit.to_dict(),
            "first_stage": self.first_stage.to_dict(),
            "words": self.words.to_dict(),
            "page": self.page.to_dict(),
        }


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
    edit, first_stage, searched = fit_edit_model(arrays, mask, seed=seed)
    rows = evidence_rows(arrays, theta_of(edit), searched)
    words = fit_word_model(rows[mask], arrays["changed"][mask], seed=seed)
    llr, _ = page_llrs(words, words.probabilities(rows), doc, len(meta))
    keep = [int(i) for i in np.flatnonzero(use_doc)]
    footer = np.array([bool(m["footer"]) for m in meta])
    spun = np.array([bool(m["spun"]) for m in meta])
    page = fit_page_model(llr[keep], footer[keep], spun[keep], [str(meta[i]["register"]) for i in keep])
    # The pre-screen: the cheap evidence below which almost no page the full score flags lies.
    cheap_llr = cheap_page_llrs(first_stage, arrays, len(meta))
    score = page.log_odds(llr, footer.astype(float))
    flagged = use_doc & spun & (score >= page.log_odds_threshold)
    skip = float(np.quantile(cheap_llr[flagged], SKIP_LOSS)) if flagged.any() else -np.inf
    return FittedModels(edit, replace(first_stage, skip_below=skip), words, page)


def cheap_page_llrs(first_stage: FirstStage, arrays: Mapping[str, np.ndarray], n_docs: int) -> np.ndarray:
    """Each document's evidence from the first stage alone (what the pre-screen reads)."""
    q = first_stage.probabilities(arrays["cheap"])
    doc = arrays["doc"]
    order = np.argsort(doc, kind="stable")
    bounds = np.searchsorted(doc[order], np.arange(n_docs + 1))
    return np.array([first_stage.page_evidence(q[order[bounds[i] : bounds[i + 1]]]) for i in range(n_docs)])


def page_scores(models: FittedModels, arrays: Mapping[str, np.ndarray], n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    """Each document's words' LLR and word probabilities under fitted models (what ``detect`` would compute)."""
    searched = searched_positions(arrays, models.first_stage)
    rows = evidence_rows(arrays, theta_of(models.edit), searched)
    # A page the pre-screen skips is not decoded: none of its words has search features.
    skipped = cheap_page_llrs(models.first_stage, arrays, n_docs) < models.first_stage.skip_below
    rows[np.ix_(skipped[arrays["doc"]], np.arange(N_CHEAP, rows.shape[1]))] = np.nan
    probs = models.words.probabilities(rows)
    llr, _ = page_llrs(models.words, probs, arrays["doc"], n_docs)
    return llr, probs
