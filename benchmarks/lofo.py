"""Leave one family out: the page score and the restorer on spinners they never trained on, and on real pages.

``python -m benchmarks lofo [--suite quick|full] [--seed 0] [--model DIR]`` fits the edit, word and
page models on the calib positions of every zoo family but one (:func:`despin.training.fit.fit_models`,
what ``despin build-model`` runs on all of them), and measures, on dev and test pages:

* **detection**: AUROC of the page score on news spun at 3%, at 10% and at the family's native rate
  against the clean pages of the split, and the share flagged; each zoo family with the model that
  never saw it, and with its pairs cut from the lexicon; each real tool's table (never trained on)
  with the model fitted on all zoo families and the lexicon we ship;
* **false positives**: the share of clean pages flagged in every register;
* **restoration** (as the API gates it): recall of substituted words, damage to untouched ones, and
  wrong edits, on news spun at the native rate;
* **real pages** (:mod:`benchmarks.real` and ``shared/data/real``): AUROC, spun pages flagged,
  look-alikes flagged.

Scores are computed from stored positions (the readings every word would get if searched) under each
fitted model, which gives exactly what ``detect`` gives (``tests/unit/test_word_features.py`` checks
the rows; ``test_lofo_scores_match_detect`` the scores). Writes ``benchmarks/results/lofo-<suite>-<sha>.json``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.config import BenchConfig
from benchmarks.datasets import CleanDoc, sample_clean
from benchmarks.lofo_data import EvalSet, cut_lexicon, eval_set, train_table
from benchmarks.lofo_policy import wrong_edits
from benchmarks.metrics import RestoreCounts, auroc
from benchmarks.registry import common_options, git_sha, md_table, parser_for
from despin.api import load_model, restore
from despin.lexicon import SynonymLexicon
from despin.model.bundle import Model
from despin.restorer.document import EditPolicy
from despin.spinner.zoo import SpinnerFamily, multiword_table
from despin.training.build import training_zoo
from despin.training.fit import FittedModels, fit_models, page_scores

SPLITS = ("dev", "test")


@dataclass(frozen=True)
class LofoConfig:
    bench: BenchConfig
    per_corpus: int  # calib documents per corpus for training
    n_news: int  # news pages per split that every family spins
    n_restore: int  # of those, restored through the API per family and split

    @property
    def suite(self) -> str:
        return str(self.bench.suite)


def configure(argv: Sequence[str]) -> LofoConfig:
    parser = common_options(parser_for("lofo", __doc__))
    args = parser.parse_args(argv)
    quick = args.suite == "quick"
    bench = BenchConfig(
        suite=args.suite,
        seed=args.seed,
        out_dir=args.out,
        model=args.model,
        sample_size=args.sample_size or (8 if quick else 30),
    )
    return LofoConfig(bench, per_corpus=60 if quick else 200, n_news=8 if quick else 30, n_restore=4 if quick else 15)


def result_name(cfg: LofoConfig, result: dict[str, Any]) -> str:
    return f"lofo-{cfg.suite}-{result['git_sha']}"


def _meta_array(table_meta: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    return np.array([m[key] for m in table_meta])


def _detection(models: FittedModels, ev: EvalSet, family: str) -> dict[str, Any]:
    """AUROC and flagged share of one family's spins against the split's clean pages, per rate."""
    meta = ev.table.doc_meta
    arrays = ev.table.arrays()
    llr, _ = page_scores(models, arrays, len(meta))
    footer = _meta_array(meta, "footer").astype(float)
    page = models.page
    score = 1.0 / (1.0 + np.exp(-(page.scale * llr + page.footer_llr * footer + page.bias)))
    fam, rate, spun = _meta_array(meta, "family"), _meta_array(meta, "rate"), _meta_array(meta, "spun")
    clean = score[~spun].tolist()
    out: dict[str, Any] = {}
    for r, name in ((0.03, "3%"), (0.10, "10%"), (0.0, "native")):
        pos = score[(fam == family) & (rate == r)].tolist()
        out[name] = {
            "auroc": auroc(pos, clean),
            "flagged": float(np.mean(np.array(pos) >= page.threshold)) if pos else None,
            "n": len(pos),
        }
    return out


def _false_positives(models: FittedModels, ev: EvalSet) -> dict[str, float]:
    meta = ev.table.doc_meta
    llr, _ = page_scores(models, ev.table.arrays(), len(meta))
    footer = _meta_array(meta, "footer").astype(float)
    page = models.page
    score = 1.0 / (1.0 + np.exp(-(page.scale * llr + page.footer_llr * footer + page.bias)))
    spun, reg = _meta_array(meta, "spun"), _meta_array(meta, "register")
    return {r: float(np.mean(score[(~spun) & (reg == r)] >= page.threshold)) for r in sorted(set(reg[~spun]))}


def _restoration(model: Model, ev: EvalSet, family: str, n: int) -> dict[str, Any]:
    counts = RestoreCounts()
    wrong = 0
    spins = [s for s in ev.spins if s.family == family and s.rate == 0.0][:n]
    for s in spins:
        res = restore(s.spin.text, model=model)
        counts.add(s.spin.text, s.spin.edits, s.original, res.text)
        wrong += wrong_edits(s.spin, res.edits)
    return {**counts.to_dict(), "wrong_edits": wrong}


def farm_family(model: Model, seed: int) -> SpinnerFamily:
    """A farm in the style of the article this project started from, built from the zoo's own material.

    Every replacement capitalised in mid-sentence, one table for the whole farm with one-word to
    multi-word swaps (half of the lexicon plus its multi-word pairs), a doubled word now and then, and a
    source footer.
    """
    half, _ = model.lexicon.split(seed=seed + 11)
    table = SynonymLexicon.merge(half, multiword_table(half))
    return SpinnerFamily(
        "farm_article",
        table,
        "half+multiword",
        mode="deterministic",
        rate=0.1,
        capitalize=1.0,
        repeat=0.004,
        footer=True,
        description="capitalised farm with multi-word swaps and a footer",
    )


def _farm_article(model: Model, scorer: Model, docs: Sequence[CleanDoc], seed: int) -> dict[str, Any]:
    """Pages in the farm article's style: about 24 substitutions each; flagged, restored, wrong edits."""
    fam = farm_family(model, seed)
    rows: list[dict[str, Any]] = []
    for i, d in enumerate(docs):
        n_words = len(d.text.split())
        spin = fam.spinner(seed=seed + i, rate=min(0.5, 24 / max(n_words, 1))).spin(d.text, doc=i)
        res = restore(spin.text, model=scorer)
        counts = RestoreCounts()
        counts.add(spin.text, spin.edits, d.text, res.text)
        c = counts.to_dict()
        rows.append(
            {
                "doc_id": d.doc_id,
                "flagged": res.detection.is_spun,
                "score": res.detection.score,
                "substitutions": counts.n_synonym,
                "restored": counts.n_restored,
                "wrong_edits": wrong_edits(spin, res.edits),
                "repeat_removed": c["repeat_removal"],
                "footer_removed": c["footer_removal"],
            }
        )
    ok = [r for r in rows if r["flagged"] and r["restored"] >= 0.75 * r["substitutions"] and r["wrong_edits"] <= 1]
    return {"pages": rows, "n_meeting_target": len(ok), "n": len(rows)}


