"""File-reading helpers of the zoo benchmark: the single-source tables and the real pages.

The model bundle ships one lexicon, Wordnet Bahasa and mythes-id merged, so the Wordnet-only and
mythes-only spinner tables are parsed here from the shared files (the zoo itself reads nothing).
The real pages in ``shared/data/real`` are for evaluation only: nothing here trains or tunes on them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from despin.lexicon import SynonymLexicon, parse_mythes, parse_wordnet
from despin.spinner.zoo import ZooSources
from despin.training.build import MYTHES_PATH, WORDNET_NAME

# The page kinds whose substitutions a thesaurus spinner made (the "thesaurus-spun pages").
THESAURUS_TYPES = ("thesaurus", "translation+thesaurus")


def load_wordnet(data_dir: Path) -> SynonymLexicon | None:
    path = data_dir / "lexicons" / WORDNET_NAME
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as fh:
        return SynonymLexicon.from_pairs(parse_wordnet(fh, source=str(path)))


def load_mythes(path: Path = MYTHES_PATH) -> SynonymLexicon | None:
    if not path.is_file():
        return None
    with open(path, encoding="iso-8859-1") as fh:
        return SynonymLexicon.from_pairs(parse_mythes(fh, source=str(path)))


def zoo_sources(model: Any, data_dir: Path) -> tuple[ZooSources, list[str]]:
    """The zoo's sources for ``model`` (its lexicon, neighbours, vocab) and the shared lexicon files.

    Returns:
        The sources and notes on what is missing (whose families are then left out).
    """
    notes: list[str] = []
    wordnet = load_wordnet(data_dir)
    if wordnet is None:
        notes.append(f"no {WORDNET_NAME} under {data_dir}/lexicons: the wordnet family is left out")
    mythes = load_mythes()
    if mythes is None:
        notes.append(f"{MYTHES_PATH} is missing (apt-get install mythes-id): the mythes family is left out")
    sources = ZooSources(
        lexicon=model.lexicon, wordnet=wordnet, mythes=mythes, neighbours=model.neighbours, vocab=model.vocab
    )
    return sources, notes


@dataclass(frozen=True, slots=True)
class RealPage:
    """One page of ``shared/data/real``: spun (with its ``spin_type``) or a clean look-alike."""

    page_id: str
    kind: str  # a spin_type, or "lookalike"
    text: str


def load_real_pages(data_dir: Path) -> list[RealPage]:
    """The spun pages and the clean look-alikes; empty when the folder is absent."""
    real = data_dir / "real"
    out: list[RealPage] = []
    for name, default_kind in (("spun_pages.jsonl", "spun"), ("clean_lookalikes.jsonl", "lookalike")):
        path = real / name
        if not path.is_file():
            continue
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                rec = json.loads(line)
                kind = str(rec.get("spin_type") or default_kind) if default_kind == "spun" else default_kind
                text = str(rec.get("text") or "")
                if text.strip():
                    out.append(RealPage(str(rec.get("id")), kind, text))
    return out
