"""despin: find machine-spun Indonesian text, restore what it said, and trace it to its source.

The public API is a flat set of verbs and the types they return. The packages that implement them
have other names (``despin.detector``, ``despin.restorer``, ``despin.tracer``, ``despin.spinner``,
``despin.tables``), so ``despin.restore`` is always the verb and never shadows a module.
"""

from despin._version import __version__
from despin.api import dedup, detect, learn, learn_site, load_model, restore, spin, trace
from despin.batch.scan import ScanStats, scan
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

__all__ = [
    "Detection",
    "Edit",
    "Footer",
    "Index",
    "Restoration",
    "ScanStats",
    "SourceMatch",
    "Span",
    "Spin",
    "SpinEdit",
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
