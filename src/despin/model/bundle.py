"""A versioned model bundle on disk: LM, lexicon tables, detector calibration and a manifest.

Layout of a bundle directory::

    manifest.json     format, despin version, sources, sha256 of every file, the build command
    lm.binary         KenLM trie over lower-cased tokens of the training split
    vocab.tsv.gz      unigram counts of the training split
    lexicon.tsv.gz    synonym graph (original, replacement, weight)
    neighbours.tsv.gz distributional neighbours, for spinners whose table we have never seen
    detector.json     logistic-regression weights and the calibrated threshold
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from despin.errors import LexiconError, ModelError
from despin.lexicon import SynonymLexicon, parse_table

FORMAT_VERSION = 1
REQUIRED_FILES = ("lm.binary", "vocab.tsv.gz", "lexicon.tsv.gz", "neighbours.tsv.gz", "detector.json")
DEFAULT_PATH = Path(__file__).parent / "default"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return fh.read().splitlines()


def read_table(path: Path) -> SynonymLexicon:
    """Read a spinner table (TSV ``observed<TAB>original[<TAB>count]``) as a lexicon."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
            return SynonymLexicon.from_pairs(parse_table(fh, source=str(path)))
    except OSError as exc:
        raise LexiconError(f"cannot read table {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError:
        raise LexiconError(f"table {path} is not UTF-8 text") from None


@dataclass
class Model:
    """A loaded bundle. ``detect`` and ``restore`` are the only things the API needs from it."""

    path: Path
    manifest: dict[str, Any]
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path, *, verify: bool = True) -> Model:
        """Open a bundle; a missing file or a checksum mismatch is a ModelError naming the file."""
        path = Path(path)
        if not path.is_dir():
            raise ModelError(f"model directory {path} does not exist")
        manifest_path = path / "manifest.json"
        if not manifest_path.is_file():
            raise ModelError(f"{path} is not a despin model: manifest.json is missing")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ModelError(f"{manifest_path} is not valid JSON: {exc}") from None
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ModelError(
                f"{path}: bundle format {manifest.get('format_version')!r}, this despin reads {FORMAT_VERSION}"
            )
        for name in REQUIRED_FILES:
            if not (path / name).is_file():
                raise ModelError(f"model {path} is incomplete: {name} is missing")
        if verify:
            for name, digest in manifest.get("files", {}).items():
                if sha256_file(path / name) != digest:
                    raise ModelError(f"model {path}: {name} is corrupted (sha256 does not match the manifest)")
        return cls(path=path, manifest=manifest)

    @classmethod
    def default(cls) -> Model:
        """The bundle shipped inside the package."""
        if not (DEFAULT_PATH / "manifest.json").is_file():
            raise ModelError(
                f"the default model is missing from {DEFAULT_PATH}; build it with `despin build-model`"
            )
        return cls.load(DEFAULT_PATH)

    @property
    def version(self) -> str:
        return str(self.manifest.get("model_version", "unknown"))

    @cached_property
    def lm(self) -> Any:
        from despin.lm.ngram import NgramLM

        return NgramLM(str(self.path / "lm.binary"))

    @cached_property
    def vocab(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in _read_lines(self.path / "vocab.tsv.gz"):
            word, _, count = row.partition("\t")
            out[word] = int(count)
        return out

    @cached_property
    def lexicon(self) -> SynonymLexicon:
        return SynonymLexicon.from_rows(_read_lines(self.path / "lexicon.tsv.gz"))

    @cached_property
    def neighbours(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        for row in _read_lines(self.path / "neighbours.tsv.gz"):
            word, _, rest = row.partition("\t")
            out[word] = tuple(rest.split(" ")) if rest else ()
        return out

    @cached_property
    def detector_params(self) -> dict[str, Any]:
        return dict(json.loads((self.path / "detector.json").read_text(encoding="utf-8")))
