"""Restoring a whole document: decode, judge the page once, apply the edits its evidence supports, repeat.

The decision is the page score's: a document's words change when its detection says it is spun
(``score >= threshold``), or when the caller forces it; a footer goes with them, never alone
(a bracketed credit such as "(Antara)" is the source's own and stays). Which
proposals of the decoder become edits depends on the page too: a proposal's likelihood ratio, times
the prior odds of the page's estimated spin rate, gives its posterior, and occurrences of the same
observed word pool their evidence (a spinner writes the same word for the same original throughout
a page). One pass can leave text that a second pass would change again, so passes repeat until one
changes nothing, which makes restoring idempotent: ``restore(restore(x).text).text == restore(x).text``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from despin.errors import ConfigError
from despin.restorer.edits import apply_edits, compose_edits
from despin.restorer.restorer import Proposal, RestoreOutcome, Restorer
from despin.types import Detection, Edit, EditKind, Restoration

# Passes rarely exceed two on real or simulated spins; the cap only bounds adversarial input.
MAX_PASSES = 8
# An occurrence's evidence counts at most this many nats when the occurrences of one word pool:
# one certain occurrence alone cannot carry a doubtful one.
POOL_MAX_LOG_LR = 4.0
# A forced restore of a page that does not look spun assumes at least this spin rate: the caller says the
# page is spun, and copies that keep 26-30% of their source's 5-grams (as real farms' do) changed about one
# word in five ((1 - 0.2) ** 5 = 0.33).
FORCED_RATE = 0.2

# The page's detection, its estimated spin rate, and each word's likelihood ratio of having been changed.
Judge = Callable[[RestoreOutcome], tuple[Detection, float, Sequence[float]]]


@dataclass(frozen=True, slots=True)
class EditPolicy:
    """When a proposal becomes an edit.

    Args:
        min_confidence: the posterior that its word was changed (given the page's spin rate) must reach this.
        min_share: and its reading must hold at least this share of the readings other than keeping the word.
    """

    # Chosen on dev spins at 15% (`benchmarks/lofo_policy.py`'s curve): the most substitutions restored
    # while damage to untouched words stays within 0.5%, with the model's own lexicon and with a
    # spinner table disjoint from it.
    min_confidence: float = 0.6
    min_share: float = 0.4

    def __post_init__(self) -> None:
        for name in ("min_confidence", "min_share"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ConfigError(f"{name} must be in (0, 1), got {getattr(self, name)}")


class DocumentRestorer:
    """Undo the spin of whole documents with a :class:`Restorer` and the page score.

    Args:
        restorer: decodes one pass and proposes changes.
        judge: the detection of one pass's outcome, with the page's estimated spin rate.
        policy: which proposals become edits.
        max_passes: at most this many decoding passes per document.
    """

    def __init__(
        self, restorer: Restorer, judge: Judge, *, policy: EditPolicy | None = None, max_passes: int = MAX_PASSES
    ) -> None:
        if max_passes < 1:
            raise ConfigError(f"max_passes must be >= 1, got {max_passes}")
        self.restorer, self.judge, self.max_passes = restorer, judge, max_passes
        self.policy = policy or EditPolicy()

    def restore(self, text: str, *, remove_footer: bool = True, force: bool = False) -> Restoration:
        """The restored text, the edits from ``text`` to it, and the detection of ``text``.

        Args:
            text: the document.
            remove_footer: drop a spinner's source footer when the words change.
            force: change the words even when the detection says the text is not spun.
        """
        outcome = self.restorer.restore(text)
        detection, rate, lrs = self.judge(outcome)
        act = force or detection.is_spun
        if not act:
            return Restoration(text=text, edits=(), detection=detection, footer=outcome.footer)
        if not outcome.decoded:  # forced on a page the first stage cleared: decode it, keep its detection
            outcome = self.restorer.restore(text, decode=True)
            _, rate, lrs = self.judge(outcome)
        rate = max(rate, FORCED_RATE) if force and not detection.is_spun else rate
        edits = self._round(outcome, lrs, rate, remove_footer=remove_footer)
        current, composed = text, edits
        seen: dict[str, tuple[Edit, ...]] = {text: ()}
        order = [text]
        for _ in range(self.max_passes - 1):
            if not edits:
                break
            current = apply_edits(current, edits)
            if current in seen:  # a cycle: settle on its smallest text, whichever member we entered by
                cycle = order[order.index(current) :]
                current = min(cycle)
                composed = seen[current]
                break
            seen[current] = composed
            order.append(current)
            # Later passes keep the first pass's rate: the page's spin rate is a property of the input.
            again = self.restorer.restore(current, decode=True)
            edits = self._round(again, self.judge(again)[2], rate, remove_footer=remove_footer)
            composed = compose_edits(text, composed, edits)
        return Restoration(text=apply_edits(text, composed), edits=composed, detection=detection, footer=outcome.footer)

    def _round(
        self, outcome: RestoreOutcome, lrs: Sequence[float], rate: float, *, remove_footer: bool
    ) -> tuple[Edit, ...]:
        """The edits one pass applies: the proposals whose posterior reaches the bar, and the footer."""
        edits = decide(outcome.proposals, lrs, rate, self.policy)
        # A bracketed credit ("... dua periode. (Antara)", "(ard)") is the source's own byline, which the copy
        # inherited; only a spinner's cue-and-outlet footer goes.
        if remove_footer and outcome.footer and not outcome.footer.is_bracketed_credit:
            f = outcome.footer
            edits.append(Edit(f.start, f.end, f.text, "", 1.0, EditKind.FOOTER))
        return tuple(sorted(edits, key=lambda e: (e.start, e.end)))


def posterior(lr: float, rate: float) -> float:
    """P(changed) of a span with likelihood ratio ``lr`` on a page spun at ``rate``."""
    odds = lr * rate / (1.0 - rate)
    return odds / (1.0 + odds)


def decide(proposals: Sequence[Proposal], lrs: Sequence[float], rate: float, policy: EditPolicy) -> list[Edit]:
    """Edits from proposals on a page spun at ``rate``, as ``policy`` says.

    ``lrs[p.word]`` is the likelihood ratio that proposal ``p``'s word was changed.

    Occurrences of one observed word that the decoder restores to the same original pool their
    evidence (each counting at most :data:`POOL_MAX_LOG_LR` nats), because a spinner writes the same
    word for the same original throughout a page. An odd capital whose reading stays below the bar,
    while the evidence that it was changed reaches it, gets its case restored alone.
    """
    pooled: dict[tuple[str, str], float] = defaultdict(float)
    for p in proposals:
        if p.key:
            pooled[(p.key, p.restored.lower())] += _clip(math.log(max(lrs[p.word], 1e-12)))
    out: list[Edit] = []
    bar = policy.min_confidence
    for p in proposals:
        lr = lrs[p.word]
        if p.key:
            lr = max(lr, math.exp(pooled[(p.key, p.restored.lower())]))
        changed = posterior(lr, rate)
        if changed < bar:
            continue
        if p.share >= policy.min_share:
            out.append(Edit(p.start, p.end, p.observed, p.restored, changed * p.share, p.kind))
        elif p.case_fallback and p.observed.lower() != p.observed:
            # Unsure of the original, but sure the word was changed: its odd capital, at least, is the spinner's.
            out.append(Edit(p.start, p.end, p.observed, p.observed.lower(), changed, EditKind.CASE))
    return out


def _clip(x: float) -> float:
    return max(-POOL_MAX_LOG_LR, min(POOL_MAX_LOG_LR, x))
