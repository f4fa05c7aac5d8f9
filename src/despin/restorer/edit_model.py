"""The discriminative edit model: which reading of an observed word is the original, and how sure we are.

At a word the first stage sends to the decoder, the alternatives are: keep the word as written, one
of the candidate originals the sources propose, or (for an immediate repeat) delete it. Each
alternative scores

    lm_weight * ln P_LM(its words and the next observed words | the observed left context)
    + weights . features(alternative)

and a softmax over the alternatives is a conditional logit: P(this alternative is what the source
said). The weights replace the decoder's hand-set biases (a bias for keeping a word, for a
neighbour, for a two-hop link, ...): they are fitted on the spinner zoo by
:mod:`despin.training.edit_model`, and evaluated leave-one-family-out.

The same alternatives' features (without the LM term) are the arc costs of the Viterbi decoder,
whose LM term is ``lm_weight`` times the sentence's LM score: the local model and the decoder agree
whenever the neighbouring words are kept.

Which words are searched at all is the first stage's call (:mod:`despin.restorer.first_stage`, over
the features of one LM pass: :data:`CHEAP_FEATURES`); how likely each word is to have been changed,
the evidence the page score sums, is the word model's (:mod:`despin.detector.word_model`), which reads
what the first stage and the search saw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from despin.errors import ModelError
from despin.restorer.sources.base import CandidateKind

# What one LM pass over the observed words tells about a word: every model reads these.
CHEAP_FEATURES: tuple[str, ...] = (
    "fit",  # log10 P(word | context) - log10 P(word): how much its context wants it
    "fit_next",  # the same for the next word, after this one
    "log_count",  # ln(1 + corpus count)
    "spin_prior",  # ln of how often spinners write it (thesaurus mass from its originals) over how often it is seen
    "has_originals",  # the thesaurus (or a learned table) lists originals for it
    "odd_capital",  # a common word written with a capital in mid-sentence, between lower-case words
    "odd_beside_capital",  # the same beside another capital (a title, a name, or a spinner's capitals in a row)
    "repeat",  # the same word as the one before it
    "overuse",  # ln of its count on the page over what its corpus frequency predicts
    "short",  # three letters or fewer
    "capitalised",  # capitalised in mid-sentence but not odd: likely part of a name or title
    "reduplication",  # a repeat that the corpus writes as a reduplicated word ("satu-satu")
)

KEEP_FEATURES: tuple[str, ...] = ("keep", *CHEAP_FEATURES, "in_table")

_KIND_FEATURES = tuple(f"kind_{k.value}" for k in CandidateKind)

CANDIDATE_FEATURES: tuple[str, ...] = (
    *_KIND_FEATURES,  # which source proposed it
    "log_channel",  # the source's ln P(observed | original)
    "relatedness",  # P(a spinner could write the observed word for this one), :mod:`despin.restorer.relatedness`
    "log_freq_ratio",  # ln of (count of original + 1) / (count of observed + 1)
    "multiword",  # the original or the observed span has several words
    "on_page",  # ln(1 + count of the original elsewhere on the page)
)

# "Changed, but the original is none of these": the reading that keeps a word's evidence of change
# from being credited to a wrong candidate (its LM term is the word's own, as written).
UNKNOWN_FEATURES: tuple[str, ...] = (
    "unknown",  # the intercept
    "unknown_odd",  # the word is an odd capital (its original may be far from any candidate)
    "unknown_log_readings",  # ln(1 + candidates): the more candidates, the likelier one is right
)

KIND_INDEX = {k: i for i, k in enumerate(CandidateKind)}


def _defaults(names: Sequence[str], values: Mapping[str, float]) -> tuple[float, ...]:
    return tuple(float(values.get(n, 0.0)) for n in names)


# Before a bundle has a fitted model: the noisy channel's priors of the earlier decoder (a word is
# spun with probability 0.12, so keeping earns ln(0.88 / 0.12) = 2.0; a capitalised common word is
# spun with probability 0.9; weak sources pay 2-3 nats). Used by tests and by the build before fitting.
_DEFAULT_KEEP = {"keep": 2.0, "odd_capital": -4.2}
_DEFAULT_CANDIDATE = {
    "kind_neighbour": -3.0,
    "kind_two_hop": -2.0,
    "kind_lm_fill": -3.0,
    "kind_case": -1.0,
    "log_channel": 1.0,
}
ODD_CAPITAL = CHEAP_FEATURES.index("odd_capital")
ODD_BESIDE_CAPITAL = CHEAP_FEATURES.index("odd_beside_capital")
REPEAT = CHEAP_FEATURES.index("repeat")


@dataclass(frozen=True)
class EditModel:
    """Weights of the conditional logit over a word's readings.

    Args:
        lm_weight: the weight of ln P_LM (natural log) in every alternative's score.
        keep: weights of :data:`KEEP_FEATURES`.
        candidate: weights of :data:`CANDIDATE_FEATURES`.
        repeat_delete: the score of deleting an immediate repeat (besides its LM term).
        fitted: whether the weights were fitted (False: the priors of the earlier decoder).
    """

    lm_weight: float = 1.0
    keep: tuple[float, ...] = field(default_factory=lambda: _defaults(KEEP_FEATURES, _DEFAULT_KEEP))
    candidate: tuple[float, ...] = field(default_factory=lambda: _defaults(CANDIDATE_FEATURES, _DEFAULT_CANDIDATE))
    repeat_delete: float = math.log(0.3 / 0.7)
    unknown: tuple[float, ...] = (-3.0, 1.0, -0.5)
    fitted: bool = False

    def __post_init__(self) -> None:
        for name, names in (("keep", KEEP_FEATURES), ("candidate", CANDIDATE_FEATURES), ("unknown", UNKNOWN_FEATURES)):
            if len(getattr(self, name)) != len(names):
                raise ModelError(f"edit model: {len(getattr(self, name))} {name} weights for {len(names)} features")
        if self.lm_weight <= 0:
            raise ModelError("edit model: lm_weight > 0 is required")

    def keep_score(self, features: Sequence[float]) -> float:
        return math.fsum(w * x for w, x in zip(self.keep, features, strict=True))

    def candidate_score(self, features: Sequence[float]) -> float:
        return math.fsum(w * x for w, x in zip(self.candidate, features, strict=True))

    def unknown_score(self, features: Sequence[float]) -> float:
        return math.fsum(w * x for w, x in zip(self.unknown, features, strict=True))

    def to_dict(self) -> dict[str, Any]:
        return {
            "lm_weight": self.lm_weight,
            "keep": dict(zip(KEEP_FEATURES, self.keep, strict=True)),
            "candidate": dict(zip(CANDIDATE_FEATURES, self.candidate, strict=True)),
            "repeat_delete": self.repeat_delete,
            "unknown": dict(zip(UNKNOWN_FEATURES, self.unknown, strict=True)),
            "fitted": self.fitted,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EditModel:
        def weights(key: str, names: Sequence[str]) -> tuple[float, ...]:
            got = data.get(key, {})
            missing = [n for n in names if n not in got]
            if missing:
                raise ModelError(f"edit model: {key} weights lack {', '.join(missing)}")
            return tuple(float(got[n]) for n in names)

        try:
            return cls(
                lm_weight=float(data["lm_weight"]),
                keep=weights("keep", KEEP_FEATURES),
                candidate=weights("candidate", CANDIDATE_FEATURES),
                repeat_delete=float(data["repeat_delete"]),
                unknown=weights("unknown", UNKNOWN_FEATURES),
                fitted=bool(data.get("fitted", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"edit model is malformed: {exc}") from None


def kind_features(kind: CandidateKind) -> list[float]:
    """The one-hot block of a candidate's kind."""
    out = [0.0] * len(KIND_INDEX)
    out[KIND_INDEX[kind]] = 1.0
    return out
