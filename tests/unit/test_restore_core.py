"""Restorer and detector behaviour on the real default bundle."""

from __future__ import annotations

import pytest

import despin
from despin.errors import ConfigError, InputError
from despin.model.bundle import Model
from despin.restorer import apply_edits
from despin.restorer.footer import find_footer
from despin.restorer.restorer import RestoreConfig
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
        RestoreConfig(min_confidence=1.5)
    with pytest.raises(ConfigError, match="beam must be"):
        RestoreConfig(beam=0)


def test_repeat_and_mid_sentence_capital_are_undone(model: Model) -> None:
    text = "Presiden mengatakan bahwa pemerintah akan akan Membangun jalan baru di daerah itu."
    result = despin.restore(text, model=model)
    kinds = {e.kind for e in result.edits}
    assert "repeat" in kinds
    assert "akan akan" not in result.text
    assert "Membangun" not in result.text
    assert apply_edits(text, result.edits) == result.text


def test_footer_is_removed_and_reported(model: Model) -> None:
    text = "Harga beras naik di pasar tradisional.\n\nSumber Referensi Berita: Kompas.com"
    result = despin.restore(text, model=model)
    assert result.footer is not None and result.footer.outlet == "Kompas.com"
    assert result.text == "Harga beras naik di pasar tradisional."
    kept = despin.restore(text, model=model, remove_footer=False)
    assert kept.text.endswith("Kompas.com")


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
