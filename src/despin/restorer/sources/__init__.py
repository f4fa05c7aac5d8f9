"""Candidate sources of the reverse channel; importing the package registers the built-in ones."""

from despin.restorer.sources import case, lexicon, lm_fill, neighbours, spelling, table, two_hop
from despin.restorer.sources.base import (
    Candidate,
    CandidateKind,
    CandidateSource,
    SourceResources,
    build_sources,
    register_source,
    registered_kinds,
)

__all__ = [
    "Candidate",
    "CandidateKind",
    "CandidateSource",
    "SourceResources",
    "build_sources",
    "case",
    "lexicon",
    "lm_fill",
    "neighbours",
    "register_source",
    "registered_kinds",
    "spelling",
    "table",
    "two_hop",
]
