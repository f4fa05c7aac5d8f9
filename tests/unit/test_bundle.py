"""The model bundle: a missing or corrupted file is a clear ModelError, never a wrong answer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from despin.cli import cli
from despin.errors import ModelError
from despin.model.bundle import REQUIRED_FILES, Model


@pytest.fixture()
def bundle_copy(tmp_path: Path, model: Model) -> Path:
    dst = tmp_path / "bundle"
    shutil.copytree(model.path, dst)
    return dst


def test_manifest_lists_every_file_with_sha256(model: Model) -> None:
    manifest = json.loads((model.path / "manifest.json").read_text())
    assert set(manifest["files"]) == set(REQUIRED_FILES)
    assert manifest["sources"] and manifest["model_version"]


def test_missing_file_is_named(bundle_copy: Path) -> None:
    (bundle_copy / "lm.binary").unlink()
    with pytest.raises(ModelError, match="lm.binary is missing"):
        Model.load(bundle_copy)


def test_corrupted_file_fails_its_checksum(bundle_copy: Path) -> None:
    with open(bundle_copy / "detector.json", "a", encoding="utf-8") as fh:
        fh.write(" ")
    with pytest.raises(ModelError, match="detector.json is corrupted"):
        Model.load(bundle_copy)


def test_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="manifest.json is missing"):
        Model.load(tmp_path)
    with pytest.raises(ModelError, match="does not exist"):
        Model.load(tmp_path / "nope")


def test_cli_reports_a_broken_model_dir_with_exit_1(bundle_copy: Path, tmp_path: Path) -> None:
    (bundle_copy / "vocab.json.gz").unlink()
    doc = tmp_path / "a.txt"
    doc.write_text("Harga beras naik.", encoding="utf-8")
    result = CliRunner().invoke(cli, ["detect", str(doc), "--model", str(bundle_copy)])
    assert result.exit_code == 1
    assert "vocab.json.gz is missing" in result.output
    assert "Traceback" not in result.output
