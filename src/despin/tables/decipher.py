"""Learn a content farm's spinner table from its pages alone: decipherment with the LM as prior.

The farm's pages are ciphertext under one key. Each observed phrase ``o`` has a hidden original
``h``: itself (the identity channel) or a phrase ``u`` the spinner replaced, ``T(o | u)``. Only the
site's *over-used* phrases can be replacements and only candidates that pass the magnitude and
context checks of :mod:`despin.tables.candidates` can be their originals, so EM runs over small
candidate sets (Nuhn & Ney 2014), one per over-used phrase, with three kinds of evidence:

* the LM in context: each occurrence's posterior over ``h`` is proportional to
  ``pi_o(h) * P_LM(left, h, right)``;
* clean-text frequencies: ``o``'s identity share starts (and is held up by a pseudo-count) at
  ``E(o) / n(o)``, and the mass all over-used phrases give to ``u`` is capped by ``u``'s deficit
  ``E(u) - n(u)``: a word can only have been replaced as often as it went missing;
* a sparse prior on ``T``: every non-identity entry pays ``sparsity`` expected counts per EM step,
  so weak entries fall to zero instead of sharing the mass.

Pages are weighted by their evidence in a second pass, so a site where only some pages are spun
still shows the spun pages' deficits undiluted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from despin.errors import ConfigError
from despin.lexicon import SynonymLexicon
from despin.lm.base import LanguageModel
from despin.tables.candidates import CandidateSources, Windows, rank_by_context
from despin.tables.evidence import Counts, Expected, Occurrence, SiteText, count_site, is_word, poisson_g
from despin.tables.pairs import TableRow

LN10 = math.log(10.0)
# A neighbour this frequent in clean text (di, dan, yang, ke ...) says nothing about a fixed expression.
FUNCTION_SHARE = 0.004


@dataclass(frozen=True, slots=True)
class DecipherConfig:
    """Knobs of :func:`decipher` (defaults tuned on the dev farms of benchmarks/farms.py).

    Args:
        max_n: longest phrase, in words, on either side of an entry.
        min_count: least occurrences of an over-used phrase.
        over_g: least Poisson G of an over-used phrase; ``over_ratio``: least n / E.
        under_g: least Poisson G of an under-used phrase; ``under_ratio``: most n / E.
        max_under: under-used phrases tried by frequency pairing, the strongest first.
        min_expected: least expected count of a candidate original on the pages of an over-used phrase.
        sample: contexts sampled per phrase to rank candidates; ``keep``: candidates kept per phrase.
        min_share: the context check (see :func:`~despin.tables.candidates.rank_by_context`).
        lm_weight: weight of the LM log-probability in the posteriors.
        sparsity: expected counts every non-identity entry pays per EM step (the sparse prior).
        magnitude: ``o``'s excess may be at most ``magnitude * deficit(u) + 3`` (the magnitude check).
        iterations: EM steps per pass.
        min_entry_count, min_prob: the smallest entry written to the table.
        max_kept: most share of an original's source occurrences the site may still show (kept unreplaced).
        budget_slack: an original's entries may claim at most ``budget_slack * E(original) + 2`` occurrences.
    """

    max_n: int = 3
    min_count: int = 3
    over_g: float = 6.0
    over_ratio: float = 2.5
    under_g: float = 2.0
    under_ratio: float = 0.5
    max_under: int = 300
    min_expected: float = 1.0
    max_kept: float = 0.5
    local_g: float = 1.0
    sample: int = 12
    keep: int = 4
    min_share: float = 0.1
    lm_weight: float = 1.0
    sparsity: float = 3.0
    magnitude: float = 4.0
    iterations: int = 8
    min_entry_count: float = 2.0
    min_prob: float = 0.45
    budget_slack: float = 1.25

    def __post_init__(self) -> None:
        if self.max_n < 1 or self.min_count < 1 or self.iterations < 1:
            raise ConfigError("max_n, min_count and iterations must be >= 1")
        if not 0.0 < self.under_ratio < 1.0 or self.over_ratio <= 1.0:
            raise ConfigError("under_ratio must be in (0, 1) and over_ratio > 1")


@dataclass(frozen=True, slots=True)
class Entry:
    """One learned entry with its evidence: the site wrote ``observed`` where its source had ``original``.

    Attributes:
        count: expected occurrences of ``observed`` that came from ``original``.
        prob: the calibrated probability that the entry is right (the spinner wrote ``observed`` for
            ``original``): :func:`entry_confidence` of the entry's evidence.
        expected_original, seen_original: ``original``'s expected and observed counts on the site.
        expected_observed, seen_observed: the same for ``observed``.
        examples: up to two contexts, ``"... [observed -> original] ..."``.
        share: EM's ``P(original | observed)`` on this site (the share of ``observed``'s occurrences
            given to ``original``), one of the calibration's inputs; -1 when not recorded.
        linked: whether the lexicon or the neighbours link ``observed`` to ``original``.
    """

    observed: str
    original: str
    count: float
    prob: float
    expected_original: float
    seen_original: float
    expected_observed: float
    seen_observed: float
    examples: tuple[str, ...]
    share: float = -1.0
    linked: bool = False

    def row(self) -> TableRow:
        return TableRow(self.observed, self.original, max(1, round(self.count)), self.prob)


# Logistic calibration of an entry's confidence, fitted (scikit-learn, C=1) on the entries learned
# from 14 dev farms of benchmarks/dedup_tables.py (fixed, random, natural and partial farms at 100
# pages, three seeds each, and farms spun with the shipped lexicon at 50 pages), labelled right when
# the farm's spinner made that swap. EM's share alone is no probability: entries at share >= 0.9 were
# right 0.85 of the time on dev and test; calibrated, entries at p >= 0.9 are right 0.98 (dev) and 0.99
# (test) of the time. The weights say: a bigger share, more sightings and a link in the lexicon or
# the neighbours raise confidence; a multi-word observed phrase (often a piece of a name) and an
# original the site still uses (its deficit is small) lower it.
CONFIDENCE_WEIGHTS = {
    "share": 2.366,
    "log_count": 0.626,
    "multiword_observed": -1.707,
    "kept_ratio": -1.498,
    "over_ratio": -0.181,
    "linked": 2.221,
}
CONFIDENCE_BIAS = -5.554


def entry_confidence(
    share: float, count: float, observed: str, expected: tuple[float, float, float, float], linked: bool
) -> float:
    """The calibrated probability that an entry is right (see :data:`CONFIDENCE_WEIGHTS`).

    ``expected`` is ``(expected_original, seen_original, expected_observed, seen_observed)``.

    Example:
        >>> round(entry_confidence(1.0, 30, "kediaman", (40.0, 2.0, 1.0, 30.0), True), 3)
        0.99
        >>> round(entry_confidence(0.97, 3, "nan", (20.0, 18.0, 1.0, 6.0), False), 3)
        0.078
    """
    eo, so, eb, sb = expected
    w = CONFIDENCE_WEIGHTS
    z = CONFIDENCE_BIAS + (
        w["share"] * share
        + w["log_count"] * math.log1p(count)
        + w["multiword_observed"] * (" " in observed)
        + w["kept_ratio"] * math.log((so + 1.0) / (eo + 1.0))
        + w["over_ratio"] * math.log((sb + 1.0) / (eb + 1.0))
        + w["linked"] * linked
    )
    return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True, slots=True)
class Decipherment:
    """What :func:`decipher` found: the entries, per-word frequency evidence and per-page evidence."""

    entries: tuple[Entry, ...]
    n_pages: int
    n_words: int
    page_evidence: tuple[float, ...]  # expected substitutions per word token, per page
    frequencies: tuple[tuple[str, float, float], ...]  # (word, observed, expected): the biggest deviations
    candidate_sets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # over-used -> candidates

    @property
    def rows(self) -> list[TableRow]:
        return sorted((e.row() for e in self.entries), key=lambda r: (r.observed, -r.count, r.original))

    @property
    def explained(self) -> float:
        """Share of the site's word tokens explained as substitutions by the entries."""
        return sum(e.count * len(e.observed.split(" ")) for e in self.entries) / max(1, self.n_words)


