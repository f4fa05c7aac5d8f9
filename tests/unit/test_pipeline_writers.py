"""Writers: atomic, deterministic, one output per input shard in its format and compression."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from despin.pipeline import (
    Document,
    JsonlReader,
    JsonlWriter,
    ParquetReader,
    ParquetWriter,
    Shard,
    Stat,
    Stats,
)
from despin.pipeline.stats import RejectReason

DESPIN = {
    "spun_score": 0.75,
    "is_spun": True,
    "spans": [{"start": 0, "end": 5, "text": "Harga", "score": 0.5}],
    "threshold": 0.5,
}


def docs_of(path: Path) -> list[Document]:
    reader = ParquetReader(path) if path.suffix == ".parquet" else JsonlReader(path)
    return [d.annotate(**DESPIN) for d in reader.run(None)]


def test_jsonl_gz_output_is_byte_identical_across_runs_and_keeps_the_name(tmp_path: Path) -> None:
    src = tmp_path / "in" / "news.jsonl.gz"
    src.parent.mkdir()
    src.write_bytes(gzip.compress(b'{"id": 1, "text": "Harga naik.", "extra": [1, {"a": null}]}\n'))
    outputs = []
    for run in range(2):
        writer = JsonlWriter(tmp_path / f"out{run}")
        assert len(list(writer.run(docs_of(src)))) == 1
        outputs.append((tmp_path / f"out{run}" / "news.jsonl.gz").read_bytes())
    assert outputs[0] == outputs[1]
    rec = json.loads(gzip.decompress(outputs[0]))
    assert rec == {"id": 1, "text": "Harga naik.", "extra": [1, {"a": None}], "despin": DESPIN}
    assert list(rec) == ["id", "text", "extra", "despin"]  # input order kept, despin appended
    assert writer.stats[Stat.OUTPUT] == 1


def test_writer_leaves_no_file_under_the_final_name_when_aborted(tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text('{"text": "satu"}\n{"text": "dua"}\n')

    def exploding() -> object:
        yield from docs_of(src)[:1]
        raise RuntimeError("worker died")

    writer = JsonlWriter(tmp_path / "out")
    with pytest.raises(RuntimeError):
        list(writer.run(exploding()))  # type: ignore[arg-type]
    assert list((tmp_path / "out").iterdir()) == []


def test_ensure_writes_an_empty_shard_when_nothing_survived(tmp_path: Path) -> None:
    writer = JsonlWriter(tmp_path / "out")
    shard = Shard.of(tmp_path / "sub" / "x.jsonl.gz", "sub/x.jsonl.gz")
    writer.ensure(shard)
    assert gzip.decompress((tmp_path / "out" / "sub" / "x.jsonl.gz").read_bytes()) == b""


def test_lenient_records_round_trip_huge_ints_and_nan(tmp_path: Path) -> None:
    src = tmp_path / "big.jsonl"
    src.write_text('{"id": 123456789012345678901234567890, "text": "angka", "x": NaN}\n')
    list(JsonlWriter(tmp_path / "out").run(docs_of(src)))
    line = (tmp_path / "out" / "big.jsonl").read_text()
    assert line.startswith('{"id":123456789012345678901234567890,"text":"angka","x":NaN,"despin":{')


def test_parquet_output_keeps_columns_compression_and_adds_a_despin_struct(tmp_path: Path) -> None:
    src = tmp_path / "p.parquet"
    table = pa.table({"id": pa.array([1, 2], pa.int32()), "text": ["Harga naik.", "Banjir."], "tags": [["a"], []]})
    pq.write_table(table, src, compression="zstd")
    outs = []
    for run in range(2):
        list(ParquetWriter(tmp_path / f"out{run}").run(docs_of(src)))
        outs.append((tmp_path / f"out{run}" / "p.parquet").read_bytes())
    assert outs[0] == outs[1]
    pf = pq.ParquetFile(tmp_path / "out0" / "p.parquet")
    assert pf.schema_arrow.names == ["id", "text", "tags", "despin"]
    assert pf.schema_arrow.field("id").type == pa.int32()
    assert pf.metadata.row_group(0).column(0).compression == "ZSTD"
    rows = pf.read().to_pylist()
    assert rows[1] == {"id": 2, "text": "Banjir.", "tags": [], "despin": DESPIN}


def test_parquet_despin_struct_has_restore_and_trace_fields_when_asked(tmp_path: Path) -> None:
    src = tmp_path / "p.parquet"
    pq.write_table(pa.table({"text": ["Harga naik."]}), src)
    docs = [
        d.annotate(
            restored="Harga naik.",
            edits=[],
            sources=[{"source_id": "s", "score": 0.9, "coverage": 0.8, "substitutions": []}],
        )
        for d in docs_of(src)
    ]
    list(ParquetWriter(tmp_path / "out", restored=True, sources=True).run(docs))
    [row] = pq.read_table(tmp_path / "out" / "p.parquet").to_pylist()
    assert row["despin"]["restored"] == "Harga naik."
    assert row["despin"]["sources"] == [
        {"source_id": "s", "score": 0.9, "coverage": 0.8, "substitutions": [], "source_text": None}
    ]


def test_stats_merge_and_round_trip() -> None:
    a = Stats()
    a.inc(Stat.INPUT, 5)
    a.inc(Stat.OUTPUT, 3)
    a.inc(Stat.FILTERED)
    a.reject(RejectReason.MALFORMED_JSON)
    a.add_time("detect", 1.5)
    a.gauge("peak_rss_mb", 100)
    b = Stats()
    b.inc(Stat.INPUT, 2)
    b.inc(Stat.OUTPUT, 2)
    b.gauge("peak_rss_mb", 250)
    b.add_time("detect", 0.5)
    total = Stats.from_dict((a + b).to_dict())
    assert (total[Stat.INPUT], total[Stat.OUTPUT], total[Stat.REJECTED]) == (7, 5, 1)
    assert total.balanced and a.balanced and b.balanced
    assert total.timers == {"detect": 2.0} and total.gauges == {"peak_rss_mb": 250.0}
    assert total.reasons == {"malformed_json": 1}
    assert Stats.sum([]).to_dict()["counts"]["input"] == 0
