"""SpinnerTable: one value for a spinner table (rows, lexicon, file), and the one conversion to it."""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path
from typing import Any

import pytest

import despin
from despin.errors import ConfigError, LexiconError
from despin.lexicon import SynonymLexicon
from despin.model.bundle import Model
from despin.pipeline.steps import TableRef, open_pinned_table
from despin.restorer.factory import build_restorer
from despin.tables import LearnConfig, SpinnerTable, TableRow, as_table, learn_table

ROWS = learn_table(
    [("agung", "besar")] * 3 + [("agung", "luas")] * 2 + [("kediaman", "rumah")] * 2, LearnConfig(min_prob=0.1)
)
SPUN_PAGE = "Kediaman kami agung sekali dan kami senang tinggal di sana bersama keluarga besar kami."


@pytest.mark.parametrize("name", ["t.tsv", "t.tsv.gz"])
def test_a_saved_table_loads_equal_and_saves_the_same_bytes(tmp_path: Path, name: str) -> None:
    table = SpinnerTable.from_rows(ROWS, comment="learned from 7 pairs\n\nsecond paragraph")
    digest = table.save(tmp_path / name)
    first = (tmp_path / name).read_bytes()
    loaded = SpinnerTable.load(tmp_path / name)
    assert loaded == table and loaded.comment == table.comment and loaded.rows == table.rows
    assert loaded.save(tmp_path / ("again-" + name)) == digest
    assert (tmp_path / ("again-" + name)).read_bytes() == first
    if name.endswith(".gz"):
        assert gzip.decompress(first).decode() == table.to_tsv()
    else:
        assert first.decode().splitlines()[:4] == [
            "# learned from 7 pairs",
            "#",
            "# second paragraph",
            "# observed\toriginal\tcount\tprob",
        ]


def test_probabilities_are_kept_as_the_file_keeps_them() -> None:
    exact = SpinnerTable.from_rows([TableRow("agung", "besar", 2, 2 / 3), TableRow("agung", "luas", 1, 1 / 3)])
    assert [r.prob for r in exact] == [0.6667, 0.3333]
    assert SpinnerTable.from_tsv(exact.to_tsv()) == exact


def test_equal_rows_are_one_table_whatever_the_comment() -> None:
    a, b = SpinnerTable.from_rows(ROWS, comment="a"), SpinnerTable.from_rows(ROWS, comment="b")
    assert a == b and hash(a) == hash(b) and a.fingerprint() == b.fingerprint() and len({a, b}) == 1
    assert a != SpinnerTable.from_rows(ROWS[:-1])
    assert a.lexicon.fingerprint() == b.lexicon.fingerprint()


def test_the_lexicon_reads_counts_as_weights_and_keeps_repeated_rows() -> None:
    table = SpinnerTable.from_tsv("agung\tbesar\t3\nagung\tbesar\t2\nraya\tbesar\n")
    assert table.lexicon.weights("besar") == {"agung": 5.0, "raya": 1.0}
    assert [r.prob for r in table] == [0.6, 0.4, 1.0]  # missing probabilities: shares of the observed's counts


def test_a_hand_written_table_is_cleaned_and_case_only_rows_skipped() -> None:
    table = SpinnerTable.from_tsv(["# mine", "Tempat_Tinggal\tRumah", "Kabar\tkabar\t4", "", "warta\tberita\t2.5"])
    assert [(r.observed, r.original, r.count) for r in table] == [
        ("tempat tinggal", "rumah", 1),
        ("warta", "berita", 2.5),
    ]
    assert table.to_tsv().splitlines()[-1] == "warta\tberita\t2.5\t1.0000"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("agung\tbesar\t3\noops\n", "t.tsv:2: expected 'observed<TAB>original'"),
        ("# c\n\nagung\tbesar\tmany\n", "t.tsv:3: count 'many' is not a number"),
        ("agung\tbesar\t0\n", "t.tsv:1: count '0' must be a positive number"),
        ("agung\tbesar\t1\tnan-ish\n", "t.tsv:1: probability 'nan-ish' is not a number"),
        ("agung\tbesar\t1\t1.5\n", "t.tsv:1: probability '1.5' must lie in \\[0, 1\\]"),
        ("agung\t \t1\n", "t.tsv:1: an empty phrase"),
    ],
)
def test_a_malformed_line_is_named_by_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "t.tsv").write_text(text, encoding="utf-8")
    with pytest.raises(LexiconError, match=message.replace("t.tsv", str(tmp_path / "t.tsv"))):
        SpinnerTable.load(tmp_path / "t.tsv")


def test_unreadable_files_are_lexicon_errors(tmp_path: Path) -> None:
    (tmp_path / "latin1.tsv").write_bytes("s\xe9kali\tamat\n".encode("latin-1"))
    with pytest.raises(LexiconError, match="is not UTF-8 text"):
        SpinnerTable.load(tmp_path / "latin1.tsv")
    (tmp_path / "cut.tsv.gz").write_bytes(gzip.compress(b"agung\tbesar\n")[:12])
    with pytest.raises(LexiconError, match="not a readable gzip file"):
        SpinnerTable.load(tmp_path / "cut.tsv.gz")
    with pytest.raises(LexiconError, match="cannot read table .*missing.tsv"):
        SpinnerTable.load(tmp_path / "missing.tsv")
    with pytest.raises(LexiconError, match="cannot read table .*missing.tsv"):
        as_table(tmp_path / "missing.tsv")


