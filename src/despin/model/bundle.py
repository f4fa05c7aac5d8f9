"""A versioned model bundle on disk: LM, lexicon tables, detector calibration and a manifest.

Layout of a bundle directory::

    manifest.json     format, despin version, sources, sha256 of every file, the build command
    lm.binary           KenLM trie over lower-cased tokens of the training split
    vocab.json.gz       word -> [count, isolated mid-sentence capitals] in the training split
    lexicon.json.gz     synonym graph {original: {replacement: weight}} and its reverse index
    neighbours.json.gz  distributional neighbours, for spinners whose table we have never seen
    detector.json       logistic-regression weights, the calibrated threshold and the edit-confidence map

The tables are gzipped JSON because orjson parses them in a fraction of a second, which keeps a
cold load of the whole bundle under two seconds.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson
from cachetools import LRUCache

from despin.detector import SpinDetector
from despin.errors import LexiconError, ModelError
from despin.lexicon import SynonymLexicon, parse_table
from despin.restorer.calibration import EditCalibration
from despin.restorer.candidates import CandidateGenerator
from despin.restorer.document import DocumentRestorer
from despin.restorer.restorer import RestoreConfig, RestoreOutcome, Restorer
from despin.restorer.slang import SpellingChannel
from despin.types import Detection, Restoration

FORMAT_VERSION = 2
RESTORER_CACHE_SIZE = 8
REQUIRED_FILES = ("lm.binary", "vocab.json.gz", "lexicon.json.gz", "neighbours.json.gz", "detector.json")
DEFAULT_PATH = Path(__file__).parent / "default"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_json_gz(path: Path) -> Any:
    with gzip.open(path, "rb") as fh:
        return orjson.loads(fh.read())


def write_json_gz(path: Path, obj: Any) -> None:
    # mtime=0 keeps the bytes (and the manifest's sha256) identical across rebuilds
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as fh:
        fh.write(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS))


def read_table(path: Path) -> SynonymLexicon:
    """Read a spinner table (TSV ``observed<TAB>original[<TAB>count]``) as a lexicon."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
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
    # Restorers by table: each holds large caches, so only the most recently used few are kept.
    _restorers: LRUCache[int | None, tuple[Restorer, SynonymLexicon | None]] = field(
        default_factory=lambda: LRUCache(maxsize=RESTORER_CACHE_SIZE), repr=False
    )

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
            raise ModelError(f"the default model is missing from {DEFAULT_PATH}; build it with `despin build-model`")
        return cls.load(DEFAULT_PATH)

    @property
    def version(self) -> str:
        return str(self.manifest.get("model_version", "unknown"))

    @cached_property
    def lm(self) -> Any:
        from despin.lm.ngram import NgramLM

        return NgramLM(str(self.path / "lm.binary"))

    @cached_property
    def _vocab_table(self) -> dict[str, list[int]]:
        return dict(read_json_gz(self.path / "vocab.json.gz"))

    @cached_property
    def vocab(self) -> dict[str, int]:
        """Word -> count in the training split."""
        return {w: c[0] for w, c in self._vocab_table.items()}

    @cached_property
    def case_share(self) -> dict[str, tuple[float, float]]:
        """Word -> shares of its occurrences capitalised mid-sentence (isolated, and at all); 3+ sightings."""
        return {
            w: ((c[1] + 0.5) / (c[0] + 1), (c[2] + 0.5) / (c[0] + 1)) for w, c in self._vocab_table.items() if c[0] >= 3
        }

    @cached_property
    def lexicon(self) -> SynonymLexicon:
        data = read_json_gz(self.path / "lexicon.json.gz")
        return SynonymLexicon.from_json_dicts(data["forward"], data["reverse"])

    @cached_property
    def neighbours(self) -> dict[str, tuple[str, ...]]:
        return {w: tuple(ns) for w, ns in read_json_gz(self.path / "neighbours.json.gz").items()}

    @cached_property
    def spelling(self) -> SpellingChannel:
        """The typo, abbreviation and slang channel over this bundle's vocabulary."""
        return SpellingChannel(self.vocab)

    @cached_property
    def detector_params(self) -> dict[str, Any]:
        return dict(json.loads((self.path / "detector.json").read_text(encoding="utf-8")))

    @cached_property
    def detector(self) -> SpinDetector:
        return SpinDetector.from_dict(self.detector_params["detector"])

    @cached_property
    def edit_calibration(self) -> EditCalibration | None:
        """The map to calibrated edit confidences; None for a bundle built before it existed."""
        data = self.detector_params.get("edit_calibration")
        return None if data is None else EditCalibration.from_dict(data)

    @cached_property
    def restore_config(self) -> RestoreConfig:
        return RestoreConfig(**self.detector_params.get("restore", {}))

    def with_lexicon(self, lexicon: SynonymLexicon) -> Model:
        """The same model with another synonym lexicon (e.g. one half of ``lexicon.split()``)."""
        other = Model(path=self.path, manifest=self.manifest)
        for name in ("lm", "_vocab_table", "vocab", "case_share", "neighbours", "spelling", "detector_params"):
            if name in self.__dict__:
                other.__dict__[name] = self.__dict__[name]
        other.__dict__["lexicon"] = lexicon
        return other

    def restorer(self, table: SynonymLexicon | None = None) -> Restorer:
        """A restorer over this bundle; one per table is cached."""
        key = id(table) if table is not None else None
        hit = self._restorers.get(key)
        if hit is None:
            gen = CandidateGenerator(
                self.lexicon, self.vocab, table=table, neighbours=self.neighbours, spelling=self.spelling
            )
            restorer = Restorer(self.lm, gen, case_share=self.case_share, config=self.restore_config)
            hit = self._restorers[key] = (restorer, table)  # holding the table keeps its id() unique
        return hit[0]

    def detect(self, text: str, *, table: SynonymLexicon | None = None, threshold: float | None = None) -> Detection:
        """Score ``text``: the detector reads a restoration pass with the same lexicon and table as :meth:`restore`."""
        return self.detector.detect(self.restorer(table).restore(text), threshold=threshold)

    def restore(
        self,
        text: str,
        *,
        table: SynonymLexicon | None = None,
        remove_footer: bool = True,
        threshold: float | None = None,
        force: bool = False,
    ) -> Restoration:
        """Restore ``text``; words change only when :meth:`detect` (same table, threshold) says spun, or ``force``."""
        detector = self.detector

        def judge(outcome: RestoreOutcome) -> Detection:
            return detector.detect(outcome, threshold=threshold)

        document = DocumentRestorer(self.restorer(table), judge, calibration=self.edit_calibration)
        return document.restore(text, remove_footer=remove_footer, force=force)
