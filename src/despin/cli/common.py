"""Shared CLI plumbing: the group, input reading with clear errors, and JSON output."""

from __future__ import annotations

import sys
from typing import IO, Any

import click
import orjson

from despin._version import __version__
from despin.errors import DespinError
from despin.textio import MAX_CHARS, check_text, decode_text

MAX_INPUT_BYTES = 20 * 1024 * 1024


class DespinGroup(click.Group):
    """Turns every :class:`DespinError` into a one-line message and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DespinError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=DespinGroup)
@click.version_option(__version__, prog_name="despin")
def cli() -> None:
    """Find machine-spun Indonesian text, restore what it said, and trace it to its source."""


def read_input(source: str, *, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """Read FILE or ``-`` (stdin) as UTF-8 text; empty, binary, invalid or oversized input is an InputError.

    Oversized means over ``max_bytes`` bytes, or over the API's ``MAX_CHARS`` characters (checked here
    too, so that the error names the file).
    """
    if source == "-":
        stream: IO[bytes] = sys.stdin.buffer
        data = stream.read(max_bytes + 1)
        name = "<stdin>"
    else:
        try:
            with open(source, "rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise click.BadParameter(f"cannot read {source}: {exc.strerror}", param_hint="FILE") from exc
        name = source
    return check_text(decode_text(data, name=name, max_bytes=max_bytes), name=name, max_chars=MAX_CHARS)


def emit_json(obj: Any) -> None:
    """Print one JSON object on stdout (UTF-8, not ASCII-escaped)."""
    click.echo(orjson.dumps(obj).decode())
