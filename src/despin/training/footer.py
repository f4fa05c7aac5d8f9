"""Fit the footer model: which trailing lines of a page credit a source, learned from data.

``python -m despin.training.footer`` (or :func:`write_footer_model`, which ``despin build-model`` may call)
fits a logistic regression over :func:`despin.restorer.footer.candidate_features` and writes
``src/despin/restorer/footer_model.json``. ``--check`` refits and fails when the shipped file differs.

Training candidates, each a line (or a bracketed credit closing the last line) with where it sits:

* **positives**

  - the simulator's footers (:data:`despin.spinner.spinner.FOOTER_TEMPLATES` x ``OUTLETS``);
  - footers written here from how content farms and news sites credit a source: :data:`SOURCE_CUES` and
    :data:`PHRASE_CUES` with an outlet (a name, a domain or a URL, some with a title), bylines
    (:data:`BYLINE_CUES`), bracketed reporter credits, "read more at" links, in varied casing,
    separators, brackets and misspellings, alone or two lines together;
  - the credits of clean calib documents (:func:`corpus_label`: a bracketed credit line such as ``(abc/def)``
    or one closing the last sentence), which are footers too;
  - the footers of the real pages of the dev split (``benchmarks/real/pages.jsonl``, labelled by id in
    :data:`DEV_FOOTERS`; never the test split, never ``../shared/data/real``);

* **negatives**

  - the last line, the lines above it and a few inner lines of the clean calib documents of every register
    (:mod:`despin.training.corpora`; the link-gaps news has no calib split, so its first
    :data:`TRAIN_FALLBACK_DOCS` train documents stand in), less those :func:`corpus_label` calls a credit or
    leaves ambiguous (a short ``head: tail`` line or a domain, which could be either);
  - names and headings cut from that prose (:func:`fragment_negatives`): short lines without a full stop;
  - prose written here that looks like a footer (:data:`HARD_NEGATIVES`: "Sumber ..." sentences, ``Catatan:``,
    ``Baca juga:``, headings, sign-offs, outlet names used as words);
  - the last lines of the real dev pages that carry no footer.

The words of the lines are features, so the cue words are learned, not listed in the detector. The outlet
vocabulary is the corpora's ``outlet`` field, the simulator's outlets and the outlets of the positives, less the
names that are common words in the clean lines (``suara``, ``tempo``).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from despin.restorer.footer import (
    MAX_LINE_CHARS,
    CandidateKind,
    FooterModel,
    OutletVocabulary,
    candidate_features,
    footer_candidates,
    outlet_key,
    outlet_of,
)
from despin.spinner.spinner import FOOTER_TEMPLATES, OUTLETS
from despin.training.corpora import SHIP_YES, CorpusDoc, default_data_dir, iter_corpus, iter_docs

__all__ = [
    "DEV_FOOTERS",
    "MODEL_PATH",
    "REAL_PAGES",
    "CorpusLabel",
    "Example",
    "build_footer_model",
    "corpus_label",
    "main",
    "training_examples",
    "write_footer_model",
]

REPO_ROOT = Path(__file__).resolve().parents[3]
MODEL_PATH = REPO_ROOT / "src" / "despin" / "restorer" / "footer_model.json"
REAL_PAGES = REPO_ROOT / "benchmarks" / "real" / "pages.jsonl"
# A corpus without calib documents (the link-gaps news) lends this many of its train documents as negatives.
TRAIN_FALLBACK_DOCS = 1500

# The real pages of the dev split whose last lines are a footer: id -> how many trailing lines, or "inline" for a
# credit closing the last sentence. Every other dev page has none. (The test split is labelled in
# benchmarks/footer.py and never read here.)
DEV_FOOTERS: dict[str, int | str] = {
    "spun:fun-eastern-prabowo-lanjut-lantik-pejabat-kabinet": 1,  # a reporter's initials in brackets
    "clean:detikkasus-aliansi-mahasiswa-sultra-pencopotan-dandim-kendari": 1,  # a writer's name in brackets
    "clean:pikiran-rakyat-tinjau-program-vaksinasi-di-sukoharjo": 1,  # an editor line
    "clean:sepintasliputan-gibran-di-perayaan-imlek-shio-kelinci-7975": 2,  # initials, then a link to the source
    # clean:makassar-online-info-...: its source line sits above a site blurb, so the page does not end in a footer.
}

# --- Footers written from how farms and news sites credit their source (wording of our own). ---
SOURCE_CUES = (
    "Sumber", "Sumber Berita", "Sumber Artikel", "Sumber Referensi", "Sumber Refrensi", "Sumber Referensi Berita",
    "Sumber Refrensi Berita", "Sumber Tulisan", "Sumber Informasi", "Sumber Asli", "Sumber Kutipan", "Sumber Foto",
    "Sumber Gambar", "Sumber Data", "Sumber Berita Asli", "Sumber Artikel Asli", "Referensi", "Refrensi",
    "Referensi Berita", "Rujukan", "Artikel Asli", "Berita Asli", "Tulisan Asli", "Foto", "Source", "Sources",
    "Source Article", "Support by", "Supported by", "Support", "Powered by", "Credit", "Credits", "Reference",
    "Image source", "Via", "Copyright", "Hak Cipta", "Repost", "Artikel ini bersumber",
)  # fmt: skip
PHRASE_CUES = (
    "Artikel ini telah tayang di", "Artikel ini sudah tayang di", "Artikel ini pertama kali tayang di",
    "Artikel ini telah terbit di", "Artikel ini telah dimuat di", "Berita ini telah tayang di",
    "Tulisan ini telah dimuat di", "Konten ini telah tayang di", "Telah tayang di", "Tayang di", "Dikutip dari",
    "Dilansir dari", "Dilansir", "Disadur dari", "Diadaptasi dari", "Dirangkum dari", "Diolah dari",
    "Dihimpun dari", "Dikutip dari situs", "Dilansir dari laman", "Baca selengkapnya di", "Selengkapnya di",
    "Selengkapnya baca di", "selengkapnya bisa dibaca di", "Baca artikel lengkapnya di", "Simak selengkapnya di",
    "Artikel lengkap di", "Lihat sumber di", "Read more at", "Read the full story at", "Originally published at",
    "Courtesy of", "Taken from", "Copyright \u00a9", "\u00a9", "Hak cipta \u00a9",
)  # fmt: skip
BYLINE_CUES = (
    "Editor", "Penulis", "Reporter", "Pewarta", "Redaktur", "Penyunting", "Kontributor", "Oleh", "Author",
    "Writer", "Posted by", "Diposting oleh", "Ditulis oleh", "Dipublikasikan oleh", "Laporan", "Red",
    "Penulis/Editor", "Editor/Penulis", "Reporter/Editor",
)  # fmt: skip
READ_MORE = (
    "Baca selengkapnya", "Baca artikel selengkapnya", "Baca berita aslinya", "Lihat artikel asli",
    "Read more", "Read full article", "Klik untuk membaca selengkapnya", "Kunjungi sumber berita",
)  # fmt: skip
FOOTER_OUTLETS = (
    "Kompas", "Kompas.com", "KOMPAS.com", "Detik", "detikNews", "detik.com", "Tribunnews", "Tribunnews.com",
    "Tribun Jateng", "Tribun Jabar", "Liputan6", "Liputan6.com", "CNN Indonesia", "CNBC Indonesia", "Okezone",
    "Sindonews", "Tempo", "Tempo.co", "Antara", "ANTARA News", "Antaranews.com", "Republika", "Republika.co.id",
    "Viva", "Viva.co.id", "Suara.com", "Merdeka.com", "Kumparan", "kumparan.com", "IDN Times", "Jawa Pos",
    "JawaPos.com", "JPNN", "jpnn.com", "iNews", "iNews.id", "Bisnis.com", "Kontan", "Kontan.co.id", "Katadata",
    "Beritasatu", "Media Indonesia", "Pikiran Rakyat", "Grid.id", "Brilio.net", "Hipwee", "Wikipedia",
    "id.wikipedia.org", "Gramedia Blog", "Ruangguru", "Zenius", "Brainly", "Kompasiana", "Tirto.id", "Medcom.id",
    "Metro TV", "Sonora.id", "Bola.net", "Goal Indonesia", "VOA Indonesia", "BBC Indonesia", "Kumparan News",
    "Portal Berita", "Warta Kota", "Pos Kota", "Dream.co.id", "Fimela", "Kapanlagi", "Haibunda", "Alodokter",
    "Halodoc", "Quipper", "Detik Finance", "Okezone News",
)  # fmt: skip
_DOMAIN_HEADS = ("info", "berita", "kabar", "warta", "portal", "media", "jurnal", "dunia", "materi", "wisata",
                 "sehat", "ilmu", "pintar", "guru", "tips", "cerita", "fakta", "suara", "lensa", "sinar")  # fmt: skip
_DOMAIN_TAILS = ("nusantara", "terkini", "rakyat", "kita", "online", "news", "pedia", "indo", "harian",
                 "update", "viral", "net", "pos", "times", "daily", "zone", "plus", "hub", "id", "kini")  # fmt: skip
_TLDS = ("com", "com", "com", "co.id", "id", "net", "org", "info", "xyz", "site", "blogspot.com", "web.id")
_FIRST = ("Andi", "Budi", "Siti", "Dewi", "Rina", "Agus", "Yusuf", "Nur", "Eko", "Fajar", "Putri", "Rizky",
          "Ahmad", "Hendra", "Wulan", "Bayu", "Intan", "Galih", "Ratna", "Teguh", "Maya", "Dimas", "Sari", "Joko",
          "Lestari", "Admin", "Redaksi", "Tim Redaksi", "Arif", "Mega")  # fmt: skip
_LAST = ("Santoso", "Lestari", "Pratama", "Wijaya", "Kurniawan", "Hidayat", "Saputra", "Rahmawati", "Nugroho",
         "Setiawan", "Utami", "Firmansyah", "Permana", "Susanti", "Ramadhan", "", "", "")  # fmt: skip
_TITLES = ("Harga Cabai Naik Jelang Lebaran", "5 Tips Menjaga Kesehatan Saat Musim Hujan",
           "Pemerintah Umumkan Jadwal Libur Sekolah", "Mengenal Sejarah Candi di Jawa Tengah",
           "Warga Keluhkan Jalan Rusak di Desa", "Inilah Pengertian Sosialisasi Menurut Para Ahli")  # fmt: skip

# Prose that looks like a footer: a trailing line that is not one.
HARD_NEGATIVES = (
    "Sumber air bersih di desa itu berasal dari mata air di lereng gunung.",
    "Sumber daya manusia menjadi kunci kemajuan sebuah perusahaan.",
    "Sumber energi terbarukan mulai dilirik pemerintah daerah.",
    "Sumber masalahnya adalah kurangnya komunikasi antarwarga.",
    "Sumber kebahagiaan tidak selalu berupa harta benda.",
    "Sumber dana pembangunan jembatan itu berasal dari anggaran daerah.",
    "Sumber penghasilan utama warga adalah bertani dan beternak.",
    "Sumber kebocoran gas akhirnya ditemukan petugas pada malam hari.",
    "Sumber belajar siswa kini tidak hanya buku, tetapi juga internet.",
    "Sumber di kepolisian menyebut pelaku sudah diamankan.",
    "Sumber air panas itu ramai dikunjungi wisatawan setiap akhir pekan.",
    "Sumber: hasil wawancara penulis dengan para petani pada bulan Mei lalu menunjukkan panen menurun.",
    "Referensi yang digunakan dalam penelitian ini berasal dari jurnal nasional dan internasional.",
    "Rujukan pasien ke rumah sakit daerah kini lebih cepat.",
    "Source code program tersebut dapat diunduh secara gratis.",
    "Support dari keluarga sangat penting bagi atlet muda.",
    "Via jalur darat, perjalanan ke sana memakan waktu sekitar tiga jam.",
    "Dikutip dari pidatonya, presiden meminta semua pihak menahan diri dan menjaga persatuan.",
    "Dilansir dari data terbaru, jumlah wisatawan naik dua kali lipat dibanding tahun lalu.",
    "Foto-foto kegiatan itu diunggah ke media sosial dan ramai dibagikan warganet.",
    "Artikel ini membahas pengertian sosialisasi menurut para ahli.",
    "Penulis buku itu lahir di Padang dan besar di Jakarta.",
    "Editor video kini semakin mudah digunakan oleh pemula.",
    "Reporter televisi itu meliput banjir di kawasan Kampung Melayu.",
    "Redaksi menerima tulisan dari pembaca setiap hari kerja.",
    "Oleh karena itu, kita harus menjaga lingkungan sejak dini.", "Oleh sebab itu, pemerintah diminta turun tangan.",
    "Laporan keuangan perusahaan akan diumumkan pekan depan.", "Kompas merupakan alat penunjuk arah mata angin.",
    "Detik demi detik berlalu dengan menegangkan.", "Tempo permainan meningkat pada babak kedua.",
    "Antara dua pilihan itu, ia memilih yang terakhir.", "Suara rakyat harus didengar oleh para wakilnya.",
    "Merdeka atau mati, kata para pejuang saat itu.", "Liputan lengkapnya dapat disaksikan malam ini.",
    "Catatan: harga dapat berubah sewaktu-waktu tanpa pemberitahuan.",
    "Penting: simpan bukti pembayaran sampai barang diterima.", "Lokasi: Jalan Pahlawan No. 12, Semarang",
    "Alamat: Jl. Merdeka No. 5, Bandung", "Jam buka: 08.00 - 16.00 WIB", "Harga tiket masuk: Rp 15.000 per orang",
    "Telepon: 0812 3456 7890", "Kesimpulan: belajar rutin lebih efektif daripada belajar semalam suntuk.",
    "Baca juga: Cara Membuat Kue Lapis yang Lembut", "Baca Juga: 7 Tempat Wisata Murah di Bandung",
    "Tags: wisata, kuliner, jawa tengah", "Kata kunci: pendidikan, motivasi belajar", "Kategori: Pendidikan",
    "Hasil akhir: Persib 2 - 1 Persija", "Contoh: Saya pergi ke pasar membeli sayur.", "Jawaban: B", "Share this:",
    "Bagikan ini:", "Daftar Pustaka", "Kesimpulan", "Penutup", "Demikian artikel ini, semoga bermanfaat.",
    "Semoga bermanfaat!", "Terima kasih sudah membaca.", "Salam hangat,", "Wassalamualaikum Wr. Wb.", "Hormat kami,",
    "Tabel 1. Jumlah penduduk menurut kecamatan", "Gambar 2: Peta lokasi penelitian",
    "Berikut adalah daftar lengkapnya:", "Langkah-langkahnya sebagai berikut:", "Pelatih: Luis Milla",
    "Sumber-sumber sejarah kerajaan itu sebagian besar berupa prasasti.",
    "Sumbernya dari mana, tidak ada yang tahu pasti.", "Dalam bahasa Inggris, kata ini disebut source atau resource.",
    "Bersambung ke bagian kedua.", "Selengkapnya akan dibahas pada bab berikutnya.",
    "Baca selengkapnya tentang manfaat jahe pada artikel kami yang lain mengenai kesehatan.",
)  # fmt: skip


# Bracketed asides that close a sentence but credit no one.
ASIDES = ("(lihat gambar)", "(lihat tabel di bawah)", "(bersambung)", "(baca: artinya)", "(tertawa)",
          "(hlm. berikutnya)", "(dalam juta rupiah)", "(opsional)", "(foto di atas)", "(lihat lampiran)")  # fmt: skip


class CorpusLabel(StrEnum):
    """What the last line of a clean corpus document is, for training and for counting false footers."""

    CREDIT = "credit"  # a bracketed credit line, or one closing the last sentence: a footer
    AMBIGUOUS = "ambiguous"  # a short "head: tail" line or one with a domain: could be either, left out
    PROSE = "prose"  # anything else: not a footer


_PAREN_CREDIT = re.compile(r"^\(\s*[^\W\d_][^()\d\n]{0,38}\)$")
_INLINE_CREDIT = re.compile(r"(?<=[.!?\"\u201d\u2019'])\s*(\(\s*[^\W\d_][^()\d\n]{0,38}\))\s*$")
_HEAD_TAIL = re.compile(r"^[^:\n]{1,40}(?::| [-\u2013\u2014] )\s*\S")
_DOMAINISH = re.compile(r"(?i)\b[\w-]+\.(?:com|co\.id|id|net|org)\b")


def corpus_label(line: str) -> tuple[CorpusLabel, CandidateKind | None]:
    """Label the last line of a clean corpus document by its shape alone (no cue words).

    Example:
        >>> corpus_label("(abc/def)")
        (<CorpusLabel.CREDIT: 'credit'>, <CandidateKind.LAST: 'last'>)
        >>> corpus_label("Laga itu berakhir imbang. (xyz)")
        (<CorpusLabel.CREDIT: 'credit'>, <CandidateKind.INLINE: 'inline'>)
        >>> corpus_label("Pelatih: Budi")[0], corpus_label("Ia pulang ke rumah (2019).")[0]
        (<CorpusLabel.AMBIGUOUS: 'ambiguous'>, <CorpusLabel.PROSE: 'prose'>)
    """
    t = line.strip()
    if _PAREN_CREDIT.match(t) and len(t.split()) <= 4:
        return CorpusLabel.CREDIT, CandidateKind.LAST
    m = _INLINE_CREDIT.search(t)
    if m is not None and len(m.group(1).split()) <= 4:
        return CorpusLabel.CREDIT, CandidateKind.INLINE
    if len(t.split()) <= 8 and (_HEAD_TAIL.match(t) or _DOMAINISH.search(t)):
        return CorpusLabel.AMBIGUOUS, None
    return CorpusLabel.PROSE, None


@dataclass(frozen=True, slots=True)
class Example:
    """One training candidate: its text, where it sits, whether it is a footer, and where it came from."""

    text: str
    kind: CandidateKind
    footer: bool
    source: str


# --- Generators of written footers ---


def _misspell(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _case(text: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.12:
        return text.upper()
    if r < 0.24:
        return text.lower()
    if r < 0.32:
        return text.title()
    return text


def _domain(rng: random.Random) -> str:
    return f"{rng.choice(_DOMAIN_HEADS)}{rng.choice(_DOMAIN_TAILS)}.{rng.choice(_TLDS)}"


def _outlet(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.35:
        return rng.choice(FOOTER_OUTLETS)
    if r < 0.45:  # a made-up outlet name: "Warta Rakyat", "InfoTerkini"
        head, tail = rng.choice(_DOMAIN_HEADS).title(), rng.choice(_DOMAIN_TAILS).title()
        return f"{head}{rng.choice((' ', ''))}{tail}"
    if r < 0.7:
        return _domain(rng)
    if r < 0.8:
        return f"www.{_domain(rng)}"
    host = rng.choice([o.lower() for o in FOOTER_OUTLETS if "." in o] + [_domain(rng)])
    slug = "-".join(rng.choice(_TITLES).lower().split()[:5])
    return f"http{'s' if rng.random() < 0.7 else ''}://{host}/{rng.randrange(2015, 2026)}/{slug}"


def _bare_outlet(rng: random.Random) -> str:
    """An outlet alone on a line: a domain or a URL (a bare name is as likely a heading or a person)."""
    outlet = _outlet(rng)
    while "." not in outlet:
        outlet = _outlet(rng)
    return outlet


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}".strip()


def _initials(rng: random.Random) -> str:
    def one() -> str:
        return "".join(rng.choice("abcdefghijklmnoprstuwyz") for _ in range(rng.randint(2, 4)))

    groups = [one() for _ in range(rng.choice((1, 1, 2, 2, 2, 3)))]
    text = "/".join(groups)
    if rng.random() < 0.25:
        text = text.upper()
    if rng.random() < 0.15:
        text = f"{rng.choice(('Antara', 'ANT', 'AFP', 'Reuters', 'AP', 'red', 'rls', 'adv'))}/{groups[0]}"
    if rng.random() < 0.15:
        text = _name(rng)
    return f"({text})"


def _decorate(core: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.06:
        return f"({core})"
    if r < 0.1:
        return f"[{core}]"
    if r < 0.16:
        return f"*{core}"
    if r < 0.2:
        return f"_{core}_"
    if r < 0.26:
        return f"{core}."
    return core


def _source_line(rng: random.Random) -> str:
    outlet = _outlet(rng)
    if rng.random() < 0.1 and "://" not in outlet:
        outlet = f'{outlet} dengan judul "{rng.choice(_TITLES)}"'
    if rng.random() < 0.55:
        cue = rng.choice(SOURCE_CUES)
        sep = rng.choice((": ", " : ", " :", ":", " - ", " \u2013 ", " ", " = ", " >> ", " | "))
    else:
        cue = rng.choice(PHRASE_CUES)
        sep = rng.choice((" ", " ", " ", ": ", " : "))
    words = cue.split()
    if rng.random() < 0.12:
        words[0] = _misspell(words[0], rng)
    elif len(words) > 1 and rng.random() < 0.08:
        k = rng.randrange(1, len(words))
        words[k] = _misspell(words[k], rng)
    return _decorate(f"{_case(' '.join(words), rng)}{sep}{outlet}".strip(), rng)


def _byline(rng: random.Random) -> str:
    cue = _case(rng.choice(BYLINE_CUES), rng)
    sep = rng.choice((": ", " : ", " - ", ": ", " "))
    who = _name(rng)
    if rng.random() < 0.15:
        who = f"{who} | Editor: {_name(rng)}"
    elif rng.random() < 0.1:
        who = f"{who} ({_outlet(rng)})"
    return _decorate(f"{cue}{sep}{who}", rng)


def _read_more(rng: random.Random) -> str:
    line = rng.choice(READ_MORE)
    if rng.random() < 0.5:
        line = f"{line} di {_outlet(rng)}"
    return _case(line, rng)


def written_footers(n: int, *, seed: int = 0) -> Iterator[Example]:
    """``n`` footers (one or two lines) written from the generators above, seeded."""
    rng = random.Random(seed)
    for _ in range(n):
        r = rng.random()
        if r < 0.5:
            yield Example(_source_line(rng), CandidateKind.LAST, True, "written")
        elif r < 0.62:
            yield Example(_byline(rng), CandidateKind.LAST, True, "written")
        elif r < 0.74:
            yield Example(_initials(rng), CandidateKind.LAST, True, "written")
        elif r < 0.78:
            yield Example(_read_more(rng), CandidateKind.LAST, True, "written")
        elif r < 0.82:
            yield Example(_bare_outlet(rng), CandidateKind.LAST, True, "written")  # a bare outlet domain
        else:
            # Two lines: "Sumber :" over the outlet, a credit over the source, a source over a byline...
            pick = rng.random()
            if pick < 0.3:
                cue = _case(rng.choice(SOURCE_CUES), rng) + rng.choice((":", " :", " : "))
                upper, lower = cue.strip(), _bare_outlet(rng)
            elif pick < 0.55:
                upper, lower = _initials(rng), _source_line(rng)
            elif pick < 0.75:
                upper, lower = _source_line(rng), _byline(rng)
            elif pick < 0.9:
                upper, lower = _initials(rng), _read_more(rng)
            else:
                upper, lower = _byline(rng), _source_line(rng)
            yield Example(lower, CandidateKind.LAST, True, "written")
            yield Example(upper, CandidateKind.ABOVE1, True, "written")


def simulator_footers() -> Iterator[Example]:
    """Every footer the simulator writes (each template with each outlet)."""
    for template in FOOTER_TEMPLATES:
        for outlet in OUTLETS:
            lines = template.format(outlet=outlet).strip().splitlines()
            for k, line in enumerate(reversed(lines)):
                yield Example(line, (CandidateKind.LAST, CandidateKind.ABOVE1)[min(k, 1)], True, "simulator")


_SENT_END = re.compile(r"[.!?\"\u201d]$")


def _calib_docs(data_dir: Path, *, fallback: int = TRAIN_FALLBACK_DOCS) -> Iterator[CorpusDoc]:
    """The calib documents of every corpus; a corpus with none (``clickid_link_gaps``) gives its first train ones."""
    for corpus in SHIP_YES:
        calib: list[CorpusDoc] = []
        train: list[CorpusDoc] = []
        for doc in iter_corpus(data_dir, corpus):
            if doc.split == "calib":
                calib.append(doc)
            elif doc.split == "train" and len(train) < fallback:
                train.append(doc)
        yield from calib or train


def corpus_examples(data_dir: Path, *, seed: int = 0, inner_per_doc: int = 2) -> Iterator[Example]:
    """Labelled candidates from the clean calib documents of every register (see :func:`corpus_label`)."""
    rng = random.Random(seed)
    for doc in _calib_docs(data_dir):
        lines, inline = footer_candidates(doc.text)
        if not lines:
            continue
        last = doc.text[lines[0].start : lines[0].end]
        label, kind = corpus_label(last)
        src = f"corpus:{doc.register}"
        if label is CorpusLabel.CREDIT and kind is CandidateKind.LAST:
            yield Example(last, CandidateKind.LAST, True, src)
            above = lines[1:2]
        elif label is CorpusLabel.CREDIT and inline is not None:
            yield Example(doc.text[inline.start : inline.end], CandidateKind.INLINE, True, src)
            above = lines[1:2]
        elif label is CorpusLabel.PROSE:
            yield Example(last, CandidateKind.LAST, False, src)
            if inline is not None:
                yield Example(doc.text[inline.start : inline.end], CandidateKind.INLINE, False, src)
            above = lines[1:]
        else:
            above = []
        for cand in above:
            text = doc.text[cand.start : cand.end]
            if corpus_label(text)[0] is CorpusLabel.PROSE and cand.end - cand.start <= MAX_LINE_CHARS:
                yield Example(text, cand.kind, False, src)
        inner = [ln.strip() for ln in doc.text.split("\n")[:-3] if ln.strip()]
        for line in rng.sample(inner, min(inner_per_doc, len(inner))):
            if corpus_label(line)[0] is CorpusLabel.PROSE and len(line) <= MAX_LINE_CHARS:
                yield Example(line, CandidateKind.LAST, False, f"{src}:inner")
        if label is CorpusLabel.PROSE and _SENT_END.search(last) and rng.random() < 0.15:
            yield Example(_initials(rng), CandidateKind.INLINE, True, "written")


_CAP_RUN = re.compile(r"(?<![\w-])(?:[A-Z][\w'-]*[ \t]+){0,3}[A-Z][\w'-]*")
_SENTENCE_WORDS = re.compile(r"[^\W_][\w'-]*")


def fragment_negatives(data_dir: Path, *, seed: int = 0, n: int = 2500) -> Iterator[Example]:
    """Short unpunctuated lines that are no footer: names and headings cut from clean calib prose.

    A footer is short and seldom ends in a full stop, but so are a heading, a name or a list item; these
    fragments (a run of capitalised words, or a sentence's first words) teach the model that shortness alone
    credits no one.
    """
    rng = random.Random(seed + 1)
    runs: list[str] = []
    heads: list[str] = []
    for doc in _calib_docs(data_dir):
        for line in doc.text.split("\n"):
            if corpus_label(line)[0] is not CorpusLabel.PROSE:
                continue
            runs += [m.group() for m in _CAP_RUN.finditer(line) if m.start() > 0 and " " in m.group().strip()]
            words = _SENTENCE_WORDS.findall(line)
            if len(words) >= 4:
                heads.append(" ".join(words[: rng.randint(2, 6)]))
    for pool in (runs, heads):
        picked = rng.sample(pool, min(n // 2, len(pool)))
        for i, text in enumerate(picked):
            kind = (CandidateKind.LAST, CandidateKind.LAST, CandidateKind.ABOVE1, CandidateKind.ABOVE2)[i % 4]
            yield Example(text, kind, False, "corpus-fragment")


def real_dev_examples(path: Path = REAL_PAGES) -> Iterator[Example]:
    """The trailing lines of the real dev pages, labelled by :data:`DEV_FOOTERS` (a missing file yields nothing)."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as fh:
        for raw in fh:
            page = json.loads(raw)
            if page.get("split") != "dev":
                continue
            lines, inline = footer_candidates(page["text"])
            label = DEV_FOOTERS.get(page["id"], 0)
            src = f"real-dev:{page['label']}"
            if label == "inline" and inline is not None:
                yield Example(page["text"][inline.start : inline.end], CandidateKind.INLINE, True, src)
                continue
            n = int(label) if isinstance(label, int) else 0
            for k, cand in enumerate(lines[: n + 1]):
                if cand.end - cand.start <= MAX_LINE_CHARS:
                    yield Example(page["text"][cand.start : cand.end], cand.kind, k < n, src)


def hard_negatives(*, seed: int = 0) -> Iterator[Example]:
    """:data:`HARD_NEGATIVES` as last lines, and bracketed asides that close a sentence but credit no one."""
    for line in HARD_NEGATIVES:
        yield Example(line, CandidateKind.LAST, False, "hard-negative")
    for aside in ASIDES:
        yield Example(aside, CandidateKind.INLINE, False, "hard-negative")


def training_examples(
    data_dir: Path, *, real_pages: Path = REAL_PAGES, seed: int = 0, n_written: int = 3000
) -> list[Example]:
    """Every training candidate, in a fixed order."""
    out = list(simulator_footers())
    out += written_footers(n_written, seed=seed)
    out += hard_negatives(seed=seed)
    out += corpus_examples(data_dir, seed=seed)
    out += fragment_negatives(data_dir, seed=seed)
    out += real_dev_examples(real_pages)
    return out


def _outlet_vocabulary(data_dir: Path, examples: Sequence[Example]) -> tuple[str, ...]:
    """Outlet names from the corpora's ``outlet`` field, the simulator and the positives, less common words."""
    names: Counter[str] = Counter()
    for doc in iter_docs(data_dir, splits=("train", "calib")):
        if doc.outlet:
            names[outlet_key(doc.outlet)] += 1
    for name in (*OUTLETS, *FOOTER_OUTLETS):
        names[outlet_key(name)] += 1
    for ex in examples:
        if ex.footer and ex.source.startswith("real-dev") and _DOMAINISH.search(ex.text):
            names[outlet_key(outlet_of(ex.text))] += 1  # a credited domain; initials and names are no outlet
    vocab = {n for n in names if n and len(n) >= 3}
    vocab |= {n.rsplit(" ", 1)[0] for n in vocab if n.endswith((" com", " co", " id", " net"))}
    # A name that clean prose uses as a word ("suara", "tempo", "antara") names no outlet by itself.
    prose = [f" {outlet_key(ex.text)} " for ex in examples if not ex.footer and ex.source.startswith("corpus:")]
    hits = Counter(n for text in prose for n in vocab if f" {n} " in text)
    limit = max(3, len(prose) // 500)
    return tuple(sorted(n for n in vocab if hits[n] <= limit))


def build_footer_model(
    data_dir: Path | None = None,
    *,
    real_pages: Path = REAL_PAGES,
    seed: int = 0,
    c: float = 0.5,
    min_count: int = 3,
    min_weight: float = 0.02,
    threshold: float = 0.5,
) -> FooterModel:
    """Fit the footer model on :func:`training_examples` (needs scikit-learn, the ``build`` extra)."""
    import numpy as np
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    data = data_dir if data_dir is not None else default_data_dir()
    examples = training_examples(data, real_pages=real_pages, seed=seed)
    outlets = _outlet_vocabulary(data, examples)
    vocab = OutletVocabulary(outlets)
    rows = [dict.fromkeys(candidate_features(ex.text, ex.kind, vocab), 1.0) for ex in examples]
    counts = Counter(f for row in rows for f in row)
    rows = [{f: v for f, v in row.items() if counts[f] >= min_count} for row in rows]
    vec = DictVectorizer(sort=True)
    x = vec.fit_transform(rows)
    y = np.array([ex.footer for ex in examples])
    clf = LogisticRegression(C=c, class_weight="balanced", solver="lbfgs", max_iter=5000)
    clf.fit(x, y)
    weights = {
        name: round(float(w), 4)
        for name, w in zip(vec.get_feature_names_out(), clf.coef_[0], strict=True)
        if abs(w) >= min_weight
    }
    by_source = Counter(f"{ex.source.split(':')[0]}:{'pos' if ex.footer else 'neg'}" for ex in examples)
    meta = {
        "examples": len(examples),
        "positives": int(y.sum()),
        "negatives": int((~y).sum()),
        "by_source": dict(sorted(by_source.items())),
        "features": len(weights),
        "seed": seed,
        "C": c,
        "trained_on": "simulator templates, written footers and prose, calib corpora, real dev pages",
    }
    return FooterModel(
        weights=weights, bias=round(float(clf.intercept_[0]), 4), threshold=threshold, outlets=outlets, meta=meta
    )


def _dumps(model: FooterModel) -> str:
    return json.dumps(model.to_dict(), ensure_ascii=False, indent=0, sort_keys=False) + "\n"


def write_footer_model(path: Path = MODEL_PATH, *, data_dir: Path | None = None, seed: int = 0) -> FooterModel:
    """Fit the footer model and write it to ``path`` (the packaged ``footer_model.json`` by default)."""
    model = build_footer_model(data_dir, seed=seed)
    path.write_text(_dumps(model), encoding="utf-8")
    return model


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m despin.training.footer", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="shared data (default: $DESPIN_DATA or ../shared/data)"
    )
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help=f"where to write (default {MODEL_PATH})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true", help="refit and exit 1 if --out differs from the fit")
    args = parser.parse_args(list(argv) if argv is not None else None)
    data = args.data_dir if args.data_dir is not None else default_data_dir()
    if not (data / "corpus").is_dir():
        print(f"error: no corpus at {data}/corpus (set --data-dir or $DESPIN_DATA)", file=sys.stderr)
        return 2
    if args.check:
        fresh = _dumps(build_footer_model(data, seed=args.seed))
        same = args.out.is_file() and args.out.read_text(encoding="utf-8") == fresh
        print(f"{args.out}: {'up to date' if same else 'differs from a fresh fit'}")
        return 0 if same else 1
    model = write_footer_model(args.out, data_dir=data, seed=args.seed)
    n_weights, n_outlets, n_examples = len(model.weights), len(model.outlets), model.meta["examples"]
    print(f"wrote {args.out}: {n_weights} weights, {n_outlets} outlets, {n_examples} examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
