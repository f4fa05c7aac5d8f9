"""Shared fixtures. Area-specific fixtures live in a conftest.py beside their tests.

The data directory: tests that read corpora ask :func:`despin.training.corpora.default_data_dir`, which
honours ``$DESPIN_DATA``, else ``../shared/data``. Where neither holds the corpora (a fresh clone), this
file points ``DESPIN_DATA`` at ``tests/data/mini`` before any test module is imported, so those tests run
on small corpora sampled from the packaged model (tests/data/make_mini_corpus.py) instead of skipping.
Subprocesses (the CLI, servers, workers) inherit it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from despin.training.corpora import DATA_ENV, default_data_dir

REPO = Path(__file__).resolve().parents[1]
MINI_DATA = REPO / "tests" / "data" / "mini"
if not (default_data_dir() / "corpus").is_dir():
    os.environ[DATA_ENV] = str(MINI_DATA)
DATA_DIR = default_data_dir()  # the shared corpora, or the mini stand-in
FULL_DATA = DATA_DIR != MINI_DATA

from despin.api import load_model  # noqa: E402
from despin.lexicon import SynonymLexicon  # noqa: E402
from despin.model.bundle import Model  # noqa: E402


@pytest.fixture(scope="session")
def model() -> Model:
    """The real default bundle shipped in the package."""
    return load_model()


@pytest.fixture()
def tiny_lexicon() -> SynonymLexicon:
    return SynonymLexicon.from_pairs(
        [
            ("besar", "agung"),
            ("besar", "raya"),
            ("luas", "raya"),
            ("berita", "kabar"),
            ("mengatakan", "mengucapkan"),
        ]
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*.expected.json")
