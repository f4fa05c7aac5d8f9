"""Oracle candidate recall: is the true original among what each candidate source proposes, and among all of them?

For spins of held-out families (each zoo family with its own pairs cut from the lexicon, each real
tool's table with the lexicon we ship) and for the (observed, original) pairs reconstructed by
aligning real spun pages of the dev split with their originals, every substituted single word is put
to every source of the restorer's candidate set, in its observed context, as the decoder puts it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from despin.model.bundle import Model
from despin.restorer.sources import CandidateSource
from despin.spinner.zoo import SpinnerFamily
from despin.tables.pairs import pairs_from_texts
from despin.text.normalize import lm_key
from despin.text.tokenize import tokenize
from despin.training.zoo_positions import without_pairs
from despin.types import EditKind, Spin

CONTEXT = 2


def _sources(model: Model) -> list[CandidateSource]:
    cset = model.restorer().candidates
    return [*cset._static, *cset._context]  # noqa: SLF001 - the benchmark asks each source apart


def _wide_sources(model: Model) -> list[CandidateSource]:
    cset = model.restorer().candidates
    return [*cset._static_wide, *cset._context_wide]  # noqa: SLF001


def _slots(spins: Iterable[Spin]) -> Iterable[tuple[str, str, list[str], list[str]]]:
    """(observed, original, left words, right words) of every one-word substitution."""
    for spin in spins:
        toks = tokenize(spin.text)
        keys = [lm_key(t.text) for t in toks]
        at = {t.start: i for i, t in enumerate(toks)}
        for e in spin.edits:
            if e.kind != EditKind.SYNONYM or " " in e.observed.strip() or " " in e.original.strip():
                continue
            i = at.get(e.start)
            if i is None:
                continue
            yield lm_key(e.observed), lm_key(e.original), keys[max(0, i - CONTEXT) : i], keys[i + 1 : i + 1 + CONTEXT]


def recall(model: Model, slots: Iterable[tuple[str, str, Sequence[str], Sequence[str]]]) -> dict[str, Any]:
    """Per source, the share of slots whose original it proposes; and the union, default and wide."""
    hits: Counter[str] = Counter()
    n = 0
    sources, wide = _sources(model), _wide_sources(model)
    for observed, original, left, right in slots:
        n += 1
        union = False
        for s in sources:
            if any(c.original == original for c in s.propose(observed, left, right)):
                hits[s.kind.value] += 1
                union = True
        hits["union"] += union
        hits["union_wide"] += union or any(
            any(c.original == original for c in s.propose(observed, left, right)) for s in wide
        )
    return {"n": n, **{k: round(v / n, 4) for k, v in sorted(hits.items())}} if n else {"n": 0}


def family_recall(model: Model, family: SpinnerFamily, texts: Sequence[str], *, cut: bool, seed: int) -> dict[str, Any]:
    """Oracle recall on ``texts`` spun by ``family`` (with its pairs cut from the lexicon when ``cut``)."""
    scorer = model.with_lexicon(without_pairs(model.lexicon, family.table)) if cut else model
    spins = [family.spinner(seed=seed + i, footer=False).spin(t, doc=i) for i, t in enumerate(texts)]
    return recall(scorer, _slots(spins))


def real_pairs_recall(model: Model, pages: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Oracle recall on the one-word pairs an alignment of (spun page, original) reconstructs."""
    slots: list[tuple[str, str, list[str], list[str]]] = []
    for spun, original in pages:
        pairs, _ = pairs_from_texts(spun, original)
        keys = [lm_key(t.text) for t in tokenize(spun) if t.kind == "word"]
        for obs, orig in pairs:
            if " " in obs or " " in orig or obs not in keys:
                continue
            i = keys.index(obs)
            slots.append((obs, orig, keys[max(0, i - CONTEXT) : i], keys[i + 1 : i + 1 + CONTEXT]))
    return recall(model, slots)


def table(rows: Mapping[str, Mapping[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of a recall table: family, n, each source, the unions."""
    kinds = sorted({k for r in rows.values() for k in r if k != "n"})
    return ["family", "n", *kinds], [[name, r.get("n"), *[r.get(k) for k in kinds]] for name, r in sorted(rows.items())]
