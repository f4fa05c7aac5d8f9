"""The index file: header checks, corruption, duplicates, incremental adds, concurrent readers."""

from __future__ import annotations

import random
import sqlite3
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from despin.errors import IndexCorruptError, IndexMismatchError, InputError
from despin.tracer import Index, IndexConfig, trace
from despin.tracer.fingerprint import features


def execute(path: Path, sql: str, params: tuple[object, ...] = ()) -> int:
    """Run one statement on the SQLite file at ``path`` behind the index's back; the rows it changed."""
    conn = sqlite3.connect(path)
    try:
        changed = conn.execute(sql, params).rowcount
        conn.commit()
    finally:
        conn.close()
    return changed


def make_docs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """Synthetic Indonesian-like articles: Zipfian syllable words plus names and numbers."""
    rng = random.Random(seed)
    syll = [c + v for c in "bcdgjklmnprstw" for v in "aiueo"]
    vocab = sorted({"".join(rng.choice(syll) for _ in range(rng.randint(2, 4))) for _ in range(3000)})
    weights = [1.0 / (k + 1) for k in range(len(vocab))]
    docs = []
    for i in range(n):
        words = rng.choices(vocab, weights, k=120)
        for _ in range(6):
            words[rng.randrange(len(words))] = rng.choice(vocab).capitalize() + rng.choice(vocab)
        words[rng.randrange(len(words))] = str(rng.randint(100, 99999))
        docs.append((f"doc-{seed}-{i:05d}", " ".join(words) + "."))
    return docs


def test_create_add_open_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "refs.db"
    docs = make_docs(30)
    with Index.create(path, config=IndexConfig(batch_size=8)) as ix:
        report = ix.add(docs)
        assert (report.n_seen, report.n_added, report.n_batches) == (30, 30, 4)
    with Index.open(path) as ix:
        assert len(ix) == 30
        assert "doc-0-00007" in ix and "nope" not in ix and 7 not in ix
        assert ix.text("doc-0-00007") == docs[7][1]
        stats = ix.stats()
    assert stats["count"] == 30 and stats["batches"] == 4 and stats["size_bytes"] > 0
    assert stats["header"]["config_fingerprint"] == IndexConfig().fingerprint()
    assert stats["header"]["lexicon_hash"] == "none"
    assert {"despin_version", "tokenizer_version", "format_version"} <= set(stats["header"])


def test_incremental_add_skips_duplicates_and_reports_conflicts(tmp_path: Path) -> None:
    path = tmp_path / "refs.db"
    docs = make_docs(10)
    with Index.open(path, create=True) as ix:
        ix.add(docs[:6])
    with Index.open(path, writable=True) as ix:
        changed = (docs[0][0], docs[0][1] + " tambahan")
        report = ix.add([*docs, changed, docs[9]])
        assert (report.n_added, report.n_duplicate, report.n_conflict) == (4, 7, 1)
        assert report.n_seen == report.n_added + report.n_duplicate + report.n_conflict
        assert report.conflicts == [docs[0][0]]
        assert len(ix) == 10
        assert ix.text(docs[0][0]) == docs[0][1]


def test_postings_match_a_naive_inverted_index(tmp_path: Path) -> None:
    path = tmp_path / "refs.db"
    docs = make_docs(40)
    cfg = IndexConfig(batch_size=7)
    with Index.create(path, config=cfg) as ix:
        ix.add(docs)
        ix.compact()
    naive: dict[str, set[str]] = {}
    for sid, text in docs:
        for f in features(text, cfg)[0]:
            naive.setdefault(f, set()).add(sid)
    conn = sqlite3.connect(path)
    ids = dict(conn.execute("SELECT id, source_id FROM docs"))
    stored: dict[str, set[str]] = {}
    for feat, blob in conn.execute("SELECT feature, docs FROM postings"):
        assert feat not in stored, "compaction leaves one row per feature"
        stored[feat] = {ids[int.from_bytes(blob[k : k + 4], "little")] for k in range(0, len(blob), 4)}
    df = dict(conn.execute("SELECT feature, n FROM df WHERE feature != ''"))  # '' heads the key chain
    conn.close()
    assert df == {f: len(s) for f, s in naive.items()}
    assert stored == {f: s for f, s in naive.items() if len(s) <= cfg.max_postings_df}


