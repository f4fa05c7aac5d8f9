"""``despin build-model``: train a bundle from the shared corpora and lexicons.

Steps: tokenise the ``train`` split -> KenLM (lmplz, build_binary) -> vocabulary and case
statistics -> merged synonym graph -> distributional neighbours -> detector fitted on simulated
spins of the ``calib`` split -> manifest with sha256 of every file and the exact command.
"""

from __future__ import annotations

import collections
import json
import random
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from despin._version import __version__
from despin.errors import ModelError
from despin.lexicon import SynonymLexicon, parse_mythes, parse_wordnet
from despin.lm.ngram import lm_tokens
from despin.model.bundle import (
    FORMAT_VERSION,
    REQUIRED_FILES,
    Model,
    read_json_gz,
    sha256_file,
    write_json_gz,
)
from despin.text.normalize import lm_key
from despin.text.tokenize import sentences, tokenize
from despin.training.corpora import SHIP_YES, CorpusDoc, iter_docs
from despin.training.kenlm_tools import ensure_kenlm_bin

if TYPE_CHECKING:
    from despin.spinner.zoo import SpinnerFamily

MYTHES_PATH = Path("/usr/share/mythes/th_id_ID_v2.dat")
# Calib pages per corpus that the page score and the edit model are fitted on (each clean and once spun).
TRAINING_PER_CORPUS = 200
WORDNET_NAME = "wordnet_bahasa_ind.wn-data-ind.tab"

SOURCES = [
    {
        "file": f"corpus/{c}.jsonl.gz",
        "use": "LM, vocabulary, neighbours, slot fills (train split); edit, word and page models (calib split)",
    }
    for c in SHIP_YES
] + [
    {"file": f"lexicons/{WORDNET_NAME}", "use": "synonym graph", "license": "MIT"},
    {"file": str(MYTHES_PATH), "use": "synonym graph", "license": "LGPL-2.1 (Debian mythes-id)"},
]

Log = Callable[[str], None]


def load_lexicon(data_dir: Path, mythes: Path = MYTHES_PATH) -> SynonymLexicon:
    """Wordnet Bahasa merged with mythes-id (if installed)."""
    return SynonymLexicon.merge(*load_lexicon_parts(data_dir, mythes))


def load_lexicon_parts(data_dir: Path, mythes: Path = MYTHES_PATH) -> tuple[SynonymLexicon, SynonymLexicon]:
    """Wordnet Bahasa and mythes-id, each alone."""
    with open(data_dir / "lexicons" / WORDNET_NAME, encoding="utf-8") as fh:
        wordnet = SynonymLexicon.from_pairs(parse_wordnet(fh, source=WORDNET_NAME))
    if not mythes.is_file():
        raise ModelError(f"{mythes} is missing: apt-get install mythes-id")
    with open(mythes, encoding="iso-8859-1") as fh:
        thesaurus = SynonymLexicon.from_pairs(parse_mythes(fh, source=str(mythes)))
    return wordnet, thesaurus


def _write_training_text(data_dir: Path, work: Path, log: Log) -> tuple[Path, Path]:
    """Write the LM's training text (one sentence a line) and the vocabulary with case statistics.

    vocab.json.gz maps word -> [count, isolated mid-sentence capitals, any mid-sentence capitals]:
    a capital next to other capitals is expected inside a name ("Menteri Keuangan"), one between
    lower-case words is not, so the restorer needs both shares.
    """
    counts: collections.Counter[str] = collections.Counter()
    isolated: collections.Counter[str] = collections.Counter()
    inside: collections.Counter[str] = collections.Counter()
    text_path = work / "train.txt"
    n_docs = 0
    with open(text_path, "w", encoding="utf-8") as out:
        for doc in iter_docs(data_dir, splits=("train",)):
            toks = tokenize(doc.text)
            for i, j in sentences(doc.text, toks):
                words = lm_tokens(toks[i:j])
                if words:
                    out.write(" ".join(words) + "\n")
                for k in range(i, j):
                    tok = toks[k]
                    if tok.kind != "word":
                        continue
                    key = lm_key(tok.text)
                    counts[key] += 1
                    if k > i and tok.text[:1].isupper():
                        inside[key] += 1
                        if not toks[k - 1].text[:1].isupper() and (k + 1 >= j or not toks[k + 1].text[:1].isupper()):
                            isolated[key] += 1
            n_docs += 1
    log(f"training text: {n_docs} documents, {sum(counts.values())} words, {len(counts)} types")
    vocab_path = work / "vocab.json.gz"
    write_json_gz(vocab_path, {word: [c, isolated[word], inside[word]] for word, c in counts.items()})
    return text_path, vocab_path


