"""Readers: every kind of bad record becomes a reject with its reason; damaged files keep what was read."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from despin.errors import ConfigError, InputError
from despin.pipeline import JsonlReader, ParquetReader, RejectWriter, Shard, Stat, find_shards
from despin.pipeline.base import RAW_LIMIT


def read_all(reader: JsonlReader | ParquetReader) -> list[tuple[int, str | None, str]]:
    return [(d.line, d.doc_id, d.text) for d in reader.run(None)]


def rejects_of(out: Path, shard_id: str) -> list[dict[str, object]]:
    path = out / f"{shard_id}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


BAD_LINES: list[tuple[bytes, str]] = [
    (b'{"id": 1, "text": "Harga cabai naik."}', ""),
    (b"{not json", "malformed_json"),
    (b"[1, 2]", "not_object"),
    (b'"just a string"', "not_object"),
    (b'{"id": 4}', "missing_text"),
    (b'{"id": 5, "text": null}', "missing_text"),
    (b'{"id": 6, "text": 42}', "text_not_string"),
    (b'{"id": 7, "text": "caf\xe9 au lait"}', "invalid_utf8"),
    (b'{"id": 8, "text": "   \\n\\t "}', "blank_text"),
    (b'{"id": 9, "text": "' + b"kata " * 30 + b'"}', "text_too_long"),
    (b"   ", "blank_line"),
    (b'{"id": 11, "text": "bad \\ud800 surrogate"}', "invalid_unicode"),
    (b'{"id": 12, "text": "Banjir merendam rumah."}', ""),
]


def test_each_bad_record_is_rejected_with_its_reason_and_line(tmp_path: Path) -> None:
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(b"\n".join(line for line, _ in BAD_LINES) + b"\n")
    rejects = RejectWriter(tmp_path / "rejects")
    reader = JsonlReader(src, max_chars=100, rejects=rejects)
    docs = read_all(reader)
    rejects.close()

    assert docs == [(1, "1", "Harga cabai naik."), (13, "12", "Banjir merendam rumah.")]
    got = [(r["line"], r["reason"]) for r in rejects_of(tmp_path / "rejects", "mixed")]
    want = [(i + 1, reason) for i, (_, reason) in enumerate(BAD_LINES) if reason]
    assert got == want
    assert reader.stats[Stat.INPUT] == len(BAD_LINES)
    assert reader.stats[Stat.REJECTED] == len(want)
    assert reader.stats[Stat.BYTES_READ] == src.stat().st_size


def test_reject_records_keep_the_raw_line_escaped_and_say_why(tmp_path: Path) -> None:
    src = tmp_path / "r.jsonl"
    src.write_bytes(b'{"id": "a7", "text": "caf\xe9"}\n{"id": "b", "text": 3}\n')
    rejects = RejectWriter(tmp_path / "rejects")
    read_all(JsonlReader(src, rejects=rejects))
    rejects.close()
    utf8, not_str = rejects_of(tmp_path / "rejects", "r")
    assert utf8["raw"] == '{"id": "a7", "text": "caf\\xe9"}'
    assert utf8["detail"] == "line is not valid UTF-8 (byte 0xe9 at offset 25)"
    assert (not_str["id"], not_str["detail"]) == ("b", "text field 'text' is not a string (it is of type int)")
    # the rejects file itself is valid UTF-8 JSON Lines
    (tmp_path / "rejects" / "r.jsonl").read_bytes().decode("utf-8")


def test_long_raw_lines_are_truncated_in_rejects(tmp_path: Path) -> None:
    src = tmp_path / "long.jsonl"
    src.write_text('{"x": "' + "a" * (RAW_LIMIT * 3) + "\n")  # malformed: unterminated
    rejects = RejectWriter(tmp_path / "rejects")
    read_all(JsonlReader(src, rejects=rejects))
    rejects.close()
    [rec] = rejects_of(tmp_path / "rejects", "long")
    assert rec["reason"] == "malformed_json"
    assert len(str(rec["raw"])) == RAW_LIMIT
    assert (rec["raw_chars"], rec["raw_truncated"]) == (RAW_LIMIT * 3 + 7, True)


def test_huge_ints_and_nan_are_read_with_the_lenient_codec(tmp_path: Path) -> None:
    src = tmp_path / "big.jsonl"
    src.write_text('{"id": 123456789012345678901234567890, "text": "angka besar", "x": NaN}\n')
    [doc] = list(JsonlReader(src).run(None))
    assert doc.lenient_json and doc.record["id"] == 123456789012345678901234567890
    assert doc.doc_id == "123456789012345678901234567890"


def test_custom_text_and_id_fields(tmp_path: Path) -> None:
    src = tmp_path / "c.jsonl"
    src.write_text('{"doc": "d1", "body": "Isi berita."}\n{"doc": "d2", "text": "salah field"}\n')
    reader = JsonlReader(src, text_field="body", id_field="doc")
    assert read_all(reader) == [(1, "d1", "Isi berita.")]
    assert dict(reader.stats.reasons) == {"missing_text": 1}


def _gzip_lines(n: int) -> bytes:
    return gzip.compress(b"".join(orjson.dumps({"id": i, "text": f"teks nomor {i}"}) + b"\n" for i in range(n)))


def test_truncated_gzip_keeps_every_complete_line_and_rejects_the_rest(tmp_path: Path) -> None:
    data = _gzip_lines(2000)
    src = tmp_path / "t.jsonl.gz"
    src.write_bytes(data[: len(data) // 2])
    rejects = RejectWriter(tmp_path / "rejects")
    reader = JsonlReader(src, rejects=rejects)
    docs = read_all(reader)
    rejects.close()
    assert len(docs) > 100
    assert [d[1] for d in docs] == [str(i) for i in range(len(docs))]  # an unbroken prefix
    [rec] = rejects_of(tmp_path / "rejects", "t")
    assert rec["reason"] == "truncated_gzip" and rec["line"] == len(docs) + 1
    assert str(rec["raw"]).startswith('{"id":') or rec["raw"] == ""
    assert (reader.stats[Stat.INPUT], reader.stats[Stat.REJECTED]) == (len(docs) + 1, 1)


def test_corrupt_gzip_keeps_lines_before_the_damage(tmp_path: Path) -> None:
    data = bytearray(_gzip_lines(3000))
    mid = len(data) // 2
    data[mid : mid + 64] = b"\xff" * 64
    src = tmp_path / "c.jsonl.gz"
    src.write_bytes(bytes(data))
    rejects = RejectWriter(tmp_path / "rejects")
    docs = read_all(JsonlReader(src, rejects=rejects))
    rejects.close()
    # Deflate notices damage only at a bad code or the CRC, so lines decoded just before the
    # detection may be garbage; everything before the damaged region is intact.
    assert [d[1] for d in docs[:1000]] == [str(i) for i in range(1000)]
    assert len(docs) < 3000
    rec = rejects_of(tmp_path / "rejects", "c")[-1]  # garbage lines may be rejected before it
    assert rec["reason"] == "corrupt_gzip" and "may be damaged" in str(rec["detail"])


def test_multi_member_gzip_and_zero_padding_are_read_whole(tmp_path: Path) -> None:
    src = tmp_path / "m.jsonl.gz"
    src.write_bytes(
        gzip.compress(b'{"text": "satu"}\n') + gzip.compress(b'{"text": "dua"}\n{"text": "tiga"}') + b"\0" * 16
    )
    reader = JsonlReader(src)
    assert [d[2] for d in read_all(reader)] == ["satu", "dua", "tiga"]
    assert reader.stats[Stat.REJECTED] == 0


def test_unreadable_file_is_a_reject_not_a_crash(tmp_path: Path) -> None:
    src = tmp_path / "gone.jsonl"
    src.write_text('{"text": "x"}\n')
    shard = Shard.of(src)
    src.unlink()
    rejects = RejectWriter(tmp_path / "rejects")
    reader = JsonlReader(shard, rejects=rejects)
    assert read_all(reader) == []
    rejects.close()
    assert [r["reason"] for r in rejects_of(tmp_path / "rejects", "gone")] == ["unreadable_file"]


def test_parquet_rows_and_row_numbers(tmp_path: Path) -> None:
    src = tmp_path / "p.parquet"
    texts = [f"teks {i}" if i != 3 else None for i in range(10)]
    pq.write_table(pa.table({"id": [f"d{i}" for i in range(10)], "text": texts}), src, row_group_size=4)
    rejects = RejectWriter(tmp_path / "rejects")
    reader = ParquetReader(src, rejects=rejects)
    docs = read_all(reader)
    rejects.close()
    assert [d[0] for d in docs] == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    [rec] = rejects_of(tmp_path / "rejects", "p")
    assert (rec["row"], rec["reason"], rec["id"]) == (3, "missing_text", "d3")
    assert json.loads(str(rec["raw"])) == {"id": "d3", "text": None}


def test_unreadable_parquet_is_one_reject(tmp_path: Path) -> None:
    good = tmp_path / "g.parquet"
    pq.write_table(pa.table({"text": ["a b c"] * 50}), good)
    src = tmp_path / "bad.parquet"
    src.write_bytes(good.read_bytes()[:-40])  # footer cut off
    rejects = RejectWriter(tmp_path / "rejects")
    reader = ParquetReader(src, rejects=rejects)
    assert read_all(reader) == []
    rejects.close()
    [rec] = rejects_of(tmp_path / "rejects", "bad")
    assert rec["reason"] == "unreadable_parquet" and rec["row"] is None
    assert reader.stats[Stat.INPUT] == reader.stats[Stat.REJECTED] == 1


def test_readers_split_shards_by_rank(tmp_path: Path) -> None:
    paths = []
    for i in range(5):
        p = tmp_path / f"s{i}.jsonl"
        p.write_text(json.dumps({"text": f"doc {i}"}) + "\n")
        paths.append(p)
    seen = [d.text for rank in range(2) for d in JsonlReader(paths).run(None, rank=rank, world_size=2)]
    assert seen == ["doc 0", "doc 2", "doc 4", "doc 1", "doc 3"]


def test_find_shards_names_files_relative_to_their_directory(tmp_path: Path) -> None:
    root = tmp_path / "in"
    (root / "sub" / ".hidden").mkdir(parents=True)
    for name in [
        "a.jsonl",
        "sub/b.jsonl.gz",
        "sub/c.parquet",
        "notes.txt",
        ".x.jsonl",
        "sub/.hidden/h.jsonl",
    ]:
        (root / name).write_bytes(b"")
    out = root / "out"
    out.mkdir()
    (out / "old.jsonl").write_bytes(b"")
    extra = tmp_path / "z.ndjson"
    extra.write_bytes(b"")
    shards = find_shards([root, extra], exclude=out)
    assert [(s.name, s.id, s.fmt, s.compression) for s in shards] == [
        ("a.jsonl", "a", "jsonl", None),
        ("sub/b.jsonl.gz", "sub/b", "jsonl", "gzip"),
        ("sub/c.parquet", "sub/c", "parquet", None),
        ("z.ndjson", "z", "jsonl", None),
    ]


def test_find_shards_refuses_clashing_ids_and_missing_inputs(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(b"")
    (tmp_path / "a.jsonl.gz").write_bytes(b"")
    with pytest.raises(ConfigError, match="share the id 'a'"):
        find_shards([tmp_path])
    with pytest.raises(InputError, match="no such file"):
        find_shards([tmp_path / "missing"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no .jsonl"):
        find_shards([empty])
    (tmp_path / "x.csv").write_bytes(b"")
    with pytest.raises(ConfigError, match="unknown shard type"):
        find_shards([tmp_path / "x.csv"])