def test_common_tokens_stop_getting_postings(tmp_path: Path) -> None:
    path = tmp_path / "refs.db"
    cfg = IndexConfig(max_postings_df=3, batch_size=2)
    with Index.create(path, config=cfg) as ix:
        ix.add([(f"d{i}", f"umum kata{i} langka{i}") for i in range(6)])
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT n FROM df WHERE feature='umum'").fetchone() == (6,)
    rows = conn.execute("SELECT count(*) FROM postings WHERE feature='kata4'").fetchone()
    conn.close()
    assert rows == (1,)


def test_other_config_is_a_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "refs.db"
    Index.create(path).close()
    with pytest.raises(IndexMismatchError, match="config"):
        Index.open(path, config=IndexConfig(min_token_chars=3))
    Index.open(path, config=IndexConfig(batch_size=5)).close()  # batch size does not change contents


def test_other_tokenizer_or_format_is_a_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "refs.db"
    Index.create(path).close()
    execute(path, "UPDATE meta SET value='re-000000' WHERE key='tokenizer_version'")
    with pytest.raises(IndexMismatchError, match="tokenizer"):
        Index.open(path)
    execute(path, "UPDATE meta SET value='99' WHERE key='format_version'")
    with pytest.raises(IndexMismatchError, match="format 99"):
        Index.open(path)


def test_foreign_sqlite_file_is_a_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    execute(path, "CREATE TABLE t(x)")
    with pytest.raises(IndexMismatchError, match="not a despin index"):
        Index.open(path)


def test_missing_and_garbage_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no index"):
        Index.open(tmp_path / "absent.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"hello, this is not a database" * 10)
    with pytest.raises(IndexCorruptError, match="not a despin index"):
        Index.open(junk)
    with pytest.raises(InputError, match="already exists"):
        Index.create(junk)


def indexed(path: Path, n: int) -> Path:
    """An index at ``path`` of ``make_docs(n)``."""
    with Index.create(path) as ix:
        ix.add(make_docs(n))
    return path


def test_truncated_file_is_corrupt(tmp_path: Path) -> None:
    path = indexed(tmp_path / "refs.db", 60)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorruptError, match="truncated"):
        Index.open(path)


def test_damaged_pages_are_found_by_quick_check(tmp_path: Path) -> None:
    path = indexed(tmp_path / "refs.db", 60)
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for p in range(2, len(data) // page):  # scribble over the b-tree page headers, keep the file header
        data[p * page : p * page + 12] = b"\xff" * 12
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError):
        Index.open(path, verify="quick")


def test_reader_sees_whole_batches_while_a_writer_adds(tmp_path: Path) -> None:
    path = tmp_path / "refs.db"
    docs = make_docs(20)
    writer = Index.create(path, config=IndexConfig(batch_size=5))
    writer.add(docs[:5])
    reader = Index.open(path)
    assert len(reader) == 5
    writer.add(docs[5:])
    assert len(reader) == 20  # a new read transaction sees the new batches
    reader.close()
    writer.close()


def test_postings_naming_a_missing_document_are_corruption_not_a_wrong_answer(tmp_path: Path) -> None:
    path = tmp_path / "refs.db"
    docs = make_docs(5)
    with Index.create(path) as ix:
        ix.add(docs)
    execute(path, "DELETE FROM docs WHERE source_id=?", (docs[2][0],))
    with Index.open(path) as ix, pytest.raises(IndexCorruptError, match="not stored"):
        trace(docs[2][1], index=ix)


def test_index_in_a_missing_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot create"):
        Index.create(tmp_path / "no" / "such" / "dir" / "refs.db")


