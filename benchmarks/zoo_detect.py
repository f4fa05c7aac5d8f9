"""Leave-one-family-out detection: a detector fitted without a spinner family, measured on that family.

``python -m benchmarks.zoo_detect --samples work/detector-samples.json`` reads the detector's
training features (``calib`` spins of every zoo family, written by
``refit_detector(..., samples_out=...)``), and for each family fits a detector on all the other
families (:func:`despin.training.build.fit_detector` with ``exclude_family``), then scores dev and
test documents spun by the held-out family at 3%, 10% (no footer) and its native rate (all its
artefacts) against clean documents of the same split. It reports AUROC, the share flagged, and
the false-positive rate per clean register at each detector's own calibrated threshold; and the
shipped detector (fitted on every family) on the real pages (evaluation only).

The restorer's features do not depend on the detector, so each document is decoded once.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.config import RESULTS_DIR, BenchConfig
from benchmarks.datasets import sample_clean
from benchmarks.metrics import auroc
from benchmarks.zoo_sources import THESAURUS_TYPES, load_real_pages, zoo_sources
from despin import api
from despin.detector import SpinDetector, features
from despin.spinner.zoo import build_zoo
from despin.training.build import fit_detector

RATES = (0.03, 0.10)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", required=True, type=Path)
    ap.add_argument("--docs", type=int, default=12, help="documents per (split, register)")
    ap.add_argument("--splits", default="dev,test")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=RESULTS_DIR / "zoo-detect-lofo.json")
    args = ap.parse_args(argv)
    t0 = time.time()
    samples = json.loads(args.samples.read_text(encoding="utf-8"))
    splits = tuple(args.splits.split(","))
    cfg = BenchConfig(suite="quick", splits=splits, sample_size=args.docs, seed=args.seed)
    model = api.load_model(None)
    restorer = model.restorer()
    sources, notes = zoo_sources(model, cfg.resolved_data_dir())
    zoo = build_zoo(sources, seed=args.seed)
    docs = sample_clean(cfg)
    clean: dict[str, list[tuple[str, list[float]]]] = defaultdict(list)
    spun: dict[tuple[str, str, str], list[list[float]]] = defaultdict(list)
    for i, d in enumerate(docs):
        clean[d.split].append((d.register, features(restorer.restore(d.text))))
        for name, fam in zoo.items():
            for rate in (*RATES, None):
                spinner = fam.spinner(seed=args.seed + 7, rate=rate, footer=None if rate is None else False)
                s = spinner.spin(d.text, doc=i)
                if not any(e.kind == "synonym" for e in s.edits):
                    continue
                key = "native" if rate is None else f"{rate:.2f}"
                spun[(d.split, name, key)].append(features(restorer.restore(s.text)))
    print(f"features in {time.time() - t0:.0f}s", file=sys.stderr)
    detectors = {name: SpinDetector.from_dict(fit_detector(samples, exclude_family=name)) for name in zoo}
    detectors["all"] = SpinDetector.from_dict(fit_detector(samples))
    out: dict[str, Any] = {"n_docs_per_register": args.docs, "notes": notes, "splits": {}}
    for split in splits:
        fams: dict[str, Any] = {}
        for name in zoo:
            det = detectors[name]
            neg = [det.probability(x) for _, x in clean[split]]
            row: dict[str, Any] = {"threshold": round(det.threshold, 4)}
            for key in (*(f"{r:.2f}" for r in RATES), "native"):
                pos = [det.probability(x) for x in spun[(split, name, key)]]
                a = auroc(pos, neg)
                row[f"auroc_{key}"] = None if a is None else round(a, 4)
                row[f"flagged_{key}"] = round(sum(p >= det.threshold for p in pos) / len(pos), 4) if pos else None
            by_reg: dict[str, list[bool]] = defaultdict(list)
            for reg, x in clean[split]:
                by_reg[reg].append(det.probability(x) >= det.threshold)
            row["fpr_by_register"] = {r: round(sum(v) / len(v), 4) for r, v in sorted(by_reg.items())}
            fams[name] = row
        mean = {
            k: round(sum(f[k] for f in fams.values() if f[k] is not None) / len(fams), 4)
            for k in fams[next(iter(fams))]
            if k.startswith(("auroc_", "flagged_"))
        }
        det = detectors["all"]
        by_reg_all: dict[str, list[bool]] = defaultdict(list)
        for reg, x in clean[split]:
            by_reg_all[reg].append(det.probability(x) >= det.threshold)
        out["splits"][split] = {
            "families": fams,
            "mean": mean,
            "shipped_fpr_by_register": {r: round(sum(v) / len(v), 4) for r, v in sorted(by_reg_all.items())},
        }
    det = detectors["all"]
    real: dict[str, Any] = {"pages": []}
    for page in load_real_pages(cfg.resolved_data_dir()):
        p = det.probability(features(restorer.restore(page.text)))
        real["pages"].append(
            {"id": page.page_id, "kind": page.kind, "score": round(p, 4), "flagged": p >= det.threshold}
        )
    pages = real["pages"]
    real["thesaurus_flagged"] = f"{sum(p['flagged'] for p in pages if p['kind'] in THESAURUS_TYPES)} of " + str(
        sum(p["kind"] in THESAURUS_TYPES for p in pages)
    )
    real["back_translated_flagged"] = (
        f"{sum(p['flagged'] for p in pages if p['kind'] == 'back-translation')} of "
        + str(sum(p["kind"] == "back-translation" for p in pages))
    )
    real["lookalikes_flagged"] = f"{sum(p['flagged'] for p in pages if p['kind'] == 'lookalike')} of " + str(
        sum(p["kind"] == "lookalike" for p in pages)
    )
    out["real_pages_shipped_detector"] = real
    out["shipped_threshold"] = round(det.threshold, 4)
    out["seconds"] = round(time.time() - t0, 1)
    args.out.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for split in splits:
        print(
            split, json.dumps(out["splits"][split]["mean"]), json.dumps(out["splits"][split]["shipped_fpr_by_register"])
        )
        for name, row in out["splits"][split]["families"].items():
            print(f"  {name:18s}", {k: v for k, v in row.items() if k.startswith(("auroc", "flagged"))})
    print(
        "real:",
        real["thesaurus_flagged"],
        "thesaurus;",
        real["back_translated_flagged"],
        "back-translated;",
        real["lookalikes_flagged"],
        "look-alikes",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
