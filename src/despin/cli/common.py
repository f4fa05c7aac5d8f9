"""Shared CLI plumbing: the group, input reading with clear errors, and JSON output.

Commands are imported when they run, not when ``despin`` starts: :data:`COMMANDS` names the module
that defines each one (the module registers it on :data:`cli` with ``@cli.command``), and
``despin --help`` reads their one-line summaries from the modules' source without importing them.
Adding a command is one line in :data:`COMMANDS`. A command module imports only click and this
module at its top; what a command needs (the model, the pipeline, numpy) it imports in its body.
"""

from __future__ import annotations

import ast
import functools
import gc
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import IO, Any, TypeVar

import click
import orjson

from despin._version import __version__
from despin.errors import DespinError, InputError
from despin.textio import MAX_CHARS, check_text, decode_text

MAX_INPUT_BYTES = 20 * 1024 * 1024


# command name -> "module:function" that defines it
COMMANDS: dict[str, str] = {
    "build-model": "despin.cli.core:build_model",
    "dedup": "despin.cli.dedup:dedup_command",
    "detect": "despin.cli.core:detect",
    "index": "despin.cli.index:index_group",
    "learn": "despin.cli.learn:learn_command",
    "restore": "despin.cli.core:restore",
    "scan": "despin.cli.scan:scan_command",
    "serve": "despin.cli.serve:serve",
    "spin": "despin.cli.spin:spin_command",
    "trace": "despin.cli.index:trace_command",
}


@cache
def docstring(target: str) -> str:
    """The docstring of ``module:function``, read from the module's source (nothing is imported)."""
    module, function = target.split(":")
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return ""
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return ast.get_docstring(node) or ""
    return ""


def _module_exists(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


class DespinGroup(click.Group):
    """Loads each command on first use (see :data:`COMMANDS`), and turns every :class:`DespinError` into a
    one-line message and exit code 1, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        present = {name for name, target in COMMANDS.items() if _module_exists(target.split(":")[0])}
        return sorted({*self.commands, *present})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS and _module_exists(COMMANDS[cmd_name].split(":")[0]):
            importlib.import_module(COMMANDS[cmd_name].split(":")[0])  # registers it on ``cli``
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(n) for n in names), default=0)  # as click.Group does
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                rows.append((name, loaded.get_short_help_str(limit)))
            elif name in COMMANDS:
                summary = click.Command(name, help=docstring(COMMANDS[name])).get_short_help_str(limit)
                rows.append((name, summary))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DespinError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=DespinGroup)
@click.version_option(__version__, prog_name="despin")
def cli() -> None:
    """Find machine-spun Indonesian text, restore what it said, and trace it to its source."""


F = TypeVar("F", bound=Callable[..., Any])


def _own_process() -> bool:
    """Whether this process is the ``despin`` command itself (not a test runner or a host program)."""
    argv0 = sys.argv[0] if sys.argv else ""
    return Path(argv0).name == "despin" or argv0.endswith(("despin/__main__.py", "despin" + os.sep + "__main__.py"))


def one_shot(command: F) -> F:
    """For commands that handle one text and end (``detect``, ``restore``, ``spin``, ``trace``).

    Loading the model builds millions of small objects; the cyclic garbage collector would walk them
    again and again, and the interpreter would free them one by one at exit (together about 0.2 s of
    CPU, a quarter of such a command). So the collector is paused while the command runs, and when
    this process is the ``despin`` command itself it ends at once once its output is flushed, leaving
    the memory to the operating system. Inside another program (tests, a notebook) only the pause applies.
    """

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            result = command(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()
        if _own_process():
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        return result

    return run  # type: ignore[return-value]


def existing_inputs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """Input files that may be fsspec URLs: a local one (or ``file://`` URL) must exist, as with
    ``click.Path(exists=True)``; a URL is checked when it is read."""
    from despin.pipeline.fs import is_remote, local_path

    for value in values:
        if not is_remote(value) and not os.path.exists(local_path(value)):
            raise click.BadParameter(f"Path {value!r} does not exist.", ctx=ctx, param=param)
    return values


def output_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An output file that may be an fsspec URL: a local one must not be a directory."""
    from despin.pipeline.fs import is_remote, local_path

    if value is not None and not is_remote(value) and os.path.isdir(local_path(value)):
        raise click.BadParameter(f"File {value!r} is a directory.", ctx=ctx, param=param)
    return value


def read_input(source: str, *, max_bytes: int = MAX_INPUT_BYTES, batch: str | None = None) -> str:
    """Read FILE or ``-`` (stdin) as UTF-8 text; empty, binary, invalid or oversized input is an InputError.

    Oversized means over ``max_bytes`` bytes, or over the API's ``MAX_CHARS`` characters (checked here
    too, so that the error names the file). A file of records (Parquet, or JSON Lines: every line a
    JSON object) is refused too: scored as prose, its JSON would look spun. Both errors name the
    command for a corpus: ``batch`` (``despin scan FILE -o OUT`` when None).
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
    use = batch or f"despin scan {source if source != '-' else 'FILE'} -o OUT"
    kind = records_kind(data, name=name)
    if kind is not None:
        raise InputError(
            f"{name} is a {kind} file of records, not one text (its JSON would be scored as prose); "
            f"for records use `{use}` (--text-field names the field holding the text)"
        )
    try:
        return check_text(decode_text(data, name=name, max_bytes=max_bytes), name=name, max_chars=MAX_CHARS)
    except InputError as exc:
        if len(data) > max_bytes or "over the" in str(exc):
            raise InputError(
                f"{exc}; one text is at most that, a corpus goes through `{use}` one record at a time"
            ) from None
        raise


def records_kind(data: bytes, *, name: str = "", lines: int = 20) -> str | None:
    """``"Parquet"`` or ``"JSON Lines"`` (gzip-compressed or not) when ``data`` is a file of records, else None.

    JSON Lines: its first ``lines`` non-blank lines (all of them, if fewer) are each a JSON object; a
    gzip stream counts when the file is named like one (``.jsonl.gz``, ``.ndjson.gz``, ``.json.gz``).

    Example:
        >>> records_kind(b'{"id": 1, "text": "Harga naik."}\\n{"id": 2, "text": "Banjir."}\\n')
        'JSON Lines'
        >>> records_kind(b"Harga cabai naik {kata pedagang}.") is None
        True
    """
    if data[:4] == b"PAR1":
        return "Parquet"
    if data[:2] == b"\x1f\x8b" and name.lower().endswith((".jsonl.gz", ".ndjson.gz", ".json.gz")):
        return "gzip-compressed JSON Lines"
    if data.lstrip()[:1] != b"{":
        return None
    parts = data.split(b"\n", lines)  # the first lines, and the rest in one piece
    seen = 0
    for raw in parts[:lines] if len(parts) > lines else parts:
        if not raw.strip():
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(value, dict):
            return None
        seen += 1
        if seen >= lines:
            break
    return "JSON Lines" if seen else None


def emit_json(obj: Any) -> None:
    """Print one JSON object on stdout (UTF-8, not ASCII-escaped)."""
    click.echo(orjson.dumps(obj).decode())
