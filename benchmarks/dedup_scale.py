"""CPU seconds per page of ``despin dedup`` against crawl size (2k to 100k pages), for ``benchmarks.dedup --scale``.

Every crawl has the same make-up, so a flat curve means linear cost: 28% original pages (the news
of ../shared/data, CLICK-ID link-gaps first, then the other registers), 58% spun copies of them by
the eight zoo families (one farm host per family), 10% verbatim mirror copies and 4% farm pages whose
sources are not in the crawl. 100,000 pages need 32,000 distinct texts of 200+ characters
(../shared/data holds 32,827); a crawl the pool cannot fill is refused, never built with another
make-up. Each size runs in a fresh child process with one worker (:func:`benchmarks.dedup.run_dedup`),
so its CPU and peak memory are the job's own.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.dedup_corpus import DATA, write_shards

SHARE_COPIES, SHARE_MIRROR, SHARE_OWN = 0.58, 0.10, 0.04
CORPORA = (
    "clickid_link_gaps",
    "indosum_dev",
    "clickid_clean",
    "indonli_premises",
    "indonlu_facqa_wrete",
    "debian_handbook_id",
    "tydiqa_id_dev",
    "ntrex128_ind",
    "nlp_ngram_wiki",
)


def pool(limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` distinct texts of 200+ characters, with their outlet's URL when they have one."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for corpus in CORPORA:
        path = DATA / "corpus" / f"{corpus}.jsonl.gz"
        if not path.is_file():
            continue
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                text, rid = str(r.get("text") or ""), str(r["id"])
                if len(text) < 200 or rid in seen:
                    continue
                seen.add(rid)
                url = str(r.get("url") or f"https://{corpus.replace('_', '-')}.example/{len(out)}")
                out.append({"id": rid, "url": url, "text": text})
                if len(out) >= limit:
                    return out
    return out


def crawl(n: int, families: dict[str, Any], seed: int = 0) -> list[dict[str, Any]]:
    """A crawl of ``n`` pages with the make-up of the module docstring."""
    n_copies, n_mirror, n_own = int(n * SHARE_COPIES), int(n * SHARE_MIRROR), int(n * SHARE_OWN)
    n_orig = n - n_copies - n_mirror - n_own
    docs = pool(n_orig + n_own)
    if len(docs) < n_orig + n_own:
        raise ValueError(
            f"a crawl of {n:,} pages needs {n_orig + n_own:,} distinct texts; the data holds {len(docs):,}"
        )
    rng = random.Random(f"scale/{seed}/{n}")
    rng.shuffle(docs)
    originals, unsourced = docs[:n_orig], docs[n_orig : n_orig + n_own]
    recs = list(originals)
    names = sorted(families)
    for k in range(n_copies):
        fam = names[k % len(names)]
        src = originals[rng.randrange(len(originals))]
        text = families[fam].spin(src["text"], seed=seed, doc=k).text
        recs.append({"id": f"{fam}/c{k}", "url": f"https://kabar-{fam.replace('_', '-')}.example/c{k}", "text": text})
    for k in range(n_mirror):
        src = originals[rng.randrange(len(originals))]
        recs.append({"id": f"mirror/{k}", "url": f"https://cermin.example/{k}", "text": src["text"]})
    for k, src in enumerate(unsourced):
        fam = names[k % len(names)]
        text = families[fam].spin(src["text"], seed=seed, doc=10_000_000 + k).text
        recs.append({"id": f"{fam}/o{k}", "url": f"https://kabar-{fam.replace('_', '-')}.example/o{k}", "text": text})
    rng.shuffle(recs)
    return recs


def scaling(sizes: Sequence[int], work: Path) -> dict[str, Any]:
    """Run despin dedup on a crawl of each size; CPU per page, peak memory and wall time per size."""
    from benchmarks.dedup import run_dedup
    from benchmarks.zoo_sources import zoo_sources
    from despin import load_model
    from despin.spinner.zoo import build_zoo

    model = load_model()
    sources, _ = zoo_sources(model, DATA)
    families = build_zoo(sources)
    rows = []
    for n in sizes:
        folder = work / str(n)
        if folder.exists():
            shutil.rmtree(folder)
        recs = crawl(n, families)
        corpus = write_shards(recs, folder / "in", shards=max(4, n // 2500))
        stats = run_dedup(corpus, folder / "out")
        pages = stats["input"] - stats["rejected"]
        cpu = sum(stats["cpu_seconds"].values())
        rows.append(
            {
                "pages": pages,
                "cpu_seconds": round(cpu, 2),
                "cpu_seconds_per_page": round(cpu / pages, 6),
                "cpu_seconds_by_stage": stats["cpu_seconds"],
                "farm_scoring_cpu_seconds": stats["farm_scoring_cpu_seconds"],
                "core_cpu_seconds_per_page": round((cpu - stats["farm_scoring_cpu_seconds"]) / pages, 6),
                "copies": stats["copies"],
                "farms": len(stats["farms"]),
                "peak_rss_mb": round(stats["process_peak_rss_mb"], 1),
                "peak_rss_mb_by_stage": stats["peak_rss_mb"],
                "pairs": stats.get("pairs"),
                "wall_seconds": stats["wall_seconds"],
                "index_bytes": sum(
                    p.stat().st_size for p in (folder / "out" / "dedup" / "sign").rglob("*") if p.is_file()
                ),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
        shutil.rmtree(folder)
    return {"make_up": {"copies": SHARE_COPIES, "mirror": SHARE_MIRROR, "own": SHARE_OWN}, "rows": rows}
