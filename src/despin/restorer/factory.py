"""One place that assembles a restorer from its parts: the sources, the candidate set, the edit model and the LM."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from despin.lexicon import SynonymLexicon
from despin.lm.base import LanguageModel
from despin.restorer.edit_model import EditModel
from despin.restorer.first_stage import FirstStage
from despin.restorer.lattice import LatticeBuilder
from despin.restorer.relatedness import Relatedness
from despin.restorer.restorer import DecodeConfig, Restorer
from despin.restorer.sources import SourceResources, build_sources
from despin.restorer.sources.base import CandidateKind
from despin.restorer.sources.set import CandidateSet

if TYPE_CHECKING:
    from despin.lm.fills import SlotFiller
    from despin.restorer.slang import SpellingChannel


def build_restorer(
    lm: LanguageModel,
    lexicon: SynonymLexicon,
    vocab: Mapping[str, int],
    *,
    edit_model: EditModel | None = None,
    first_stage: FirstStage | None = None,
    table: SynonymLexicon | None = None,
    neighbours: Mapping[str, Sequence[str]] | None = None,
    spelling: SpellingChannel | None = None,
    filler: SlotFiller | None = None,
    case_share: Mapping[str, tuple[float, float]] | None = None,
    relatedness: Mapping[str, float] | None = None,
    kinds: tuple[CandidateKind, ...] | None = None,
    config: DecodeConfig | None = None,
) -> Restorer:
    """A restorer over these resources; ``kinds`` picks the candidate sources (every registered one by default).

    Example:
        >>> from despin.lm import FakeLM
        >>> lex = SynonymLexicon.from_pairs([("besar", "agung")])
        >>> r = build_restorer(FakeLM(), lex, {"besar": 50, "agung": 5})
        >>> r.restore("Rumah itu agung.").n_words
        3
    """
    resources = SourceResources(
        lexicon=lexicon,
        vocab=vocab,
        table=table,
        neighbours=neighbours or {},
        spelling=spelling,
        filler=filler,
    )
    wide = SourceResources(**{**resources.__dict__, "wide": True})
    candidates = CandidateSet(build_sources(resources, kinds), build_sources(wide, kinds), vocab=vocab, lexicon=lexicon)
    builder = LatticeBuilder(
        lm,
        candidates,
        edit_model or EditModel(),
        vocab=vocab,
        case_share=case_share or {},
        relatedness=Relatedness.of(resources, relatedness),
    )
    return Restorer(lm, builder, first_stage=first_stage, config=config)
