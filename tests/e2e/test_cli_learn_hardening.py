"""``despin learn`` with bad outputs and odd inputs: one-line errors, nothing overwritten, every record counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from despin.cli import cli
from despin.errors import ConfigError
from despin.lexicon.synonyms import SynonymLexicon

SOURCE = "Harga cabai di pasar induk naik tajam menjelang akhir pekan karena pasokan dari petani berkurang."
SPUN = "Harga cabai di pasar induk naik tajam menjelang akhir pekan sebab pasokan dari petani menurun."


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def pairs_file(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def good_pair() -> str:
    return json.dumps({"spun": SPUN, "source": SOURCE})


def pages_file(path: Path) -> Path:
    texts = [f"{SPUN} Laporan nomor {i} dari kota {i}." for i in range(6)]
    path.write_text("\n".join(json.dumps({"text": t}) for t in texts) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("mode", ["pairs", "unsupervised", "report"])
def test_an_output_in_a_missing_directory_is_a_one_line_error(tmp_path: Path, mode: str) -> None:
    if mode == "pairs":
        res = run("learn", str(pairs_file(tmp_path / "p.jsonl", [good_pair()])), "-o", str(tmp_path / "no" / "t.tsv"))
    else:
        out = tmp_path / ("no/t.tsv" if mode == "unsupervised" else "t.tsv")
        extra = ["--report", str(tmp_path / "no" / "r.html")] if mode == "report" else []
        res = run("learn", "--unsupervised", str(pages_file(tmp_path / "s.jsonl")), "-o", str(out), *extra)
    assert res.exit_code == 1
    assert "Traceback" not in res.output and res.exception is None or isinstance(res.exception, SystemExit)
    assert "does not exist" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_an_output_that_is_an_input_or_another_output_is_refused(tmp_path: Path) -> None:
    site = pages_file(tmp_path / "site.jsonl")
    before = site.read_bytes()
    res = run("learn", "--unsupervised", str(site), "-o", str(site))
    assert res.exit_code == 1 and "is also an input" in res.stderr
    assert site.read_bytes() == before
    res = run(
        "learn", "--unsupervised", str(site), "-o", str(tmp_path / "r.html"), "--report", str(tmp_path / "r.html")
    )
    assert res.exit_code == 1 and "same file" in res.stderr and not (tmp_path / "r.html").exists()
    # A Markdown report writes its plot beside it, with the .svg suffix: the report may not be that file.
    res = run("learn", "--unsupervised", str(site), "-o", str(tmp_path / "t.tsv"), "--report", str(tmp_path / "r.svg"))
    assert res.exit_code == 1 and "same file" in res.stderr


def test_an_output_hard_linked_to_an_input_is_refused(tmp_path: Path) -> None:
    site = pages_file(tmp_path / "site.jsonl")
    before = site.read_bytes()
    (tmp_path / "link.jsonl").hardlink_to(site)
    res = run("learn", "--unsupervised", str(site), "-o", str(tmp_path / "link.jsonl"))
    assert res.exit_code == 1 and f"is also the input {site}" in res.stderr
    assert site.read_bytes() == before


def test_an_output_under_a_file_is_a_one_line_error(tmp_path: Path) -> None:
    site = pages_file(tmp_path / "site.jsonl")
    res = run("learn", "--unsupervised", str(site), "-o", str(site / "t.tsv"))
    assert res.exit_code == 1
    assert res.stderr.strip() == f"Error: cannot write {site / 't.tsv'}: {site} is not a directory"


def test_every_pair_record_is_learned_from_or_rejected_in_line_order(tmp_path: Path) -> None:
    lines = [good_pair(), "[]", '{"spun": 1}', "not json", "[]", good_pair()]
    res = run("learn", str(pairs_file(tmp_path / "p.jsonl", lines)), "-o", str(tmp_path / "t.tsv"), "--skip-bad")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["records"] == 6 and summary["learned_from"] + summary["unaligned"] == 2
    assert summary["rejected"] == 4
    rejected_lines = [int(line.split(":")[1]) for line in res.stderr.splitlines() if line.startswith(str(tmp_path))]
    assert rejected_lines == [2, 3, 4, 5]


def test_nothing_to_learn_from_is_an_error_in_both_modes(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    for extra, what in (([], "pairs"), (["--unsupervised"], "pages")):
        res = run("learn", *extra, str(empty), "-o", str(tmp_path / "t.tsv"))
        assert res.exit_code == 1 and f"Error: no {what} to learn from in {empty}" in res.stderr
    assert not (tmp_path / "t.tsv").exists()


def test_pairs_without_a_substitution_are_nothing_to_learn_from(tmp_path: Path) -> None:
    unchanged = json.dumps({"spun": SOURCE, "source": SOURCE})
    unrelated = json.dumps({"spun": "Murid baru itu membaca buku cerita rakyat.", "source": SOURCE})
    pairs = pairs_file(tmp_path / "p.jsonl", [unchanged, unrelated, "[]"])
    res = run("learn", str(pairs), "-o", str(tmp_path / "t.tsv"), "--skip-bad")
    assert res.exit_code == 1 and not (tmp_path / "t.tsv").exists()
    assert f"{pairs}:3: " in res.stderr  # the rejected record is still named
    assert f"Error: no substitutions to learn from in {pairs}: 2 pair(s), 1 of them unaligned" in res.stderr


def test_pages_without_words_are_nothing_to_learn_from(tmp_path: Path) -> None:
    pages = pairs_file(tmp_path / "s.jsonl", [json.dumps({"text": "123 -- 456 !!!"}), json.dumps({"text": "..."})])
    res = run("learn", "--unsupervised", str(pages), "-o", str(tmp_path / "t.tsv"))
    assert res.exit_code == 1 and not (tmp_path / "t.tsv").exists()
    assert f"Error: no words to learn from in {pages}: 2 page(s) without words" in res.stderr


def test_a_blank_text_page_is_named_once(tmp_path: Path) -> None:
    blank = tmp_path / "blank.txt"
    blank.write_text("  \n", encoding="utf-8")
    res = run(
        "learn", "--unsupervised", str(pages_file(tmp_path / "s.jsonl")), str(blank), "-o", str(tmp_path / "t.tsv")
    )
    assert f"{blank}: text is empty" in res.stderr and f"{blank}: {blank}" not in res.stderr


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("agung\tbesar\t-5\t0.5", "count '-5' must be a positive number"),
        ("agung\tbesar\t0\t0.5", "count '0' must be a positive number"),
        ("agung\tbesar\t5\t1.7", "probability '1.7' must lie in [0, 1]"),
        ("agung\tbesar\t5\tmost", "probability 'most' is not a number"),
    ],
)
def test_a_table_with_a_bad_count_or_probability_is_named_with_its_line(tmp_path: Path, row: str, message: str) -> None:
    table = tmp_path / "t.tsv"
    table.write_text(f"# a table\n{row}\n", encoding="utf-8")
    res = run("restore", "--table", str(table), "-", stdin="Rumah itu agung sekali.")
    assert res.exit_code == 1 and f"{table}:2: {message}" in res.stderr


def test_a_bad_synonym_weight_names_the_entry() -> None:
    with pytest.raises(ConfigError, match=r"synonym weight of 'besar' -> 'agung' must be positive, got -5.0"):
        SynonymLexicon({"besar": {"raya": 2.0, "agung": -5.0}})