@dataclass(slots=True)
class _Phrase:
    """EM state of one over-used phrase: its occurrences' LM scores per hypothesis, and pi."""

    observed: str
    hyps: list[str]  # hyps[0] is the identity
    occs: list[Occurrence]
    scores: list[list[float]]  # per occurrence, natural-log LM score per hypothesis
    pi: list[float]
    post: list[list[float]] = field(default_factory=list)


def _over_used(
    counts: Counts, expected: Expected, site: SiteText, cfg: DecipherConfig
) -> tuple[list[str], dict[str, tuple[int, str]]]:
    """Over-used phrases that may be replacements, longest first, and which of them are bound to a neighbour.

    A bound phrase (the same content word beside most of its occurrences) is a piece of a longer
    expression: a name, or a collocation the spinner swapped inside ("media sosial" -> "media
    kemasyarakatan"). It is kept, with its neighbour, and :func:`_pass` only accepts a candidate
    original whose own collocation with that neighbour vanished from the site.
    """
    found: list[str] = []
    bound: dict[str, tuple[int, str]] = {}
    grams = counts.grams
    for g, n in grams.items():
        if n < cfg.min_count:
            continue
        e = expected.count(g, counts.n_words)
        if n < cfg.over_ratio * e or poisson_g(n, e) < cfg.over_g or site.name_like(g):
            continue
        if " " in g:
            parts = g.split(" ")
            if n < 0.5 * min(grams.get(w, n) for w in parts):
                continue  # over-used only because one of its words is: "ngga bisa" inside "ngga"
            if all(grams.get(w, 0.0) >= cfg.over_ratio * expected.count(w, counts.n_words) for w in parts):
                continue  # two swaps side by side ("keuntungan mole"): each is its own entry
        occs = counts.occurrences[g]
        if not _diverse(occs, site) or not _spread(occs) or _edge_bound(occs, site):
            continue  # boilerplate repeats its whole context; a topic word crowds into one page
        tie = _bound(occs, site, expected)
        if tie is not None:
            bound[g] = tie
        found.append(g)
    # Longest first: a phrase's occurrences are claimed before those of the phrases inside it.
    found.sort(key=lambda g: (-g.count(" "), -grams[g], g))
    return found, bound


