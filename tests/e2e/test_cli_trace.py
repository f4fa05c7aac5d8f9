"""`despin index add|stats`, `trace` and `learn` end to end, checked through the Python API."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from despin.cli import cli
from despin.lexicon import SynonymLexicon
from despin.spinner import spin
from despin.tables import SpinnerTable
from despin.tracer import Index, trace
from despin.tracer.fingerprint import features

SYLL = [c + v for c in "bcdgjklmnprstw" for v in "aiueo"]
DESPIN = [sys.executable, "-c", "import sys; from despin.cli import cli; sys.exit(cli())"]


def make_docs(n: int, *, words: int = 120, seed: int = 0) -> list[dict[str, str]]:
    rng = random.Random(seed)
    vocab = sorted({"".join(rng.choice(SYLL) for _ in range(rng.randint(2, 4))) for _ in range(3000)})
    weights = [1.0 / (k + 1) for k in range(len(vocab))]
    out = []
    for i in range(n):
        ws = rng.choices(vocab, weights, k=words)
        for _ in range(5):
            ws[rng.randrange(len(ws))] = rng.choice(vocab).capitalize() + rng.choice(vocab)
        out.append({"id": f"doc-{i:05d}", "text": " ".join(ws) + "."})
    return out


def write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wb") as fh:
        for r in records:
            fh.write(orjson.dumps(r) + b"\n")
    return path


DOCS = make_docs(60)
TABLE = SynonymLexicon.from_pairs([(w, "x" + w[::-1]) for d in DOCS for w in d["text"].split()[:40] if w.islower()])


@pytest.fixture()
def built(tmp_path: Path) -> Path:
    src = write_jsonl(tmp_path / "refs.jsonl.gz", DOCS)
    index = tmp_path / "refs.db"
    res = CliRunner().invoke(cli, ["index", "add", "--index", str(index), str(src)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {
        "read": 60,
        "added": 60,
        "duplicate": 0,
        "conflict": 0,
        "rejected": 0,
        "count": 60,
    }
    return index


def test_stats_prints_count_size_config_header(built: Path) -> None:
    res = CliRunner().invoke(cli, ["index", "stats", "--index", str(built)])
    assert res.exit_code == 0, res.output
    stats = json.loads(res.stdout)
    assert stats["count"] == 60 and stats["size_bytes"] == built.stat().st_size
    assert stats["config"]["fingerprint"] == stats["header"]["config_fingerprint"]
    assert {"despin_version", "tokenizer_version", "lexicon_hash"} <= set(stats["header"])


def test_trace_cli_equals_python_api(built: Path, tmp_path: Path) -> None:
    spun = spin(DOCS[7]["text"], lexicon=TABLE, rate=0.4, seed=2).text
    (tmp_path / "spun.txt").write_text(spun, encoding="utf-8")
    res = CliRunner().invoke(cli, ["trace", str(tmp_path / "spun.txt"), "--index", str(built), "--top", "2"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["matches"][0]["source_id"] == "doc-00007"
    with Index.open(built) as ix:
        assert trace(spun, index=ix, top=2).to_dict() == out
    stdin = CliRunner().invoke(cli, ["trace", "-", "--index", str(built)], input="Qqq zzz xxyy.")
    assert stdin.exit_code == 0 and json.loads(stdin.stdout) == {"matches": []}


def test_bad_records_are_reported_counted_and_fail_unless_skipped(tmp_path: Path) -> None:
    src = tmp_path / "mixed.jsonl"
    write_jsonl(src, DOCS[:3])
    with open(src, "ab") as fh:
        fh.write(b'{"id": "a", "text": 5}\n{"id": 7, "text": "x"}\nnot json\n\xff\xfe\n\n["list"]\n')
        fh.write(b'{"id": ["x"], "text": "ada"}\n{"id": true, "text": "ada"}\n')
    more = write_jsonl(tmp_path / "more.jsonl", [{"id": "doc-00000", "text": "another text"}, DOCS[3]])
    index = tmp_path / "refs.db"
    runner = CliRunner()
    res = runner.invoke(cli, ["index", "add", "--index", str(index), str(src), str(more)])
    assert res.exit_code == 1
    counts = json.loads(res.stdout.splitlines()[0])
    # A number id is taken as its text ("7"), as a scan does; the blank line is a bad record too.
    # An id that is a list or a boolean is rejected: it would be stored as its Python repr.
    assert counts == {"read": 13, "added": 5, "duplicate": 0, "conflict": 1, "rejected": 7, "count": 5}
    assert counts["read"] == counts["added"] + counts["duplicate"] + counts["conflict"] + counts["rejected"]
    for where in (f"{src}:4", f"{src}:6", f"{src}:7", f"{src}:8", f"{src}:9", f"{src}:10", f"{src}:11"):
        assert where in res.stderr
    assert "id 'doc-00000'" in res.stderr and "is not a string or an integer (list)" in res.stderr
    assert "not valid UTF-8" in res.stderr and "malformed JSON" in res.stderr
    again = runner.invoke(cli, ["index", "add", "--index", str(index), "--skip-bad", str(src)])
    assert again.exit_code == 0
    assert json.loads(again.stdout.splitlines()[0])["duplicate"] == 4
    with Index.open(index) as ix:
        assert len(ix) == 5 and ix.text("doc-00000") == DOCS[0]["text"] and "7" in ix


def test_custom_fields_and_parquet(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    pa = pytest.importorskip("pyarrow")
    path = tmp_path / "refs.parquet"
    pq.write_table(pa.table({"key": [d["id"] for d in DOCS[:5]], "body": [d["text"] for d in DOCS[:5]]}), path)
    index = tmp_path / "refs.db"
    res = CliRunner().invoke(
        cli, ["index", "add", "--index", str(index), "--id-field", "key", "--text-field", "body", str(path)]
    )
    assert res.exit_code == 0, res.output
    with Index.open(index) as ix:
        assert len(ix) == 5 and "doc-00004" in ix


def test_truncated_gzip_is_reported_with_its_line(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "refs.jsonl.gz", DOCS)
    data = src.read_bytes()
    src.write_bytes(data[: len(data) // 2])
    res = CliRunner().invoke(cli, ["index", "add", "--index", str(tmp_path / "r.db"), str(src)])
    assert res.exit_code == 1
    counts = json.loads(res.stdout.splitlines()[0])
    assert counts["rejected"] == 1 and counts["added"] > 0
    assert "gzip stream ends early (truncated file?)" in res.stderr


def test_corrupt_index_is_a_clear_error(built: Path) -> None:
    data = built.read_bytes()
    built.write_bytes(data[: len(data) // 3])
    res = CliRunner().invoke(cli, ["trace", "-", "--index", str(built)], input="apa saja")
    assert res.exit_code == 1
    assert "truncated" in res.output and "Traceback" not in res.output


def test_learn_from_text_pairs_and_trace_output(built: Path, tmp_path: Path) -> None:
    pairs = []
    traces = []
    with Index.open(built) as ix:
        for k, d in enumerate(DOCS[:20]):
            spun = spin(d["text"], lexicon=TABLE, rate=0.5, seed=9, mode="deterministic", doc=k).text
            pairs.append({"spun": spun, "source": d["text"]})
            traces.append(trace(spun, index=ix).to_dict())
    write_jsonl(tmp_path / "pairs.jsonl", pairs)
    (tmp_path / "traces.jsonl").write_text("\n".join(orjson.dumps(t).decode() for t in traces) + "\nbad\n")
    out = tmp_path / "table.tsv"
    runner = CliRunner()
    res = runner.invoke(cli, ["learn", str(tmp_path / "pairs.jsonl"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["learned_from"] == 20 and summary["entries"] > 20
    rows = SpinnerTable.load(out).rows
    assert rows and all(r.observed in TABLE.synonyms(r.original) for r in rows)
    out2 = tmp_path / "t2.tsv"
    res2 = runner.invoke(cli, ["learn", str(tmp_path / "traces.jsonl"), "-o", str(out2)])
    assert res2.exit_code == 1 and "traces.jsonl:21" in res2.stderr
    assert json.loads(res2.stdout)["rejected"] == 1
    body = [line for line in out.read_text().splitlines() if not line.startswith("#")]
    assert [line for line in out2.read_text().splitlines() if not line.startswith("#")] == body


def test_sigkill_during_add_leaves_whole_batches(tmp_path: Path) -> None:
    docs = make_docs(5_000, words=60, seed=1)
    src = write_jsonl(tmp_path / "big.jsonl", docs)
    index = tmp_path / "refs.db"
    cmd = [*DESPIN, "index", "add", "--index", str(index), "--batch-size", "100", "--no-compact", str(src)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    committed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if index.exists():
            try:
                with sqlite3.connect(f"file:{index}?mode=ro", uri=True) as conn:
                    committed = int(conn.execute("SELECT value FROM meta WHERE key='n_docs'").fetchone()[0])
            except sqlite3.Error:
                committed = 0
        if committed >= 300:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "index add finished before it could be killed; make the input bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with Index.open(index, verify="quick") as ix:
        n = len(ix)
        assert 300 <= n < len(docs) and n % 100 == 0
        stats = ix.stats()
        config = ix.config
    conn = sqlite3.connect(index)
    stored = conn.execute("SELECT source_id FROM docs ORDER BY id").fetchall()
    df_total = conn.execute("SELECT sum(n) FROM df").fetchone()[0]
    conn.close()
    assert [s for (s,) in stored] == [d["id"] for d in docs[:n]]
    assert df_total == sum(len(features(d["text"], config)[0]) for d in docs[:n])
    assert stats["batches"] == n // 100

    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {
        "read": len(docs),
        "added": len(docs) - n,
        "duplicate": n,
        "conflict": 0,
        "rejected": 0,
        "count": len(docs),
    }


def test_stats_verify_full_checks_every_row_and_names_a_damaged_one(built: Path) -> None:
    res = CliRunner().invoke(cli, ["index", "stats", "--index", str(built), "--verify", "full"])
    assert res.exit_code == 0, res.output
    stats = json.loads(res.stdout)
    assert stats["checked"]["docs"] == stats["count"] == 60 and stats["checked"]["df"] > 0
    with sqlite3.connect(built) as db:  # a df count off by one: the page is fine, the row is not
        db.execute("UPDATE df SET n = n + 1 WHERE feature = (SELECT MAX(feature) FROM df)")
    res = CliRunner().invoke(cli, ["index", "stats", "--index", str(built), "--verify", "full"])
    assert res.exit_code == 1 and "IndexCorruptError" not in res.output and "df" in res.output
