"""Click options made from an options dataclass (``ScanOptions``, ``SpinOptions``): one flag per field.

The field's metadata holds the help text and, where the default does not say it, how the flag is
spelled: ``flag`` (another name), ``choices``, ``range`` (inclusive bounds), ``min``, ``path``
(``"file"`` or ``"dir"``). A field without help text is not a flag. The command then receives the
fields as keyword arguments and builds the dataclass from them, so an option is written once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import MISSING, fields
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def _flag_type(meta: dict[str, Any], default: Any) -> Any:
    if "choices" in meta:
        return click.Choice(list(meta["choices"]))
    if "range" in meta:
        lo, hi = meta["range"]
        return click.IntRange(lo, hi) if isinstance(default, int) else click.FloatRange(lo, hi)
    if "min" in meta:
        return click.IntRange(min=meta["min"])
    if meta.get("path") == "file":
        return click.Path(exists=True, dir_okay=False)
    if meta.get("path") == "dir":
        return click.Path(exists=True, file_okay=False)
    if isinstance(default, int):
        return int
    if isinstance(default, float):
        return float
    return str


def dataclass_options(cls: type, *, exclude: Iterable[str] = ()) -> Callable[[F], F]:
    """A decorator adding one click option per documented field of the dataclass ``cls``.

    Example:
        >>> from despin.api import SpinOptions
        >>> @click.command()
        ... @dataclass_options(SpinOptions, exclude=("outlet",))
        ... def show(**options: object) -> None:
        ...     click.echo(SpinOptions(**options).rate)
        >>> from click.testing import CliRunner
        >>> CliRunner().invoke(show, ["--rate", "0.4"]).output
        '0.4\\n'
    """
    skip = set(exclude)

    def decorate(command: F) -> F:
        for f in reversed(fields(cls)):
            meta = dict(f.metadata)
            if f.name in skip or "help" not in meta:
                continue
            default = f.default if f.default is not MISSING else None
            flag = meta.get("flag", "--" + f.name.replace("_", "-"))
            if isinstance(default, bool):  # --flag, or --flag/--no-flag when it is on by default
                decl = f"{flag}/--no-{flag[2:]}" if default else flag
                switch = click.option(
                    decl, f.name, is_flag=True, default=default, show_default=default, help=meta["help"]
                )
                command = switch(command)
                continue
            command = click.option(
                flag,
                f.name,
                type=_flag_type(meta, default),
                default=default,
                show_default=default is not None,
                help=meta["help"],
            )(command)
        return command

    return decorate


# How a corpus job (scan, dedup) runs: the command receives ``workers``, ``executor`` and ``ray_address``.
_EXECUTOR_OPTIONS = (
    click.option("--workers", type=click.IntRange(min=1), help="Parallel workers [default: 1; Ray: all CPUs]."),
    click.option(
        "--executor",
        type=click.Choice(["local", "ray"]),
        default="local",
        show_default=True,
        help="Run tasks in local processes or on a Ray cluster.",
    ),
    click.option("--ray-address", help="Ray cluster to join, e.g. auto or ray://head:10001 (with --executor ray)."),
)


def executor_options(command: F) -> F:
    """Add ``--workers``, ``--executor`` and ``--ray-address`` (in that order in ``--help``)."""
    for option in reversed(_EXECUTOR_OPTIONS):
        command = option(command)
    return command
