"""A typo, abbreviation and slang channel: standard words behind non-standard spellings.

Spinners that imitate casual writing, and careless ones, write colloquial forms ("udah"), chat
abbreviations ("yg") and misspellings ("berhsil") where the source had the standard word. A
thesaurus links none of these, so three sources propose the standard word instead:

* :data:`SLANG`, a small hand-written table of colloquial and non-standard spellings (written
  from general knowledge of Indonesian; none is copied from the issues or the real pages);
* abbreviations: a short word with at most one vowel whose letters appear, in order and with the
  same first letter, in a frequent word ("dgn" in "dengan");
* typos: an unknown word within one or two edits (transpositions count one) of a known word, via
  rapidfuzz.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property, lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

# observed (non-standard) -> standard forms it stands for.
SLANG: dict[str, tuple[str, ...]] = {
    # colloquial Jakarta / chat forms
    "gak": ("tidak",),
    "nggak": ("tidak",),
    "kagak": ("tidak",),
    "udah": ("sudah",),
    "dah": ("sudah",),
    "aja": ("saja",),
    "doang": ("saja",),
    "gitu": ("begitu",),
    "gini": ("begini",),
    "gimana": ("bagaimana",),
    "kayak": ("seperti",),
    "kayaknya": ("sepertinya",),
    "emang": ("memang",),
    "bener": ("benar",),
    "beneran": ("benar",),
    "tau": ("tahu",),
    "pake": ("pakai",),
    "bikin": ("membuat",),
    "dikit": ("sedikit",),
    "banget": ("sangat",),
    "cuma": ("hanya",),
    "cuman": ("hanya",),
    "pengen": ("ingin",),
    "pingin": ("ingin",),
    "kalo": ("kalau",),
    "gede": ("besar",),
    "liat": ("lihat",),
    "ngeliat": ("melihat",),
    "dapet": ("dapat",),
    "nyari": ("mencari",),
    "nunggu": ("menunggu",),
    "ngasih": ("memberi",),
    "ngomong": ("berbicara",),
    "ngerti": ("mengerti",),
    "nanya": ("bertanya",),
    "nyampe": ("sampai",),
    "sampe": ("sampai",),
    "ketemu": ("bertemu",),
    "makasih": ("terima kasih",),
    "lagian": ("lagi pula",),
    "duit": ("uang",),
    "gue": ("saya",),
    "gua": ("saya",),
    "cewek": ("perempuan",),
    "cowok": ("laki-laki",),
    "belom": ("belum",),
    "kemaren": ("kemarin",),
    "ntar": ("nanti",),
    "entar": ("nanti",),
    "abis": ("habis",),
    "ampe": ("sampai",),
    "bareng": ("bersama",),
    "sono": ("sana",),
    "gede-gedean": ("besar-besaran",),
    # non-standard spellings of standard words
    "praktek": ("praktik",),
    "aktifitas": ("aktivitas",),
    "kreatifitas": ("kreativitas",),
    "efektifitas": ("efektivitas",),
    "produktifitas": ("produktivitas",),
    "resiko": ("risiko",),
    "nasehat": ("nasihat",),
    "analisa": ("analisis",),
    "diagnosa": ("diagnosis",),
    "hipotesa": ("hipotesis",),
    "ijin": ("izin",),
    "jaman": ("zaman",),
    "sekedar": ("sekadar",),
    "silahkan": ("silakan",),
    "merubah": ("mengubah",),
    "antri": ("antre",),
    "obyek": ("objek",),
    "karir": ("karier",),
    "ekstrim": ("ekstrem",),
    "apotik": ("apotek",),
    "hakekat": ("hakikat",),
    "jadual": ("jadwal",),
    "tehnik": ("teknik",),
    "tehnologi": ("teknologi",),
    "tekhnologi": ("teknologi",),
    "standart": ("standar",),
    "nampak": ("tampak",),
    "himbau": ("imbau",),
    "himbauan": ("imbauan",),
    "ketrampilan": ("keterampilan",),
    "trampil": ("terampil",),
    "hutang": ("utang",),
    "nafas": ("napas",),
    "propinsi": ("provinsi",),
    "sistim": ("sistem",),
    "konkrit": ("konkret",),
    "atlit": ("atlet",),
    "detil": ("detail",),
    "frekwensi": ("frekuensi",),
    "menejemen": ("manajemen",),
    "kadaluarsa": ("kedaluwarsa",),
    "cidera": ("cedera",),
    "pebruari": ("februari",),
    "nopember": ("november",),
}

# Channel probabilities P(observed | original) of each source: a slang entry is as strong as a
# learned table's, an abbreviation or a one-edit typo as a typical thesaurus link.
SLANG_CHANNEL = 0.5
ABBREVIATION_CHANNEL = 0.1
TYPO_CHANNEL = (0.2, 0.04)  # one edit, two edits
# An abbreviation stands for one of the commonest words; a typo for a word seen this often.
ABBREVIATION_POOL = 3_000
TYPO_MIN_COUNT = 20
TYPO_CANDIDATES = 4
# Longer tokens are no misspelt words (Indonesian words run to about 25 letters with affixes), and an
# edit-distance search over a million-letter token would take seconds.
MAX_GUESS_LEN = 40
CACHE_SIZE = 100_000


class SpellingChannel:
    """Standard originals of an observed non-standard word, with ``P(observed | original)``.

    Args:
        vocab: corpus counts; a word seen ``unknown_below`` times or more is taken as a real word
            and gets no typo or abbreviation candidate.
        slang: observed -> standard forms (:data:`SLANG` by default).
        unknown_below: the count below which a word is unknown.
    """

    def __init__(
        self,
        vocab: Mapping[str, int],
        *,
        slang: Mapping[str, tuple[str, ...]] | None = None,
        unknown_below: int = 3,
    ) -> None:
        self.vocab = vocab
        self.slang = SLANG if slang is None else slang
        self.unknown_below = unknown_below
        # The typo pool by the lengths one observed length can reach: OSA distance is at least the
        # length difference, so a word outside the band is over the cutoff, and searching the band
        # alone (in pool order, so ties rank as before) finds the same words a fraction faster.
        self._typo_bands: dict[int, list[str]] = {}
        self.originals = lru_cache(maxsize=CACHE_SIZE)(self._originals)

    @cached_property
    def _ranked(self) -> list[tuple[int, str]]:
        # Built on the first guess: most pages need none, and sorting the vocabulary costs a tenth of a second.
        return sorted(((c, w) for w, c in self.vocab.items() if w.isalpha()), reverse=True)

    @cached_property
    def _abbrev_pool(self) -> dict[str, list[str]]:
        pool: dict[str, list[str]] = {}
        for _, w in self._ranked[:ABBREVIATION_POOL]:
            if len(w) >= 3:
                pool.setdefault(w[0], []).append(w)
        return pool

    @cached_property
    def _typo_pool(self) -> list[str]:
        return [w for c, w in self._ranked if c >= TYPO_MIN_COUNT and len(w) >= 4]

    def _typo_band(self, length: int, limit: int) -> list[str]:
        band = self._typo_bands.get(length)
        if band is None:
            band = self._typo_bands[length] = [w for w in self._typo_pool if abs(len(w) - length) <= limit]
        return band

    def _originals(self, observed: str, guess: bool = True) -> dict[str, float]:
        """Standard forms of ``observed`` (lower case, one word) with their channel probabilities.

        ``guess``: also guess abbreviations and typos (the caller says no for a word a thesaurus
        lists, which is a real word however rare: "turus" is not a typo of "terus").
        """
        out = {o: SLANG_CHANNEL for o in self.slang.get(observed, ())}
        if (
            not guess
            or len(observed) > MAX_GUESS_LEN
            or " " in observed
            or not observed.isalpha()
            or self.vocab.get(observed, 0) >= self.unknown_below
        ):
            return out
        if 2 <= len(observed) <= 5 and sum(c in "aeiou" for c in observed) <= 1:
            for w in self._abbrev_pool.get(observed[0], ()):
                if len(w) > len(observed) and _subsequence(observed, w) and w not in out:
                    out[w] = ABBREVIATION_CHANNEL
                    if len(out) >= TYPO_CANDIDATES + 2:
                        break
        if len(observed) >= 4:
            limit = 1 if len(observed) <= 6 else 2
            found = process.extract(
                observed,
                self._typo_band(len(observed), limit),
                scorer=OSA.distance,
                score_cutoff=limit,
                limit=TYPO_CANDIDATES,
            )
            for word, dist, _ in found:
                if word != observed and word not in out and abs(len(word) - len(observed)) <= limit:
                    out[word] = TYPO_CHANNEL[min(int(dist), 2) - 1]
        return out


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(c in it for c in short)