def _policy(scorers: Mapping[str, Model], evals: Mapping[str, EvalSet], n: int) -> dict[str, Any]:
    """The edit policy's curve on every held-out family's native spins, per split; the best on dev is chosen."""
    from benchmarks.lofo_policy import best, curve, decode

    out: dict[str, Any] = {}
    for split in SPLITS:
        decoded = []
        for name, scorer in scorers.items():
            spins = [s for s in evals[split].spins if s.family == name and s.rate == 0.0][:n]
            decoded += decode(scorer, [(s.spin, s.original) for s in spins])
        out[split] = curve(decoded)
    out["chosen"] = best(out["dev"])
    return out


def _oracle(
    model: Model, families: Mapping[str, SpinnerFamily], cut: Sequence[str], bench: BenchConfig, n_news: int
) -> dict[str, Any]:
    """Oracle candidate recall per source and in union, per family and split, and on real dev pairs."""
    from benchmarks.lofo_oracle import family_recall, real_pairs_recall
    from benchmarks.real import load_pages

    out: dict[str, Any] = {}
    for split in SPLITS:
        sample = BenchConfig(suite=bench.suite, seed=bench.seed, sample_size=n_news, splits=(split,))
        news = [d.text for d in sample_clean(sample) if d.register == "news" and d.split == split][:n_news]
        out[split] = {
            name: family_recall(model, fam, news, cut=name in cut, seed=bench.seed) for name, fam in families.items()
        }
    real = [(p.text, p.original_text) for p in load_pages(split="dev", label="spun") if p.original_text]
    out["real_dev_pairs"] = real_pairs_recall(model, real)
    return out