def _diverse(occs: Sequence[Occurrence], site: SiteText) -> bool:
    """Whether ``occs`` appear in varied contexts: 3+ distinct windows of 3 + 3 words, a quarter of them.

    Boilerplate repeats the whole window on every page. A source's own boilerplate spun by the farm
    repeats too, so only a mostly repeated window counts against a phrase.
    """
    seen = set()
    for o in occs:
        sent = site.sents[o.page][o.sent]
        seen.add((tuple(sent[max(0, o.i - 3) : o.i]), tuple(sent[o.j : o.j + 3])))
    return len(seen) >= 3 and 4 * len(seen) >= len(occs)


def _bound(occs: Sequence[Occurrence], site: SiteText, expected: Expected) -> tuple[int, str] | None:
    """The neighbour ``(side, word)`` that 60% of ``occs`` share (side -1 before, +1 after), if any.

    A spinner puts its replacement wherever the original was, in varied company; a piece of a name
    ("aksi mahasiswa" inside "kesatuan aksi mahasiswa indonesia") always keeps the same neighbour.
    Function words do not bind: a place word follows "di" most of the time ("di situ").
    """
    left: dict[str, int] = {}
    right: dict[str, int] = {}
    for o in occs:
        sent = site.sents[o.page][o.sent]
        if o.i > 0 and is_word(sent[o.i - 1]) and expected.share(sent[o.i - 1]) < FUNCTION_SHARE:
            left[sent[o.i - 1]] = left.get(sent[o.i - 1], 0) + 1
        if o.j < len(sent) and is_word(sent[o.j]) and expected.share(sent[o.j]) < FUNCTION_SHARE:
            right[sent[o.j]] = right.get(sent[o.j], 0) + 1
    best = max([(n, -1, w) for w, n in left.items()] + [(n, 1, w) for w, n in right.items()], default=None)
    if best is None or 5 * best[0] < 3 * len(occs):
        return None
    return best[1], best[2]


