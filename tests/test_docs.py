"""Every command and every public name is documented (the sqlite-utils idea)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import despin
from despin.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # loads each lazily registered command
        cmd = group.get_command(ctx, name)
        assert cmd is not None, f"`despin {prefix}{name}` is listed but does not load"
        full = f"{prefix}{name}"
        out.append((full, cmd))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, full + " "))
    return out


@pytest.mark.parametrize(("name", "command"), _commands(cli), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_help_and_is_documented(name: str, command: click.Command) -> None:
    assert command.help and len(command.help) > 20, f"`despin {name}` has no real help text"
    assert f"despin {name}" in DOCS, f"`despin {name}` is not mentioned in README.md or docs/"
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


@pytest.mark.parametrize("name", sorted(set(despin.__all__) - {"__version__"}))
def test_public_names_have_docstrings(name: str) -> None:
    assert getattr(despin, name).__doc__, f"despin.{name} has no docstring"
