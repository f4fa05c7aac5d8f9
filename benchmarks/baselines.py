"""Simple baselines that despin must beat, measured on the same sets with the same metrics.

* Detection by language-model perplexity (CCNet, Wenzek et al. 2020, keeps or drops documents by
  the perplexity of a KenLM model trained on clean text): spun text has odd words, so a higher
  perplexity. The decision threshold is the 90th percentile of the clean *dev* documents, so the
  baseline aims at a 10% false-positive rate.
* Restoration by "most frequent synonym": every word (or table phrase) that some lexicon entry
  could have produced is replaced by the most frequent of itself and its candidate originals,
  counted in the model's training vocabulary. No context, no detection. Capitalised words in
  mid-sentence (names) are left alone, as the spinner leaves them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.metrics import Change
from despin.lexicon import SynonymLexicon
from despin.lm.ngram import lm_tokens
from despin.text.normalize import lm_key
from despin.text.tokenize import sentences, tokenize

# CCNet splits its corpus into head/middle/tail by perplexity terciles; we keep one cut, the
# 90th percentile of clean dev text, which makes the baseline's false-positive rate about 10%.
PPL_PERCENTILE = 0.90


class PerplexityDetector:
    """Score a text by its per-token perplexity under the model's KenLM (higher = more likely spun).

    Args:
        lm: a :class:`despin.lm.ngram.NgramLM` (anything with ``sentence_score(words)`` in log10).
    """

    name = "ppl"

    def __init__(self, lm: Any) -> None:
        self.lm = lm
        self.threshold: float | None = None

    def score(self, text: str) -> float:
        """log10 perplexity per token, sentence by sentence with <s> and </s>."""
        toks = tokenize(text)
        total, n = 0.0, 0
        for i, j in sentences(text, toks):
            words = lm_tokens(toks[i:j])
            if words:
                total += self.lm.sentence_score(words)
                n += len(words) + 1  # + </s>
        return -total / n if n else 0.0

    def calibrate(self, clean_scores: Sequence[float]) -> float:
        """Set the threshold at :data:`PPL_PERCENTILE` of clean scores (nearest rank)."""
        ordered = sorted(clean_scores)
        k = min(len(ordered) - 1, max(0, math.ceil(PPL_PERCENTILE * len(ordered)) - 1))
        self.threshold = ordered[k]
        return self.threshold


class MostFrequentRestorer:
    """Replace every word a table could have produced by its most frequent candidate original.

    Args:
        lexicon: the substitution lexicon the restorer knows (its reverse index gives candidates).
        vocab: token counts of the training corpus; a phrase counts as its rarest word.

    Example:
        >>> lex = SynonymLexicon.from_pairs([("hanya", "cuma"), ("pergi", "berangkat")])
        >>> r = MostFrequentRestorer(lex, {"hanya": 100, "cuma": 2, "pergi": 50, "berangkat": 60})
        >>> r.restore("Dia cuma berangkat.")[0]
        'Dia hanya berangkat.'
    """

    name = "most_frequent"

    def __init__(self, lexicon: SynonymLexicon, vocab: Mapping[str, int]) -> None:
        self.lexicon, self.vocab = lexicon, vocab
        self.max_len = lexicon.max_phrase_len

    def _count(self, phrase: str) -> int:
        return min(self.vocab.get(w, 0) for w in phrase.split(" "))

    def restore(self, text: str) -> tuple[str, list[Change]]:
        """The restored text and the changes on ``text`` that make it."""
        toks = tokenize(text)
        initial = {i for i, _ in sentences(text, toks)}
        changes: list[Change] = []
        k = 0
        while k < len(toks):
            best: tuple[int, str] | None = None
            # Like the spinner, leave capitalised words in mid-sentence alone: they are names.
            if toks[k].kind == "word" and (k in initial or not toks[k].text[:1].isupper()):
                parts: list[str] = []
                for j in range(k, min(len(toks), k + self.max_len)):  # longest observed phrase first
                    if toks[j].kind != "word" or (j > k and text[toks[j - 1].end : toks[j].start] != " "):
                        break
                    parts.append(lm_key(toks[j].text))
                    observed = " ".join(parts)
                    cands = self.lexicon.originals(observed)
                    if cands:
                        top = max(sorted(cands), key=self._count)
                        if self._count(top) > self._count(observed):
                            best = (j + 1, top)
            if best is None:
                k += 1
                continue
            end, original = best
            first = toks[k].text
            if first[:1].isupper():
                original = original[:1].upper() + original[1:]
            changes.append(Change(toks[k].start, toks[end - 1].end, original))
            k = end
        out, cur = [], 0
        for c in changes:
            out.append(text[cur : c.start])
            out.append(c.text)
            cur = c.end
        out.append(text[cur:])
        return "".join(out), changes
