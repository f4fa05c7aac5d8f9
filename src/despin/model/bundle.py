"""A versioned model bundle on disk: LM, lexicon tables, detector calibration and a manifest.

Layout of a bundle directory::

    manifest.json     format, despin version, sources, sha256 of every file, the build command
    lm.binary           KenLM trie over lower-cased tokens of the training split
    vocab.json.gz       word -> [count, isolated mid-sentence capitals] in the training split
    lexicon.json.gz     synonym graph {original: {replacement: weight}} and its reverse index
    neighbours.json.gz  distributional neighbours, for spinners whose table we have never seen
    fills.npz           bigram followers and predecessors of common words: the LM's slot fills
    detector.json       the edit model (first stage, conditional logit, calibration) and the page model

The tables are gzipped JSON because orjson parses them in a fraction of a second, which keeps a
cold load of the whole bundle under two seconds.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from cachetools import LRUCache

from despin.detector.evidence import EvidenceDetector, PageModel
from despin.detector.word_model import WordModel
from despin.errors import ModelError
from despin.lexicon import SynonymLexicon
from despin.restorer.document import DocumentRestorer, EditPolicy
from despin.restorer.edit_model import EditModel
from despin.restorer.factory import build_restorer
from despin.restorer.first_stage import FirstStage
from despin.restorer.restorer import DecodeConfig, RestoreOutcome, Restorer
from despin.restorer.slang import SpellingChannel
from despin.types import Detection, Restoration

if TYPE_CHECKING:
    from despin.lm.fills import SlotFiller

FORMAT_VERSION = 3
RESTORER_CACHE_SIZE = 8
REQUIRED_FILES = ("lm.binary", "vocab.json.gz", "lexicon.json.gz", "neighbours.json.gz", "fills.npz", "detector.json")
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
    """Read a spinner table file as a lexicon (:meth:`despin.tables.SpinnerTable.load` reads it)."""
    from despin.tables.table import SpinnerTable

    return SpinnerTable.load(path).lexicon


@dataclass
class Model:
    """A loaded bundle. ``detect`` and ``restore`` are the only things the API needs from it."""

    path: Path
    manifest: dict[str, Any]
    # Restorers by table: each holds large caches, so only the most recently used few are kept.
    _restorers: LRUCache[str | None, tuple[Restorer, SynonymLexicon | None]] = field(
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
    def vocab(self) -> Mapping[str, int]:
        """Word -> count in the training split."""
        return _Counts(self._vocab_table)

    @cached_property
    def case_share(self) -> Mapping[str, tuple[float, float]]:
        """Word -> shares of its occurrences capitalised mid-sentence (isolated, and at all); 3+ sightings."""
        return _CaseShares(self._vocab_table)

    @cached_property
    def lexicon(self) -> SynonymLexicon:
        data = read_json_gz(self.path / "lexicon.json.gz")
        return SynonymLexicon.from_json_dicts(data["forward"], data["reverse"])

    @cached_property
    def neighbours(self) -> dict[str, Sequence[str]]:
        return dict(read_json_gz(self.path / "neighbours.json.gz"))

    @cached_property
    def spelling(self) -> SpellingChannel:
        """The typo, abbreviation and slang channel over this bundle's vocabulary."""
        return SpellingChannel(self.vocab)

    @cached_property
    def filler(self) -> SlotFiller:
        """The slot-fill table of the LM-fill candidate source."""
        import numpy as np

        from despin.lm.fills import SlotFiller

        with np.load(self.path / "fills.npz") as arrays:
            return SlotFiller.from_saved({k: arrays[k] for k in arrays.files})

    @cached_property
    def detector_params(self) -> dict[str, Any]:
        return dict(json.loads((self.path / "detector.json").read_text(encoding="utf-8")))

    @cached_property
    def edit_model(self) -> EditModel:
        data = self.detector_params.get("edit_model")
        return EditModel() if data is None else EditModel.from_dict(data)

    @cached_property
    def page_model(self) -> PageModel:
        data = self.detector_params.get("page")
        return PageModel() if data is None else PageModel.from_dict(data)

    @cached_property
    def first_stage(self) -> FirstStage:
        data = self.detector_params.get("first_stage")
        return FirstStage() if data is None else FirstStage.from_dict(data)

    @cached_property
    def word_model(self) -> WordModel:
        data = self.detector_params.get("words")
        return WordModel(None) if data is None else WordModel.from_dict(data)

    @cached_property
    def detector(self) -> EvidenceDetector:
        return EvidenceDetector(self.word_model, self.page_model)

    @cached_property
    def edit_policy(self) -> EditPolicy:
        return EditPolicy(**self.detector_params.get("policy", {}))

    def with_lexicon(self, lexicon: SynonymLexicon) -> Model:
        """The same model with another synonym lexicon (e.g. one half of ``lexicon.split()``)."""
        other = Model(path=self.path, manifest=self.manifest)
        for name in (
            "lm",
            "_vocab_table",
            "vocab",
            "case_share",
            "neighbours",
            "spelling",
            "filler",
            "detector_params",
            "edit_model",
            "first_stage",
            "word_model",
            "page_model",
            "detector",
            "edit_policy",
        ):
            if name in self.__dict__:
                other.__dict__[name] = self.__dict__[name]
        other.__dict__["lexicon"] = lexicon
        return other

    def with_models(self, edit_model: EditModel, first_stage: FirstStage, words: WordModel, page: PageModel) -> Model:
        """The same bundle with other fitted models: how training and benchmarks evaluate a fit."""
        other = self.with_lexicon(self.lexicon)
        other.__dict__.update(edit_model=edit_model, first_stage=first_stage, word_model=words, page_model=page)
        other.__dict__.pop("detector", None)
        return other

    def restorer(self, table: SynonymLexicon | None = None) -> Restorer:
        """A restorer over this bundle; one per table is cached."""
        # Keyed by content: the same table loaded twice (a path passed again) reuses one restorer.
        key = table.fingerprint() if table is not None else None
        hit = self._restorers.get(key)
        if hit is None:
            restorer = build_restorer(
                self.lm,
                self.lexicon,
                self.vocab,
                edit_model=self.edit_model,
                first_stage=self.first_stage,
                table=table,
                neighbours=self.neighbours,
                spelling=self.spelling,
                filler=self.filler,
                case_share=self.case_share,
                relatedness=self.detector_params.get("relatedness"),
                config=DecodeConfig(**self.detector_params.get("decode", {})),
            )
            hit = self._restorers[key] = (restorer, table)
        return hit[0]

    def detect(self, text: str, *, table: SynonymLexicon | None = None, threshold: float | None = None) -> Detection:
        """Score ``text``: the page score reads a decoding pass with the same lexicon and table as :meth:`restore`."""
        return self.detector.detect(self.restorer(table).restore(text), threshold=threshold)[0]

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

        def judge(outcome: RestoreOutcome) -> tuple[Detection, float, tuple[float, ...]]:
            detection, evidence = detector.detect(outcome, threshold=threshold)
            return detection, evidence.rate, evidence.word_lrs

        document = DocumentRestorer(self.restorer(table), judge, policy=self.edit_policy)
        return document.restore(text, remove_footer=remove_footer, force=force)


