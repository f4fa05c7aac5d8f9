"""Zoo tables from real open-source Indonesian spinners: each tool's own synonym table, with provenance.

The tables were converted by :mod:`benchmarks.zoo_tables.convert` from fixed commits of public
repositories (see ``SOURCES.md``; ``sources.json`` holds repository, commit, paths, license and the
tool's behaviour). Only the derived (original, replacement) pairs are kept, never the tools' code.

Example:
    >>> tables = load_tool_tables()
    >>> sorted(tables)[:2]
    ['aidetector_humanizer', 'aiformatter_humanizer']
    >>> t = tables["travelseo_qa"]
    >>> t.behaviour.mode, t.behaviour.scope, t.provenance["license"]
    ('deterministic', 'first', 'GPL-2.0-or-later')
    >>> t.lexicon.n_pairs == t.provenance["n_pairs"]
    True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast, get_args

from despin.errors import ConfigError
from despin.lexicon import SynonymLexicon
from despin.spinner.spinner import Mode

__all__ = ["HERE", "Scope", "ToolBehaviour", "ToolTable", "load_tool_tables"]

HERE = Path(__file__).resolve().parent

Scope = Literal["all", "first"]
RateUnit = Literal["headword", "occurrence"]


@dataclass(frozen=True)
class ToolBehaviour:
    """How a tool applies its table.

    Args:
        mode: ``"deterministic"``: one draw per headword, written for every occurrence on the page (a
            fresh draw on the next page); ``"random"``: a fresh draw at each occurrence.
        scope: ``"all"`` occurrences of a chosen headword, or only the ``"first"``.
        rate: the tool's default probability of spinning, per headword or per occurrence (``rate_unit``).
        rate_unit: what ``rate`` applies to.
        capitalize: probability that a mid-sentence replacement is written capitalised (0.0 for all
            these tools: they copy the original's case instead).
        preserves_case: whether a capitalised (or ALL CAPS) original gives a capitalised replacement.
        multiword: whether the table has phrases on either side.
        notes: the tool's procedure, in words.
    """

    mode: Mode
    scope: Scope
    rate: float
    rate_unit: RateUnit
    capitalize: float
    preserves_case: bool
    multiword: bool
    notes: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolBehaviour:
        checks = (("mode", Mode), ("scope", Scope), ("rate_unit", RateUnit))
        for key, kind in checks:
            if data.get(key) not in get_args(kind):
                raise ConfigError(f"behaviour {key}={data.get(key)!r} is not one of {get_args(kind)}")
        rate, capitalize = float(data["rate"]), float(data["capitalize"])
        if not (0.0 < rate <= 1.0 and 0.0 <= capitalize <= 1.0):
            raise ConfigError(f"behaviour rate {rate} or capitalize {capitalize} is out of range")
        return cls(
            mode=cast(Mode, data["mode"]),
            scope=cast(Scope, data["scope"]),
            rate=rate,
            rate_unit=cast(RateUnit, data["rate_unit"]),
            capitalize=capitalize,
            preserves_case=bool(data["preserves_case"]),
            multiword=bool(data["multiword"]),
            notes=str(data.get("notes", "")),
        )


@dataclass(frozen=True)
class ToolTable:
    """One real tool's table: its name, the lexicon, its provenance record and how the tool uses it."""

    name: str
    lexicon: SynonymLexicon = field(repr=False)
    provenance: Mapping[str, Any] = field(repr=False)
    behaviour: ToolBehaviour


def load_tool_tables(directory: Path = HERE) -> dict[str, ToolTable]:
    """Every table listed in ``directory/sources.json``, keyed by name.

    Raises:
        ConfigError: a listed TSV is missing, malformed, empty, or disagrees with its recorded pair count.
    """
    sources = json.loads((directory / "sources.json").read_text(encoding="utf-8"))
    tables: dict[str, ToolTable] = {}
    for record in sources["tables"]:
        path = directory / record["table"]
        if not path.is_file():
            raise ConfigError(f"{path} is listed in sources.json but missing")
        with open(path, encoding="utf-8") as fh:
            try:
                lexicon = SynonymLexicon.from_rows(line for line in fh if line.strip())
            except ValueError as exc:
                raise ConfigError(f"{path}: not original<TAB>replacement<TAB>weight rows ({exc})") from None
        if lexicon.n_pairs == 0 or lexicon.n_pairs != record["n_pairs"]:
            raise ConfigError(f"{path}: {lexicon.n_pairs} pairs, sources.json says {record['n_pairs']}")
        provenance = MappingProxyType({k: v for k, v in record.items() if k != "behaviour"})
        tables[record["name"]] = ToolTable(
            record["name"], lexicon, provenance, ToolBehaviour.from_dict(record["behaviour"])
        )
    return tables
