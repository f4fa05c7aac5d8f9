"""despin: find machine-spun Indonesian text, restore what it said, and trace it to its source.

The public API is a flat set of verbs and the types they return. The packages that implement them
have other names (``despin.detector``, ``despin.restorer``, ``despin.tracer``, ``despin.spinner``,
``despin.tables``), so ``despin.restore`` is always the verb and never shadows a module.

Names are imported on first use (PEP 562), so ``import despin`` and ``despin --help`` stay fast: a
verb pulls in only what it needs. To export a new name, add one line to :data:`_EXPORTS`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from despin._version import __version__

if TYPE_CHECKING:
    from despin.api import SpinOptions, dedup, detect, learn, learn_site, load_model, restore, spin, trace
    from despin.batch.options import ScanOptions
    from despin.batch.scan import ScanStats, scan
    from despin.tables.table import SpinnerTable
    from despin.tracer import Index
    from despin.types import (
        Detection,
        Edit,
        Footer,
        Restoration,
        SourceMatch,
        Span,
        Spin,
        SpinEdit,
        Substitution,
        TraceResult,
    )

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "dedup": "despin.api",
    "detect": "despin.api",
    "learn": "despin.api",
    "learn_site": "despin.api",
    "load_model": "despin.api",
    "restore": "despin.api",
    "spin": "despin.api",
    "trace": "despin.api",
    "SpinOptions": "despin.api",
    "scan": "despin.batch.scan",
    "ScanOptions": "despin.batch.options",
    "ScanStats": "despin.batch.scan",
    "SpinnerTable": "despin.tables.table",
    "Index": "despin.tracer",
    "Detection": "despin.types",
    "Edit": "despin.types",
    "Footer": "despin.types",
    "Restoration": "despin.types",
    "SourceMatch": "despin.types",
    "Span": "despin.types",
    "Spin": "despin.types",
    "SpinEdit": "despin.types",
    "Substitution": "despin.types",
    "TraceResult": "despin.types",
}

# the same names, spelled out for type checkers and linters (a test keeps the two in step)
__all__ = [
    "Detection",
    "Edit",
    "Footer",
    "Index",
    "Restoration",
    "ScanOptions",
    "ScanStats",
    "SourceMatch",
    "Span",
    "Spin",
    "SpinEdit",
    "SpinOptions",
    "SpinnerTable",
    "Substitution",
    "TraceResult",
    "__version__",
    "dedup",
    "detect",
    "learn",
    "learn_site",
    "load_model",
    "restore",
    "scan",
    "spin",
    "trace",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'despin' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
