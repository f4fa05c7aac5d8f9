"""The crawls ``benchmarks.dedup`` deduplicates: outlets, farms, a mirror, quoting blogs and other registers.

One crawl per split, from ../shared/data only (dev: the ``calib`` and ``dev`` splits; test: ``test``;
nothing the LM trained on), every record ``{id, url, text}`` with a ground truth kept aside:

* **outlets**: IndoSum and CLICK-ID news of the split, each on its real outlet's host;
* **farms**, one per zoo family, each spinning ``copies`` outlet pages (its *copies*, whose source
  is in the crawl) and ``own`` other news pages of the split that are not in the crawl (its pages
  without a source). The dedup run's model gets half B of ``lexicon.split()`` as its lexicon, so the
  ``thesaurus_half_a`` and ``misspelt`` farms spin with a table despin never saw; ``natural`` is a
  hand-written table; ``wordnet`` and ``mythes`` are single thesauri (their overlap with half B is
  reported);
* a **mirror** that republishes ``mirror`` outlet pages verbatim;
* **blogs** that quote two sentences of an outlet page inside an article of their own (no copy);
* **singletons** of other registers (Wikipedia, technical, translated news) on their own hosts;
* **independent reports**: pairs of outlet pages from different outlets on one day that share many
  rare words (IndoSum covers the same events); they must not be linked.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from despin.pipeline.steps import url_host
from despin.spinner.zoo import SpinnerFamily
from despin.training.corpora import default_data_dir
from despin.training.splits import REGISTERS, split_of

DATA = default_data_dir()
NEWS = ("indosum_dev", "clickid_clean")
SIDES = {"dev": ("calib", "dev"), "test": ("test",)}
FAMILIES = ("thesaurus_half_a", "misspelt", "natural", "wordnet", "mythes")
OTHER_REGISTERS = ("wikipedia", "technical", "news_translated")
_WORD = re.compile(r"[^\W_]+")
SAME_EVENT_JACCARD = 0.08


@dataclass
class Truth:
    """What each record is: its role, and for a copy its source and the farm or mirror that made it."""

    role: dict[str, str] = field(default_factory=dict)  # id -> outlet | copy | own | mirror | blog | single
    source: dict[str, str] = field(default_factory=dict)  # copy/mirror id -> source id
    origin: dict[str, str] = field(default_factory=dict)  # own page id -> the (absent) page it was spun from
    # original page id -> its group: pages of the data that copy each other (syndication, templates)
    group: dict[str, str] = field(default_factory=dict)
    site: dict[str, str] = field(default_factory=dict)  # id -> host
    farms: dict[str, str] = field(default_factory=dict)  # farm host -> family
    mirror_host: str = "cermin-berita.example"
    same_event: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "source": self.source,
            "site": self.site,
            "farms": self.farms,
            "mirror_host": self.mirror_host,
            "same_event": self.same_event,
            "origin": self.origin,
            "data_duplicate_groups": sorted(
                sorted(k for k, g in self.group.items() if g == gid)
                for gid in {g for g in self.group.values() if list(self.group.values()).count(g) > 1}
            ),
        }

    def same(self, a: str, b: str) -> bool:
        """Whether two original pages are one text in the data (the same page, or data duplicates)."""
        return a == b or (a in self.group and self.group.get(a) == self.group.get(b))


@dataclass(frozen=True, slots=True)
class CrawlConfig:
    """Sizes of one crawl (per split)."""

    outlets: int = 300
    copies: int = 30
    own: int = 20
    mirror: int = 20
    blogs: int = 10
    singles: int = 40
    seed: int = 0


def _records(corpus: str) -> Iterator[dict[str, Any]]:
    with gzip.open(DATA / "corpus" / f"{corpus}.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def news(side: str) -> list[dict[str, Any]]:
    """The side's news records with a usable host and text, sorted by id."""
    out = []
    for corpus in NEWS:
        for rec in _records(corpus):
            usable = len(rec.get("text") or "") > 300 and url_host(str(rec.get("url") or ""))
            if usable and split_of(corpus, rec) in SIDES[side]:
                out.append(rec)
    return sorted(out, key=lambda r: str(r["id"]))