def _collocation(u: str, tie: tuple[int, str]) -> str:
    return f"{tie[1]} {u}" if tie[0] < 0 else f"{u} {tie[1]}"


def _vanished_collocation(u: str, tie: tuple[int, str], counts: Counts, expected: Expected) -> bool:
    """Whether ``u`` with a bound phrase's neighbour is a clean-text collocation the site lost."""
    coll = _collocation(u, tie)
    e = expected.count(coll, counts.n_words)
    return e >= 1.0 and counts.grams.get(coll, 0.0) <= 0.25 * e


def _edge_bound(occs: Sequence[Occurrence], site: SiteText) -> bool:
    """Whether most of ``occs`` sit in a page's first or last sentence: a dateline or a source footer."""
    edge = sum(o.sent == 0 or o.sent == len(site.sents[o.page]) - 1 for o in occs)
    return 2 * edge > len(occs)


def _spread(occs: Sequence[Occurrence]) -> bool:
    """Whether ``occs`` spread over pages as a spinner's swaps do: 3+ pages, none with 60% of them."""
    per_page: dict[int, int] = {}
    for o in occs:
        per_page[o.page] = per_page.get(o.page, 0) + 1
    return len(per_page) >= 3 and 5 * max(per_page.values()) <= 3 * len(occs)


def _under_used(
    counts: Counts, expected: Expected, vocab: Mapping[str, int], phrases: set[str], cfg: DecipherConfig
) -> dict[str, float]:
    """Under-used words (and the lexicon's phrases) -> deficit ``E - n``, the strongest ``max_under``."""
    out: dict[str, float] = {}
    min_share = 1.5 / max(1.0, counts.n_words)  # expected at least 1.5 times on this site
    for u in (*vocab, *phrases):
        if not is_word(u) or expected.share(u) < min_share:
            continue
        e = expected.count(u, counts.n_words)
        n = counts.grams.get(u, 0.0)
        if n <= cfg.under_ratio * e and poisson_g(n, e) <= -cfg.under_g:
            out[u] = e - n
    strongest = sorted(out, key=lambda u: (-out[u], u))[: cfg.max_under]
    return {u: out[u] for u in strongest}


class _Vanished:
    """Which candidate originals went missing on the pages where an over-used phrase occurs.

    A spinner replaces an original on every page it runs over, so on the pages that carry a
    replacement its original is (nearly) absent, however the site's topics shift. Restricting the
    deficit test to those pages keeps a partly spun site's deficits undiluted and lets originals too
    rare to be missed site-wide still count once a replacement points at their pages.
    """

    def __init__(
        self, counts: Counts, expected: Expected, universe: Sequence[str], weights: Sequence[float], cfg: DecipherConfig
    ) -> None:
        import numpy as np
        from scipy.sparse import csr_matrix

        self.np, self.cfg, self.counts = np, cfg, counts
        self.universe = list(universe)
        index = {u: k for k, u in enumerate(self.universe)}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for p, grams in enumerate(counts.page_grams):
            for u, n in grams.items():
                k = index.get(u)
                if k is not None:
                    rows.append(p)
                    cols.append(k)
                    vals.append(float(n))
        shape = (len(counts.page_grams), len(self.universe))
        self.matrix = csr_matrix((vals, (rows, cols)), shape=shape).T.tocsr()
        self.share = np.array([expected.share(u) for u in self.universe])
        self.weights = np.asarray(weights, dtype=float)
        self.words = np.asarray(counts.page_words, dtype=float)

    def deficits(self, occs: Sequence[Occurrence]) -> dict[str, float]:
        """Candidates under-used on the pages of ``occs`` -> their deficit ``E - n`` there (weighted)."""
        np, cfg = self.np, self.cfg
        mask = np.zeros(len(self.words))
        for o in occs:
            mask[o.page] = self.weights[o.page]
        n = self.matrix @ mask
        e = self.share * float(mask @ self.words)
        safe_e = np.maximum(e, 1e-9)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(n > 0, n * np.log(np.maximum(n, 1e-12) / safe_e), 0.0) - (n - e)
        ok = (e >= cfg.min_expected) & (n <= cfg.under_ratio * e) & (g >= cfg.local_g)
        idx = np.flatnonzero(ok)
        idx = idx[np.argsort(-g[idx], kind="stable")][: cfg.max_under]
        return {self.universe[k]: float(e[k] - n[k]) for k in idx}


