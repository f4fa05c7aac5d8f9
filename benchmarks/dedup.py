"""despin dedup vs MinHash LSH on crawls with content farms, a mirror and quoting blogs (dev and test).

``python -m benchmarks.dedup [--splits dev test] [--quick] [--scale 2000 10000 50000 100000]``
builds one crawl per split (:mod:`benchmarks.dedup_corpus`), runs ``despin dedup`` on it in a child
process (one worker, so its CPU seconds and peak memory are the job's own; its model's lexicon is
half B of ``lexicon.split()``, so half A is a table despin never saw), and scores the output
against the ground truth: copy recall per farm, reversed pairs, false copies, mirror recall, farms
and clean sites flagged, farm pages without a source flagged, CPU seconds per page and peak memory.
The same records go through datasketch's MinHash LSH (word 5-gram shingles, 128 permutations,
thresholds 0.8 / 0.5 / 0.3), timed the same way. ``--scale`` measures despin's CPU per page on
crawls of those sizes (:mod:`benchmarks.dedup_scale`). Results:
``benchmarks/results/dedup-<splits>-<sha>.json``, ``.md`` and ``.png``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing as mp
import resource
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.config import CACHE_DIR, RESULTS_DIR
from benchmarks.dedup_corpus import DATA, FAMILIES, CrawlConfig, Truth, build_crawl, write_shards
from benchmarks.registry import git_sha

THRESHOLDS = (0.8, 0.5, 0.3)
NUM_PERM = 128
SHINGLE = 5


@dataclass(frozen=True, slots=True)
class DedupBenchConfig:
    """The splits, the crawl sizes, the scaling sizes and where results go."""

    splits: tuple[str, ...] = ("dev", "test")
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    scale: tuple[int, ...] = ()
    retrieval: bool = False
    tables: bool = False
    out_dir: Path = RESULTS_DIR
    work_dir: Path = CACHE_DIR / "dedup"
    crawls: bool = True


def configure(argv: Sequence[str]) -> DedupBenchConfig:
    p = argparse.ArgumentParser(prog="python -m benchmarks dedup", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--splits", nargs="+", choices=["dev", "test"], default=["dev", "test"])
    p.add_argument("--quick", action="store_true", help="small crawls (100 outlet pages, 3 farms' worth of copies)")
    p.add_argument("--scale", nargs="*", type=int, default=[], help="crawl sizes for the CPU-per-page curve")
    p.add_argument("--retrieval", action="store_true", help="also measure the signature layouts (dedup_retrieval)")
    p.add_argument("--tables", action="store_true", help="also measure unsupervised table calibration (dedup_tables)")
    p.add_argument("--no-crawl", action="store_true", help="skip the crawls (only --retrieval, --tables, --scale)")
    p.add_argument("--out", type=Path, default=RESULTS_DIR)
    a = p.parse_args(list(argv))
    crawl = CrawlConfig(outlets=100, copies=10, own=10, mirror=8, blogs=4, singles=10) if a.quick else CrawlConfig()
    return DedupBenchConfig(tuple(a.splits), crawl, tuple(a.scale), a.retrieval, a.tables, a.out, crawls=not a.no_crawl)


def _child(corpus: str, out: str, queue: Any) -> None:
    """Run the dedup job in this (fresh) process with a half-B lexicon; report its stats and peak memory."""
    import despin
    from despin.batch.dedup import dedup

    model = despin.load_model()
    _, half_b = model.lexicon.split(seed=0)
    cpu0 = time.process_time()
    stats = dedup(corpus, out, model=model.with_lexicon(half_b), progress=False)
    queue.put(
        {
            **stats.to_dict(),
            "process_cpu_seconds": time.process_time() - cpu0,
            "process_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def run_dedup(corpus: Path, out: Path) -> dict[str, Any]:
    """``despin dedup`` in a spawned process; its stats dict (with ``process_peak_rss_mb`` of that process).

    ``peak_rss_mb`` in the stats holds the process's peak as each stage ended (the peak only grows,
    so the stage where it jumps is the one that needed the memory).
    """
    if out.exists():
        shutil.rmtree(out)
    ctx = mp.get_context("spawn")
    queue = ctx.SimpleQueue()
    proc = ctx.Process(target=_child, args=(str(corpus), str(out), queue))
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f"the dedup child failed with exit code {proc.exitcode}")
    result: dict[str, Any] = queue.get()
    return result


def read_output(out: Path) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(record id -> its ``despin`` annotation, host -> its hosts.jsonl line)."""
    recs: dict[str, dict[str, Any]] = {}
    for path in sorted(out.glob("part-*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                recs[str(r["id"])] = r["despin"]
    hosts = {}
    for line in (out / "hosts.jsonl").read_text(encoding="utf-8").splitlines():
        h = json.loads(line)
        hosts[h["host"]] = h
    return recs, hosts


def score(recs: dict[str, dict[str, Any]], hosts: dict[str, dict[str, Any]], truth: Truth) -> dict[str, Any]:
    """The ground-truth metrics of one dedup output.

    A copy is linked right when its ``copy_of`` is its source or a page of the data that is one text
    with it (:func:`benchmarks.dedup_corpus.data_duplicates`); a farm page spun from a page absent
    from the crawl whose text is nevertheless in it (a data duplicate) counts as a copy, not as a page
    without a source.
    """

    def origin(rid: str) -> str | None:
        """The original text a record carries: itself, its source, or what a farm page was spun from."""
        role = truth.role.get(rid)
        if role in ("copy", "mirror"):
            return truth.source[rid]
        if role == "own":
            return truth.origin[rid]
        return rid if role == "outlet" else None

    in_crawl = {truth.group.get(r, r) for r, role in truth.role.items() if role == "outlet"}

    def has_source(rid: str) -> bool:
        o = origin(rid)
        return o is not None and truth.group.get(o, o) in in_crawl

    per_farm: dict[str, dict[str, Any]] = {}
    for host, family in sorted(truth.farms.items()):
        pages = [r for r, h in truth.site.items() if h == host]
        copies = [r for r in pages if truth.role[r] == "copy"]
        own = [r for r in pages if truth.role[r] == "own" and not has_source(r)]
        found = [
            r
            for r in copies
            if recs[r]["copy_of"] is not None
            and truth.same(origin(recs[r]["copy_of"]) or "", truth.source[r])
            and recs[r]["relation"] == "spun"
        ]
        per_farm[family] = {
            "host": host,
            "copies": len(copies),
            "copy_recall": round(len(found) / len(copies), 4) if copies else None,
            "missed": sorted(set(copies) - set(found))[:5],
            "flagged": bool(hosts.get(host, {}).get("is_farm")),
            "own_pages": len(own),
            "own_with_data_duplicate": sum(truth.role[r] == "own" for r in pages) - len(own),
            "own_flagged": round(sum(bool(recs[r]["is_spun"]) for r in own) / len(own), 4) if own else None,
            "table_entries": hosts.get(host, {}).get("table_entries"),
        }
    reversed_pairs, false_copies, data_dups = [], [], []
    for rid, d in sorted(recs.items()):
        src = d["copy_of"]
        if src is None:
            continue
        a, b = origin(rid), origin(src)
        same_text = a is not None and b is not None and truth.same(a, b)
        if not same_text:
            false_copies.append([rid, src, truth.role.get(rid), truth.role.get(src)])
        elif truth.role.get(rid) == "outlet" and truth.role.get(src) in ("copy", "mirror", "own"):
            reversed_pairs.append([rid, src])
        elif truth.role.get(rid) == "outlet" and truth.role.get(src) == "outlet":
            data_dups.append([rid, src])
    mirrors = [r for r, role in truth.role.items() if role == "mirror"]
    mirror_ok = [
        r for r in mirrors if recs[r]["copy_of"] and truth.same(origin(recs[r]["copy_of"]) or "", truth.source[r])
    ]
    clean_hosts = sorted({h for r, h in truth.site.items() if truth.role[r] not in ("copy", "own")})
    linked_events = [p for p in truth.same_event if recs[p[0]]["copy_of"] == p[1] or recs[p[1]]["copy_of"] == p[0]]
    return {
        "farms": per_farm,
        "min_copy_recall": min((f["copy_recall"] or 0.0) for f in per_farm.values()),
        "reversed_pairs": len(reversed_pairs),
        "reversed_examples": reversed_pairs[:5],
        "false_copies": len(false_copies),
        "false_copy_examples": false_copies[:10],
        "data_duplicates_linked": len(data_dups),
        "data_duplicate_examples": data_dups[:10],
        "mirror_recall": round(len(mirror_ok) / len(mirrors), 4) if mirrors else None,
        "farms_flagged": f"{sum(f['flagged'] for f in per_farm.values())}/{len(per_farm)}",
        "clean_sites": len(clean_hosts),
        "clean_sites_flagged": sorted(h for h in clean_hosts if hosts.get(h, {}).get("is_farm")),
        "same_event_pairs": len(truth.same_event),
        "same_event_linked": len(linked_events),
        "blogs_linked": sum(recs[r]["copy_of"] is not None for r, role in truth.role.items() if role == "blog"),
    }


def shingles(text: str, n: int = SHINGLE) -> set[bytes]:
    words = text.lower().split()
    return {" ".join(words[i : i + n]).encode() for i in range(max(1, len(words) - n + 1))}


def minhash_lsh(recs: Sequence[dict[str, Any]], truth: Truth, threshold: float) -> dict[str, Any]:
    """datasketch MinHash LSH on the same records: CPU per page, and which true pairs become candidates."""
    from datasketch import MinHash, MinHashLSH

    t0 = time.process_time()
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    sketches = {}
    for r in recs:
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch(list(shingles(str(r["text"]))))
        sketches[str(r["id"])] = m
        lsh.insert(str(r["id"]), m)
    pairs: set[tuple[str, str]] = set()
    for rid, m in sketches.items():
        for other in lsh.query(m):
            if other != rid:
                pairs.add((min(rid, other), max(rid, other)))
    cpu = time.process_time() - t0
    true = {(min(c, s), max(c, s)) for c, s in truth.source.items()}
    per_farm = {}
    for host, family in sorted(truth.farms.items()):
        mine = [(min(c, s), max(c, s)) for c, s in truth.source.items() if truth.site[c] == host]
        per_farm[family] = round(sum(p in pairs for p in mine) / len(mine), 4) if mine else None
    mirror = [(min(c, s), max(c, s)) for c, s in truth.source.items() if truth.role[c] == "mirror"]
    return {
        "threshold": threshold,
        "copy_recall": per_farm,
        "mirror_recall": round(sum(p in pairs for p in mirror) / len(mirror), 4) if mirror else None,
        "candidate_pairs": len(pairs),
        "false_pairs": len(pairs - true),
        "cpu_seconds": round(cpu, 3),
        "cpu_seconds_per_page": round(cpu / len(recs), 6),
    }


def run_split(split: str, cfg: DedupBenchConfig) -> dict[str, Any]:
    from benchmarks.zoo_sources import zoo_sources
    from despin import load_model
    from despin.duplicates.options import DedupOptions
    from despin.spinner.zoo import build_zoo

    model = load_model()
    sources, notes = zoo_sources(model, DATA)
    zoo = build_zoo(sources)
    families = {f: zoo[f] for f in FAMILIES if f in zoo}
    vocab = model.vocab
    common = frozenset(sorted(vocab, key=lambda w: (-vocab[w], w))[: DedupOptions().n_common])
    recs, truth = build_crawl(split, families, common, cfg.crawl)
    folder = cfg.work_dir / split
    if folder.exists():
        shutil.rmtree(folder)
    corpus = write_shards(recs, folder / "in")
    stats = run_dedup(corpus, folder / "out")
    out_recs, hosts = read_output(folder / "out")
    links = json.loads((folder / "out" / "dedup" / "links.json").read_text())
    for host, t in links.get("tables", {}).items():
        if host in hosts:
            hosts[host]["table_entries"] = t["entries"]
    _, half_b = model.lexicon.split(seed=0)
    overlap = {f: _overlap(fam.table, half_b) for f, fam in families.items()}
    pages = stats["input"] - stats["rejected"]
    by_stage = stats["cpu_seconds"]
    despin_cpu = sum(by_stage.values())
    # The write stage also scores the farms' pages without a source with the page detector (about 45 ms
    # a page): reported apart, since it grows with the number of such pages, not with the crawl.
    core_cpu = despin_cpu - stats["farm_scoring_cpu_seconds"]
    result: dict[str, Any] = {
        "split": split,
        "pages": pages,
        "families": {
            f: {**fam.traits(), "pairs_shared_with_despin_lexicon": overlap[f]} for f, fam in families.items()
        },
        "notes": notes,
        "despin": {
            **score(out_recs, hosts, truth),
            "cpu_seconds": round(despin_cpu, 3),
            "cpu_seconds_per_page": round(despin_cpu / pages, 6),
            "cpu_seconds_by_stage": by_stage,
            "farm_scoring_cpu_seconds": round(stats["farm_scoring_cpu_seconds"], 3),
            "farm_pages_scored": stats["farm_pages_scored"],
            "core_cpu_seconds_per_page": round(core_cpu / pages, 6),
            "process_cpu_seconds": round(stats["process_cpu_seconds"], 3),
            "peak_rss_mb": round(stats["process_peak_rss_mb"], 1),
            "peak_rss_mb_by_stage": stats["peak_rss_mb"],
            "wall_seconds": stats["wall_seconds"],
            "balanced": stats["balanced"],
        },
        "minhash_lsh": [minhash_lsh(recs, truth, t) for t in THRESHOLDS],
    }
    lsh03 = next(r for r in result["minhash_lsh"] if r["threshold"] == 0.3)
    result["cpu_ratio_vs_lsh_0.3"] = round(despin_cpu / max(lsh03["cpu_seconds"], 1e-9), 3)
    result["core_cpu_ratio_vs_lsh_0.3"] = round(core_cpu / max(lsh03["cpu_seconds"], 1e-9), 3)
    return result


def _overlap(table: Any, lexicon: Any) -> float:
    pairs = {(w, s) for w, s, _ in table.pairs()}
    theirs = {(w, s) for w, s, _ in lexicon.pairs()}
    return round(len(pairs & theirs) / len(pairs), 4) if pairs else 0.0


def run(config: DedupBenchConfig) -> dict[str, Any]:
    out: dict[str, Any] = {
        "config": {**asdict(config), "out_dir": str(config.out_dir), "work_dir": str(config.work_dir)}
    }
    out["git"] = git_sha()
    for split in config.splits if config.crawls else ():
        out[split] = run_split(split, config)
        print(json.dumps({split: out[split]["despin"]}, ensure_ascii=False)[:2000], flush=True)
    if config.tables:
        from benchmarks.dedup_tables import entries, fit, summary
        from despin import load_model

        rows = {split: entries(split, load_model()) for split in config.splits}
        out["tables"] = {split: summary(r) for split, r in rows.items()}
        if "dev" in rows:
            out["tables"]["refit_on_dev"] = fit(rows["dev"])
    if config.retrieval:
        from benchmarks.dedup_retrieval import layouts
        from benchmarks.zoo_sources import zoo_sources
        from despin import load_model
        from despin.spinner.zoo import build_zoo

        model = load_model()
        zoo = build_zoo(zoo_sources(model, DATA)[0])
        out["retrieval"] = {split: layouts(split, model.vocab, zoo) for split in config.splits}
    if config.scale:
        from benchmarks.dedup_scale import scaling

        out["scaling"] = scaling(config.scale, config.work_dir / "scale")
    plot(out, config.out_dir / f"{result_name(config, out)}.png")
    return out


def result_name(config: DedupBenchConfig, result: dict[str, Any]) -> str:
    """``dedup-<splits>-<sha>``; a run without the crawls names what it measured instead."""
    parts = [n for n, on in (("retrieval", config.retrieval), ("tables", config.tables), ("scale", config.scale)) if on]
    what = "" if config.crawls else "-" + "-".join(parts)
    return f"dedup-{'-'.join(config.splits)}{what}-{result.get('git') or git_sha()}"


def plot(result: dict[str, Any], path: Path) -> None:
    """Copy recall per farm (despin vs LSH at each threshold), and CPU seconds per page against crawl size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    splits = [s for s in ("dev", "test") if s in result]
    if not splits and not result.get("scaling"):
        return
    fig, axes = plt.subplots(1, len(splits) + (1 if result.get("scaling") else 0), figsize=(5 * (len(splits) + 1), 3.6))
    axes = list(axes) if hasattr(axes, "__len__") else [axes]
    for ax, split in zip(axes, splits, strict=False):
        d = result[split]
        fams = list(d["despin"]["farms"])
        xs = range(len(fams))
        ax.bar([x - 0.3 for x in xs], [d["despin"]["farms"][f]["copy_recall"] for f in fams], 0.2, label="despin")
        for k, lsh in enumerate(d["minhash_lsh"]):
            ax.bar(
                [x - 0.1 + 0.2 * k for x in xs],
                [lsh["copy_recall"][f] for f in fams],
                0.2,
                label=f"LSH {lsh['threshold']}",
            )
        ax.set_xticks(list(xs), [f.replace("thesaurus_", "") for f in fams], rotation=30, fontsize=7)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{split}: spun-copy recall per farm", fontsize=9)
        ax.legend(fontsize=6)
    if result.get("scaling"):
        ax = axes[-1]
        rows = result["scaling"]["rows"]
        ax.plot([r["pages"] for r in rows], [1000 * r["cpu_seconds_per_page"] for r in rows], marker="o")
        ax.set_xscale("log")
        ax.set_ylim(bottom=0)
        ax.set_xlabel("pages")
        ax.set_ylabel("CPU ms per page")
        ax.set_title("despin dedup: CPU per page by crawl size", fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def render(result: dict[str, Any]) -> str:
    lines = [f"# despin dedup vs MinHash LSH (git {result.get('git')})", ""]
    for split in ("dev", "test"):
        if split not in result:
            continue
        d, dd = result[split], result[split]["despin"]
        lines += [
            f"## {split}: {d['pages']:,} pages",
            "",
            "| farm (family) | despin copy recall | own pages flagged | farm flagged |",
        ]
        lines += ["|---|---|---|---|"]
        for fam, f in dd["farms"].items():
            lines.append(f"| {f['host']} ({fam}) | {f['copy_recall']} | {f['own_flagged']} | {f['flagged']} |")
        lines += [
            "",
            f"- reversed pairs {dd['reversed_pairs']}, false copies {dd['false_copies']},"
            f" mirror recall {dd['mirror_recall']}, farms flagged {dd['farms_flagged']},"
            f" clean sites flagged {len(dd['clean_sites_flagged'])} of"
            f" {dd['clean_sites']} {dd['clean_sites_flagged']}",
            f"- independent reports of one event: {dd['same_event_pairs']} pairs, {dd['same_event_linked']} linked;"
            f" quoting blogs linked: {dd['blogs_linked']}",
            f"- despin CPU {dd['cpu_seconds_per_page'] * 1000:.2f} ms/page ({dd['cpu_seconds_by_stage']}), peak RSS"
            f" {dd['peak_rss_mb']} MB; CPU ratio vs LSH at 0.3: {d['cpu_ratio_vs_lsh_0.3']}",
            f"- without scoring the {dd['farm_pages_scored']} farm pages without a source"
            f" ({dd['farm_scoring_cpu_seconds']} s): {dd['core_cpu_seconds_per_page'] * 1000:.2f} ms/page, ratio"
            f" {d['core_cpu_ratio_vs_lsh_0.3']}",
            "",
            "| MinHash LSH threshold | " + " | ".join(dd["farms"]) + " | mirror | false pairs | CPU ms/page |",
            "|---|" + "---|" * (len(dd["farms"]) + 3),
        ]
        for lsh in d["minhash_lsh"]:
            cells = " | ".join(str(lsh["copy_recall"][f]) for f in dd["farms"])
            lines.append(
                f"| {lsh['threshold']} | {cells} | {lsh['mirror_recall']} | {lsh['false_pairs']} |"
                f" {lsh['cpu_seconds_per_page'] * 1000:.2f} |"
            )
        lines.append("")
    for split, t in (result.get("tables") or {}).items():
        if split not in ("dev", "test"):
            continue
        lines += [
            f"## Unsupervised tables ({split}): {t['entries']} entries learned from the farms",
            "",
            f"- entries at calibrated p >= 0.9: {t['entries_p_0.9']}, right {t['precision_p_0.9']}"
            f" (at EM share >= 0.9: {t['raw_share_0.9']['entries']}, right {t['raw_share_0.9']['precision']})",
            f"- by kind: {t['by_kind_p_0.9']}; wrong at p >= 0.9: {t['wrong_p_0.9']}",
            f"- reliability: {t['reliability']}",
            "",
        ]
    for split, ret in (result.get("retrieval") or {}).items():
        lines += [
            f"## Signature layouts ({split}: {ret['pages']:,} pages, {ret['copies']} zoo copies)",
            "",
            "| common words out | bands x rows | copy Jaccard min / p1 | unrelated p90 / max | candidate recall |"
            " recall after estimate 0.2 | emitted pairs / page | other candidates / page |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in ret["layouts"]:
            lines.append(
                f"| {r['n_common']} | {r['bands']} x {r['rows']} | {r['copy_jaccard_min_p1']} |"
                f" {r['unrelated_jaccard_p90_max']} | {r['candidate_recall']} | {r['recall_after_estimate_0.2']} |"
                f" {r['emitted_pairs_per_page']} | {r['other_candidates_per_page_after_estimate']} |"
            )
        lines.append("")
    if result.get("scaling"):
        lines += [
            "## CPU per page by crawl size",
            "",
            "| pages | CPU s | CPU ms/page | without farm-page scoring | copies | peak RSS MB | index MB | wall s |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in result["scaling"]["rows"]:
            lines.append(
                f"| {r['pages']:,} | {r['cpu_seconds']} | {1000 * r['cpu_seconds_per_page']:.2f} |"
                f" {1000 * r['core_cpu_seconds_per_page']:.2f} | {r['copies']:,} | {r['peak_rss_mb']} |"
                f" {r['index_bytes'] / 1e6:.1f} | {r['wall_seconds']} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    import sys

    from benchmarks.registry import write_result

    cfg = configure(sys.argv[1:] if argv is None else argv)
    result = run(cfg)
    path = write_result(cfg.out_dir, result_name(cfg, result), result, render(result))
    print(render(result))
    print(path)


if __name__ == "__main__":
    main()
