"""One spinner table, every door: ``despin learn`` writes it (``.tsv.gz`` too), ``restore --table`` and the
server (``despin serve --table``) read it, and each answers as ``despin.restore(text, table=SpinnerTable)``."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

import despin
from despin.cli import cli
from despin.lexicon import SynonymLexicon
from despin.model.bundle import Model
from despin.server import ServerSettings, create_app
from despin.tables import SpinnerTable

SPINNER = SynonymLexicon.from_pairs([("rumah", "kediaman"), ("besar", "agung")])
SOURCES = [f"Rumah nomor {i} itu besar dan kami pergi ke kota {i} bersama warga." for i in range(6)]
PAGE = "Kediaman kami agung sekali dan kami senang tinggal di sana bersama keluarga."


def pairs_file(path: Path) -> Path:
    options = despin.SpinOptions(rate=1.0, seed=1, footer=False, repeat=0.0, capitalize=0.0)
    spun = [despin.spin(s, options, table=SPINNER).text for s in SOURCES]
    lines = [json.dumps({"spun": a, "source": b}) for a, b in zip(spun, SOURCES, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_learn_writes_a_gzipped_table_that_restore_reads(tmp_path: Path, model: Model) -> None:
    out = tmp_path / "farm.tsv.gz"
    res = CliRunner().invoke(cli, ["learn", str(pairs_file(tmp_path / "pairs.jsonl")), "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = gzip.decompress(out.read_bytes()).decode("utf-8")
    assert text.startswith("# despin learn: 6 pairs")
    table = SpinnerTable.load(out)
    assert {(r.observed, r.original, r.count) for r in table} == {("kediaman", "rumah", 6), ("agung", "besar", 6)}
    assert table.to_tsv() == text  # the file is the table's one writer's text
    res = CliRunner().invoke(cli, ["restore", "-", "--table", str(out), "--force", "--json"], input=PAGE)
    assert res.exit_code == 0, res.output
    expected = despin.restore(PAGE, model=model, table=table, force=True)
    assert json.loads(res.stdout) == json.loads(json.dumps(expected.to_dict()))
    assert expected.text != PAGE


def test_restore_names_the_line_of_a_malformed_table(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("# hand-written\nkediaman\trumah\t2\nagung besar\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["restore", "-", "--table", str(bad)], input=PAGE)
    assert res.exit_code == 1
    assert f"{bad}:3: expected 'observed<TAB>original'" in res.stderr


def test_the_server_answers_with_its_table(tmp_path: Path, model: Model) -> None:
    table = SpinnerTable.from_tsv("kediaman\trumah\t6\t1.0\nagung\tbesar\t6\t1.0\n")
    table.save(tmp_path / "farm.tsv")
    with TestClient(create_app(ServerSettings(table_path=str(tmp_path / "farm.tsv")))) as client:
        health = client.get("/v1/health").json()
        assert health["table"] == {"entries": 2, "fingerprint": table.fingerprint()}
        assert str(tmp_path) not in json.dumps(health)
        resp = client.post("/v1/restore", json={"text": PAGE, "force": True})
        assert resp.status_code == 200, resp.text
        assert resp.json() == json.loads(
            json.dumps(despin.restore(PAGE, model=model, table=table, force=True).to_dict())
        )
        detected = client.post("/v1/detect", json={"text": PAGE}).json()
        assert detected == json.loads(json.dumps(despin.detect(PAGE, model=model, table=table).to_dict()))
    with TestClient(create_app(ServerSettings())) as client:
        assert client.get("/v1/health").json()["table"] is None


def test_a_server_whose_table_does_not_load_answers_503_with_the_line(tmp_path: Path) -> None:
    (tmp_path / "bad.tsv").write_text("kediaman\trumah\tmany\n", encoding="utf-8")
    with TestClient(create_app(ServerSettings(table_path=str(tmp_path / "bad.tsv")))) as client:
        health = client.get("/v1/health")
        assert health.status_code == 503
        assert health.json()["model_error"] == "bad.tsv:1: count 'many' is not a number"
        resp = client.post("/v1/restore", json={"text": PAGE})
        assert resp.status_code == 503 and "bad.tsv:1: count 'many'" in resp.json()["message"]