def _build_phrase(
    g: str,
    occs: list[Occurrence],
    cands: list[str],
    windows: Windows,
    counts: Counts,
    expected: Expected,
    deficits: Mapping[str, float],
    cfg: DecipherConfig,
) -> _Phrase:
    hyps = [g, *cands]
    scores = [[cfg.lm_weight * LN10 * windows.score(o, h.split(" ")) for h in hyps] for o in occs]
    return _Phrase(g, hyps, occs, scores, [1.0, *(_channel0(g, u, counts, expected) for u in cands)])


def _channel0(o: str, u: str, counts: Counts, expected: Expected) -> float:
    """A first guess of ``T(o | u)``: all of ``o``'s excess came from ``u``, whose source count is kept + excess."""
    excess = max(1.0, counts.grams.get(o, 0.0) - expected.count(o, counts.n_words))
    return min(1.0, excess / max(expected.count(u, counts.n_words), counts.grams.get(u, 0.0) + excess))


def _em(
    phrases: list[_Phrase], counts: Counts, expected: Expected, weights: Sequence[float], cfg: DecipherConfig
) -> None:
    """EM over the channel ``T(o | h)``: per original, its kept share and its replacements sum to one.

    ``T(o | u) = C(o <- u) / max(E(u), kept(u) + sum_o' C(o' <- u))``: the denominator is the number of
    times ``u`` was in the source, at least what clean text expects, so a word that did not vanish
    (``kept(u)`` near ``E(u)``) can explain few occurrences, and the replacements of one original
    compete for its deficit.
    """
    by_obs = {ph.observed: ph for ph in phrases}
    for _ in range(cfg.iterations):
        kept = {ph.observed: 0.0 for ph in phrases}
        given: dict[str, float] = {}
        pair: list[list[float]] = []
        for ph in phrases:
            logt = [math.log(t) if t > 0 else -1e9 for t in ph.pi]
            c = [0.0] * len(ph.hyps)
            ph.post = []
            for occ, sc in zip(ph.occs, ph.scores, strict=True):
                z = [a + b for a, b in zip(logt, sc, strict=True)]
                top = max(z)
                e = [math.exp(x - top) for x in z]
                s = sum(e)
                post = [x / s for x in e]
                ph.post.append(post)
                w = weights[occ.page]
                for k, p in enumerate(post):
                    c[k] += w * p
            kept[ph.observed] = c[0]
            for k in range(1, len(c)):
                c[k] = max(0.0, c[k] - cfg.sparsity)
                given[ph.hyps[k]] = given.get(ph.hyps[k], 0.0) + c[k]
            pair.append(c)
        for ph, c in zip(phrases, pair, strict=True):
            t = [0.0] * len(c)
            o = ph.observed
            t[0] = kept[o] / max(kept[o] + given.get(o, 0.0), 1e-9)
            for k in range(1, len(c)):
                u = ph.hyps[k]
                n_u = kept[u] if u in by_obs else counts.grams.get(u, 0.0)
                t[k] = c[k] / max(expected.count(u, counts.n_words), n_u + given[u], 1e-9)
            ph.pi = t


def _context(site: SiteText, occ: Occurrence, observed: str, original: str) -> str:
    sent = site.sents[occ.page][occ.sent]
    left = " ".join(sent[max(0, occ.i - 6) : occ.i])
    right = " ".join(sent[occ.j : occ.j + 6])
    return f"{left} [{observed} -> {original}] {right}".strip()


