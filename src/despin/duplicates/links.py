"""From verified pairs to a corpus verdict: each pair's direction, each page's source and cluster, each site's role.

Input: the verified copy pairs (:class:`Edge`), each measured both ways (:class:`~despin.duplicates.verify.PairCheck`),
with its substitution votes and the two pages' hosts and dates. Decisions, in order:

1. **Direction of a pair.** With a date field, the earlier page is the source. Otherwise pairs
   are grouped by their two hosts and the group's summed substitution votes decide for all of
   them: a farm is always the copying side, so one page whose votes are weak or wrong follows
   its site's majority. Without such votes (mirrors, syndication), the copy is on the host with
   the larger share of its pages linked (a mirror republishes some of an outlet's pages; the
   outlet's other pages are its own). Pages of one host (or without one) go the one way they
   pass as a copy (when their lengths make only one possible), then by their own votes, then by
   corpus order. A pair that is no copy in the direction decided
   (its copy side would not pass :meth:`~despin.duplicates.verify.PairCheck.is_copy`'s tests) is dropped.
2. **A page's source** (``copy_of``): among the pages it copies, one that is no copy itself,
   then the best score. **Clusters** are the connected components of the copy pairs, named by
   their root source.
3. **Sites.** A host is a farm when at least ``min_farm_copies`` of its pages, and
   ``min_farm_share`` of all of them, are *spun* copies; a mirror (near duplicates only) is not.
   A farm's table is learned from the substitutions of its spun copies
   (:func:`despin.tables.pairs.learn_table`).

Everything here is pure and deterministic: the same edges in any order give the same result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from despin.duplicates.options import DedupOptions, Relation
from despin.duplicates.verify import PairCheck, Side, mirrored
from despin.tables.pairs import TableRow, learn_table, substitution_pairs
from despin.types import Substitution

DATE_VOTE = 1e6  # a date decides before any substitution evidence
# Least summed votes for two hosts' majority to decide their pairs. One spun copy's substitutions give
# 11-50 (benchmarks/dedup.py); two pages of one template (the day's weather) differ in a few words
# whose votes (1-3) say nothing about which site copies.
MIN_HOST_VOTES = 5.0


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the corpus as links need it: its global ref, the id it is written under, host and date."""

    ref: int
    name: str  # the record's id, or "<shard-id>:<line>" without one
    host: str | None
    date: str | None  # ISO date, or None


@dataclass(frozen=True, slots=True)
class Edge:
    """A verified pair: ``check.a_copy`` aligns ``a`` as the copy of ``b``; ``votes > 0`` says a is the copy."""

    a: Page
    b: Page
    check: PairCheck
    votes: float


@dataclass(frozen=True, slots=True)
class Link:
    """What a copy page gets: its source, the relation and the aligned evidence (the copy as ``spun``)."""

    copy: Page
    source: Page
    relation: Relation
    side: Side


@dataclass
class HostSummary:
    """One line of ``hosts.jsonl``."""

    host: str
    pages: int = 0
    copies: int = 0
    spun_copies: int = 0
    sources: set[str] = field(default_factory=set)
    is_farm: bool = False
    table: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sources": sorted(self.sources)}  # the fields in order, the sources sorted


@dataclass(frozen=True, slots=True)
class Resolution:
    """The corpus verdict: each copy's link, each page's cluster, each host's summary and farm tables."""

    links: dict[int, Link]  # copy ref -> link
    clusters: dict[int, str]  # ref -> cluster name (sources and copies only)
    hosts: dict[str, HostSummary]
    tables: dict[str, list[TableRow]]  # farm host -> learned table


def substitution_score(substituted: float, boundary: float) -> float:
    """A 0..1 spin score of a copy from the share of its words substituted: 0.5 at ``boundary``.

    Example:
        >>> round(substitution_score(0.03, 0.03), 2), round(substitution_score(0.12, 0.03), 3)
        (0.5, 0.996)
    """
    if substituted <= 0.0:
        return 0.0
    return 1.0 / (1.0 + (boundary / substituted) ** 4)


def _copy_ok(copy: Side, source: Side, o: DedupOptions) -> bool:
    return copy.score >= o.min_score and copy.coverage >= o.min_coverage and source.coverage >= o.min_source_coverage


def _pair_evidence(e: Edge, o: DedupOptions) -> tuple[float, bool]:
    """(evidence that ``a`` is the copy, whether it is decisive on its own: dates)."""
    if o.date_field is not None and e.a.date and e.b.date and e.a.date != e.b.date:
        return (DATE_VOTE if e.a.date > e.b.date else -DATE_VOTE), True
    return e.votes, False