# ----------------------------------------------------------------------------- content checksums (issue 12)
# Each edit below leaves a well-formed SQLite file that quick_check accepts (as a flipped bit inside a key
# or a value does); before the row checksums every one of them changed an answer without an error.


def _edited(tmp_path: Path, sql: str, params: tuple[object, ...] = ()) -> tuple[Path, list[tuple[str, str]]]:
    path = tmp_path / "refs.db"
    docs = make_docs(30)
    with Index.create(path, config=IndexConfig(batch_size=10)) as ix:
        ix.add(docs)
    assert execute(path, sql, params) >= 1
    return path, docs


def _rarest(text: str) -> str:
    """A token of ``text`` that no other synthetic document holds (a number), so retrieval uses it."""
    return next(w.strip(".") for w in text.split() if w.strip(".").isdigit())


def test_a_built_index_passes_the_full_check_after_batches_compaction_and_more_batches(tmp_path: Path) -> None:
    path = tmp_path / "refs.db"
    docs = make_docs(50)
    with Index.create(path, config=IndexConfig(batch_size=7, max_postings_df=20)) as ix:
        ix.add(docs[:30])
        ix.compact()
        ix.add([*docs[20:], ("doc-extra", "kata baru sekali")])
        counts = ix.check()
    assert counts["docs"] == counts["sources"] == 51
    assert counts["batches"] == 5 + 3 + 1  # the fourth add batch holds only "doc-extra" after its duplicates
    with Index.open(path, verify="quick") as ix:
        assert ix.check() == counts


@pytest.mark.parametrize(
    ("sql", "args", "message"),
    [
        # a changed df count is corruption, not another score
        (
            "UPDATE df SET n = n + 1 WHERE feature = ?",
            lambda rare: (rare,),
            lambda rare: "df row .* fails its checksum",
        ),
        # a df key hidden by damage is found by the key chain
        (
            "UPDATE df SET feature = ? WHERE feature = ?",
            lambda rare: (rare + "x", rare),
            lambda rare: f"df chain around '{rare}' is broken",
        ),
        # a postings row hidden by damage is found by the df count
        (
            "UPDATE postings SET feature = ? WHERE feature = ?",
            lambda rare: (rare + "x", rare),
            lambda rare: f"postings of '{rare}' hold 0 documents",
        ),
        # a changed postings blob is corruption
        (
            "UPDATE postings SET docs = x'01000000' WHERE feature = ?",
            lambda rare: (rare,),
            lambda rare: "fail their checksum",
        ),
    ],
    ids=["df-count", "df-key", "postings-key", "postings-blob"],
)
def test_damage_to_df_or_postings_is_corruption(
    tmp_path: Path, sql: str, args: Callable[[str], tuple[str, ...]], message: Callable[[str], str]
) -> None:
    docs = make_docs(30)
    rare = _rarest(docs[4][1])
    path, _ = _edited(tmp_path, sql, args(rare))
    with Index.open(path) as ix, pytest.raises(IndexCorruptError, match=message(rare)):
        trace(docs[4][1], index=ix)


def test_a_changed_source_id_is_corruption_in_trace_and_in_membership(tmp_path: Path) -> None:
    docs = make_docs(30)
    path, _ = _edited(tmp_path, "UPDATE docs SET source_id = 'doc-0-0000X' WHERE source_id = ?", (docs[4][0],))
    with Index.open(path) as ix:
        with pytest.raises(IndexCorruptError, match="document row of 'doc-0-0000X' fails its checksum"):
            trace(docs[4][1], index=ix)
        with pytest.raises(IndexCorruptError, match="document row"):
            ix.text(docs[4][0])
    path.unlink()
    path, _ = _edited(tmp_path, "UPDATE sources SET source_id = 'doc-0-0000X' WHERE source_id = ?", (docs[4][0],))
    with Index.open(path) as ix:
        assert docs[5][0] in ix  # rows that no damage touched still answer
        with pytest.raises(IndexCorruptError, match="sources chain around 'doc-0-00004' is broken"):
            _ = docs[4][0] in ix