def _real_pages(model: Model) -> dict[str, Any]:
    from benchmarks.real import load_pages
    from benchmarks.zoo_sources import THESAURUS_TYPES, load_real_pages
    from despin.training.corpora import default_data_dir

    out: dict[str, Any] = {}
    shared = load_real_pages(default_data_dir())
    for split in SPLITS:
        pages = load_pages(split=split)
        spun = [p.text for p in pages if p.label == "spun" and p.spin_type in THESAURUS_TYPES]
        clean = [p.text for p in pages if p.label == "clean"]
        if split == "dev":  # the shared pages were always our dev pages
            spun += [p.text for p in shared if p.kind in THESAURUS_TYPES]
            clean += [p.text for p in shared if p.kind == "lookalike"]
        s = [model.detect(t) for t in spun]
        c = [model.detect(t) for t in clean]
        out[split] = {
            "n_spun": len(s),
            "n_clean": len(c),
            "auroc": auroc([d.score for d in s], [d.score for d in c]),
            "spun_flagged": float(np.mean([d.is_spun for d in s])) if s else None,
            "clean_flagged": float(np.mean([d.is_spun for d in c])) if c else None,
            "n_clean_flagged": int(sum(d.is_spun for d in c)),
        }
    return out


def run(cfg: LofoConfig) -> dict[str, Any]:
    t0 = time.time()
    bench = cfg.bench
    model = load_model(bench.model)
    data_dir = bench.resolved_data_dir()
    zoo = training_zoo(data_dir, model, seed=bench.seed)
    from benchmarks.zoo_tables.families import tool_families

    tools = tool_families()
    families = {**zoo, **tools}
    log = print
    train = train_table(model, zoo, data_dir, per_corpus=cfg.per_corpus, seed=bench.seed, log=log)
    arrays, meta = train.arrays(), train.doc_meta
    fam_of_doc = _meta_array(meta, "family")
    fits = {"all": fit_models(arrays, meta, seed=bench.seed)}
    for name in zoo:
        fits[name] = fit_models(arrays, meta, docs=fam_of_doc != name, seed=bench.seed)
        log(f"fitted without {name}")
    result: dict[str, Any] = {"git_sha": git_sha(), "suite": cfg.suite, "families": {}, "false_positives": {}}
    evals = {
        split: eval_set(model, families, sorted(zoo), bench, split, n_news=cfg.n_news, log=log) for split in SPLITS
    }
    scorers = {}
    for name, fam in families.items():
        models = fits.get(name, fits["all"])
        scorer = model.with_models(models.edit, models.first_stage, models.words, models.page)
        scorers[name] = scorer.with_lexicon(cut_lexicon(model, fam.table)) if name in zoo else scorer
    result["policy"] = _policy(scorers, evals, cfg.n_restore)
    chosen = result["policy"]["chosen"]
    policy = EditPolicy(chosen["min_confidence"], chosen["min_share"]) if chosen else EditPolicy()
    for split in SPLITS:
        ev = evals[split]
        result["false_positives"][split] = _false_positives(fits["all"], ev)
        for name, fam in families.items():
            models = fits.get(name, fits["all"])
            entry = result["families"].setdefault(name, {"held_out": name in zoo, "capitalised": fam.capitalised})
            entry.setdefault("detection", {})[split] = _detection(models, ev, name)
            scorer = scorers[name]
            scorer.__dict__["edit_policy"] = policy
            entry.setdefault("restore", {})[split] = _restoration(scorer, ev, name, cfg.n_restore)
        log(f"{split}: scored")
    all_model = model.with_models(fits["all"].edit, fits["all"].first_stage, fits["all"].words, fits["all"].page)
    result["real_pages"] = _real_pages(all_model)
    result["oracle"] = _oracle(model, families, sorted(zoo), bench, cfg.n_news)
    result["farm_article"] = {}
    for split in SPLITS:
        sample = BenchConfig(suite=bench.suite, seed=bench.seed, sample_size=cfg.n_restore, splits=(split,))
        news = [d for d in sample_clean(sample) if d.register == "news" and d.split == split][: cfg.n_restore]
        result["farm_article"][split] = _farm_article(model, all_model, news, bench.seed)
    result["summary"] = summarize(result)
    result["seconds"] = round(time.time() - t0, 1)
    return result


