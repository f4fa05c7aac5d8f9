"""``despin detect`` / ``despin restore`` end to end on the real default bundle, checked via the Python API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import despin
from despin.cli import cli
from despin.model.bundle import Model
from despin.restorer import apply_edits

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "despin", *args], input=stdin, capture_output=True, timeout=120, check=False
    )


def test_detect_prints_the_api_json(model: Model) -> None:
    text = (EXAMPLES / "spun.txt").read_text(encoding="utf-8")
    proc = _run("detect", str(EXAMPLES / "spun.txt"))
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got == despin.detect(text, model=model).to_dict()
    assert set(got) == {"spun_score", "is_spun", "spans", "threshold"} and got["is_spun"] is True
    assert got["threshold"] <= got["spun_score"]
    for span in got["spans"]:
        assert text[span["start"] : span["end"]] == span["text"]


def test_restore_json_edits_rebuild_the_text_and_plain_output_matches(model: Model) -> None:
    text = (EXAMPLES / "spun.txt").read_text(encoding="utf-8")
    runner = CliRunner()
    as_json = runner.invoke(cli, ["restore", str(EXAMPLES / "spun.txt"), "--json"])
    assert as_json.exit_code == 0, as_json.output
    got = json.loads(as_json.output)
    edits = [despin.Edit(e["start"], e["end"], e["observed"], e["restored"], e["confidence"]) for e in got["edits"]]
    assert apply_edits(text, edits) == got["text"]
    assert got == despin.restore(text, model=model).to_dict()
    plain = runner.invoke(cli, ["restore", str(EXAMPLES / "spun.txt")])
    assert plain.output.rstrip("\n") == got["text"].rstrip("\n")
    assert "Sumber Referensi Berita" not in got["text"]


def test_stdin_is_read_with_dash() -> None:
    proc = _run("detect", "-", stdin=b"Harga beras naik di pasar tradisional.")
    assert proc.returncode == 0 and json.loads(proc.stdout)["is_spun"] is False


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "text is empty"),
        (b"  \n\t ", "text is empty"),
        (b"caf\xe9 au lait", "not valid UTF-8 (byte 0xe9 at offset 3)"),
        (b"\x00\x01\x02\x00" * 100, "looks binary"),
    ],
)
def test_bad_input_exits_1_with_a_clear_message(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    for verb in ("detect", "restore"):
        proc = _run(verb, str(path))
        assert proc.returncode == 1
        assert message in proc.stderr.decode()
        assert b"Traceback" not in proc.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _run("detect", str(tmp_path / "missing.txt")).returncode == 2
    doc = tmp_path / "a.txt"
    doc.write_text("Harga beras naik.", encoding="utf-8")
    assert _run("detect", str(doc), "--threshold", "1.5").returncode == 2
    assert _run("restore", str(doc), "--table", str(tmp_path / "nope.tsv")).returncode == 2


def test_malformed_table_is_a_clear_error(tmp_path: Path) -> None:
    table = tmp_path / "t.tsv"
    table.write_text("only-one-column\n", encoding="utf-8")
    doc = tmp_path / "a.txt"
    doc.write_text("Harga beras naik.", encoding="utf-8")
    proc = _run("restore", str(doc), "--table", str(table))
    assert proc.returncode == 1
    assert f"{table}:1: expected 'observed<TAB>original'" in proc.stderr.decode()


def test_learned_table_drives_restoration(tmp_path: Path, model: Model) -> None:
    # A farm that always writes "gegana" for "jembatan": without its table the word stays.
    text = "Pemerintah akan membangun gegana baru di atas sungai itu tahun depan."
    table = tmp_path / "farm.tsv"
    table.write_text("gegana\tjembatan\t12\t1.0\n", encoding="utf-8")
    without = despin.restore(text, model=model, force=True)
    assert "jembatan" not in without.text
    proc = _run("restore", "-", "--table", str(table), "--force", stdin=text.encode())
    assert proc.returncode == 0
    assert "membangun jembatan baru" in proc.stdout.decode()


# ------------------------------------------------------------------------------ say why (issue 17, item 1)

CLEAN = (
    "Harga beras di pasar tradisional naik tajam menjelang akhir tahun. Para pedagang mengatakan pasokan "
    "dari petani berkurang karena musim hujan datang terlambat."
)


def test_restore_that_changes_no_word_says_why_on_stderr(model: Model) -> None:
    want = despin.restore(CLEAN, model=model)
    assert not want.detection.is_spun and not want.changed
    proc = _run("restore", "-", stdin=CLEAN.encode())
    assert proc.returncode == 0
    assert proc.stdout.decode() == CLEAN + "\n"  # the text itself, unchanged
    (line,) = proc.stderr.decode().splitlines()  # exactly one line
    score, threshold = want.to_dict()["spun_score"], want.to_dict()["threshold"]
    assert line == (
        f"despin restore: not judged spun ({score:.2f} < {threshold:.2f}), so the words are unchanged; "
        "--force restores them anyway, --json shows the verdict"
    )
    as_json = _run("restore", "-", "--json", stdin=CLEAN.encode())
    doc = json.loads(as_json.stdout)
    assert (doc["changed"], doc["is_spun"], doc["threshold"]) == (False, False, threshold)
    assert as_json.stderr.decode() == line + "\n"


def test_restore_that_changes_words_prints_nothing_on_stderr_and_force_is_explained(model: Model) -> None:
    spun = _run("restore", str(EXAMPLES / "spun.txt"))
    assert spun.returncode == 0 and spun.stderr == b""
    forced = _run("restore", "-", "--force", stdin=CLEAN.encode())
    result = despin.restore(CLEAN, model=model, force=True)
    if any(e.kind != "footer" for e in result.edits):
        assert forced.stderr == b""
    else:
        assert b"forced, though not judged spun" in forced.stderr and b"words are unchanged" in forced.stderr
