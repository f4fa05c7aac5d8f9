"""A zoo of spinner families: different tables, choice rules, rates and artefacts.

A detector or restorer tuned on spins of one simulator learns *that simulator*. The zoo gives
families that differ in every way real content farms differ, so a method can be trained on all
families but one and measured on the one it never saw:

* **table**: one half of the model lexicon (``lexicon.split()``), Wordnet only, mythes only,
  distributional neighbours, one-word <-> multi-word pairs, misspelt thesaurus replacements, and a
  hand-written table of natural swaps, slang and non-standard spellings (:data:`NATURAL_SWAPS`);
* **choice**: the same replacement for a word throughout a farm (``mode="deterministic"``), or a
  fresh draw at each occurrence (``mode="random"``);
* **rate**: 10-50% natively; :meth:`SpinnerFamily.spinner` overrides it (3% for the hard case);
* **artefacts**: every mid-sentence replacement capitalised or none, repeated words, source footers.

The module is pure: the tables come in through :class:`ZooSources` (the caller reads the files).

Example:
    >>> lex = SynonymLexicon.from_pairs([("rumah", "kediaman"), ("besar", "agung")])
    >>> zoo = build_zoo(ZooSources(lexicon=lex))  # no Wordnet, mythes, neighbours: fewer families
    >>> list(zoo)
    ['thesaurus_half_b', 'natural']
    >>> out = zoo["natural"].spin("Dia ingin tahu mengapa harga naik.", seed=2)
    >>> out.text
    'Dia pengen tau kenapa harga naik.'
    >>> from despin.spinner import unspin
    >>> unspin(out)
    'Dia ingin tahu mengapa harga naik.'
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from despin.errors import ConfigError
from despin.lexicon import SynonymLexicon
from despin.spinner.spinner import Choice, Mode, Spinner
from despin.types import Spin

__all__ = [
    "NATURAL_SWAPS",
    "FamilySpec",
    "SpinnerFamily",
    "ZooSources",
    "build_zoo",
    "common_table",
    "misspell",
    "misspelt_table",
    "multiword_table",
    "natural_table",
    "neighbour_table",
    "register_family",
    "register_table",
]

# Written for the zoo (original -> replacements): function-word swaps a human editor would accept,
# colloquial and chat slang, SMS abbreviations, common non-standard spellings, and one-word <->
# multi-word paraphrases. None is taken from the issues or from the real pages in shared/data/real
# (pairs those quote were checked for, in both directions, and left out).
NATURAL_SWAPS: dict[str, tuple[str, ...]] = {
    # natural swaps of function words and common verbs
    "mengapa": ("kenapa",),
    "ketika": ("saat", "waktu", "sewaktu"),
    "namun": ("tetapi", "akan tetapi"),
    "tetapi": ("namun", "tapi"),
    "sehingga": ("hingga", "sampai"),
    "agar": ("supaya", "biar"),
    "supaya": ("agar",),
    "meskipun": ("walaupun", "biarpun", "kendati"),
    "walaupun": ("meskipun", "walau"),
    "setelah": ("usai", "seusai"),
    "kemudian": ("lalu", "selanjutnya"),
    "lalu": ("kemudian",),
    "hanya": ("cuma", "cuman"),
    "sangat": ("amat", "sungguh", "banget"),
    "dapat": ("bisa", "mampu"),
    "bisa": ("dapat", "sanggup"),
    "ingin": ("pengen", "hendak"),
    "semua": ("seluruh", "segala"),
    "merupakan": ("menjadi",),
    "mengenai": ("tentang", "perihal", "soal"),
    "tentang": ("mengenai", "soal"),
    "karena": ("sebab", "lantaran", "gara-gara"),
    "untuk": ("buat", "guna"),
    "kepada": ("pada", "ke"),
    "yaitu": ("yakni",),
    "yakni": ("yaitu",),
    "juga": ("pula",),
    "jika": ("kalau", "apabila", "bila"),
    "apabila": ("jika", "kalau"),
    "bahwa": ("bahwasanya",),
    "atau": ("ataupun",),
    "serta": ("beserta",),
    "terhadap": ("kepada", "pada"),
    "harus": ("wajib",),
    "sedang": ("tengah", "lagi"),
    "kembali": ("balik",),
    "bersama": ("bareng", "beserta"),
    "mengatakan": ("berkata", "menyebut", "bilang"),
    "menyatakan": ("mengungkapkan", "menyampaikan"),
    "menggunakan": ("memakai", "memanfaatkan"),
    "meningkat": ("naik", "bertambah"),
    "menurun": ("turun", "berkurang"),
    "terjadi": ("berlangsung",),
    "penting": ("krusial", "esensial"),
    "wilayah": ("kawasan", "area"),
    "perusahaan": ("korporasi", "firma"),
    "pertama": ("perdana",),
    "sebenarnya": ("sebetulnya",),
    # one-word <-> multi-word paraphrases
    "banyak": ("sejumlah besar", "berjumlah besar"),
    "sekitar": ("kurang lebih", "kira-kira"),
    "kerja sama": ("kolaborasi",),
    "dalam rangka": ("guna",),
    "sebagian besar": ("mayoritas", "kebanyakan"),
    "pada saat": ("ketika", "sewaktu"),
    "oleh karena itu": ("maka dari itu", "makanya"),
    "segera": ("dalam waktu dekat",),
    # colloquial and chat slang
    "sudah": ("udah", "sdh"),
    "saja": ("aja", "doang"),
    "begitu": ("gitu",),
    "bagaimana": ("gimana",),
    "seperti": ("kayak", "macam"),
    "memang": ("emang",),
    "benar": ("bener", "betul"),
    "tahu": ("tau",),
    "pakai": ("pake",),
    "membuat": ("bikin",),
    "memberikan": ("kasih",),
    "melihat": ("lihat", "liat"),
    "mendapatkan": ("dapet", "memperoleh"),
    "uang": ("duit", "fulus"),
    "anak": ("bocah",),
    "besar": ("gede",),
    "sedikit": ("dikit",),
    "belum": ("belom", "blm"),
    "dengan": ("dgn",),
    "orang": ("org",),
    "sekarang": ("skrg",),
    "melakukan": ("ngelakuin",),
    "dilakukan": ("dilakuin",),
    "dikatakan": ("dibilang",),
    "lebih": ("lbh",),
    # non-standard spellings (what careless writers and some spinners produce)
    "praktik": ("praktek",),
    "aktivitas": ("aktifitas",),
    "risiko": ("resiko",),
    "nasihat": ("nasehat",),
    "analisis": ("analisa",),
    "izin": ("ijin",),
    "zaman": ("jaman",),
    "sekadar": ("sekedar",),
    "silakan": ("silahkan",),
    "mengubah": ("merubah",),
    "antre": ("antri",),
    "cabai": ("cabe",),
    "objek": ("obyek",),
    "jadwal": ("jadual",),
    "teknik": ("tehnik",),
    "kemarin": ("kemaren",),
    "apotek": ("apotik",),
    "efektif": ("efektip",),
    "karier": ("karir",),
    "standar": ("standart",),
    "hakikat": ("hakekat",),
    "ekstrem": ("ekstrim",),
    "menjadi": ("mejadi",),
    "berhasil": ("berhsil",),
}

_VOWELS = frozenset("aeiou")


def natural_table() -> SynonymLexicon:
    """:data:`NATURAL_SWAPS` as a spinner table."""
    return SynonymLexicon.from_pairs((w, s) for w, syns in NATURAL_SWAPS.items() for s in syns)


def misspell(word: str, *, seed: int = 0) -> str:
    """A plausible typo of ``word``, the same for the same ``(seed, word)``; short words come back as they are.

    One edit inside the word (never its first letter): a vowel dropped, a consonant doubled, or two
    neighbouring letters swapped. In a phrase, its longest word is misspelt.

    Example:
        >>> misspell("pemerintah", seed=0) != "pemerintah"
        True
        >>> misspell("di")
        'di'
    """
    if " " in word:
        parts = word.split(" ")
        k = max(range(len(parts)), key=lambda i: len(parts[i]))
        parts[k] = misspell(parts[k], seed=seed)
        return " ".join(parts)
    if len(word) < 4 or not word.isalpha():
        return word
    rng = random.Random(f"misspell/{seed}/{word}")
    inner = range(1, len(word) - 1)
    options: list[str] = []
    for i in inner:
        c = word[i]
        if c in _VOWELS and word[i - 1] not in _VOWELS:
            options.append(word[:i] + word[i + 1 :])  # "berhasil" -> "berhsil"
        if c not in _VOWELS and c != word[i - 1] and c != word[i + 1]:
            options.append(word[:i] + c + word[i:])  # "kemudian" -> "kemuddian"
        if c != word[i + 1]:
            options.append(word[:i] + word[i + 1] + c + word[i + 2 :])  # "dengan" -> "dnegan"
    options = [o for o in options if o != word]
    return rng.choice(sorted(set(options))) if options else word


def misspelt_table(table: SynonymLexicon, *, seed: int = 0) -> SynonymLexicon:
    """``table`` with every replacement misspelt (:func:`misspell`): a spinner that also mangles spelling."""
    pairs: list[tuple[str, str, float]] = []
    for w, s, x in table.pairs():
        typo = misspell(s, seed=seed)
        if typo != w:
            pairs.append((w, typo, x))
    return SynonymLexicon.from_pairs(pairs)


def multiword_table(lexicon: SynonymLexicon, *, max_words: int = 3) -> SynonymLexicon:
    """The pairs of ``lexicon`` that turn one word into several or several into one (at most ``max_words``)."""
    pairs: list[tuple[str, str, float]] = []
    for w, s, x in lexicon.pairs():
        nw, ns = w.count(" ") + 1, s.count(" ") + 1
        if (nw == 1) != (ns == 1) and max(nw, ns) <= max_words:
            pairs.append((w, s, x))
    return SynonymLexicon.from_pairs(pairs)


def common_table(
    lexicon: SynonymLexicon, vocab: Mapping[str, int], *, min_original: int = 200, min_replacement: int = 50, k: int = 3
) -> SynonymLexicon:
    """Natural swaps from the thesaurus: each common word -> its ``k`` most frequent one-word synonyms.

    Many real spinners' tables list the synonyms a writer would reach for, not a thesaurus's rarest
    ones, so their swaps read as plain Indonesian; this table is such a spinner's. Words below
    ``min_original`` (originals) or ``min_replacement`` (replacements) corpus occurrences are left out.
    """
    pairs: list[tuple[str, str, float]] = []
    for w in lexicon.words():
        if " " in w or vocab.get(w, 0) < min_original:
            continue
        syns = [s for s in lexicon.synonyms(w) if " " not in s and vocab.get(s, 0) >= min_replacement]
        syns.sort(key=lambda s: (-vocab.get(s, 0), s))
        pairs.extend((w, s, 1.0) for s in syns[:k])
    return SynonymLexicon.from_pairs(pairs)


def neighbour_table(
    neighbours: Mapping[str, Iterable[str]],
    *,
    vocab: Mapping[str, int] | None = None,
    k: int = 3,
    min_count: int = 50,
) -> SynonymLexicon:
    """A spinner table of distributional neighbours: each word -> its first ``k`` usable neighbours.

    Neighbours that merely inflect the word ("rumah" / "rumahnya"), or carry digits, are skipped;
    with ``vocab``, only words seen ``min_count`` times are spun (a farm spins common words).
    """
    pairs: list[tuple[str, str, float]] = []
    for w, ns in neighbours.items():
        if not w.isalpha() or len(w) < 3 or (vocab is not None and vocab.get(w, 0) < min_count):
            continue
        kept = [n for n in ns if n.isalpha() and len(n) >= 3 and w not in n and n not in w][:k]
        pairs.extend((w, n, 1.0) for n in kept)
    return SynonymLexicon.from_pairs(pairs)


@dataclass(frozen=True, slots=True)
class ZooSources:
    """What the zoo's tables are made from; a family whose source is missing is left out.

    Args:
        lexicon: the model's merged synonym lexicon (halves, multi-word pairs, misspellings).
        wordnet: Wordnet Bahasa alone, as parsed by :func:`despin.lexicon.parse_wordnet`.
        mythes: mythes-id alone, as parsed by :func:`despin.lexicon.parse_mythes`.
        neighbours: word -> distributional neighbours (the bundle's ``neighbours``).
        vocab: word counts, to keep the neighbour table to common words.
    """

    lexicon: SynonymLexicon
    wordnet: SynonymLexicon | None = None
    mythes: SynonymLexicon | None = None
    neighbours: Mapping[str, Iterable[str]] | None = None
    vocab: Mapping[str, int] | None = None


@dataclass(frozen=True, slots=True)
class SpinnerFamily:
    """One kind of spinner: a table and the options that make its output look the way it does.

    Args:
        name: an ASCII id (``"thesaurus_half_a"``).
        table: the substitution table.
        table_kind: where the table comes from (``"half_a"``, ``"wordnet"``, ``"natural"``...).
        mode: ``"deterministic"`` (one replacement per word for the whole farm) or ``"random"``.
        rate: the family's native share of substituted word tokens.
        capitalize: probability that a mid-sentence replacement is capitalised (1.0: always).
        repeat: probability of a repeated word per untouched word token.
        footer: whether the spinner appends a source footer.
        wrong_sense: probability of a two-hop (wrong-sense) replacement.
        choice: ``"uniform"`` or ``"weighted"`` among the listed replacements.
        description: one line for reports.
    """

    name: str
    table: SynonymLexicon = field(repr=False)
    table_kind: str
    mode: Mode
    rate: float
    capitalize: float = 0.0
    repeat: float = 0.0
    footer: bool = False
    wrong_sense: float = 0.0
    choice: Choice = "uniform"
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name.isascii() or not self.name.replace("_", "").isalnum():
            raise ConfigError(f"family name must be an ASCII id, got {self.name!r}")
        if len(self.table) == 0:
            raise ConfigError(f"family {self.name!r} has an empty table")

    @property
    def capitalised(self) -> bool:
        """Whether every mid-sentence replacement is capitalised (the issue's 'capitalised families')."""
        return self.capitalize >= 1.0

    def spinner(self, *, seed: int = 0, rate: float | None = None, footer: bool | None = None) -> Spinner:
        """This family's spinner; ``rate`` and ``footer`` override the family's own."""
        return Spinner(
            self.table,
            rate=self.rate if rate is None else rate,
            seed=seed,
            mode=self.mode,
            choice=self.choice,
            wrong_sense=self.wrong_sense,
            capitalize=self.capitalize,
            repeat=self.repeat,
            footer=self.footer if footer is None else footer,
            multiword=True,
        )

    def spin(self, text: str, *, seed: int = 0, doc: int = 0, rate: float | None = None) -> Spin:
        """Spin one text; a pure function of the family, ``text``, ``seed``, ``doc`` and ``rate``."""
        return self.spinner(seed=seed, rate=rate).spin(text, doc=doc)

    def traits(self) -> dict[str, Any]:
        """The family's options and table size, for reports."""
        return {
            "table_kind": self.table_kind,
            "table_pairs": self.table.n_pairs,
            "table_fingerprint": self.table.fingerprint(),
            "mode": self.mode,
            "rate": self.rate,
            "capitalize": self.capitalize,
            "repeat": self.repeat,
            "footer": self.footer,
            "wrong_sense": self.wrong_sense,
            "choice": self.choice,
            "description": self.description,
        }


def build_zoo(sources: ZooSources, *, seed: int = 0) -> dict[str, SpinnerFamily]:
    """The spinner families, by name, in a fixed order; ``seed`` picks the lexicon halves and the typos.

    Families whose source is missing (no Wordnet, mythes or neighbours given), or whose table comes
    out empty (a tiny lexicon has no multi-word pairs), are left out.
    """
    out: dict[str, SpinnerFamily] = {}
    tables: dict[str, SynonymLexicon | None] = {}
    for spec in _FAMILIES.values():
        if spec.table_kind not in tables:
            tables[spec.table_kind] = _TABLES[spec.table_kind](sources, seed)
        table = tables[spec.table_kind]
        if table is not None and len(table):
            out[spec.name] = SpinnerFamily(
                spec.name, table, spec.table_kind, description=spec.description, **spec.options
            )
    return out


# -- the registry: a new family is one registration (and, for a new kind of table, one more) ----------

TableMaker = Callable[[ZooSources, int], "SynonymLexicon | None"]
_TABLES: dict[str, TableMaker] = {}


@dataclass(frozen=True)
class FamilySpec:
    """A registered family: its name, the kind of table it spins with, and its spinner options."""

    name: str
    table_kind: str
    description: str
    options: Mapping[str, Any] = field(default_factory=dict)


_FAMILIES: dict[str, FamilySpec] = {}


def register_table(kind: str) -> Callable[[TableMaker], TableMaker]:
    """Register how a kind of table is made from the zoo's sources and seed (None: its source is missing)."""

    def add(maker: TableMaker) -> TableMaker:
        _TABLES[kind] = maker
        return maker

    return add


def register_family(spec: FamilySpec) -> FamilySpec:
    """Register a family; :func:`build_zoo` builds every registered family whose table it can make."""
    if spec.table_kind not in _TABLES:
        raise ConfigError(f"family {spec.name!r}: no table kind {spec.table_kind!r} is registered")
    _FAMILIES[spec.name] = spec
    return spec


register_table("half_a")(lambda src, seed: src.lexicon.split(seed=seed)[0])
register_table("half_b")(lambda src, seed: src.lexicon.split(seed=seed)[1])
register_table("wordnet")(lambda src, seed: src.wordnet)
register_table("mythes")(lambda src, seed: src.mythes)
register_table("neighbours")(
    lambda src, seed: neighbour_table(src.neighbours, vocab=src.vocab) if src.neighbours else None
)
register_table("natural")(lambda src, seed: natural_table())
register_table("misspelt")(lambda src, seed: misspelt_table(src.lexicon.split(seed=seed)[0], seed=seed))
register_table("multiword")(lambda src, seed: multiword_table(src.lexicon))
register_table("common")(lambda src, seed: common_table(src.lexicon, src.vocab) if src.vocab else None)

for _name, _kind, _description, _options in [
    (
        "thesaurus_half_a",
        "half_a",
        "half A of the lexicon, one replacement per word, every replacement capitalised, footer",
        {"mode": "deterministic", "rate": 0.15, "capitalize": 1.0, "footer": True},
    ),
    (
        "thesaurus_half_b",
        "half_b",
        "half B of the lexicon, random per occurrence, some wrong senses, repeated words",
        {"mode": "random", "rate": 0.25, "repeat": 0.03, "wrong_sense": 0.2},
    ),
    (
        "wordnet",
        "wordnet",
        "Wordnet Bahasa only, random per occurrence, repeats, footer",
        {"mode": "random", "rate": 0.20, "repeat": 0.02, "footer": True},
    ),
    (
        "mythes",
        "mythes",
        "mythes-id only, one replacement per word, heavy rate, no artefacts",
        {"mode": "deterministic", "rate": 0.35},
    ),
    (
        "neighbours",
        "neighbours",
        "top-3 distributional neighbours (related, not synonymous), random per occurrence, footer",
        {"mode": "random", "rate": 0.10, "footer": True},
    ),
    (
        "natural",
        "natural",
        "hand-written natural swaps, slang and non-standard spellings, random per occurrence",
        {"mode": "random", "rate": 0.50},
    ),
    (
        "misspelt",
        "misspelt",
        "half A of the lexicon with every replacement misspelt, one per word, repeats",
        {"mode": "deterministic", "rate": 0.12, "repeat": 0.02},
    ),
    (
        "thesaurus_common",
        "common",
        "common words swapped for their most frequent synonyms: plain-looking swaps, one per word",
        {"mode": "deterministic", "rate": 0.2},
    ),
    (
        "multiword_caps",
        "multiword",
        "one-word <-> multi-word pairs only, every replacement capitalised, repeats, footer",
        {"mode": "deterministic", "rate": 0.10, "capitalize": 1.0, "repeat": 0.05, "footer": True},
    ),
]:
    register_family(FamilySpec(_name, _kind, _description, _options))