def _train_lm(text_path: Path, out: Path, bin_dir: Path, *, order: int, log: Log) -> None:
    arpa = text_path.with_suffix(".arpa")
    prune = " ".join(["0", "0"] + ["1"] * (order - 2))
    cmds = [
        f"{bin_dir / 'lmplz'} -o {order} --prune {prune} -S 20% -T {text_path.parent} --discount_fallback",
        f"{bin_dir / 'build_binary'} -q 8 -b 8 -a 22 trie {arpa} {out / 'lm.binary'}",
    ]
    with open(text_path, "rb") as src, open(arpa, "wb") as dst:
        proc = subprocess.run(shlex.split(cmds[0]), stdin=src, stdout=dst, stderr=subprocess.PIPE, check=False)
    if proc.returncode:
        raise ModelError(f"lmplz failed: {proc.stderr.decode(errors='replace')[-500:]}")
    proc = subprocess.run(shlex.split(cmds[1]), capture_output=True, check=False)
    if proc.returncode:
        raise ModelError(f"build_binary failed: {proc.stderr.decode(errors='replace')[-500:]}")
    arpa.unlink()
    log(f"LM: order {order}, {(out / 'lm.binary').stat().st_size / 1e6:.1f} MB")


def write_lexicon(out: Path, lexicon: SynonymLexicon, vocab: dict[str, int], *, min_count: int = 2) -> None:
    """The forward graph (for the spinner) and the reverse index restricted to originals the LM knows."""
    forward, reverse = lexicon.to_json_dicts()
    known = {
        obs: kept
        for obs, origs in reverse.items()
        if (kept := {o: p for o, p in origs.items() if all(vocab.get(w, 0) >= min_count for w in o.split(" "))})
    }
    write_json_gz(out / "lexicon.json.gz", {"forward": forward, "reverse": known})


def _neighbours(text_path: Path, model: Model, out: Path, log: Log) -> None:
    from despin.training.neighbours import build_neighbours

    with open(text_path, encoding="utf-8") as fh:
        sents = [line.split() for line in fh]
    nb = build_neighbours(sents, model.vocab)
    write_json_gz(out / "neighbours.json.gz", {w: list(ns) for w, ns in nb.items()})
    log(f"neighbours: {len(nb)} words")


def training_zoo(data_dir: Path, model: Model, *, seed: int) -> dict[str, SpinnerFamily]:
    """The spinner zoo over this bundle's lexicon and neighbours and the shared thesauri."""
    from despin.spinner.zoo import ZooSources, build_zoo

    wordnet, thesaurus = load_lexicon_parts(data_dir)
    sources = ZooSources(
        model.lexicon, wordnet=wordnet, mythes=thesaurus, neighbours=model.neighbours, vocab=model.vocab
    )
    return build_zoo(sources, seed=seed)


def _fills(text_path: Path, vocab: dict[str, int], out: Path, log: Log) -> None:
    import numpy as np

    from despin.training.fills import build_filler

    with open(text_path, encoding="utf-8") as fh:
        filler = build_filler((line.split() for line in fh), vocab)
    with open(out / "fills.npz", "wb") as fh:
        np.savez_compressed(fh, **filler.to_arrays())
    log(f"slot fills: {len(filler)} words, {len(filler.fwd_ids)} bigrams")


def training_documents(data_dir: Path, *, per_corpus: int, seed: int) -> list[CorpusDoc]:
    """Up to ``per_corpus`` seeded ``calib`` documents of each corpus: what the page score is fitted on."""
    by_corpus: dict[str, list[CorpusDoc]] = collections.defaultdict(list)
    for doc in iter_docs(data_dir, splits=("calib",)):
        by_corpus[doc.corpus].append(doc)
    rng = random.Random(seed)
    out: list[CorpusDoc] = []
    for corpus in sorted(by_corpus):
        docs = sorted(by_corpus[corpus], key=lambda d: d.doc_id)
        rng.shuffle(docs)
        out.extend(docs[:per_corpus])
    return out