class _Counts(Mapping[str, int]):
    """Word -> corpus count, read from the vocabulary table as asked (no copy of 120k entries at load)."""

    def __init__(self, table: Mapping[str, Sequence[int]]) -> None:
        self._table = table

    def __getitem__(self, word: str) -> int:
        return self._table[word][0]

    def get(self, word: str, default: Any = None) -> Any:
        row = self._table.get(word)
        return default if row is None else row[0]

    def __contains__(self, word: object) -> bool:
        return word in self._table

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def values(self) -> list[int]:  # type: ignore[override]
        # The restorer sums the counts at start-up; Mapping's view would look each word up again (0.1 s).
        return [row[0] for row in self._table.values()]


class _CaseShares(Mapping[str, tuple[float, float]]):
    """Word -> shares of its occurrences capitalised mid-sentence (isolated, and at all), for words seen 3+ times."""

    def __init__(self, table: Mapping[str, Sequence[int]]) -> None:
        self._table = table

    def __getitem__(self, word: str) -> tuple[float, float]:
        c = self._table[word]
        if c[0] < 3:
            raise KeyError(word)
        return (c[1] + 0.5) / (c[0] + 1), (c[2] + 0.5) / (c[0] + 1)

    def __iter__(self) -> Iterator[str]:
        return (w for w, c in self._table.items() if c[0] >= 3)

    @cached_property
    def _n(self) -> int:
        return sum(1 for _ in self)

    def __len__(self) -> int:
        return self._n
