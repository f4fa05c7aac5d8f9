"""despin: find machine-spun Indonesian text, restore what it said, and trace it to its source."""

__version__ = "0.1.0"

from despin.api import detect, load_model, restore  # noqa: E402
from despin.types import (  # noqa: E402
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
    "Restoration",
    "SourceMatch",
    "Span",
    "Spin",
    "SpinEdit",
    "Substitution",
    "TraceResult",
    "__version__",
    "detect",
    "load_model",
    "restore",
]
