"""A quick per-family probe of the restorer on the spinner zoo: oracle candidate recall and recall/damage.

A development tool (``python -m benchmarks.zoo_probe --split dev --docs 10``), lighter than the
leave-one-family-out benchmark: for every zoo family it spins clean news documents of one split
at the family's own rate, and reports

* oracle candidate recall: the share of gold substitutions whose original is among the restorer's
  candidates for the observed span (a ceiling on what any decoder can restore);
* restore recall and damage of a forced restoration (the detector's decision left out), at several
  confidence thresholds, so the recall/damage curve can be read at <= 0.5% damage.

Each family is restored with a lexicon that does not contain its table where one exists (the
other lexicon half, the other thesaurus); the others use the model's lexicon.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.config import RESULTS_DIR, BenchConfig
from benchmarks.datasets import sample_clean
from benchmarks.metrics import Change, RestoreCounts
from benchmarks.zoo_sources import zoo_sources
from despin import api
from despin.lm.ngram import lm_token
from despin.restorer.document import DocumentRestorer
from despin.restorer.restorer import Restorer
from despin.spinner.zoo import build_zoo
from despin.text.tokenize import tokenize
from despin.types import Detection

NEWS = ("news", "news_translated")
THRESHOLDS = (0.6, 0.85, 0.95, 0.99)


def _restorer_lexicon(family: str, model: Any, sources: Any) -> tuple[Any, str]:
    half_a, half_b = model.lexicon.split(seed=0)
    if family in ("thesaurus_half_a", "misspelt"):
        return half_b, "half_b"
    if family == "thesaurus_half_b":
        return half_a, "half_a"
    if family == "wordnet" and sources.mythes is not None:
        return sources.mythes, "mythes"
    if family == "mythes" and sources.wordnet is not None:
        return sources.wordnet, "wordnet"
    return model.lexicon, "model"


def oracle(restorer: Restorer, text: str, gold: Any) -> tuple[int, int, Counter[str]]:
    """(gold substitutions, those whose original is a candidate, candidate sources of the hits)."""
    hit = n = 0
    src: Counter[str] = Counter()
    for e in gold:
        if e.kind != "synonym":
            continue
        n += 1
        obs = " ".join(lm_token(t) for t in tokenize(e.observed) if t.kind in ("word", "number"))
        orig = " ".join(lm_token(t) for t in tokenize(e.original) if t.kind in ("word", "number"))
        for c in restorer.candidates.candidates(obs):
            if c.original == orig:
                hit += 1
                src[c.source] += 1
                break
    return n, hit, src


def run_family(model: Any, fam: Any, lexicon: Any, docs: list[Any], *, seed: int) -> dict[str, Any]:
    m = model.with_lexicon(lexicon)
    if fam.name == "natural" and hasattr(m, "spelling"):
        # Hold out the family's own table: no slang entry the zoo's natural table also lists.
        from despin.restorer.slang import SLANG, SpellingChannel
        from despin.spinner.zoo import NATURAL_SWAPS

        theirs = {s for subs in NATURAL_SWAPS.values() for s in subs}
        m.__dict__["spelling"] = SpellingChannel(m.vocab, slang={k: v for k, v in SLANG.items() if k not in theirs})
    base = m.restorer()
    out: dict[str, Any] = {}
    n = hit = 0
    src: Counter[str] = Counter()
    spins = [fam.spin(d.text, seed=seed, doc=i) for i, d in enumerate(docs)]
    for s in spins:
        a, b, c = oracle(base, s.text, s.edits)
        n, hit = n + a, hit + b
        src.update(c)
    out["oracle_recall"] = round(hit / n, 4) if n else None
    out["oracle_sources"] = dict(src)
    out["n_synonym"] = n
    curve = []
    examples: list[tuple[str, str, str]] = []
    for thr in THRESHOLDS:
        r = Restorer(
            base.lm, base.candidates, case_share=base.case_share, config=replace(base.config, min_confidence=thr)
        )
        dr = DocumentRestorer(r, lambda o: Detection(score=1.0, is_spun=True))
        rc = RestoreCounts()
        for d, s in zip(docs, spins, strict=True):
            res = dr.restore(s.text, force=True)
            ch = [Change(e.start, e.end, e.restored) for e in res.edits]
            rc.add(s.text, s.edits, d.text, res.text, ch)
            if thr == 0.95 and len(examples) < 25:
                restored = {(e.start, e.end): e.restored for e in res.edits}
                for g in s.edits:
                    if g.kind == "synonym" and restored.get((g.start, g.end), "").lower() != g.original.lower():
                        examples.append((g.observed, g.original, restored.get((g.start, g.end), "=")))
        dd = rc.to_dict()
        curve.append({"min_confidence": thr, "recall": dd["exact_restore"], "damage": dd["damage"]})
    out["curve"] = curve
    ok = [c for c in curve if c["damage"] is not None and c["damage"] <= 0.005]
    out["recall_at_0.5pct_damage"] = max((c["recall"] or 0.0 for c in ok), default=0.0)
    out["missed_examples"] = examples[:25]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="dev")
    ap.add_argument("--docs", type=int, default=10)
    ap.add_argument("--families", default="")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    cfg = BenchConfig(suite="quick", splits=(args.split,), sample_size=args.docs)
    model = api.load_model(None)
    sources, notes = zoo_sources(model, cfg.resolved_data_dir())
    zoo = build_zoo(sources, seed=args.seed)
    docs = [d for d in sample_clean(cfg) if d.register in NEWS]
    results: dict[str, Any] = {"split": args.split, "n_docs": len(docs), "notes": notes, "families": {}}
    wanted = [f for f in args.families.split(",") if f] or list(zoo)
    t0 = time.time()
    for name in wanted:
        fam = zoo[name]
        lexicon, lex_name = _restorer_lexicon(name, model, sources)
        r = run_family(model, fam, lexicon, docs, seed=args.seed)
        r["restorer_lexicon"] = lex_name
        results["families"][name] = r
        print(
            f"{name:18s} lex={lex_name:7s} oracle={r['oracle_recall']} R@0.5%={r['recall_at_0.5pct_damage']:.3f} "
            + " ".join(f"{c['min_confidence']}:{c['recall']}/{c['damage']}" for c in r["curve"]),
            flush=True,
        )
    fams = results["families"].values()
    results["mean_recall_at_0.5pct_damage"] = round(sum(f["recall_at_0.5pct_damage"] for f in fams) / len(wanted), 4)
    results["mean_oracle_recall"] = round(sum(f["oracle_recall"] or 0 for f in fams) / len(wanted), 4)
    results["seconds"] = round(time.time() - t0, 1)
    print(f"mean R@0.5%={results['mean_recall_at_0.5pct_damage']} oracle={results['mean_oracle_recall']}")
    out = Path(args.out) if args.out else RESULTS_DIR / f"zoo-probe-{args.split}.json"
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
