"""The one configuration every benchmark module receives: ``run(cfg: BenchConfig) -> dict``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, Protocol

from despin.errors import ConfigError

Suite = Literal["quick", "full"]

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
CACHE_DIR = REPO_ROOT / "benchmarks" / "cache"


class SuiteConfig(Protocol):
    """What most benchmark modules read of a :class:`BenchConfig`: the suite, the seed and where to write."""

    @property
    def suite(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def out_dir(self) -> Path: ...


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """What a benchmark run measures, and where it writes.

    Args:
        suite: ``"quick"`` (small samples, CI, a few minutes) or ``"full"`` (every dev/test document).
        seed: seeds sampling and spinning; a fixed seed and model give identical quality numbers.
        out_dir: where results, tables and plots go.
        model: a model bundle directory; the packaged default model when None.
        data_dir: the shared corpora (``corpus/``, ``lexicons/``); see :func:`default_data_dir`.
        rates: spin rates (share of word tokens substituted); None means the suite's default
            (:attr:`spin_rates`: three for quick, five for full).
        splits: the evaluation splits; never ``train``.
        sample_size: documents per (split, register); None means the suite's default (:attr:`n_docs`).

    Example:
        >>> BenchConfig(suite="quick").n_docs
        8
        >>> BenchConfig(suite="quick").fingerprint() == BenchConfig(suite="quick").fingerprint()
        True
    """

    suite: Suite = "quick"
    seed: int = 0
    out_dir: Path = RESULTS_DIR
    model: Path | None = None
    data_dir: Path | None = None
    rates: tuple[float, ...] | None = None
    splits: tuple[str, ...] = ("dev", "test")
    sample_size: int | None = None

    def __post_init__(self) -> None:
        if self.suite not in ("quick", "full"):
            raise ConfigError(f"suite must be 'quick' or 'full', got {self.suite!r}")
        if "train" in self.splits:
            raise ConfigError("never evaluate on the train split")
        if self.sample_size is not None and self.sample_size < 1:
            raise ConfigError(f"sample_size must be >= 1, got {self.sample_size}")

    @property
    def n_docs(self) -> int:
        """Documents per (split, register) sample: small for quick, capped for full."""
        if self.sample_size is not None:
            return self.sample_size
        # quick: about 1,000 restorations in all, a couple of minutes on one CPU.
        return 8 if self.suite == "quick" else 60

    @property
    def spin_rates(self) -> tuple[float, ...]:
        """The spin rates measured; 0.15 (the headline rate) is always among the defaults."""
        if self.rates is not None:
            return self.rates
        return (0.05, 0.15, 0.40) if self.suite == "quick" else (0.05, 0.10, 0.15, 0.25, 0.40)

    @property
    def max_chars(self) -> int:
        """Documents are cut at a paragraph boundary below this length (keeps runtime bounded)."""
        return 1500 if self.suite == "quick" else 3000

    def resolved_data_dir(self) -> Path:
        return self.data_dir if self.data_dir is not None else default_data_dir()

    def fingerprint(self) -> str:
        """A stable hash of everything that changes the numbers (not ``out_dir``)."""
        d = asdict(self)
        d.pop("out_dir")
        d["model"] = str(self.model) if self.model else None
        d["data_dir"] = None  # the data location does not change the numbers, its content does
        blob = json.dumps(d, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def default_data_dir() -> Path:
    """The shared data directory: ``$DESPIN_DATA``, else ``../shared/data`` (decided in one place,
    :func:`despin.training.corpora.default_data_dir`)."""
    from despin.training.corpora import default_data_dir as decide

    return decide()