def _pass(
    site: SiteText,
    weights: Sequence[float],
    lm: LanguageModel,
    vocab: Mapping[str, int],
    sources: CandidateSources,
    cfg: DecipherConfig,
) -> tuple[list[_Phrase], Counts, Expected, dict[str, float], dict[str, tuple[str, ...]]]:
    counts = count_site(site, max_n=cfg.max_n, weights=weights)
    expected = Expected(lm, vocab)
    over, bound = _over_used(counts, expected, site, cfg)
    lex_phrases = {p for o in over for p in sources.linked(o) if " " in p}
    deficits = _under_used(counts, expected, vocab, lex_phrases, cfg)
    floor = cfg.min_expected / max(1.0, counts.n_words)
    universe = sorted({u for u in vocab if is_word(u) and expected.share(u) >= floor} | lex_phrases)
    vanished = _Vanished(counts, expected, universe, weights, cfg)
    windows = Windows(lm, site)
    claimed: set[tuple[int, int, int]] = set()
    phrases: list[_Phrase] = []
    cand_sets: dict[str, tuple[str, ...]] = {}
    for g in over:
        occs = [o for o in counts.occurrences[g] if not any((o.page, o.sent, k) in claimed for k in range(o.i, o.j))]
        if len(occs) < cfg.min_count:
            continue
        excess = counts.grams[g] - expected.count(g, counts.n_words)
        local = vanished.deficits(occs)
        for u, d in deficits.items():
            local[u] = max(d, local.get(u, 0.0))
        # magnitude check; never a phrase that shares a word with g (that is a shift, not a swap)
        gw = set(g.split(" "))
        pool = {u for u, d in local.items() if excess <= cfg.magnitude * d + 3.0 and not gw & set(u.split(" "))}
        tie = bound.get(g)
        if tie is not None:
            pool = {u for u in pool if _vanished_collocation(u, tie, counts, expected)}
        prior = {u: _channel0(g, u, counts, expected) for u in pool}
        ranked = rank_by_context(windows, g, occs, prior, sample=cfg.sample, keep=cfg.keep, min_share=cfg.min_share)
        if not ranked:
            continue
        cands = [u for u, _ in ranked]
        cand_sets[g] = tuple(cands)
        phrases.append(_build_phrase(g, occs, cands, windows, counts, expected, deficits, cfg))
        claimed.update((o.page, o.sent, k) for o in occs for k in range(o.i, o.j))
    _em(phrases, counts, expected, weights, cfg)
    return phrases, counts, expected, deficits, cand_sets


def decipher(
    pages: Sequence[str],
    *,
    lm: LanguageModel,
    vocab: Mapping[str, int],
    lexicon: SynonymLexicon,
    neighbours: Mapping[str, Sequence[str]],
    config: DecipherConfig | None = None,
) -> Decipherment:
    """Learn the spinner table of one site from its ``pages`` (see the module docstring).

    Args:
        pages: the texts of one site or farm.
        lm: the LM of clean text, the prior over originals.
        vocab: word counts of clean text (the LM's training split): expected frequencies.
        lexicon: a synonym lexicon, one source of candidates.
        neighbours: distributional neighbours, another source of candidates.
        config: the knobs (:class:`DecipherConfig`).
    """
    cfg = config or DecipherConfig()
    # Learn from the pages in an order of their texts: sampling, capped occurrence lists and float sums
    # all follow page order, and the same pages in another order must give the same table.
    order = sorted(range(len(pages)), key=lambda k: pages[k])
    site = SiteText.from_pages([pages[k] for k in order])
    sources = CandidateSources.build(lexicon, neighbours)
    weights: list[float] = [1.0] * len(pages)
    phrases, counts, expected, deficits, cand_sets = _pass(site, weights, lm, vocab, sources, cfg)
    evidence = _page_evidence(phrases, site)
    if phrases and len(pages) >= 4:
        # Second pass: pages without evidence count less, so a partly spun site is not diluted.
        top = sorted(evidence)[int(0.9 * (len(evidence) - 1))]
        if top > 0:
            weights = [min(1.0, 0.1 + e / (0.3 * top)) for e in evidence]
            phrases, counts, expected, deficits, cand_sets = _pass(site, weights, lm, vocab, sources, cfg)
            evidence = _page_evidence(phrases, site)
    entries = _entries(phrases, site, counts, expected, weights, cfg, sources)
    freq = _frequencies(counts, expected, {e.observed for e in entries} | {e.original for e in entries})
    by_page = [0.0] * len(pages)  # back in the caller's page order
    for rank, k in enumerate(order):
        by_page[k] = evidence[rank]
    return Decipherment(tuple(entries), len(pages), site.total_words, tuple(by_page), freq, cand_sets)