def fit_bundle_models(out: Path, data_dir: Path, *, seed: int, per_corpus: int, log: Log) -> dict[str, Any]:
    """Fit the edit, word and page models of the bundle in ``out`` on zoo spins of calib pages; write detector.json."""
    from despin.training.fit import fit_models
    from despin.training.relatedness import fit_relatedness
    from despin.training.zoo_positions import training_positions

    model = Model.load(out, verify=False)
    zoo = training_zoo(data_dir, model, seed=seed)
    # Families drawn from our own neighbour lists would teach the check that neighbours are all it takes.
    tables = [f.table for f in zoo.values() if f.table_kind != "neighbours"]
    relatedness = fit_relatedness(model.lexicon, tables, model.vocab, model.neighbours, seed=seed)
    _update_detector_file(out, relatedness=relatedness)
    log(f"relatedness: {relatedness}")
    model = Model.load(out, verify=False)  # the LM-fill source reads the fitted check
    docs = training_documents(data_dir, per_corpus=per_corpus, seed=seed)
    table = training_positions(model, docs, zoo, seed=seed, log=log)
    log(f"training positions: {len(table.doc)} words of {len(table.doc_meta)} pages")
    fitted = fit_models(table.arrays(), table.doc_meta, seed=seed)
    _update_detector_file(out, **fitted.to_dict())
    stage = fitted.first_stage
    log(f"page threshold {fitted.page.threshold:.4f}, gate {stage.gate:.3f}, pre-screen below {stage.skip_below:.2f}")
    return fitted.to_dict()


def build_model(
    out: Path,
    *,
    data_dir: Path,
    work_dir: Path,
    order: int = 5,
    seed: int = 0,
    per_corpus: int = TRAINING_PER_CORPUS,
    log: Log = print,
) -> dict[str, Any]:
    """Build a complete bundle into ``out``; returns its manifest."""
    t0 = time.time()
    if not (data_dir / "corpus").is_dir():
        raise ModelError(f"{data_dir} has no corpus/ directory (set DESPIN_DATA to the shared data directory)")
    out.mkdir(parents=True, exist_ok=True)
    work_dir.mkdir(parents=True, exist_ok=True)
    bin_dir = ensure_kenlm_bin(work_dir)
    text_path, vocab_path = _write_training_text(data_dir, work_dir, log)
    (out / "vocab.json.gz").write_bytes(vocab_path.read_bytes())
    vocab = {w: c[0] for w, c in read_json_gz(vocab_path).items()}
    _train_lm(text_path, out, bin_dir, order=order, log=log)
    lexicon = load_lexicon(data_dir)
    write_lexicon(out, lexicon, vocab)
    log(f"lexicon: {len(lexicon)} originals, {lexicon.n_pairs} pairs")
    _fills(text_path, vocab, out, log)
    # A provisional manifest lets the half-built bundle load for the steps that need the restorer.
    write_json_gz(out / "neighbours.json.gz", {})
    (out / "detector.json").write_text("{}", encoding="utf-8")
    _write_manifest(out, {"format_version": FORMAT_VERSION, "files": {}})
    _neighbours(text_path, Model.load(out, verify=False), out, log)
    fit_bundle_models(out, data_dir, seed=seed, per_corpus=per_corpus, log=log)
    manifest = {
        "format_version": FORMAT_VERSION,
        "model_version": f"id-{time.strftime('%Y%m%d')}-{__version__}",
        "despin_version": __version__,
        "lm": {"order": order, "tokens": "lower-cased, numbers as <num>", "split": "train"},
        "sources": SOURCES,
        "command": " ".join(["despin", *sys.argv[1:]]) if sys.argv and "despin" in sys.argv[0] else "build_model()",
        "seed": seed,
        "build_seconds": round(time.time() - t0, 1),
        "files": {name: sha256_file(out / name) for name in REQUIRED_FILES},
    }
    _write_manifest(out, manifest)
    return manifest


def _update_detector_file(out: Path, **parts: Any) -> None:
    """Replace some top-level entries of ``detector.json`` (edit_model, words, page), keeping the others."""
    path = out / "detector.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data.update(parts)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def refit_detector(
    out: Path,
    *,
    data_dir: Path,
    work_dir: Path = Path("work/build"),
    seed: int = 0,
    per_corpus: int = TRAINING_PER_CORPUS,
    log: Log = print,
) -> dict[str, Any]:
    """Refit the page score and the edit model of an existing bundle (after a restorer change); updates the manifest.

    A bundle without a slot-fill table gets one first, from a fresh training text in ``work_dir``.
    """
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    if not (out / "fills.npz").is_file():
        work_dir.mkdir(parents=True, exist_ok=True)
        text_path, vocab_path = _write_training_text(data_dir, work_dir, log)
        _fills(text_path, {w: c[0] for w, c in read_json_gz(vocab_path).items()}, out, log)
    manifest["format_version"] = FORMAT_VERSION
    _write_manifest(out, {**manifest, "files": {}})
    # The fitted models read features this build may have changed: start from the defaults.
    (out / "detector.json").write_text("{}", encoding="utf-8")
    fit_bundle_models(out, data_dir, seed=seed, per_corpus=per_corpus, log=log)
    manifest["detector_refit"] = time.strftime("%Y-%m-%d")
    manifest["files"] = {name: sha256_file(out / name) for name in REQUIRED_FILES}
    _write_manifest(out, manifest)
    return dict(manifest)


def _write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(out / "manifest.json")