def test_bad_rows_are_refused_when_a_table_is_built() -> None:
    with pytest.raises(ConfigError, match="table row 2: count 0 must be a positive number"):
        SpinnerTable.from_rows([TableRow("agung", "besar", 1, 1.0), TableRow("raya", "besar", 0, 1.0)])
    with pytest.raises(ConfigError, match="table row 1: expected a TableRow, got tuple"):
        SpinnerTable((("agung", "besar", 1, 1.0),))  # type: ignore[arg-type]


def test_every_shape_converts_through_as_table(tmp_path: Path) -> None:
    table = SpinnerTable.from_rows(ROWS)
    table.save(tmp_path / "t.tsv")
    lexicon = SynonymLexicon.from_pairs([("besar", "agung", 3.0), ("luas", "agung", 2.0), ("rumah", "kediaman", 2.0)])
    assert as_table(None) is None and as_table(table) is table
    assert as_table(ROWS) == as_table(tuple(ROWS)) == as_table(tmp_path / "t.tsv") == as_table(str(tmp_path / "t.tsv"))
    assert as_table(f"file://{tmp_path / 't.tsv'}") == table
    assert as_table(lexicon) == table and as_table(lexicon) is as_table(lexicon)  # once per lexicon object
    assert as_table(lexicon).lexicon is lexicon  # its lexicon is the caller's object
    assert SpinnerTable.from_lexicon(lexicon).lexicon.pairs() == table.lexicon.pairs()
    with pytest.raises(TypeError, match="table must be a SpinnerTable, a path"):
        as_table({"agung": "besar"})  # type: ignore[call-overload]


def test_a_path_is_read_again_only_when_its_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    SpinnerTable.from_rows(ROWS).save(path)
    first = as_table(path)
    assert as_table(path) is first
    SpinnerTable.from_rows(ROWS[:1]).save(path)
    assert as_table(path) == SpinnerTable.from_rows(ROWS[:1])


def test_a_table_pickles_as_its_rows() -> None:
    table = SpinnerTable.from_rows(ROWS, comment="c")
    assert table.lexicon.n_pairs == 3
    copy = pickle.loads(pickle.dumps(table))
    assert copy == table and copy.comment == "c" and "lexicon" not in copy.__dict__
    assert copy.lexicon.pairs() == table.lexicon.pairs()


def test_a_table_ref_holds_a_path_or_a_table(tmp_path: Path) -> None:
    table = SpinnerTable.from_rows(ROWS)
    table.save(tmp_path / "t.tsv")
    by_path, in_memory = TableRef(tmp_path / "t.tsv"), TableRef(ROWS)
    assert by_path.path == str(tmp_path / "t.tsv") and in_memory.path is None
    assert pickle.loads(pickle.dumps(by_path)).get() == pickle.loads(pickle.dumps(in_memory)).get() == table
    assert TableRef.of(None) is None and TableRef.of(by_path) is by_path


def test_a_pinned_table_that_changed_is_refused(tmp_path: Path) -> None:
    digest = SpinnerTable.from_rows(ROWS).save(tmp_path / "t.tsv")
    assert open_pinned_table(str(tmp_path / "t.tsv"), digest, "scan") == SpinnerTable.from_rows(ROWS)
    digest = SpinnerTable.from_rows(ROWS).save(tmp_path / "u.tsv")
    SpinnerTable.from_rows(ROWS[:1]).save(tmp_path / "u.tsv")  # rewritten before the job read it back
    with pytest.raises(ConfigError, match="u.tsv changed after the dedup wrote it; rerun the dedup"):
        open_pinned_table(str(tmp_path / "u.tsv"), digest, "dedup")


def test_the_same_table_passed_twice_builds_one_restorer(
    model: Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[Any] = []
    real = build_restorer

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(kwargs.get("table"))
        return real(*args, **kwargs)

    monkeypatch.setattr("despin.model.bundle.build_restorer", counting)
    fresh = Model.load(model.path, verify=False)  # no restorer cached yet
    path = tmp_path / "t.tsv"
    SpinnerTable.from_rows(ROWS).save(path)
    first = despin.restore(SPUN_PAGE, model=fresh, table=path, force=True)
    assert despin.restore(SPUN_PAGE, model=fresh, table=str(path), force=True) == first
    assert despin.detect(SPUN_PAGE, model=fresh, table=path) == first.detection
    # Loaded twice, as rows, as a lexicon: still the same table, so still the same restorer.
    for same in (SpinnerTable.load(path), SpinnerTable.load(path), ROWS, SpinnerTable.load(path).lexicon):
        assert despin.restore(SPUN_PAGE, model=fresh, table=same, force=True) == first
    assert len(built) == 1 and built[0] is not None
    SpinnerTable.from_rows(ROWS[:1]).save(path)  # another table at the same path
    despin.restore(SPUN_PAGE, model=fresh, table=path, force=True)
    despin.restore(SPUN_PAGE, model=fresh, force=True)
    assert len(built) == 3 and built[2] is None
