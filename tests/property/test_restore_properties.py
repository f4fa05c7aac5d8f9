"""Hypothesis properties of detect/restore on the real bundle: bounds, edit algebra, idempotence."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import despin
from despin.model.bundle import Model
from despin.restorer import apply_edits

WORDS = [
    "pemerintah",
    "akan",
    "membangun",
    "jalan",
    "baru",
    "di",
    "kota",
    "itu",
    "dan",
    "warga",
    "mengatakan",
    "bahwa",
    "harga",
    "beras",
    "naik",
    "karena",
    "hujan",
    "besar",
    "Presiden",
    "Jakarta",
    "yang",
    "tidak",
    "bisa",
    "dengan",
    "untuk",
    "pada",
    "tahun",
    "ini",
    "berita",
    "kabar",
    "agung",
    "raya",
]

texts = st.lists(
    st.tuples(st.sampled_from(WORDS), st.sampled_from([" ", " ", " ", ", ", ". ", "\n", "  "])),
    min_size=1,
    max_size=40,
).map(lambda parts: "".join(w + sep for w, sep in parts))

CLEAN = [
    "Pemerintah kota akan membangun tiga taman baru di wilayah timur pada tahun depan.",
    "Wali kota mengatakan bahwa proyek tersebut bertujuan untuk menambah ruang terbuka hijau.",
    "Menurut dia, anggaran yang disiapkan berasal dari dana daerah.",
    "Sejumlah warga menyambut baik rencana itu.",
    "Harga beras di pasar tradisional naik sejak awal bulan ini.",
    "Polisi masih menyelidiki penyebab kebakaran yang terjadi pada Senin malam.",
    "Tim nasional akan bertanding melawan Malaysia di Stadion Utama Gelora Bung Karno.",
    "Bank Indonesia memperkirakan pertumbuhan ekonomi tetap stabil tahun ini.",
]
clean_texts = st.lists(st.sampled_from(CLEAN), min_size=1, max_size=6).map(" ".join)

arbitrary = st.text(min_size=1, max_size=200).filter(lambda t: t.strip())

settings.register_profile("despin", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("despin")


@pytest.fixture(scope="module")
def m(model: Model) -> Model:
    return model


@given(text=st.one_of(texts, arbitrary))
def test_scores_and_offsets_in_bounds(m: Model, text: str) -> None:
    det = despin.detect(text, model=m)
    assert 0.0 <= det.score <= 1.0
    last = 0
    for s in det.spans:
        assert last <= s.start < s.end <= len(text)
        assert text[s.start : s.end] == s.text
        last = s.end


@given(text=st.one_of(texts, arbitrary))
def test_applying_edits_reproduces_text(m: Model, text: str) -> None:
    res = despin.restore(text, model=m)
    assert apply_edits(text, res.edits) == res.text
    d = res.to_dict()
    assert [e["start"] for e in d["edits"]] == sorted(e["start"] for e in d["edits"])


@given(text=st.one_of(texts, clean_texts))
def test_restore_is_idempotent(m: Model, text: str) -> None:
    once = despin.restore(text, model=m).text
    if once.strip():
        assert despin.restore(once, model=m).text == once


@given(text=clean_texts)
def test_clean_text_changes_at_most_a_small_share(m: Model, text: str) -> None:
    res = despin.restore(text, model=m)
    n_words = len(text.split())
    changed = sum(len(e.observed.split()) for e in res.edits if e.kind == "synonym")
    assert changed <= max(1, 0.05 * n_words)
