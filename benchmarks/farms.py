"""Content farms learned without sources (issue 11): table precision, restore recall, detection, speed.

Farms are simulated from held-out news (dev side: the ``calib`` and ``dev`` splits, which the LM never
trained on; test side: ``test``), with spinner tables the learner has never seen:

* ``fixed``: half A of ``lexicon.split()`` (the learner gets half B), 120 frequent originals, one
  replacement per original (deterministic), every covered word replaced, the usual artefacts;
* ``random``: the same kind of table with up to 3 replacements, one drawn at random per site;
* ``natural``: :data:`NATURAL_SWAPS`, a hand-written table of natural swaps and slang, one
  replacement each, no artefacts (no capitals, repeats or footers);
* ``partial``: the fixed table on half of the site's pages; the others are left clean.

Run: ``python -m benchmarks farms [dev] [test] [--quick]``; results go to
``benchmarks/results/farms-<split>.json`` (and .md, .png; ``--quick``: the four 100-page farms only, to
``farms-<split>-quick.json``). ``--rescore FILE`` recomputes the detection
summaries of a results file with the current ``spun_score`` threshold, without relearning;
``--redetect FILE`` reruns its site detection (table and page evidence) and speed runs.
"""

from __future__ import annotations

import gzip
import json
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from benchmarks.config import RESULTS_DIR
from benchmarks.metrics import RestoreCounts
from benchmarks.registry import md_table, parser_for
from despin.lexicon import SynonymLexicon
from despin.model.bundle import Model
from despin.spinner import Spinner
from despin.tables.apply import TableApplier, apply_edits, with_site_table
from despin.tables.decipher import DecipherConfig, Decipherment, decipher
from despin.tables.site import THRESHOLD, page_score, spun_score
from despin.training.corpora import default_data_dir
from despin.training.splits import REGISTERS, split_of
from despin.types import Spin

DATA = default_data_dir()
NEWS = ("indosum_dev", "clickid_clean")
SIDES = {"dev": ("calib", "dev"), "test": ("test",)}

# Invented for this benchmark: swaps a human editor or a slangy rewriter might make, all of them
# natural Indonesian, some one-to-many and many-to-one. Every pair was checked, both ways, against the
# pairs quoted in the issues and in real/ (README and spin_evidence); none of them is one.
NATURAL_SWAPS: tuple[tuple[str, str], ...] = (
    ("namun", "walau begitu"),
    ("karena", "sebab"),
    ("sangat", "amat"),
    ("hanya", "cuma"),
    ("ingin", "berniat"),
    ("kemudian", "setelah itu"),
    ("agar", "supaya"),
    ("jika", "apabila"),
    ("setelah", "usai"),
    ("membuat", "menciptakan"),
    ("bagaimana", "gimana"),
    ("seperti", "kayak"),
    ("mengatakan", "menyebut"),
    ("meskipun", "walaupun"),
    ("saat ini", "dewasa ini"),
    ("sebelumnya", "sebelum itu"),
    ("banyak", "segudang"),
    ("untuk", "guna"),
)


@dataclass(frozen=True, slots=True)
class Farm:
    """Spun pages of one simulated farm, and its table as (observed, original) pairs, lower case."""

    name: str
    pages: list[Spin]
    originals: list[str]
    gold: frozenset[tuple[str, str]]


