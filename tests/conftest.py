"""Shared fixtures. Area-specific fixtures live in a conftest.py beside their tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from despin.api import load_model
from despin.lexicon import SynonymLexicon
from despin.model.bundle import Model

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


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
