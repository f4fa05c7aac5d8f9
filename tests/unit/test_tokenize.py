from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from despin.text import normalize, sentences, tokenize


def test_keeps_indonesian_units_whole() -> None:
    text = "Korsel, 21/10: harga naik 2,5% jadi Rp1.500. Kata-kata rumahnya COVID-19 pergilah."
    assert [t.text for t in tokenize(text)] == [
        "Korsel",
        ",",
        "21/10",
        ":",
        "harga",
        "naik",
        "2,5%",
        "jadi",
        "Rp1.500",
        ".",
        "Kata-kata",
        "rumahnya",
        "COVID-19",
        "pergilah",
        ".",
    ]


def test_number_kinds() -> None:
    kinds = {t.text: t.kind for t in tokenize("1.500 orang dan 2,5 ton pada 21/10")}
    assert kinds["1.500"] == "number" and kinds["2,5"] == "number" and kinds["21/10"] == "number"
    assert kinds["orang"] == "word"


def test_sentences_split_on_enders_before_capitals_and_newlines() -> None:
    text = "Dr. budi datang. Ia pulang!\nSelesai"
    toks = tokenize(text)
    got = [[t.text for t in toks[i:j]] for i, j in sentences(text, toks)]
    assert got == [["Dr", ".", "budi", "datang", "."], ["Ia", "pulang", "!"], ["Selesai"]]


@given(st.text())
def test_offsets_rebuild_the_text(text: str) -> None:
    toks = tokenize(text)
    pos = 0
    for t in toks:
        assert 0 <= t.start < t.end <= len(text)
        assert text[t.start : t.end] == t.text
        assert text[pos : t.start].strip() == ""  # only whitespace between tokens
        pos = t.end
    assert text[pos:].strip() == ""


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    assert normalize(normalize(text)) == normalize(text)


@given(st.text())
def test_sentences_partition_the_tokens(text: str) -> None:
    toks = tokenize(text)
    spans = sentences(text, toks)
    assert [i for s in spans for i in range(*s)] == list(range(len(toks)))
