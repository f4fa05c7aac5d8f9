"""How unseen each real spinner's table is for despin: its overlap with the bundled model's lexicon and vocabulary.

For every table of :func:`benchmarks.zoo_tables.load_tool_tables`, against ``despin.api.load_model()``:

* ``pairs_linked``: share of its (original, replacement) pairs that the model's lexicon links, in either
  direction; ``pairs_linked_forward``: in the spinner's direction (original -> replacement) only;
* ``originals_in_vocab`` / ``replacements_in_vocab``: share of its originals / replacements whose every
  word is in the model vocabulary (the LM's training-split counts);
* ``median_original_count``: median training-split count of its originals (a phrase counts as its
  rarest word; a word the vocabulary lacks counts 0), and the quartiles;
* ``multiword_pairs``: share of pairs with a phrase on either side;
* ``jaccard``: overlap of unordered pairs between every two tables.

It reads no corpus and trains nothing, so there is no dev/test split here. Writes
``benchmarks/zoo_tables/overlap.json`` and ``benchmarks/results/zoo-tables-overlap-<sha>.json``.

Usage: ``python -m benchmarks.zoo_tables.overlap``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Mapping
from itertools import combinations
from typing import Any

from benchmarks.registry import git_sha
from benchmarks.zoo_tables import HERE, ToolTable, load_tool_tables
from despin.lexicon import SynonymLexicon

RESULTS = HERE.parent / "results"


def _share(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 0.0


def _count(phrase: str, vocab: Mapping[str, int]) -> int:
    return min(vocab.get(w, 0) for w in phrase.split())


def table_overlap(table: ToolTable, lexicon: SynonymLexicon, vocab: Mapping[str, int]) -> dict[str, Any]:
    pairs = [(o, r) for o, r, _ in table.lexicon.pairs()]
    linked = sum(1 for o, r in pairs if r in lexicon.weights(o) or o in lexicon.weights(r))
    forward = sum(1 for o, r in pairs if r in lexicon.weights(o))
    originals = table.lexicon.words()
    replacements = sorted({r for _, r in pairs})
    counts = sorted(_count(o, vocab) for o in originals)
    quartiles = statistics.quantiles(counts, n=4) if len(counts) > 1 else [float(counts[0])] * 3
    return {
        "n_pairs": len(pairs),
        "n_originals": len(originals),
        "pairs_linked": _share(linked, len(pairs)),
        "pairs_linked_forward": _share(forward, len(pairs)),
        "pairs_unseen": len(pairs) - linked,
        "originals_in_lexicon": _share(sum(1 for o in originals if o in lexicon), len(originals)),
        "originals_in_vocab": _share(sum(1 for o in originals if _count(o, vocab) > 0), len(originals)),
        "replacements_in_vocab": _share(sum(1 for r in replacements if _count(r, vocab) > 0), len(replacements)),
        "median_original_count": statistics.median(counts),
        "original_count_quartiles": [round(q, 1) for q in quartiles],
        "multiword_pairs": _share(sum(1 for o, r in pairs if " " in o or " " in r), len(pairs)),
    }


def jaccard(a: SynonymLexicon, b: SynonymLexicon) -> float:
    pa = {frozenset((o, r)) for o, r, _ in a.pairs()}
    pb = {frozenset((o, r)) for o, r, _ in b.pairs()}
    return round(len(pa & pb) / len(pa | pb), 4) if pa | pb else 0.0


def run(tables: dict[str, ToolTable], lexicon: SynonymLexicon, vocab: Mapping[str, int], model: str) -> dict[str, Any]:
    return {
        "benchmark": "zoo_tables.overlap",
        "git_sha": git_sha(),
        "model": model,
        "model_lexicon_pairs": lexicon.n_pairs,
        "model_vocab_words": len(vocab),
        "tables": {name: table_overlap(t, lexicon, vocab) for name, t in sorted(tables.items())},
        "jaccard": {
            f"{a}|{b}": jaccard(tables[a].lexicon, tables[b].lexicon) for a, b in combinations(sorted(tables), 2)
        },
    }


def render(result: dict[str, Any]) -> str:
    lines = [
        f"# Real spinner tables against the model ({result['model']}, commit {result['git_sha']})",
        "",
        "| table | pairs | linked (either way) | linked forward | originals in vocab | median original count |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, t in result["tables"].items():
        lines.append(
            f"| {name} | {t['n_pairs']} | {t['pairs_linked']:.1%} | {t['pairs_linked_forward']:.1%} "
            f"| {t['originals_in_vocab']:.1%} | {t['median_original_count']:g} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.zoo_tables.overlap", description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="model bundle directory (default: the packaged one)")
    args = parser.parse_args(argv)
    from despin.api import load_model

    model = load_model(args.model)
    result = run(load_tool_tables(), model.lexicon, model.vocab, f"{model.path.name} {model.version}")
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    (HERE / "overlap.json").write_text(text, encoding="utf-8")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"zoo-tables-overlap-{result['git_sha']}.json").write_text(text, encoding="utf-8")
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
