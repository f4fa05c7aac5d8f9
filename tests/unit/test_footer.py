"""Footer detection learned from data (issue 17, item 2): the shipped model finds farm footers it was never shown,
leaves prose alone, and cuts the footer so that what remains is the article as it was.

Every footer and sentence here is our own wording (none is taken from a real page).
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

import pytest

from despin.errors import ConfigError
from despin.restorer.footer import (
    CandidateKind,
    FooterModel,
    default_model,
    find_footer,
)
from despin.spinner import Spinner
from despin.spinner.spinner import FOOTER_TEMPLATES, OUTLETS
from despin.training.corpora import default_data_dir

ARTICLE = (
    "Harga cabai rawit di pasar induk naik dua kali lipat menjelang hari raya.\n\n"
    "Pedagang mengaku pasokan dari petani berkurang karena hujan deras sepanjang pekan."
)


def _vocabulary() -> set[str]:
    """Every word the shipped model has a weight for (as a word, a cue word, or a first or last word)."""
    return {key.split("=", 1)[1] for key in default_model().weights if key[:2] in ("w=", "h=", "f=", "l=")}


@pytest.mark.parametrize(
    ("footer", "cue", "outlet"),
    [
        ("Nyomot dari : sekilaskabar.net", "nyomot", "sekilaskabar.net"),
        ("Dicomot dari laman Sekilas Kabar", "dicomot", "Sekilas Kabar"),
        ("Diterbitkan ulang dari kabarsepekan.co.id", "diterbitkan", "kabarsepekan.co.id"),
        ("Thanks to : jendelaberita.org", "thanks", "jendelaberita.org"),
    ],
)
def test_a_farm_footer_worded_as_never_seen_is_found(footer: str, cue: str, outlet: str) -> None:
    assert cue not in _vocabulary(), f"{cue!r} is a training word; the test needs wording the model never saw"
    found = find_footer(f"{ARTICLE}\n\n{footer}")
    assert found is not None
    assert found.text.strip() == footer
    assert found.outlet == outlet


@pytest.mark.parametrize(
    "last",
    [
        "Sumber mata air di kaki bukit itu tidak pernah kering, bahkan saat kemarau panjang.",
        "Sumber: warga sekitar yang enggan disebut namanya mengatakan banjir datang tiba-tiba.",
        "Sumber kekuatan tim ini ada pada lini tengah yang solid",
        "Terima kasih telah membaca artikel ini.",
        "Dua Sahabat",
        "Kesimpulan",
    ],
)
def test_prose_and_headings_are_not_footers(last: str) -> None:
    assert find_footer(f"{ARTICLE}\n\n{last}") is None


def test_a_long_last_paragraph_is_not_a_footer_even_with_a_cue_and_an_outlet() -> None:
    paragraph = (
        "Sumber berita yang kami hubungi menjelaskan bahwa harga akan turun setelah panen raya di sentra produksi "
        "Jawa Tengah dan Jawa Timur, sebagaimana juga diberitakan oleh Kompas.com dan beberapa media lain pekan "
        "lalu; pemerintah daerah berjanji menggelar operasi pasar agar warga tetap bisa membeli kebutuhan pokok."
    )
    assert len(paragraph) > 250
    assert find_footer(f"{ARTICLE}\n\n{paragraph}") is None
    # the same cue and outlet on a short line of their own is a footer
    assert find_footer(f"{ARTICLE}\n\nSumber berita: Kompas.com") is not None


@pytest.mark.parametrize(
    ("footer", "lines"),
    [
        ("\n\nSumber Referensi Berita: Warta Sepekan", 1),
        ("\n\nSupport by : lintaskabar.com", 1),
        ('\n\nArtikel ini telah tayang di Kabarsepekan.com dengan judul "Harga Cabai Naik"', 1),
        ("\nSumber :\nlintaskabar.com", 2),
        ("\n(rhm/tks)\nBaca artikel selengkapnya di lintaskabar.com", 2),
        (" (rhm/tks)", 0),  # a reporter's credit closing the last sentence
    ],
)
def test_the_footer_owns_the_whitespace_before_it(footer: str, lines: int) -> None:
    for trailing in ("", "\n", "  \n\n"):
        text = ARTICLE + footer + trailing
        found = find_footer(text)
        assert found is not None, text
        assert text[: found.start] == ARTICLE  # removing the footer leaves the article as it was
        assert found.text == text[found.start : found.end] == footer
        assert text[found.end :] == trailing
        assert found.text.strip().count("\n") == max(lines - 1, 0)


def test_outlets_of_a_two_line_footer_and_a_bracketed_credit() -> None:
    two_lines = find_footer(f"{ARTICLE}\nSumber :\nlintaskabar.com")
    assert two_lines is not None and two_lines.outlet == "lintaskabar.com"
    credit = find_footer(f"{ARTICLE} (Rina Wulandari)")
    assert credit is not None and credit.outlet == "Rina Wulandari"
    assert credit.text == " (Rina Wulandari)"


def test_a_bracketed_aside_or_a_year_closing_the_text_is_not_a_credit() -> None:
    assert find_footer("Candi itu dibangun pada abad kesembilan (lihat gambar)") is None
    assert find_footer(f"{ARTICLE} (2019)") is None
    assert find_footer(f"{ARTICLE}\n\n)") is None


def test_a_text_that_is_only_a_credit_has_no_article_to_credit() -> None:
    assert find_footer("Sumber: lintaskabar.com") is None
    assert find_footer("") is None
    assert find_footer("\n\n  \n") is None


def test_every_simulator_footer_is_found_with_its_outlet() -> None:
    for template in FOOTER_TEMPLATES:
        for outlet in OUTLETS:
            text = ARTICLE + template.format(outlet=outlet)
            found = find_footer(text)
            assert found is not None, text
            assert text[: found.start] == ARTICLE
            assert found.outlet == outlet


def test_a_spinner_footer_is_found_after_a_spin(tiny_lexicon: object) -> None:
    from despin.lexicon import SynonymLexicon

    assert isinstance(tiny_lexicon, SynonymLexicon)
    spin = Spinner(tiny_lexicon, rate=1.0, seed=3, footer=True).spin("Kota itu besar. Berita itu besar.")
    gold = [e for e in spin.edits if e.kind == "footer"]
    found = find_footer(spin.text)
    assert gold and found is not None
    assert found.text == gold[0].observed


def test_the_model_file_round_trips_and_is_read_once() -> None:
    raw = json.loads(resources.files("despin.restorer").joinpath("footer_model.json").read_text(encoding="utf-8"))
    model = FooterModel.from_dict(raw)
    assert model.to_dict() == raw
    assert default_model() is default_model()
    line = "Sumber: lintaskabar.com"
    assert model.probability(line, CandidateKind.LAST) == default_model().probability(line, CandidateKind.LAST)
    assert model.probability(line, CandidateKind.LAST) > 0.9
    assert model.probability("Sumber air itu jernih sekali dan mengalir deras.", CandidateKind.LAST) < 0.1


def test_a_bad_model_file_is_refused() -> None:
    good = default_model().to_dict()
    with pytest.raises(ConfigError, match="not a footer model"):
        FooterModel.from_dict({**good, "format": "something-else"})
    with pytest.raises(ConfigError, match="threshold"):
        FooterModel.from_dict({**good, "threshold": 1.5})
    with pytest.raises(ConfigError, match="not finite"):
        FooterModel.from_dict({**good, "bias": math.inf})


def test_a_model_can_be_passed_in() -> None:
    # a model whose only weight is the line being a domain finds bare domains, and nothing else
    model = FooterModel(weights={"domain": 10.0}, bias=-5.0, outlets=())
    assert find_footer(f"{ARTICLE}\n\nlintaskabar.com", model=model) is not None
    assert find_footer(f"{ARTICLE}\n\nSumber Referensi Berita: Warta Sepekan", model=model) is None


@pytest.mark.slow
def test_the_fit_is_reproducible_and_learns_footers(tmp_path: Path) -> None:
    """``python -m despin.training.footer`` on the data directory: deterministic, and it learns the simulator's
    footers; on the full shared corpora it rebuilds the shipped file byte for byte."""
    from despin.training.footer import MODEL_PATH, write_footer_model

    data = default_data_dir()
    out = tmp_path / "footer_model.json"
    model = write_footer_model(out, data_dir=data)
    for template in FOOTER_TEMPLATES:
        found = find_footer(ARTICLE + template.format(outlet="Kabarsepekan.com"), model=model)
        assert found is not None and found.outlet == "Kabarsepekan.com"
    assert find_footer(f"{ARTICLE}\n\nSumber air di desa itu berasal dari sumur tua.", model=model) is None
    if (data / "corpus" / "indosum_dev.jsonl.gz").is_file() and data.name != "mini":
        assert out.read_text(encoding="utf-8") == MODEL_PATH.read_text(encoding="utf-8")