def register_texts(side: str, register: str) -> list[tuple[str, str]]:
    out = []
    for corpus, reg in REGISTERS.items():
        if reg != register or not (DATA / "corpus" / f"{corpus}.jsonl.gz").is_file():
            continue
        for rec in _records(corpus):
            if split_of(corpus, rec) in SIDES[side] and len(rec.get("text") or "") >= 300:
                out.append((str(rec["id"]), str(rec["text"])))
    return sorted(out)


def rare_words(text: str, common: frozenset[str]) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in common}


def same_event_pairs(outlets: Sequence[dict[str, Any]], common: frozenset[str]) -> list[tuple[str, str]]:
    """Outlet pages of different hosts, published the same day, sharing :data:`SAME_EVENT_JACCARD` of their rare words.

    In IndoSum these are reports of one event by two outlets (the KPK's case against Setya Novanto,
    floods in South Jakarta): the closest such pairs share 8-13% of their rare words.
    """
    by_day: dict[str, list[dict[str, Any]]] = {}
    for r in outlets:
        by_day.setdefault(str(r.get("date") or "")[:10], []).append(r)
    out = []
    for day, recs in sorted(by_day.items()):
        if not day:
            continue
        words = {str(r["id"]): rare_words(str(r["text"]), common) for r in recs}
        for i, a in enumerate(recs):
            for b in recs[i + 1 :]:
                if url_host(str(a["url"])) == url_host(str(b["url"])):
                    continue
                wa, wb = words[str(a["id"])], words[str(b["id"])]
                if wa and wb and len(wa & wb) / len(wa | wb) >= SAME_EVENT_JACCARD:
                    out.append((str(a["id"]), str(b["id"])))
    return out


def data_duplicates(recs: Sequence[dict[str, Any]], common: frozenset[str]) -> dict[str, str]:
    """Pages of the data that are one text (a press release two outlets ran, a daily template): id -> group.

    A pair is one text when its word-level LCS similarity (rapidfuzz ``Indel``, over lower-cased
    words) is at least 0.5; pairs are first narrowed to those sharing 20% of their rare words. The
    benchmark counts a copy linked to any page of its source's group as linked to its source.
    """
    from rapidfuzz.distance import Indel

    ids = [str(r["id"]) for r in recs]
    words = [str(r["text"]).lower().split() for r in recs]
    rare = [rare_words(str(r["text"]), common) for r in recs]
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for i in range(len(recs)):
        for j in range(i + 1, len(recs)):
            union = rare[i] | rare[j]
            if not union or len(rare[i] & rare[j]) < 0.2 * len(union):
                continue
            if Indel.normalized_similarity(words[i], words[j]) >= 0.5:
                a, b = find(ids[i]), find(ids[j])
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return {i: find(i) for i in ids}


