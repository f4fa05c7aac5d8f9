"""The pure pieces of ``despin dedup``: signatures, buckets, verification, direction votes and links.

Fast paths are checked against naive references kept here (rapidfuzz's habit): the vectorised
MinHash against a per-word loop, the bucket join against all pairs of a dictionary of buckets.
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from tests.texts import SOURCES, SPUN_KUPANG

from despin.duplicates import DedupOptions, Relation
from despin.duplicates.buckets import ENTRY_DTYPE, bucket_pairs, count_pairs, top_candidates
from despin.duplicates.direction import parse_date
from despin.duplicates.links import Edge, Page, resolve, substitution_score
from despin.duplicates.signature import EMPTY, Signer, word_hash
from despin.duplicates.verify import PairCheck, Side, check_pair
from despin.errors import ConfigError

WORDS = [f"kata{i}" for i in range(400)]


def naive_minhash(signer: Signer, text: str) -> list[int]:
    out = []
    for a, b in zip(signer._a.tolist(), signer._b.tolist(), strict=True):
        out.append(min(((a * word_hash(w) + b) % 2**64) >> 32 for w in signer.words(text)))
    return out


def test_minhash_equals_the_naive_reference_and_estimates_jaccard() -> None:
    s = Signer({"yang", "di", "itu"}, num_perm=128, bands=64, rows=2)
    text = SOURCES["kupang-bridge"]
    assert s.minhash(s.words(text)).tolist() == naive_minhash(s, text)
    assert "yang" not in s.words(text) and "jembatan" in s.words(text)
    rng = random.Random(3)
    for _ in range(5):
        a = set(rng.sample(WORDS, 120))
        b = set(rng.sample(sorted(a), 60)) | set(rng.sample(WORDS, 60))
        exact = len(a & b) / len(a | b)
        est = float((s.minhash(a) == s.minhash(b)).mean())
        assert abs(est - exact) < 0.15  # 128 permutations: standard error about 0.04


def test_a_spun_copy_shares_bands_an_unrelated_text_does_not() -> None:
    s = Signer({"yang", "di", "itu", "dan", "dari", "ke", "pada", "dengan"}, num_perm=126, bands=42, rows=3)
    src, copy, other = s.sign(SOURCES["kupang-bridge"]), s.sign(SPUN_KUPANG), s.sign(SOURCES["rice-price"])
    assert s.jaccard(SOURCES["kupang-bridge"], SPUN_KUPANG) > 0.7
    assert int((src == copy).sum()) >= 10 and int((src == other).sum()) == 0
    assert (s.sign("yang di itu") == EMPTY).all()  # no rare word: no band at all


def test_signer_checks_its_arguments() -> None:
    with pytest.raises(ConfigError, match="bands"):
        Signer(set(), num_perm=10, bands=4, rows=2)
    with pytest.raises(ConfigError, match="min_chars"):
        Signer(set(), num_perm=8, bands=4, rows=2, min_chars=0)


def naive_bucket_pairs(entries: list[tuple[int, int]], cap: int) -> dict[tuple[int, int], int]:
    buckets: dict[int, list[int]] = {}
    for key, ref in entries:
        buckets.setdefault(key, []).append(ref)
    out: dict[tuple[int, int], int] = {}
    for refs in buckets.values():
        if len(refs) > cap:
            continue
        for a, b in itertools.combinations(sorted(refs), 2):
            if a != b:
                out[(a, b)] = out.get((a, b), 0) + 1
    return out


@pytest.mark.parametrize("seed", range(5))
def test_bucket_pairs_equal_the_naive_join(seed: int) -> None:
    rng = random.Random(seed)
    entries = [(rng.randrange(40), rng.randrange(60)) for _ in range(300)]
    entries = sorted(set(entries))  # a page appears once per key
    arr = np.array(entries, dtype=ENTRY_DTYPE)
    got = {(int(p["a"]), int(p["b"])): int(p["n"]) for p in bucket_pairs(arr, cap=8)}
    assert got == naive_bucket_pairs(entries, 8)


def test_count_pairs_merges_both_orders_and_top_candidates_keeps_the_best() -> None:
    a = np.array([3, 1, 1, 2], dtype=np.uint64)
    b = np.array([1, 3, 2, 1], dtype=np.uint64)
    merged = count_pairs(a, b)
    assert [tuple(int(x) for x in p) for p in merged] == [(1, 2, 2), (1, 3, 2)]
    best = top_candidates(merged, min_bands=2, per_page=1)
    assert [tuple(int(x) for x in p) for p in best] == [(1, 2, 2)]


def test_a_spun_copy_verifies_a_quote_and_a_report_of_the_same_event_do_not() -> None:
    o = DedupOptions()
    src = SOURCES["kupang-bridge"]
    copy = check_pair(SPUN_KUPANG, src)
    assert copy.is_copy(o) and copy.relation(o, a_is_copy=True) == Relation.SPUN
    assert {(s.spun, s.source) for s in copy.a_copy.substitutions} >= {("anyar", "baru"), ("Penduduk", "Warga")}
    mirror = check_pair(src, src)
    assert mirror.is_copy(o) and mirror.relation(o, a_is_copy=True) == Relation.NEAR_DUPLICATE
    # A blog quoting one sentence inside its own text explains little of itself and of the source.
    quote = (
        SOURCES["flood-jakarta"]
        + " Menurut gubernur, pembangunan jembatan tersebut menghabiskan dana sekitar dua ratus"
    )
    assert not check_pair(quote, src).is_copy(o)
    # Another report of the same event: the same names and numbers, its own sentences.
    report = (
        "Jembatan di Kupang yang dibuka Presiden Joko Widodo hari Senin menelan biaya dua ratus miliar rupiah. "
        "Gubernur menyebut proyek itu rampung sebelum tenggat, dan warga kini tidak perlu naik perahu ke pasar."
    )
    assert not check_pair(report, src).is_copy(o)


def side(score: float = 0.9, subst: int = 10, n: int = 100) -> Side:
    return Side(score, 0.95, n, subst, ())


def edge(a: Page, b: Page, votes: float, *, subst: int = 10) -> Edge:
    return Edge(a, b, PairCheck(side(subst=subst), side(subst=subst)), votes)


def test_host_majority_turns_a_pair_whose_votes_point_the_wrong_way() -> None:
    pages = {h: [Page(i + 10 * k, f"{h}-{i}", h, None) for i in range(3)] for k, h in enumerate(("farm.x", "outlet.y"))}
    farm, outlet = pages["farm.x"], pages["outlet.y"]
    edges = [edge(farm[0], outlet[0], 12.0), edge(farm[1], outlet[1], 9.0), edge(outlet[2], farm[2], 3.0)]
    res = resolve(edges, {"farm.x": 3, "outlet.y": 3}, DedupOptions())
    assert {r: link.source.name for r, link in res.links.items()} == {0: "outlet.y-0", 1: "outlet.y-1", 2: "outlet.y-2"}
    assert res.hosts["farm.x"].is_farm and res.hosts["farm.x"].sources == {"outlet.y"}
    assert not res.hosts["outlet.y"].is_farm and res.hosts["outlet.y"].copies == 0
    assert res.clusters[10] == "outlet.y-0" and res.clusters[0] == "outlet.y-0"


def test_a_mirror_is_the_side_with_more_of_its_pages_linked_and_is_no_farm() -> None:
    mirror = [Page(i, f"m{i}", "mirror.x", None) for i in range(3)]
    outlet = [Page(100 + i, f"o{i}", "outlet.y", None) for i in range(3)]
    edges = [edge(outlet[i], mirror[i], 0.0, subst=0) for i in range(3)]
    res = resolve(edges, {"mirror.x": 3, "outlet.y": 30}, DedupOptions())
    assert sorted(link.copy.name for link in res.links.values()) == ["m0", "m1", "m2"]
    assert {link.relation for link in res.links.values()} == {Relation.NEAR_DUPLICATE}
    assert not res.hosts["mirror.x"].is_farm and res.hosts["mirror.x"].copies == 3


def test_dates_decide_before_any_vote_and_a_copy_prefers_a_source_that_is_no_copy() -> None:
    o = DedupOptions(date_field="date")
    old, new = Page(5, "old", "a.x", "2018-01-02"), Page(1, "new", "b.x", "2018-01-09")
    res = resolve([edge(old, new, 40.0)], {"a.x": 1, "b.x": 1}, o)  # the votes say old copies: the dates win
    assert res.links[1].source.name == "old"
    # c copies both the source s and the mirror copy m of s: its source is s.
    s, m, c = Page(1, "s", "out.x", None), Page(2, "m", "mir.x", None), Page(3, "c", "farm.x", None)
    edges = [edge(m, s, 0.0, subst=0), edge(c, s, 20.0), edge(c, m, 20.0)]
    res = resolve(edges, {"out.x": 10, "mir.x": 1, "farm.x": 1}, DedupOptions())
    assert res.links[3].source.name == "s" and res.links[2].source.name == "s"
    assert {res.clusters[r] for r in (1, 2, 3)} == {"s"}


def test_scores_and_dates() -> None:
    assert substitution_score(0.0, 0.03) == 0.0 and substitution_score(0.3, 0.03) > 0.99
    assert parse_date("2019-10-14T08:00:00") == parse_date("14 Okt 2019")
    assert parse_date("31 Februari 2019") is None and parse_date(None) is None
    with pytest.raises(ConfigError, match="min_coverage"):
        DedupOptions(min_coverage=1.5)
    with pytest.raises(ConfigError, match="min_bands"):
        DedupOptions(min_bands=50, bands=42)