def news_docs(side: str) -> list[tuple[str, str]]:
    """(id, text) of the held-out news of one side, sorted by id."""
    out = []
    for corpus in NEWS:
        with gzip.open(DATA / "corpus" / f"{corpus}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if split_of(corpus, rec) in SIDES[side] and len(rec.get("text") or "") > 200:
                    out.append((str(rec["id"]), str(rec["text"])))
    return sorted(out)


def register_docs(split: str) -> dict[str, list[str]]:
    """Texts of every register of the shared corpora in one split, sorted by id (for clean sites)."""
    by: dict[str, list[tuple[str, str]]] = {}
    for corpus, register in REGISTERS.items():
        path = DATA / "corpus" / f"{corpus}.jsonl.gz"
        if not path.is_file():
            continue
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if split_of(corpus, rec) == split and len(rec.get("text") or "") >= 40:
                    by.setdefault(register, []).append((str(rec["id"]), str(rec["text"])))
    return {r: [t for _, t in sorted(v)] for r, v in by.items()}


def thesaurus_table(half_a: SynonymLexicon, vocab: Mapping[str, int], *, seed: int, options: int) -> SynonymLexicon:
    """A farm's table: 120 frequent originals of half A, each with up to ``options`` of its replacements."""
    rng = random.Random(seed)
    pool = sorted(w for w in half_a.words() if " " not in w and vocab.get(w, 0) >= 300)
    chosen = sorted(rng.sample(pool, min(120, len(pool))))
    pairs = []
    for w in chosen:
        reps = list(half_a.synonyms(w))
        rng.shuffle(reps)
        pairs += [(w, r) for r in sorted(reps[:options])]
    return SynonymLexicon.from_pairs(pairs)


def make_farm(kind: str, texts: Sequence[str], *, half_a: SynonymLexicon, vocab: Mapping[str, int], seed: int) -> Farm:
    if kind == "natural":
        table = SynonymLexicon.from_pairs(NATURAL_SWAPS)
        spinner = Spinner(table, rate=1.0, seed=seed, mode="deterministic", capitalize=0.0, repeat=0.0, footer=False)
    else:
        table = thesaurus_table(half_a, vocab, seed=seed, options=3 if kind == "random" else 1)
        mode: Literal["random", "deterministic"] = "random" if kind == "random" else "deterministic"
        spinner = Spinner(table, rate=1.0, seed=seed, mode=mode, capitalize=0.25, repeat=0.02, footer=True)
    pages = []
    for i, t in enumerate(texts):
        if kind == "partial" and i % 2 == 1:
            pages.append(Spin(t, ()))
        else:
            pages.append(spinner.spin(t, doc=i))
    gold = frozenset((s, w) for w, s, _ in table.pairs())
    return Farm(kind, pages, table.words(), gold)


def gold_used(farm: Farm) -> dict[tuple[str, str], int]:
    """(observed, original) -> occurrences among the farm's synonym edits."""
    out: dict[tuple[str, str], int] = {}
    for p in farm.pages:
        for e in p.edits:
            if e.kind == "synonym":
                key = (" ".join(e.observed.lower().split()), " ".join(e.original.lower().split()))
                out[key] = out.get(key, 0) + 1
    return out


def table_metrics(result: Decipherment, farm: Farm) -> dict[str, Any]:
    used = gold_used(farm)
    entries = result.entries
    seen3 = [e for e in entries if e.count >= 3]
    ok3 = [e for e in seen3 if (e.observed, e.original) in farm.gold]
    ok_all = [e for e in entries if (e.observed, e.original) in farm.gold]
    wrong = [f"{e.observed}->{e.original} ({e.count:g})" for e in seen3 if (e.observed, e.original) not in farm.gold]
    # Oracle candidate recall: of the farm's pairs seen 3+ times, how often the true original was a candidate.
    frequent = [k for k, n in used.items() if n >= 3]
    in_cands = [k for k in frequent if k[1] in result.candidate_sets.get(k[0], ())]
    learned = {(e.observed, e.original) for e in entries}
    return {
        "entries": len(entries),
        "entries_seen3": len(seen3),
        "precision_seen3": round(len(ok3) / len(seen3), 4) if seen3 else None,
        "precision_all": round(len(ok_all) / len(entries), 4) if entries else None,
        "gold_pairs_seen3": len(frequent),
        "pair_recall_seen3": round(sum(k in learned for k in frequent) / len(frequent), 4) if frequent else None,
        "oracle_candidate_recall": round(len(in_cands) / len(frequent), 4) if frequent else None,
        "wrong_seen3": wrong[:20],
    }


def restore_metrics(
    result: Decipherment,
    farm_pages: Sequence[Spin],
    originals: Sequence[str],
    model: Model,
    *,
    scorer: Model,
    site_spun: bool,
) -> dict[str, Any]:
    """Restore recall and damage on held-back pages: the table alone, and the scan's whole pipeline.

    *Table alone*: :class:`TableApplier` (only the table's phrases change). *Pipeline*: what
    ``despin scan --group-by`` writes: ``despin.restore(page, table=...)`` with the learner's lexicon
    (``scorer``), gated by the page's detection, then the table applied on top when the site is judged
    spun (:func:`despin.tables.apply.with_site_table`); footers and repeats are judged as gold edits too.
    """
    applier = TableApplier(result.rows, model.lm)
    table = SynonymLexicon.from_pairs((r.original, r.observed, float(r.count)) for r in result.rows)
    alone, pipeline = RestoreCounts(), RestoreCounts()
    for spun, orig in zip(farm_pages, originals, strict=True):
        edits = applier.edits(spun.text)
        alone.add(spun.text, [e for e in spun.edits if e.kind == "synonym"], orig, apply_edits(spun.text, edits))
        res = scorer.restore(spun.text, table=table)
        page_edits = with_site_table(spun.text, res.edits, applier) if site_spun else res.edits
        pipeline.add(spun.text, list(spun.edits), orig, apply_edits(spun.text, page_edits))
    d, p = alone.to_dict(), pipeline.to_dict()
    return {
        "recall": d["exact_restore"],
        "damage": d["damage"],
        "n_synonym": d["n_synonym"],
        "pipeline": {"recall": p["exact_restore"], "damage": p["damage"], "site_spun": site_spun},
    }


CONFIG = DecipherConfig()


def learn(model: Model, lexicon: SynonymLexicon, pages: Sequence[str]) -> tuple[Decipherment, float]:
    t0 = time.process_time()
    res = decipher(pages, lm=model.lm, vocab=model.vocab, lexicon=lexicon, neighbours=model.neighbours, config=CONFIG)
    return res, time.process_time() - t0


def farm_run(
    kind: str,
    side: str,
    model: Model,
    half_a: SynonymLexicon,
    half_b: SynonymLexicon,
    n_learn: int = 100,
    n_eval: int = 60,
    seed: int = 0,
) -> dict[str, Any]:
    docs = [t for _, t in news_docs(side)]
    rng = random.Random(f"{seed}/{side}/{kind}")
    rng.shuffle(docs)
    texts = docs[: n_learn + n_eval]
    farm = make_farm(kind, texts, half_a=half_a, vocab=model.vocab, seed=seed)
    learn_pages = farm.pages[:n_learn]
    res, secs = learn(model, half_b, [p.text for p in learn_pages])
    sub = Farm(kind, list(learn_pages), farm.originals, farm.gold)
    out = {"kind": kind, "side": side, "pages": n_learn, "words": res.n_words, "seconds": round(secs, 2)}
    out.update(table_metrics(res, sub))
    scorer = model.with_lexicon(half_b)
    site = site_features(res, page_flags(scorer, [p.text for p in learn_pages]))
    out["site"] = site
    out["restore"] = restore_metrics(
        res, farm.pages[n_learn:], texts[n_learn:], model, scorer=scorer, site_spun=site["spun_score"] >= THRESHOLD
    )
    return out


def learning_curve(side: str, model: Model, half_a: SynonymLexicon, half_b: SynonymLexicon) -> list[dict[str, Any]]:
    """Fixed-choice farm: table quality and restore recall on 60 held-back pages, by pages learned from."""
    docs = [t for _, t in news_docs(side)]
    random.Random(f"curve/{side}").shuffle(docs)
    farm = make_farm("fixed", docs, half_a=half_a, vocab=model.vocab, seed=0)
    held, held_orig = farm.pages[-60:], docs[-60:]
    out = []
    for n in (10, 30, 100, 300):
        n_eff = min(n, len(docs) - 60)
        pages = farm.pages[:n_eff]
        res, secs = learn(model, half_b, [p.text for p in pages])
        row: dict[str, Any] = {"pages": n_eff, "words": res.n_words, "seconds": round(secs, 2)}
        row.update(table_metrics(res, Farm("fixed", list(pages), farm.originals, farm.gold)))
        scorer = model.with_lexicon(half_b)
        site = site_features(res, page_flags(scorer, [p.text for p in pages]))
        row["restore"] = restore_metrics(
            res, held, held_orig, model, scorer=scorer, site_spun=site["spun_score"] >= THRESHOLD
        )
        row.pop("wrong_seen3")
        out.append(row)
    return out


def site_features(res: Decipherment, flags: Sequence[bool]) -> dict[str, Any]:
    """The site's evidence as :func:`despin.tables.site.judge_site` scores it (``flags``: the page detector's)."""
    row = {"explained": round(res.explained, 5), "entries": len(res.entries), "pages": len(flags)}
    row["pages_flagged"] = sum(flags)
    row["spun_score"] = round(site_score(row), 4)
    return row


def site_score(row: dict[str, Any]) -> float:
    """The larger of the table's and the pages' evidence; rows stored before page flags have the table's only."""
    score = spun_score(row["explained"]) if row["entries"] else 0.0
    if row.get("pages_flagged") is not None:
        score = max(score, page_score(row["pages_flagged"], row["pages"]))
    return score


def page_flags(scorer: Model, pages: Sequence[str]) -> list[bool]:
    return [scorer.detect(p).is_spun for p in pages]


CLEAN_SITES = 30  # per register: a 1% false-positive rate needs many sites, so pages are resampled


def detection(side: str, model: Model, half_a: SynonymLexicon, half_b: SynonymLexicon) -> dict[str, Any]:
    """25-page sites: 6 farms per kind and 30 clean sites per register, pages sampled from the side's splits.

    Dev sites come from the ``calib`` and ``dev`` splits (what spun_score's threshold is set on), test
    sites from ``test``. The clean look-alike pages of ../shared/data/real/ are one more site, scored
    for the report only (never used to set anything).
    """
    docs = [t for _, t in news_docs(side)]
    scorer = model.with_lexicon(half_b)  # the page detector with the learner's lexicon, not the farm's table
    farms: list[dict[str, Any]] = []
    for kind in ("fixed", "random", "natural", "partial"):
        for k in range(6):
            texts = random.Random(f"site/{side}/{kind}/{k}").sample(docs, 25)
            farm = make_farm(kind, texts, half_a=half_a, vocab=model.vocab, seed=k + 1)
            pages = [p.text for p in farm.pages]
            res, _ = learn(model, half_b, pages)
            farms.append({"kind": kind, "site": k, **site_features(res, page_flags(scorer, pages))})
    by: dict[str, list[str]] = {}
    for split in SIDES[side]:
        for register, texts in register_docs(split).items():
            by.setdefault(register, []).extend(texts)
    clean: dict[str, list[dict[str, Any]]] = {}
    for register, texts in sorted(by.items()):
        if len(texts) < 25:
            continue
        for k in range(CLEAN_SITES):
            pages = random.Random(f"clean/{side}/{register}/{k}").sample(texts, 25)
            res, _ = learn(model, half_b, pages)
            clean.setdefault(register, []).append(site_features(res, page_flags(scorer, pages)))
    out: dict[str, Any] = {"farms": farms, "clean": clean}
    lookalikes = DATA / "real" / "clean_lookalikes.jsonl"
    if side == "dev" and lookalikes.is_file():
        pages = [json.loads(line)["text"] for line in lookalikes.read_text(encoding="utf-8").splitlines() if line]
        res, _ = learn(model, half_b, pages)
        out["lookalikes"] = site_features(res, page_flags(scorer, pages))
    return out


def detection_summary(det: dict[str, Any]) -> dict[str, Any]:
    """Flag rates with the current :func:`spun_score` and threshold (rescoring stored explained shares)."""

    def flagged(rows: list[dict[str, Any]]) -> int:
        return sum(site_score(r) >= THRESHOLD for r in rows)

    kinds = sorted({f["kind"] for f in det["farms"]})
    out: dict[str, Any] = {
        "farms_flagged": {k: f"{flagged([f for f in det['farms'] if f['kind'] == k])}/6" for k in kinds},
        "clean_flagged": {r: f"{flagged(v)}/{len(v)}" for r, v in det["clean"].items()},
    }
    if "lookalikes" in det:
        out["lookalikes_flagged"] = bool(flagged([det["lookalikes"]]))
    return out


def speed(model: Model, half_a: SynonymLexicon, half_b: SynonymLexicon) -> list[dict[str, Any]]:
    docs = [t for _, t in news_docs("test")] + [t for _, t in news_docs("dev")]
    farm = make_farm("fixed", docs, half_a=half_a, vocab=model.vocab, seed=0)
    pages = [p.text for p in farm.pages]
    scorer = model.with_lexicon(half_b)
    out = []
    for n in (10, 100, 1000):
        chosen = (pages * (n // len(pages) + 1))[:n]
        res, secs = learn(model, half_b, chosen)
        scorer.restorer()._windows.clear()  # repeated pages must not be free
        t0 = time.process_time()
        page_flags(scorer, chosen)
        flag_secs = time.process_time() - t0
        out.append(
            {
                "pages": n,
                "words": res.n_words,
                "cpu_seconds": round(secs + flag_secs, 2),
                "learn_cpu_seconds": round(secs, 2),
                "page_detect_cpu_seconds": round(flag_secs, 2),
            }
        )
    return out


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for side, d in results.items():
        curve = d.get("learning_curve") or []
        xs = [r["pages"] for r in curve]
        ax.plot(xs, [r["restore"]["recall"] for r in curve], marker="o", label=f"restore recall ({side})")
        ax.plot(
            xs, [r["precision_seen3"] or 0 for r in curve], marker="s", ls="--", label=f"precision seen>=3 ({side})"
        )
    ax.set_xscale("log")
    ax.set_xlabel("pages learned from (fixed-choice farm)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def rescore(path: Path) -> dict[str, Any]:
    """Recompute the detection summaries of a results file with the current spun_score (no relearning)."""
    results: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for side in SIDES:
        if "detection" in results.get(side, {}):
            det = results[side]["detection"]
            for row in [
                *det["farms"],
                *(r for v in det["clean"].values() for r in v),
                *filter(None, [det.get("lookalikes")]),
            ]:
                row["spun_score"] = round(site_score(row), 4)
            results[side]["detection_summary"] = detection_summary(results[side]["detection"])
            print(side, json.dumps(results[side]["detection_summary"]))
    return results


def redetect(path: Path, model: Model, half_a: SynonymLexicon, half_b: SynonymLexicon) -> dict[str, Any]:
    """Rerun the site detection and the speed runs of a results file (the tables are kept)."""
    results: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for side in SIDES:
        if side in results:
            results[side]["detection"] = detection(side, model, half_a, half_b)
            results[side]["detection_summary"] = detection_summary(results[side]["detection"])
            print(side, json.dumps(results[side]["detection_summary"]), flush=True)
    results["speed"] = {"pages": speed(model, half_a, half_b)}
    return results


@dataclass(frozen=True, slots=True)
class FarmsConfig:
    """Which sides to run (``quick``: the four 100-page farms only); ``rescore``/``redetect`` redo the
    detection of an existing results file (rewritten in place)."""

    sides: tuple[str, ...] = ("dev", "test")
    quick: bool = False
    rescore: Path | None = None
    redetect: Path | None = None
    out_dir: Path = RESULTS_DIR


def configure(argv: Sequence[str]) -> FarmsConfig:
    parser = parser_for("farms", __doc__)
    parser.add_argument("sides", nargs="*", help="dev, test or both (the default)")
    parser.add_argument("--quick", action="store_true", help="the four 100-page farms only")
    parser.add_argument("--rescore", type=Path, default=None, help="rescore a results file's detection")
    parser.add_argument("--redetect", type=Path, default=None, help="rerun a results file's detection and speed")
    a = parser.parse_args(list(argv))
    if unknown := [x for x in a.sides if x not in SIDES]:
        parser.error(f"unknown side(s) {', '.join(unknown)}: choose from {', '.join(SIDES)}")
    again = a.rescore or a.redetect
    return FarmsConfig(
        sides=tuple(a.sides) or ("dev", "test"),
        quick=a.quick,
        rescore=a.rescore,
        redetect=a.redetect,
        out_dir=again.parent if again else a.out,
    )


def run(config: FarmsConfig) -> dict[str, Any]:
    if config.rescore is not None:
        return rescore(config.rescore)
    model = Model.default()
    half_a, half_b = model.lexicon.split(seed=0)
    if config.redetect is not None:
        return redetect(config.redetect, model, half_a, half_b)
    results: dict[str, Any] = {}
    for side in config.sides:
        d: dict[str, Any] = {
            "farms": [farm_run(k, side, model, half_a, half_b) for k in ("fixed", "random", "natural", "partial")]
        }
        print(json.dumps(d["farms"], ensure_ascii=False), flush=True)
        if not config.quick:
            d["learning_curve"] = learning_curve(side, model, half_a, half_b)
            d["detection"] = detection(side, model, half_a, half_b)
            d["detection_summary"] = detection_summary(d["detection"])
            print(json.dumps(d["detection_summary"]), flush=True)
        results[side] = d
    if not config.quick:
        results["speed"] = {"pages": speed(model, half_a, half_b)}
        config.out_dir.mkdir(parents=True, exist_ok=True)
        plot({k: v for k, v in results.items() if k in SIDES}, config.out_dir / f"{result_name(config, results)}.png")
    return results


def result_name(config: FarmsConfig, result: dict[str, Any]) -> str:
    again = config.rescore or config.redetect
    if again is not None:
        return again.stem
    return f"farms-{'-'.join(config.sides)}{'-quick' if config.quick else ''}"


def render(result: dict[str, Any]) -> str:
    rows = [
        [
            side,
            f["kind"],
            f["pages"],
            f["entries_seen3"],
            f["precision_seen3"],
            f["restore"]["recall"],
            f["restore"]["damage"],
            f["site"]["spun_score"],
        ]
        for side in SIDES
        for f in result.get(side, {}).get("farms", [])
    ]
    lines = [
        "# Content farms learned without sources",
        "",
        md_table(
            ["side", "farm", "pages", "entries seen 3+", "precision seen 3+", "restore recall", "damage", "site score"],
            rows,
        ),
        "",
    ]
    for side in SIDES:
        summary = result.get(side, {}).get("detection_summary")
        if summary:
            lines.append(
                f"- {side}: farms flagged {summary['farms_flagged']}, clean sites flagged {summary['clean_flagged']}"
            )
    for r in result.get("speed", {}).get("pages", []):
        lines.append(f"- {r['pages']} pages: {r['cpu_seconds']} s CPU (learn {r['learn_cpu_seconds']} s)")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from benchmarks.registry import main

    main("farms")