def _page_evidence(phrases: list[_Phrase], site: SiteText) -> list[float]:
    subs = [0.0] * len(site.sents)
    for ph in phrases:
        for occ, post in zip(ph.occs, ph.post, strict=True):
            subs[occ.page] += 1.0 - post[0]
    return [s / max(1, n) for s, n in zip(subs, site.page_words, strict=True)]


def _entries(
    phrases: list[_Phrase],
    site: SiteText,
    counts: Counts,
    expected: Expected,
    weights: Sequence[float],
    cfg: DecipherConfig,
    sources: CandidateSources,
) -> list[Entry]:
    out: list[Entry] = []
    for ph in phrases:
        # One original per observed phrase: spintax gives an original several replacements, but a
        # replacement shared by two originals is rare, and the runner-up is mostly the LM's confusion.
        best_k = max(range(1, len(ph.hyps)), key=lambda k: (sum(p[k] for p in ph.post), -k), default=0)
        for k in range(1, len(ph.hyps)):
            if k != best_k:
                continue
            u = ph.hyps[k]
            got = [(post[k], occ) for occ, post in zip(ph.occs, ph.post, strict=True)]
            count = sum(p * weights[o.page] for p, o in got)
            prob = count / max(1e-9, sum(weights[o.page] for o in ph.occs))
            if count < cfg.min_entry_count or prob < cfg.min_prob:
                continue
            best = sorted(got, key=lambda x: (-x[0], x[1].page, x[1].sent, x[1].i))[:2]
            eo, so = round(expected.count(u, counts.n_words), 1), round(counts.grams.get(u, 0.0), 1)
            eb, sb = round(expected.count(ph.observed, counts.n_words), 1), round(counts.grams[ph.observed], 1)
            linked = u in sources.linked(ph.observed)
            conf = entry_confidence(prob, count, ph.observed, (eo, so, eb, sb), linked)
            out.append(
                Entry(
                    ph.observed,
                    u,
                    round(count, 2),
                    round(conf, 4),
                    eo,
                    so,
                    eb,
                    sb,
                    tuple(_context(site, o, ph.observed, u) for _, o in best),
                    round(prob, 4),
                    linked,
                )
            )
    # The sparse key is also a budget: an original can only have been replaced as often as it went
    # missing. One that the site still uses more often than its entries claim it was replaced is an
    # LM confusion (a word that fits the context), not what the spinner removed.
    given: dict[str, float] = {}
    for e in out:
        given[e.original] = given.get(e.original, 0.0) + e.count
    out = [e for e in out if e.seen_original <= cfg.max_kept * (e.seen_original + given[e.original])]
    # The same budget from above: replacements claiming more than the original's expected count (with
    # slack for topic drift) are not all its replacements; the weakest claim goes first.
    out.sort(key=lambda e: (-e.count, e.observed, e.original))
    claimed: dict[str, float] = {}
    kept: list[Entry] = []
    for e in out:
        total = claimed.get(e.original, 0.0) + e.count
        if total > cfg.budget_slack * e.expected_original + 2.0 and e.original in claimed:
            continue
        claimed[e.original] = total
        kept.append(e)
    out = kept
    out.sort(key=lambda e: (-e.count, e.observed, e.original))
    return out


def _frequencies(counts: Counts, expected: Expected, involved: set[str]) -> tuple[tuple[str, float, float], ...]:
    """Words with the largest deviations from clean text, and every phrase of an entry: (word, n, E)."""
    singles = [(g, n, expected.count(g, counts.n_words)) for g, n in counts.grams.items() if " " not in g]
    singles.sort(key=lambda x: (-abs(poisson_g(x[1], x[2])), x[0]))
    chosen = {g for g, _, _ in singles[:300]} | involved
    rows = [(g, round(counts.grams.get(g, 0.0), 2), round(expected.count(g, counts.n_words), 2)) for g in chosen]
    return tuple(sorted(rows))
