"""CLI column of docs/hardening.md: ``despin detect|restore|trace`` in real subprocesses, checked by exit code.

A refused input exits 1 with one ``Error: ...`` line naming the file and the reason, never a traceback
(:func:`conftest.run_cli` fails any test whose stderr holds one). A processed input exits 0 and prints
exactly the JSON of the Python API.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import despin
from conftest import BROKEN_MODELS, PROCESSED, SOURCES, SPUN_KUPANG, clear_error, needs_model, run_cli
from despin.model.bundle import Model
from despin.restorer import apply_edits
from despin.types import Edit

pytestmark = needs_model


@pytest.mark.parametrize("verb", ["detect", "restore"])
@pytest.mark.parametrize("name", ["empty.txt", "blank.txt"])
def test_cli_empty_and_whitespace_files_exit_1(bad_files: dict[str, Path], verb: str, name: str) -> None:
    clear_error(run_cli(verb, bad_files[name]), f"{bad_files[name]}: text is empty")


def test_cli_empty_stdin_exits_1() -> None:
    clear_error(run_cli("detect", "-", stdin=b" \n "), "<stdin>: text is empty")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("binary.bin", "looks binary (contains NUL bytes), expected UTF-8 text"),
        ("invalid_utf8.txt", "not valid UTF-8 (byte 0xe9 at offset 38)"),
        ("nul_heavy.txt", "looks binary (contains NUL bytes)"),
    ],
)
def test_cli_binary_and_invalid_utf8_exit_1(bad_files: dict[str, Path], name: str, message: str) -> None:
    clear_error(run_cli("detect", bad_files[name]), str(bad_files[name]), message)


def test_cli_binary_stdin_exits_1(bad_files: dict[str, Path]) -> None:
    clear_error(run_cli("restore", "-", stdin=bad_files["binary.bin"].read_bytes()), "<stdin>: looks binary")


def test_cli_20mb_document_exits_1_naming_the_file(bad_files: dict[str, Path]) -> None:
    path = bad_files["doc_20mb.txt"]
    clear_error(run_cli("detect", path), f"{path}: text has 20,000,000 characters, over the 5,000,000 limit")


def test_cli_input_over_20mib_is_refused_before_decoding(bad_files: dict[str, Path]) -> None:
    path = bad_files["over_20mib.txt"]
    clear_error(run_cli("restore", path), f"{path}: larger than the 20,971,520-byte limit")


def test_cli_5mb_line_is_processed(bad_files: dict[str, Path]) -> None:
    res = run_cli("restore", "--json", "--force", bad_files["line_5mb.txt"], timeout=60)
    assert res.returncode == 0, res.stderr
    text = bad_files["line_5mb.txt"].read_text()
    out = res.json()
    assert (
        apply_edits(
            text,
            [Edit(**{k: e[k] for k in ("start", "end", "observed", "restored", "confidence")}) for e in out["edits"]],
        )
        == out["text"]
    )


@pytest.mark.parametrize(
    ("name", "verb"),
    [
        ("html", "detect"),
        ("mixed_scripts", "restore"),
        ("nul_chars", "detect"),
        ("long_word", "restore"),
        ("long_hyphen_word", "detect"),
        ("english", "detect"),
    ],
)
def test_cli_processes_odd_texts_exactly_like_the_api(
    bad_files: dict[str, Path], model: Model, name: str, verb: str
) -> None:
    path = bad_files[f"{name}.txt"]
    args: list[str | Path] = [verb, path, *(["--json", "--force"] if verb == "restore" else [])]
    res = run_cli(*args)
    assert res.returncode == 0, res.stderr
    text = PROCESSED[name]
    api_result = despin.detect(text, model=model) if verb == "detect" else despin.restore(text, model=model, force=True)
    assert res.json() == json.loads(json.dumps(api_result.to_dict()))


def test_cli_trace_processes_odd_texts(bad_files: dict[str, Path], index_files: dict[str, Path]) -> None:
    for name in ("html", "mixed_scripts", "english"):
        res = run_cli("trace", bad_files[f"{name}.txt"], "--index", index_files["good"])
        assert res.returncode == 0, res.stderr
        assert all(m["source_id"] in SOURCES for m in res.json()["matches"])


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated.jsonl.gz", "is a gzip-compressed JSON Lines file of records"),
        ("corrupt.jsonl.gz", "is a gzip-compressed JSON Lines file of records"),
        ("garbage.parquet", "is a Parquet file of records"),
        ("nonstring.parquet", "is a Parquet file of records"),
    ],
)
def test_cli_compressed_and_parquet_files_are_not_text(shard_dir: Path, name: str, message: str) -> None:
    """detect/restore/trace read plain text; a shard given by mistake is refused, not read as text, and the
    error names the command that reads shards."""
    res = run_cli("detect", shard_dir / name)
    clear_error(res, str(shard_dir / name), message)
    assert f"despin scan {shard_dir / name} -o OUT" in res.stderr


def test_cli_malformed_jsonl_given_to_detect_is_just_text(shard_dir: Path) -> None:
    """JSON syntax is text to detect (scan and index add are the JSONL readers): it is scored, exit 0."""
    res = run_cli("detect", shard_dir / "malformed.jsonl")
    assert res.returncode == 0 and 0.0 <= res.json()["spun_score"] <= 1.0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated", "is truncated"),
        ("empty", "not a despin index"),
        ("not_sqlite", "not a despin index"),
        ("damaged_text", "stored text of 'kupang-bridge' is damaged"),
    ],
)
def test_cli_trace_with_a_damaged_index_exits_1(
    bad_files: dict[str, Path], index_files: dict[str, Path], tmp_path: Path, name: str, message: str
) -> None:
    query = tmp_path / "spun.txt"
    query.write_text(SPUN_KUPANG)
    clear_error(run_cli("trace", query, "--index", index_files[name]), message)


def test_cli_trace_with_a_missing_index_exits_1(tmp_path: Path) -> None:
    query = tmp_path / "spun.txt"
    query.write_text(SPUN_KUPANG)
    clear_error(run_cli("trace", query, "--index", tmp_path / "nope.db"), "no index at")


@pytest.mark.parametrize(("variant", "message"), BROKEN_MODELS)
def test_cli_broken_model_directory_exits_1(
    model_variants: dict[str, Path], tmp_path: Path, variant: str, message: str
) -> None:
    text = tmp_path / "a.txt"
    text.write_text(SOURCES["rice-price"])
    clear_error(run_cli("detect", text, "--model", model_variants[variant]), message)


def test_cli_trace_never_loads_the_model(index_files: dict[str, Path], tmp_path: Path) -> None:
    """The index row of "model directory with a missing file": trace and the index never import a model."""
    query = tmp_path / "spun.txt"
    query.write_text(SPUN_KUPANG)
    code = (
        "import sys; from despin.cli import cli\n"
        f"cli(['trace', {str(query)!r}, '--index', {str(index_files['good'])!r}], standalone_mode=False)\n"
        "assert 'despin.model.bundle' not in sys.modules and 'kenlm' not in sys.modules, 'a model was loaded'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["matches"][0]["source_id"] == "kupang-bridge"
