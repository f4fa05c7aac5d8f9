"""despin: find machine-spun Indonesian text, restore what it said, and trace it to its source."""

__version__ = "0.1.0"

# The verbs share their names with the core subpackages (despin.detect, despin.restore,
# despin.trace, despin.spin). Importing a subpackage binds its name on this package, so we import
# them all first and bind the API functions last: ``despin.restore(text)`` is then the verb, while
# ``import despin.restore.restorer`` and ``from despin.restore import apply_edits`` keep working.
import despin.detect
import despin.restore
import despin.spin
import despin.trace  # noqa: F401
from despin.api import detect, load_model, restore, spin, trace  # noqa: E402
from despin.pipeline.scan import ScanStats, scan  # noqa: E402
from despin.trace import Index  # noqa: E402
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
    "detect",
    "load_model",
    "restore",
    "scan",
    "spin",
    "trace",
]
