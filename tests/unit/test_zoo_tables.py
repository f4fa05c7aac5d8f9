"""Zoo tables from real open-source spinners: every committed TSV parses, is listed with its provenance,
holds none of the example pairs quoted in the issues, and is reproduced byte for byte by the converter."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.zoo_tables import HERE, ToolBehaviour, load_tool_tables  # noqa: E402
from benchmarks.zoo_tables.convert import (  # noqa: E402
    SOURCES,
    Source,
    block,
    convert,
    convert_entries,
    entries,
    load_excluded,
    pair_hash,
    regex_entries,
    render_sources,
)

from despin.errors import ConfigError  # noqa: E402
from despin.lexicon import SynonymLexicon  # noqa: E402

SOURCES_JSON = json.loads((HERE / "sources.json").read_text(encoding="utf-8"))
RECORDS = {r["name"]: r for r in SOURCES_JSON["tables"]}
TSVS = sorted(HERE.glob("*.tsv"))


def test_every_committed_tsv_parses_into_a_non_empty_lexicon() -> None:
    assert TSVS, "no zoo table is committed"
    for path in TSVS:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert all(len(line.split("\t")) == 3 for line in lines), path.name
        lex = SynonymLexicon.from_rows(lines)
        assert lex.n_pairs == len(lines) > 0, path.name
        assert lex.to_rows() == lines, f"{path.name} is not in canonical (sorted, cleaned) form"
        for original, replacement, weight in lex.pairs():
            for phrase in (original, replacement):
                assert phrase == " ".join(phrase.split()).lower(), (path.name, phrase)
            assert weight > 0


def test_sources_json_lists_every_tsv_with_commit_license_and_behaviour() -> None:
    assert {r["table"] for r in RECORDS.values()} == {p.name for p in TSVS}
    for name, record in RECORDS.items():
        assert record["table"] == f"{name}.tsv"
        assert re.fullmatch(r"[0-9a-f]{40}", record["commit"]), name
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", record["repo"]), name
        assert record["license"] and record["license_evidence"], name
        assert record["commit"] in record["url"] and record["paths"], name
        ToolBehaviour.from_dict(record["behaviour"])  # valid kinds and ranges


def test_loader_gives_typed_tables_matching_their_records() -> None:
    tables = load_tool_tables()
    assert set(tables) == set(RECORDS) and len(tables) >= 3
    assert len({t.provenance["repo"] for t in tables.values()}) >= 3, "at least three distinct tools"
    for name, table in tables.items():
        assert table.name == name
        assert table.lexicon.n_pairs == RECORDS[name]["n_pairs"] > 0
        assert table.provenance["commit"] == RECORDS[name]["commit"]
        assert table.behaviour.mode in ("deterministic", "random")
        assert table.behaviour.multiword == any(" " in o or " " in r for o, r, _ in table.lexicon.pairs())
        with pytest.raises(TypeError):
            table.provenance["license"] = "changed"  # type: ignore[index]


def test_no_table_holds_a_pair_quoted_in_the_issues_or_real_pages() -> None:
    excluded = load_excluded()
    assert len(excluded) > 50 and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in excluded)
    for table in load_tool_tables().values():
        leaked = [(o, r) for o, r, _ in table.lexicon.pairs() if pair_hash(o, r) in excluded]
        assert not leaked, (table.name, len(leaked))


def test_loader_refuses_a_table_that_disagrees_with_its_record(tmp_path: Path) -> None:
    record = {**RECORDS["travelseo_qa"]}
    (tmp_path / "travelseo_qa.tsv").write_text("rumah\tkediaman\t1\n", encoding="utf-8")
    (tmp_path / "sources.json").write_text(json.dumps({"tables": [record]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="1 pairs, sources.json says"):
        load_tool_tables(tmp_path)
    (tmp_path / "travelseo_qa.tsv").unlink()
    with pytest.raises(ConfigError, match="missing"):
        load_tool_tables(tmp_path)
    (tmp_path / "travelseo_qa.tsv").write_text("rumah kediaman\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not original<TAB>replacement<TAB>weight"):
        load_tool_tables(tmp_path)
    bad = {**record, "behaviour": {**record["behaviour"], "mode": "sometimes"}}
    (tmp_path / "travelseo_qa.tsv").write_text("".join(f"a{i}\tb\t1\n" for i in range(record["n_pairs"])))
    (tmp_path / "sources.json").write_text(json.dumps({"tables": [bad]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="mode='sometimes'"):
        load_tool_tables(tmp_path)


def test_php_and_js_literals_parse_as_the_languages_read_them() -> None:
    php = """$x = array(
        // a comment with 'quotes' => array('no')
        'besar' => array( 'agung', 'raya' ),
        'kata (x)' => array( 'a)b', "c" ),
        'besar' => array( 'luas' ),
    ); $after = 1;"""
    body = block(php, "$x = array")
    assert body.strip().endswith("array( 'luas' ),") and "$after" not in body
    # a repeated key keeps its last list in its first place, as in PHP and JavaScript
    assert entries(body) == [("besar", ["luas"]), ("kata (x)", ["a)b", "c"])]
    ts = r"""const P = [
      [/\bDalam hal ini\b/gi, ['Terkait ini', 'Soal ini']],
      [/\bSelain itu,?\s*/gi, ['Di samping itu, ']],
      [/\b(a|b)+\b/gi, ['x']],
    ];"""
    assert regex_entries(block(ts, "const P =")) == [
        ("Dalam hal ini", ["Terkait ini", "Soal ini"]),
        ("Selain itu", ["Di samping itu, "]),
    ]


def test_cleaning_counts_every_dropped_pair() -> None:
    excluded = frozenset({pair_hash("kota", "kabupaten")})
    raw = [
        ("Rumah", ["Kediaman", "rumah", "kediaman", "tidak/belum"]),
        ("kabupaten", ["kota"]),
        ("Selain  itu,", ["Di samping itu, "]),
    ]
    conv = convert_entries(raw, excluded)
    assert conv.lexicon.pairs() == [("rumah", "kediaman", 1.0), ("selain itu", "di samping itu", 1.0)]
    assert conv.counts == {
        "raw_pairs": 6,
        "dropped_identity": 1,
        "dropped_charset": 1,
        "dropped_excluded": 1,
        "duplicates": 1,
        "n_pairs": 2,
        "n_originals": 2,
    }


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.name)
def test_converter_reproduces_each_committed_table_from_its_snapshot(source: Source) -> None:
    if not (source.mirror / "HEAD").exists():
        pytest.skip(f"snapshot of {source.repo} is absent from {source.mirror.parent} (fetch it to run this check)")
    tsv, record = convert(source)
    assert tsv.encode() == (HERE / f"{source.name}.tsv").read_bytes()
    assert record == RECORDS[source.name]


def test_sources_json_is_exactly_what_the_converter_writes() -> None:
    assert render_sources(list(RECORDS.values())) == (HERE / "sources.json").read_text(encoding="utf-8")
    assert [s.name for s in SOURCES] == list(RECORDS)
