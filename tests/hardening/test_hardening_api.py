"""Python API column of docs/hardening.md: ``despin.detect/restore/trace``, the readers, ``Index`` and bundles."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import despin
from conftest import BAD_SHARDS, PROCESSED, SPUN_KUPANG, doc_20mb, expected_rejects, long_line, needs_model
from despin.errors import IndexCorruptError, InputError, ModelError
from despin.model.bundle import Model
from despin.pipeline import JsonlReader, ParquetReader
from despin.pipeline.base import Reject
from despin.pipeline.stats import Stat
from despin.restorer import apply_edits
from despin.tracer import Index

pytestmark = needs_model


def check_result(text: str, model: Model) -> None:
    """detect and restore give scores in [0, 1], spans and edits in bounds, edits that rebuild the text."""
    det = despin.detect(text, model=model)
    assert 0.0 <= det.score <= 1.0
    last = 0
    for s in det.spans:
        assert last <= s.start < s.end <= len(text) and text[s.start : s.end] == s.text
        last = s.end
    res = despin.restore(text, model=model, force=True)
    assert apply_edits(text, res.edits) == res.text


# ----------------------------------------------------------------------------- refused texts


@pytest.mark.parametrize("text", ["", " \n\t\u3000\u00a0 "], ids=["empty", "whitespace"])
@pytest.mark.parametrize("verb", ["detect", "restore", "spin"])
def test_api_empty_and_whitespace_text_is_an_input_error(model: Model, verb: str, text: str) -> None:
    with pytest.raises(InputError, match="text is empty"):
        getattr(despin, verb)(text, model=model)


def test_api_trace_empty_text_is_an_input_error(index_files: dict[str, Path]) -> None:
    with Index.open(index_files["good"]) as ix, pytest.raises(InputError, match="text is empty"):
        despin.trace("  \n", index=ix)


@pytest.mark.parametrize("value", [b"\x89PNG\r\n\x1a\n\x00\x00", bytearray(b"kata"), None, 12, ["kata"]])
def test_api_binary_and_non_string_values_are_an_input_error(model: Model, value: object) -> None:
    with pytest.raises(InputError, match="text must be a string, got"):
        despin.detect(value, model=model)  # type: ignore[arg-type]


def test_api_invalid_utf8_decoded_with_surrogateescape_is_an_input_error(
    model: Model, index_files: dict[str, Path]
) -> None:
    text = b"Harga beras naik \xff\xfe di pasar".decode("utf-8", "surrogateescape")
    for verb in (despin.detect, despin.restore):
        with pytest.raises(InputError, match=r"unpaired surrogate '\\udcff' at character 17"):
            verb(text, model=model)
    with Index.open(index_files["good"]) as ix, pytest.raises(InputError, match="unpaired surrogate"):
        despin.trace(text, index=ix)


def test_api_20mb_document_is_refused_at_once(model: Model) -> None:
    text = doc_20mb()
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="20,000,000 characters, over the 5,000,000 limit"):
        despin.detect(text, model=model)
    with pytest.raises(InputError, match="over the 5,000,000 limit"):
        despin.restore(text, model=model)
    assert time.perf_counter() - t0 < 2.0


# ----------------------------------------------------------------------------- processed texts


def test_api_5mb_line_is_decoded_in_windows(model: Model) -> None:
    text = long_line()
    assert len(text.encode()) == 5_000_000 and "\n" not in text and "." not in text
    t0 = time.perf_counter()
    res = despin.restore(text, model=model, force=True)
    assert time.perf_counter() - t0 < 30.0  # about 3 s on an idle core
    assert apply_edits(text, res.edits) == res.text
    assert all(0 <= e.start < e.end <= len(text) for e in res.edits)


@pytest.mark.parametrize("name", sorted(PROCESSED))
def test_api_processes_markup_scripts_nul_long_words_and_english(model: Model, name: str) -> None:
    text = PROCESSED[name]
    t0 = time.perf_counter()
    check_result(text, model)
    assert time.perf_counter() - t0 < 10.0


def test_api_english_text_is_not_called_spun(model: Model) -> None:
    det = despin.detect(PROCESSED["english"], model=model)
    assert not det.is_spun and det.score < 0.5


def test_api_trace_of_odd_texts_answers_without_error(index_files: dict[str, Path]) -> None:
    with Index.open(index_files["good"]) as ix:
        for text in PROCESSED.values():
            result = despin.trace(text, index=ix)
            assert all(0.0 <= m.score <= 1.0 for m in result.matches)
        assert despin.trace(SPUN_KUPANG, index=ix).matches[0].source_id == "kupang-bridge"


# ----------------------------------------------------------------------------- files through the readers


def _read(path: Path) -> tuple[list[str], list[Reject]]:
    class Sink:
        def __init__(self) -> None:
            self.items: list[Reject] = []

        def write(self, r: Reject) -> None:
            self.items.append(r)

    sink = Sink()
    reader_cls = ParquetReader if path.suffix == ".parquet" else JsonlReader
    reader = reader_cls(path, rejects=sink)  # type: ignore[arg-type]
    docs = [d.doc_id or "" for d in reader.run(None)]
    assert reader.stats[Stat.INPUT] == len(docs) + len(sink.items)  # every record counted once
    return docs, sink.items


@pytest.mark.parametrize("shard", BAD_SHARDS)
def test_api_readers_reject_bad_records_with_reasons_and_never_raise(shard_dir: Path, shard: str) -> None:
    path = next(p for p in shard_dir.iterdir() if p.name.split(".")[0] == shard)
    docs, rejects = _read(path)
    assert sorted(r.reason.value for r in rejects) == expected_rejects(shard_dir)[shard]
    assert all(r.detail for r in rejects)
    if shard == "truncated":  # every complete line before the cut is kept
        assert 50 < len(docs) < 200 and docs == [f"g-{i}" for i in range(len(docs))]


def test_api_reader_corrupt_gzip_keeps_the_lines_before_the_damage(shard_dir: Path) -> None:
    docs, rejects = _read(shard_dir / "corrupt.jsonl.gz")
    reasons = [r.reason.value for r in rejects]
    assert reasons[-1] == "corrupt_gzip" and set(reasons) <= {"corrupt_gzip", "malformed_json", "invalid_utf8"}
    assert 50 < len(docs) < 200 and docs == [f"g-{i}" for i in range(len(docs))]


# ----------------------------------------------------------------------------- index and model files


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated", "is truncated"),
        ("empty", "not a despin index"),
        ("not_sqlite", "not a despin index"),
    ],
)
def test_api_damaged_index_is_an_index_corrupt_error(index_files: dict[str, Path], name: str, message: str) -> None:
    with pytest.raises(IndexCorruptError, match=message):
        Index.open(index_files[name])


def test_api_damaged_stored_text_is_found_when_the_source_is_aligned(index_files: dict[str, Path]) -> None:
    with Index.open(index_files["damaged_text"]) as ix, pytest.raises(IndexCorruptError, match="kupang-bridge"):
        despin.trace(SPUN_KUPANG, index=ix)


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("missing-lm.binary", "incomplete: lm.binary is missing"),
        ("missing-vocab.json.gz", "incomplete: vocab.json.gz is missing"),
        ("missing-lexicon.json.gz", "incomplete: lexicon.json.gz is missing"),
        ("missing-neighbours.json.gz", "incomplete: neighbours.json.gz is missing"),
        ("missing-detector.json", "incomplete: detector.json is missing"),
        ("missing-manifest.json", "manifest.json is missing"),
        ("corrupt-detector.json", "detector.json is corrupted (sha256 does not match the manifest)"),
        ("corrupt-lexicon.json.gz", "lexicon.json.gz is corrupted (sha256 does not match the manifest)"),
        ("bad-manifest", "manifest.json is not valid JSON"),
    ],
)
def test_api_broken_model_directory_is_a_model_error_naming_the_file(
    model_variants: dict[str, Path], variant: str, message: str
) -> None:
    with pytest.raises(ModelError, match=message.replace("(", r"\(").replace(")", r"\)")):
        despin.load_model(model_variants[variant])


@pytest.mark.parametrize("text", ["😀😀😀", "!?.,;" * 20, "12345 678"], ids=["emoji", "punctuation", "digits"])
def test_api_a_text_without_words_is_not_scored_as_spun(model: Model, text: str) -> None:
    assert despin.detect(text, model=model).score < 0.5