def summarize(result: dict[str, Any]) -> dict[str, Any]:
    """Averages over held-out families, per split."""
    out: dict[str, Any] = {}
    fams = result["families"]
    for split in SPLITS:
        row: dict[str, Any] = {}
        for rate in ("3%", "10%", "native"):
            vals = [
                f["detection"][split][rate]["auroc"]
                for f in fams.values()
                if f["detection"][split][rate]["auroc"] is not None
            ]
            row[f"auroc_{rate}"] = float(np.mean(vals)) if vals else None
        rec = [
            f["restore"][split]["exact_restore"]
            for f in fams.values()
            if f["restore"][split]["exact_restore"] is not None
        ]
        dmg = [f["restore"][split]["damage"] for f in fams.values() if f["restore"][split]["damage"] is not None]
        cap = [
            f["restore"][split]["exact_restore"]
            for f in fams.values()
            if f["capitalised"] and f["restore"][split]["exact_restore"] is not None
        ]
        row["restore_recall"] = float(np.mean(rec)) if rec else None
        row["damage"] = float(np.mean(dmg)) if dmg else None
        row["restore_recall_capitalised"] = float(np.mean(cap)) if cap else None
        row["max_clean_fpr"] = max(result["false_positives"][split].values(), default=None)
        out[split] = row
    return out


def _f(x: Any) -> str:
    return "" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def render(result: dict[str, Any]) -> str:
    lines = [f"# Leave one family out ({result['suite']}, {result['git_sha']})", ""]
    lines += ["## Summary (held-out families averaged)", ""]
    keys = [
        "auroc_3%",
        "auroc_10%",
        "auroc_native",
        "restore_recall",
        "damage",
        "restore_recall_capitalised",
        "max_clean_fpr",
    ]
    lines += [md_table(["split", *keys], [[s, *[_f(result["summary"][s][k]) for k in keys]] for s in SPLITS])]
    chosen = result["policy"]["chosen"]
    lines += ["", "## Edit policy (chosen on dev: the best recall at damage <= 0.5%)", ""]
    lines += [f"Chosen: {chosen}" if chosen else "No policy keeps damage within 0.5% on dev.", ""]
    pts = [p for p in result["policy"]["dev"] if p["min_share"] in (0.3, 0.5)]
    lines += [
        md_table(
            ["min_confidence", "min_share", "recall", "damage", "wrong edits"],
            [[p["min_confidence"], p["min_share"], _f(p["recall"]), _f(p["damage"]), p["wrong_edits"]] for p in pts],
        )
    ]
    lines += ["", "## Families", ""]
    rows = []
    for name, f in sorted(result["families"].items()):
        for split in SPLITS:
            d, r = f["detection"][split], f["restore"][split]
            rows.append(
                [
                    name,
                    split,
                    _f(d["3%"]["auroc"]),
                    _f(d["10%"]["auroc"]),
                    _f(d["native"]["auroc"]),
                    _f(d["native"]["flagged"]),
                    _f(r["exact_restore"]),
                    _f(r["damage"]),
                    _f(r["wrong_edits"]),
                ]
            )
    lines += [
        md_table(
            [
                "family",
                "split",
                "AUROC 3%",
                "AUROC 10%",
                "AUROC native",
                "flagged native",
                "restore",
                "damage",
                "wrong edits",
            ],
            rows,
        )
    ]
    lines += ["", "## Clean pages flagged, per register", ""]
    regs = sorted({r for s in SPLITS for r in result["false_positives"][s]})
    lines += [
        md_table(["split", *regs], [[s, *[_f(result["false_positives"][s].get(r)) for r in regs]] for s in SPLITS])
    ]
    lines += ["", "## Pages in the farm article's style (about 24 substitutions each)", ""]
    fa = result["farm_article"]
    lines += [
        md_table(
            ["split", "page", "flagged", "restored", "wrong edits"],
            [
                [s, r["doc_id"], r["flagged"], f"{r['restored']} of {r['substitutions']}", r["wrong_edits"]]
                for s in SPLITS
                for r in fa[s]["pages"]
            ],
        )
    ]
    from benchmarks.lofo_oracle import table

    for split in SPLITS:
        header, rows_ = table(result["oracle"][split])
        lines += [
            "",
            f"## Oracle candidate recall, {split} (zoo families with their pairs cut)",
            "",
            md_table(header, rows_),
        ]
    header, rows_ = table({"real dev pairs": result["oracle"]["real_dev_pairs"]})
    lines += ["", "## Oracle candidate recall on pairs aligned from real dev pages", "", md_table(header, rows_)]
    lines += ["", "## Real pages", "", _real_pages_table(result["real_pages"], ("spun", "clean"))]
    return "\n".join(lines) + "\n"