def resolve(edges: Iterable[Edge], host_pages: Mapping[str, int], o: DedupOptions) -> Resolution:
    """Decide directions, sources, clusters and sites (see the module docstring)."""
    edges = sorted(edges, key=lambda e: (e.a.ref, e.b.ref))
    # Step 1a: the evidence of every pair, and sums per pair of hosts (oriented by host name).
    evidence: list[tuple[float, bool]] = [_pair_evidence(e, o) for e in edges]
    host_votes: dict[tuple[str, str], float] = {}
    linked: dict[str, set[int]] = {}
    for e, (ev, _) in zip(edges, evidence, strict=True):
        for page in (e.a, e.b):
            if page.host is not None:
                linked.setdefault(page.host, set()).add(page.ref)
        ha, hb = e.a.host, e.b.host
        if ha is None or hb is None or ha == hb:
            continue
        if max(e.check.a_copy.substituted, e.check.b_copy.substituted) < o.spun_min_substituted:
            continue  # a near duplicate's few differences vote at random: only spun pairs speak for their sites
        key, sign = ((ha, hb), 1.0) if ha < hb else ((hb, ha), -1.0)
        host_votes[key] = host_votes.get(key, 0.0) + sign * max(-50.0, min(50.0, ev))

    def share(h: str) -> float:
        # Laplace-smoothed: a host with one page in the crawl, copied by a mirror, is not "all linked".
        return (len(linked.get(h, ())) + 1) / (host_pages.get(h, 0) + 2)

    # Step 1b: orient every pair.
    oriented: list[tuple[Page, Page, Side, Side]] = []  # (copy, source, copy side, source side)
    for e, (ev, decisive) in zip(edges, evidence, strict=True):
        a_ok = _copy_ok(e.check.a_copy, e.check.b_copy, o)
        b_ok = _copy_ok(e.check.b_copy, e.check.a_copy, o)
        if not (a_ok or b_ok):
            continue
        ha, hb = e.a.host or "", e.b.host or ""
        cross = bool(ha and hb) and ha != hb
        v = host_votes.get((ha, hb) if ha < hb else (hb, ha), 0.0) * (1.0 if ha < hb else -1.0) if cross else 0.0
        if decisive:
            a_copy = ev > 0
        elif abs(v) >= MIN_HOST_VOTES:
            a_copy = v > 0  # the sites' majority: a farm is always the copying side
        elif cross and share(ha) != share(hb):
            a_copy = share(ha) > share(hb)  # a mirror has more of its pages linked than its sources
        elif a_ok != b_ok:
            a_copy = a_ok  # only one orientation is a copy at all (their lengths differ)
        elif ev != 0:
            a_copy = ev > 0
        else:
            a_copy = e.a.ref > e.b.ref  # nothing else to go by: the later page in corpus order copies
        if not (a_ok if a_copy else b_ok):
            continue  # the sites say this way, but this way it is no copy: two similar pages, not one copied
        if a_copy:
            oriented.append((e.a, e.b, e.check.a_copy, e.check.b_copy))
        else:
            b_side = e.check.b_copy
            if not b_side.substitutions and e.check.a_copy.substitutions:
                # Stored once, from a's side (verify's backward alignment gives counts only): mirror them.
                b_side = replace(b_side, substitutions=tuple(mirrored(s) for s in e.check.a_copy.substitutions))
            oriented.append((e.b, e.a, b_side, e.check.a_copy))
    # Step 2: one source per copy, preferring a source that is no copy itself.
    copies = {c.ref for c, _, _, _ in oriented}
    best: dict[int, tuple[tuple[bool, float, int], Link]] = {}
    for copy, source, side, _ in oriented:
        rel = Relation.SPUN if side.substituted >= o.spun_min_substituted else Relation.NEAR_DUPLICATE
        rank = (source.ref not in copies, side.score, -source.ref)
        if copy.ref not in best or rank > best[copy.ref][0]:
            best[copy.ref] = (rank, Link(copy, source, rel, side))
    links = {ref: link for ref, (_, link) in sorted(best.items())}
    clusters = _clusters(oriented, copies)
    hosts = _hosts(links, host_pages, o)
    tables = {h: _farm_table(links.values(), h) for h, s in sorted(hosts.items()) if s.is_farm}
    return Resolution(links, clusters, hosts, tables)


def _clusters(oriented: Sequence[tuple[Page, Page, Side, Side]], copies: set[int]) -> dict[int, str]:
    """Connected components of the copy pairs, each named by its root source (the smallest ref among roots)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    names: dict[int, str] = {}
    for copy, source, _, _ in oriented:
        names[copy.ref], names[source.ref] = copy.name, source.name
        ra, rb = find(copy.ref), find(source.ref)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for ref in sorted(names):
        members.setdefault(find(ref), []).append(ref)
    out: dict[int, str] = {}
    for refs in members.values():
        roots = [r for r in refs if r not in copies] or refs
        name = names[min(roots)]
        for r in refs:
            out[r] = name
    return out


def _hosts(links: Mapping[int, Link], host_pages: Mapping[str, int], o: DedupOptions) -> dict[str, HostSummary]:
    hosts = {h: HostSummary(h, pages=n) for h, n in host_pages.items()}
    for link in links.values():
        h = link.copy.host
        if h is None:
            continue
        s = hosts.setdefault(h, HostSummary(h))
        s.copies += 1
        s.spun_copies += link.relation == Relation.SPUN
        if link.source.host is not None and link.source.host != h:
            s.sources.add(link.source.host)
    for s in hosts.values():
        s.is_farm = s.spun_copies >= o.min_farm_copies and s.spun_copies >= o.min_farm_share * max(1, s.pages)
    return dict(sorted(hosts.items()))


def _farm_table(links: Iterable[Link], host: str) -> list[TableRow]:
    subs: list[Substitution] = []
    for link in links:
        if link.copy.host == host and link.relation == Relation.SPUN:
            subs.extend(link.side.substitutions)
    return learn_table(substitution_pairs(subs))


def spun_share_score(substituted: float, o: DedupOptions) -> float:
    """:func:`substitution_score` at the job's spun/near-duplicate boundary."""
    return substitution_score(substituted, o.spun_min_substituted)