def test_a_changed_stored_text_that_still_decompresses_is_corruption(tmp_path: Path) -> None:
    docs = make_docs(30)
    other = zlib.compress(b"teks lain sama sekali", 1)
    path, _ = _edited(tmp_path, "UPDATE docs SET text = ? WHERE source_id = ?", (other, docs[4][0]))
    with Index.open(path) as ix, pytest.raises(IndexCorruptError, match="stored text of 'doc-0-00004' is damaged"):
        trace(docs[4][1], index=ix)


@pytest.mark.parametrize("key", ["n_docs", "n_batches", "config", "despin_version"])
def test_a_changed_header_value_is_corruption(tmp_path: Path, key: str) -> None:
    path, _ = _edited(tmp_path, "UPDATE meta SET value = value || '1' WHERE key = ?", (key,))
    with pytest.raises(IndexCorruptError, match="header .* fails its checksum"):
        Index.open(path, verify="header")


def test_a_hidden_meta_row_is_corruption(tmp_path: Path) -> None:
    path, _ = _edited(tmp_path, "DELETE FROM meta WHERE key = 'lexicon_hash'")
    with pytest.raises(IndexCorruptError, match="header"):
        Index.open(path)


def test_an_index_without_checksums_asks_for_a_rebuild(tmp_path: Path) -> None:
    """A layout-1 file (despin before issue 12) is a mismatch that says to rebuild, not a crash."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE docs(id INTEGER PRIMARY KEY, source_id TEXT NOT NULL UNIQUE, digest BLOB NOT NULL,
                          n_tokens INTEGER NOT NULL, text BLOB NOT NULL);
        CREATE TABLE df(feature TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE postings(feature TEXT NOT NULL, batch INTEGER NOT NULL, docs BLOB NOT NULL,
                              PRIMARY KEY(feature, batch)) WITHOUT ROWID;
        CREATE TABLE batches(batch INTEGER PRIMARY KEY, n_docs INTEGER NOT NULL, first_id INTEGER NOT NULL,
                             last_id INTEGER NOT NULL);
        """
    )
    header = [*Index.header_for(IndexConfig()).items(), ("n_docs", "0")]
    conn.executemany("INSERT INTO meta VALUES(?, ?)", header)
    conn.commit()
    conn.close()
    for kwargs in ({}, {"writable": True}, {"verify": "header"}):
        with pytest.raises(IndexMismatchError, match="index layout 1, this despin reads layout 2 .* rebuild"):
            Index.open(path, **kwargs)  # type: ignore[arg-type]


def test_stats_show_the_layout_but_not_the_store_bookkeeping(tmp_path: Path) -> None:
    path = tmp_path / "refs.db"
    with Index.create(path) as ix:
        ix.add(make_docs(3))
        header = ix.stats()["header"]
    assert header["layout_version"] == "2"
    assert not {"checksum", "n_docs", "n_batches"} & set(header)


def test_a_batch_committed_during_a_lookup_is_not_mistaken_for_damage(tmp_path: Path) -> None:
    """``in`` reads the key and then proves its absence; a writer committing in between must not matter."""
    path = tmp_path / "refs.db"
    docs = make_docs(12)
    writer = Index.create(path)
    writer.add(docs[:10])
    reader = Index.open(path)
    prove = reader.store._prove_absent

    def commit_in_between(table: str, keys: object) -> None:
        writer.add(docs[10:])  # inserts exactly the key being proved absent, and relinks its neighbours
        prove(table, keys)  # type: ignore[arg-type]

    reader.store._prove_absent = commit_in_between  # type: ignore[method-assign]
    assert docs[10][0] not in reader  # the state the look-up started in
    reader.store._prove_absent = prove  # type: ignore[method-assign]
    assert docs[10][0] in reader
    reader.close()
    writer.close()