def _real_pages_table(rp: dict[str, Any], counts: tuple[str, str]) -> str:
    """Per split: pages, AUROC, the share of spun pages flagged and the clean pages flagged."""
    return md_table(
        ["split", *counts, "AUROC", "spun flagged", "clean flagged"],
        [
            [
                s,
                rp[s]["n_spun"],
                rp[s]["n_clean"],
                _f(rp[s]["auroc"]),
                _f(rp[s]["spun_flagged"]),
                f"{rp[s]['n_clean_flagged']} ({_f(rp[s]['clean_flagged'])})",
            ]
            for s in SPLITS
        ],
    )


def readme_part(result: dict[str, Any], *, source: str) -> str:
    """The README's summary of a leave-one-family-out run: held-out spinners, the farm article, real pages."""
    lines = [
        f"**Spinners never trained on** (`python -m benchmarks lofo --suite {result['suite']}`, "
        f"[`{source}`](benchmarks/results/{source})): each zoo family left out of training in turn and searched "
        "with its own pairs cut from the lexicon, and the tables of real open-source spinners "
        "(`benchmarks/zoo_tables/`), averaged over families:",
        "",
    ]
    keys = ["auroc_3%", "auroc_10%", "auroc_native", "restore_recall", "damage", "restore_recall_capitalised"]
    lines.append(
        md_table(
            ["split", *keys, "worst clean FPR"],
            [
                [s, *[_f(result["summary"][s][k]) for k in keys], _f(result["summary"][s]["max_clean_fpr"])]
                for s in SPLITS
            ],
        )
    )
    fa = result.get("farm_article", {})
    if fa:
        lines += [
            "",
            "Pages in the style of the farm article (about 24 capitalised, partly multi-word substitutions, "
            "a doubled word, a footer): "
            + "; ".join(
                f"{s}: {fa[s]['n_meeting_target']} of {fa[s]['n']} flagged with at least 75% restored and at "
                "most 1 wrong edit"
                for s in SPLITS
                if s in fa
            )
            + ".",
        ]
    rp = result["real_pages"]
    lines += [
        "",
        "**Real pages** (`benchmarks/real/`, thesaurus-spun pages and clean look-alikes found on the web; "
        "evaluation only):",
        "",
    ]
    lines.append(_real_pages_table(rp, ("spun pages", "clean pages")))
    return "\n".join(lines) + "\n"
