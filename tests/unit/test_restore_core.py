"""Restorer and detector behaviour on the real default bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

import despin
from despin.errors import ConfigError, InputError
from despin.model.bundle import Model
from despin.restorer import apply_edits
from despin.restorer.document import EditPolicy
from despin.restorer.footer import find_footer
from despin.restorer.restorer import DecodeConfig
from despin.types import Edit


def test_apply_edits_rejects_overlap_and_mismatch() -> None:
    assert apply_edits("ab cd", [Edit(0, 2, "ab", "x", 1.0), Edit(3, 5, "cd", "", 1.0)]) == "x "
    with pytest.raises(ConfigError):
        apply_edits("ab cd", [Edit(0, 2, "zz", "x", 1.0)])
    with pytest.raises(ConfigError):
        apply_edits("ab cd", [Edit(0, 4, "ab c", "x", 1.0), Edit(3, 5, "cd", "", 1.0)])


@pytest.mark.parametrize(
    ("text", "outlet"),
    [
        ("Isi.\n\nSumber Referensi Berita: Kompas.com", "Kompas.com"),
        ("Isi.\n\nArtikel ini telah tayang di Tribunnews.com", "Tribunnews.com"),
        ("Isi.\n\nDikutip dari CNN Indonesia", "CNN Indonesia"),
    ],
)
def test_footer_found_with_outlet(text: str, outlet: str) -> None:
    footer = find_footer(text)
    assert footer is not None and footer.outlet == outlet
    assert text[: footer.start] == "Isi."


def test_restore_config_checks_ranges() -> None:
    with pytest.raises(ConfigError, match="min_confidence must be in"):
        EditPolicy(min_confidence=1.5)
    with pytest.raises(ConfigError, match="beam must be"):
        DecodeConfig(beam=0)


def test_a_forced_restore_undoes_a_doubled_word(model: Model) -> None:
    # One odd capital in a sentence is weak evidence on its own (clean pages capitalise names of programmes and
    # offices mid-sentence); a doubled word is strong, and a forced restore assumes a farm's spin rate.
    text = "Presiden mengatakan bahwa pemerintah akan akan Membangun jalan baru di daerah itu."
    result = despin.restore(text, model=model, force=True)
    assert "repeat" in {e.kind for e in result.edits}
    assert "akan akan" not in result.text
    assert apply_edits(text, result.edits) == result.text
    assert not despin.restore(text, model=model).edits  # not judged spun: nothing changes without force


def test_a_doubled_word_in_another_case_is_not_a_repeat(model: Model) -> None:
    text = "Dia membintangi sinetron Cinta dan Dan pada tahun itu, lalu pindah ke layar lebar."
    result = despin.restore(text, model=model, force=True)
    assert "dan Dan" in result.text and all(e.kind != "repeat" for e in result.edits)


def test_footer_is_reported_and_removed_only_with_the_words(model: Model) -> None:
    text = "Harga beras naik di pasar tradisional.\n\nSumber Referensi Berita: Kompas.com"
    result = despin.restore(text, model=model)
    assert result.footer is not None and result.footer.outlet == "Kompas.com"
    assert not result.detection.is_spun and result.text == text  # a clean page keeps its credit
    forced = despin.restore(text, model=model, force=True)
    assert forced.text == "Harga beras naik di pasar tradisional."
    kept = despin.restore(text, model=model, remove_footer=False, force=True)
    assert kept.text.endswith("Kompas.com")


@pytest.mark.parametrize("credit", [" (Antara)", "\n(ard)"])
def test_a_bracketed_credit_is_the_sources_and_stays(model: Model, credit: str) -> None:
    text = "Harga beras naik di pasar tradisional pekan ini." + credit
    result = despin.restore(text, model=model, force=True)
    assert result.footer is not None and result.footer.is_bracketed_credit
    assert result.text.endswith(credit) and all(e.kind != "footer" for e in result.edits)


def test_spans_are_the_words_more_likely_changed_than_not(model: Model) -> None:
    spun = (model.path.parents[3] / "examples" / "spun.txt").read_text(encoding="utf-8")
    det = despin.detect(spun, model=model)
    words = [s for s in det.spans if s.score < 1.0]  # the footer is listed at 1.0
    assert det.is_spun and len(words) >= 3 and all(s.score >= 0.5 for s in words), det.spans


def test_edits_are_sorted_disjoint_and_rebuild_text(model: Model) -> None:
    spun = (model.path.parents[3] / "examples" / "spun.txt").read_text(encoding="utf-8")
    result = despin.restore(spun, model=model)
    assert result.edits, "the example article is spun and must get edits"
    for a, b in zip(result.edits, result.edits[1:], strict=False):
        assert a.end <= b.start
    for e in result.edits:
        assert spun[e.start : e.end] == e.observed
        assert 0.0 <= e.confidence <= 1.0
    assert apply_edits(spun, result.edits) == result.text


def test_detect_separates_spun_example_from_its_original(model: Model) -> None:
    root = model.path.parents[3] / "examples"
    spun = despin.detect((root / "spun.txt").read_text(encoding="utf-8"), model=model)
    clean = despin.detect((root / "original.txt").read_text(encoding="utf-8"), model=model)
    assert spun.is_spun and not clean.is_spun
    assert spun.score > clean.score
    assert spun.spans


def test_blank_and_non_string_input_are_input_errors(model: Model) -> None:
    with pytest.raises(InputError, match="empty"):
        despin.detect("  \n ", model=model)
    with pytest.raises(InputError, match="must be a string"):
        despin.restore(b"bytes", model=model)  # type: ignore[arg-type]


def test_clean_document_is_left_alone_unless_forced(model: Model) -> None:
    root = model.path.parents[3] / "examples"
    clean = (root / "original.txt").read_text(encoding="utf-8")
    result = despin.restore(clean, model=model)
    assert result.detection.score < 0.5
    assert result.edits == () and result.text == clean
    forced = despin.restore(clean, model=model, force=True)
    assert apply_edits(clean, forced.edits) == forced.text


def _spun_example(model: Model) -> str:
    return (model.path.parents[3] / "examples" / "spun.txt").read_text(encoding="utf-8")


def test_force_reaches_the_model_and_changes_words_the_decision_would_keep(model: Model) -> None:
    spun = _spun_example(model)
    # At threshold 1.0 nothing counts as spun, so only ``force`` may change the words.
    kept = despin.restore(spun, model=model, threshold=1.0)
    assert not kept.detection.is_spun
    assert [e.kind for e in kept.edits] in ([], ["footer"])
    forced = despin.restore(spun, model=model, threshold=1.0, force=True)
    assert any(e.kind == "synonym" for e in forced.edits)
    assert forced.text != kept.text


def test_words_change_exactly_when_the_returned_detection_says_spun(model: Model) -> None:
    spun = _spun_example(model)
    score = despin.detect(spun, model=model).score
    for threshold in (max(0.0, score - 0.01), min(1.0, score + 0.01)):
        res = despin.restore(spun, model=model, threshold=threshold)
        changed_words = any(e.kind in ("synonym", "case", "repeat") for e in res.edits)
        assert changed_words == res.detection.is_spun == (score >= threshold)


def test_detect_with_a_table_is_the_detection_restore_reports(model: Model, tmp_path: Path) -> None:
    spun = _spun_example(model)
    restored = despin.restore(spun, model=model)
    # A table that maps each restored synonym back: the restorer now has other candidates.
    rows = [f"{e.observed.lower()}\t{e.restored.lower()}\t5" for e in restored.edits if e.kind == "synonym"]
    table = tmp_path / "t.tsv"
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    for t in (None, table):
        assert despin.detect(spun, model=model, table=t) == despin.restore(spun, model=model, table=t).detection
    assert despin.detect(spun, model=model, table=table) != despin.detect(spun, model=model)
