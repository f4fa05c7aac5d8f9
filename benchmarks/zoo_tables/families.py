"""Spinner families made from the real tools' tables: spinners whose tables despin never trained on.

Each tool table (:func:`benchmarks.zoo_tables.load_tool_tables`) becomes a zoo family that applies it
as the tool does: one draw per headword for the whole page or a fresh draw at each occurrence, at the
tool's default rate, copying the original's case. A tool that spins only a headword's first
occurrence is simulated at every occurrence (the zoo's spinner has no first-only mode), which makes
its pages a little easier, never harder.
"""

from __future__ import annotations

from benchmarks.zoo_tables import load_tool_tables
from despin.spinner.zoo import SpinnerFamily


def tool_families() -> dict[str, SpinnerFamily]:
    """One family per tool table, named ``tool_<table>``."""
    out: dict[str, SpinnerFamily] = {}
    for name, tool in sorted(load_tool_tables().items()):
        b = tool.behaviour
        out[f"tool_{name}"] = SpinnerFamily(
            f"tool_{name}",
            tool.lexicon,
            f"tool:{name}",
            mode=b.mode,
            rate=b.rate,
            capitalize=b.capitalize,
            description=f"{tool.provenance.get('repo', name)}: {b.notes[:80]}",
        )
    return out
