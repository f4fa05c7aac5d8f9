"""Restoring a whole document: decode, decide once whether to edit, apply, and repeat to a fixed point.

The decision is the detector's: a document's edits are applied when its detection says it is spun
(``score >= threshold``), or when the caller forces it. One decoding pass can leave text that a
second pass would change again (an edit creates a new context, or a two-word span it wrote is
itself a candidate), so the passes repeat until one changes nothing. That makes restoring
idempotent: ``restore(restore(x).text).text == restore(x).text``.
"""

from __future__ import annotations

from collections.abc import Callable

from despin.errors import ConfigError
from despin.restorer.calibration import EditCalibration
from despin.restorer.edits import apply_edits, compose_edits
from despin.restorer.restorer import RestoreOutcome, Restorer
from despin.types import Detection, Edit, Restoration

# Passes rarely exceed two on real or simulated spins (a second pass changes about 1% of heavily
# spun documents, a third almost none); the cap only bounds adversarial input.
MAX_PASSES = 8

Judge = Callable[[RestoreOutcome], Detection]


class DocumentRestorer:
    """Undo the spin of whole documents with a :class:`Restorer` and a detector's decision.

    Args:
        restorer: decodes one pass and proposes edits.
        judge: the detection of one pass's outcome (a calibrated detector with its threshold);
            edits are applied only when it says ``is_spun``.
        max_passes: at most this many decoding passes per document.
        calibration: maps the returned edits' confidences to calibrated ones (decisions are unchanged).
    """

    def __init__(
        self,
        restorer: Restorer,
        judge: Judge,
        *,
        max_passes: int = MAX_PASSES,
        calibration: EditCalibration | None = None,
    ) -> None:
        if max_passes < 1:
            raise ConfigError(f"max_passes must be >= 1, got {max_passes}")
        self.restorer, self.judge, self.max_passes = restorer, judge, max_passes
        self.calibration = calibration

    def restore(self, text: str, *, remove_footer: bool = True, force: bool = False) -> Restoration:
        """The restored text, the edits from ``text`` to it, and the detection of ``text``.

        Args:
            text: the document.
            remove_footer: drop a spinner's source footer.
            force: apply the edits even when the detection says the text is not spun.
        """
        outcome = self.restorer.restore(text)
        detection = self.judge(outcome)
        edits = self._round(outcome, detection, remove_footer=remove_footer, force=force)
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
            pass_outcome = self.restorer.restore(current)
            edits = self._round(pass_outcome, self.judge(pass_outcome), remove_footer=remove_footer, force=force)
            composed = compose_edits(text, composed, edits)
        reported = composed if self.calibration is None else self.calibration.apply(composed, detection.score)
        return Restoration(text=apply_edits(text, composed), edits=reported, detection=detection, footer=outcome.footer)

    @staticmethod
    def _round(outcome: RestoreOutcome, detection: Detection, *, remove_footer: bool, force: bool) -> tuple[Edit, ...]:
        """The edits one pass applies: the decoder's if the document is judged spun (or forced), and the footer."""
        edits = list(outcome.edits) if force or detection.is_spun else []
        if remove_footer and outcome.footer:
            f = outcome.footer
            edits.append(Edit(f.start, f.end, f.text, "", 1.0, "footer"))
        return tuple(edits)
