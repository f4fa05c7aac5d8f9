"""Where restoring a farm-style page loses its substitutions: generation, the decoder's choice, or the policy.

Pages in the style of the farm article this project started from (every replacement capitalised in
mid-sentence, one-word to multi-word swaps, a doubled word, a footer: :func:`benchmarks.lofo.farm_family`,
about 24 substitutions a page), spun from held-out news of each split and restored with the default model.
Each substituted word falls in one bucket:

* ``restored``: the restored text has the original back;
* ``right_reading_not_applied``: the decoder's proposal is the original, but the edit policy did not apply it;
* ``wrong_reading``: the decoder proposes another word;
* ``no_proposal``: the decoder keeps the word;

and ``original_in_candidates`` counts the words whose original the context-free candidate sources
propose (wide; the LM's slot fills need the context and are not counted).

Run: ``python -m benchmarks farm_errors [--sample-size N]``; writes ``farm-errors-<git sha>.json`` and ``.md``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from benchmarks.config import BenchConfig
from benchmarks.datasets import sample_clean
from benchmarks.lofo import farm_family
from benchmarks.metrics import RestoreCounts
from benchmarks.registry import git_sha, md_table
from despin.api import load_model, restore
from despin.model.bundle import Model
from despin.text.normalize import lm_key
from despin.types import EditKind

SPLITS = ("dev", "test")
BUCKETS = ("restored", "right_reading_not_applied", "wrong_reading", "no_proposal")


def _page(model: Model, original: str, seed: int, doc: int) -> dict[str, Any]:
    n_words = len(original.split())
    spin = farm_family(model, 0).spinner(seed=seed, rate=min(0.5, 24 / max(n_words, 1))).spin(original, doc=doc)
    result = restore(spin.text, model=model)
    outcome = model.restorer(None).restore(spin.text, decode=True)
    proposals = {p.start: p for p in outcome.proposals}
    restored_at = {e.start: e for e in result.edits}
    candidates = model.restorer(None).candidates
    buckets: Counter[str] = Counter()
    in_candidates = 0
    for e in spin.edits:
        if e.kind is not EditKind.SYNONYM:
            continue
        gold = lm_key(e.original)
        observed = lm_key(e.observed)
        proposed = candidates.propose(observed, (), (), wide=True)
        in_candidates += any(" ".join(c.words) == gold for c in proposed)
        edit, proposal = restored_at.get(e.start), proposals.get(e.start)
        if edit is not None and lm_key(edit.restored) == gold:
            buckets["restored"] += 1
        elif proposal is None:
            buckets["no_proposal"] += 1
        elif lm_key(proposal.restored) == gold:
            buckets["right_reading_not_applied"] += 1
        else:
            buckets["wrong_reading"] += 1
    counts = RestoreCounts()
    counts.add(spin.text, spin.edits, original, result.text)
    return {
        "flagged": result.detection.is_spun,
        "substitutions": sum(buckets.values()),
        "original_in_candidates": in_candidates,
        **{b: buckets[b] for b in BUCKETS},
        "restored_by_text": counts.n_restored,
    }


def run(config: BenchConfig) -> dict[str, Any]:
    model = load_model(config.model)
    out: dict[str, Any] = {"git": git_sha(), "splits": {}}
    for split in SPLITS:
        sample = BenchConfig(suite=config.suite, seed=config.seed, sample_size=config.sample_size, splits=(split,))
        news = [d for d in sample_clean(sample) if d.register == "news" and d.split == split][: config.n_docs]
        pages = [_page(model, d.text, config.seed + i, i) for i, d in enumerate(news)]
        total = {k: sum(p[k] for p in pages) for k in ("substitutions", "original_in_candidates", *BUCKETS)}
        out["splits"][split] = {"pages": pages, "n_pages": len(pages), "flagged": sum(p["flagged"] for p in pages)}
        out["splits"][split]["total"] = total
    return out


def render(result: dict[str, Any]) -> str:
    rows = []
    for split, r in result["splits"].items():
        t = r["total"]
        n = max(1, t["substitutions"])
        rows.append(
            [
                split,
                f"{r['flagged']}/{r['n_pages']}",
                t["substitutions"],
                f"{t['original_in_candidates']} ({t['original_in_candidates'] / n:.0%})",
                *(f"{t[b]} ({t[b] / n:.0%})" for b in BUCKETS),
            ]
        )
    header = ["split", "flagged", "substitutions", "original in candidates", *BUCKETS]
    return (
        f"# Farm-style pages: where the substitutions are lost (git {result['git']})\n\n"
        + md_table(header, rows)
        + "\n"
    )


if __name__ == "__main__":
    from benchmarks.registry import main

    main("farm_errors")