def build_crawl(
    side: str, families: dict[str, SpinnerFamily], common: frozenset[str], cfg: CrawlConfig
) -> tuple[list[dict[str, Any]], Truth]:
    """The crawl of one side (records in a seeded shuffled order) and its ground truth."""
    rng = random.Random(f"{cfg.seed}/{side}")
    pool = news(side)
    # Reports of one event by two outlets go in first, so the crawl holds every such pair.
    events = same_event_pairs(pool, common)
    members = sorted({i for pair in events for i in pair})
    first = [r for r in pool if str(r["id"]) in set(members)]
    rest = [r for r in pool if str(r["id"]) not in set(members)]
    rng.shuffle(rest)
    pool = first + rest
    n_fam = len(families)
    outlets = pool[: cfg.outlets]
    unsourced = pool[cfg.outlets : cfg.outlets + n_fam * cfg.own + cfg.blogs]
    truth = Truth()
    recs: list[dict[str, Any]] = []
    for r in outlets:
        rid = str(r["id"])
        recs.append({"id": rid, "url": str(r["url"]), "text": str(r["text"])})
        truth.role[rid], truth.site[rid] = "outlet", url_host(str(r["url"])) or ""
    in_crawl = {str(r["id"]) for r in outlets}
    truth.same_event = [p for p in events if p[0] in in_crawl and p[1] in in_crawl]
    truth.group = data_duplicates([*outlets, *unsourced], common)
    copied = rng.sample(range(len(outlets)), min(len(outlets), n_fam * cfg.copies + cfg.mirror + cfg.blogs))
    for f_no, (name, fam) in enumerate(families.items()):
        host = f"kabar-{name.replace('_', '-')}.example"
        truth.farms[host] = name
        for k in range(cfg.copies):
            src = outlets[copied[f_no * cfg.copies + k]]
            rid = f"{host}/copy-{k}"
            spun = fam.spin(str(src["text"]), seed=cfg.seed + f_no, doc=k).text
            recs.append({"id": rid, "url": f"https://{host}/{k}", "text": spun})
            truth.role[rid], truth.source[rid], truth.site[rid] = "copy", str(src["id"]), host
        for k in range(cfg.own):
            src = unsourced[f_no * cfg.own + k]
            rid = f"{host}/own-{k}"
            spun = fam.spin(str(src["text"]), seed=cfg.seed + f_no, doc=1000 + k).text
            recs.append({"id": rid, "url": f"https://{host}/p/{k}", "text": spun})
            truth.role[rid], truth.site[rid], truth.origin[rid] = "own", host, str(src["id"])
    base = n_fam * cfg.copies
    for k in range(cfg.mirror):
        src = outlets[copied[base + k]]
        rid = f"mirror/{k}"
        recs.append({"id": rid, "url": f"https://{truth.mirror_host}/{k}", "text": str(src["text"])})
        truth.role[rid], truth.source[rid], truth.site[rid] = "mirror", str(src["id"]), truth.mirror_host
    for k in range(cfg.blogs):
        quoted = re.split(r"(?<=[.!?])\s+", str(outlets[copied[base + cfg.mirror + k]]["text"]))
        own_text = str(unsourced[n_fam * cfg.own + k]["text"])
        body = " ".join(quoted[1:3]) if len(quoted) >= 3 else quoted[0]
        rid = f"blog/{k}"
        recs.append({"id": rid, "url": f"https://blog-{k % 3}.example/{k}", "text": f"{own_text}\n\nDikutip: {body}"})
        truth.role[rid], truth.site[rid] = "blog", f"blog-{k % 3}.example"
    for register in OTHER_REGISTERS:
        texts = register_texts(side, register)
        for rid, text in rng.sample(texts, min(cfg.singles, len(texts))):
            if rid in truth.role:
                continue
            host = f"{register.replace('_', '-')}.example"
            recs.append({"id": rid, "url": f"https://{host}/{rid}", "text": text})
            truth.role[rid], truth.site[rid] = "single", host
    seen: set[str] = set()
    unique = []
    for r in recs:  # an id twice (two corpora may share one) would be one record listed twice
        if r["id"] not in seen:
            seen.add(r["id"])
            unique.append(r)
    rng.shuffle(unique)
    return unique, truth


def write_shards(recs: Sequence[dict[str, Any]], folder: Path, *, shards: int = 4) -> Path:
    """The records as ``shards`` gzip JSONL files (round robin), deterministic bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    for s in range(shards):
        lines = [json.dumps(r, ensure_ascii=False) for r in recs[s::shards]]
        data = ("\n".join(lines) + "\n").encode("utf-8")
        (folder / f"part-{s:03d}.jsonl.gz").write_bytes(gzip.compress(data, mtime=0))
    return folder
