"""What the options dataclasses share (``SpinOptions``, ``ScanOptions``): flag metadata and keyword overrides.

Example:
    >>> from dataclasses import dataclass, field
    >>> @dataclass(frozen=True)
    ... class Knobs:
    ...     rate: float = field(default=0.1, metadata=flag("How often.", range=(0.0, 1.0)))
    >>> with_overrides(Knobs, None, {"rate": 0.5}, what="knob")
    Knobs(rate=0.5)
    >>> with_overrides(Knobs, None, {"rates": 0.5}, what="knob")
    Traceback (most recent call last):
    ...
    TypeError: unknown knob option(s) rates; Knobs has rate
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, TypeVar

T = TypeVar("T")


def flag(help: str, **cli: Any) -> dict[str, Any]:  # noqa: A002 - the name click uses
    """Field metadata: the help text, and how the CLI spells the option (``flag``, ``choices``, ``range``,
    ``min``, ``path``; see :func:`despin.cli.options.dataclass_options`). A field without it is not a flag."""
    return {"help": help, **cli}


def with_overrides(cls: type[T], options: T | None, overrides: Mapping[str, Any], *, what: str) -> T:
    """``options`` (the defaults when None) with ``overrides`` applied; a name that is no field is a TypeError."""
    known = cls.__dataclass_fields__  # type: ignore[attr-defined]
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise TypeError(f"unknown {what} option(s) {', '.join(unknown)}; {cls.__name__} has {', '.join(known)}")
    return replace(options if options is not None else cls(), **overrides)  # type: ignore[type-var]
