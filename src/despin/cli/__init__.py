"""The ``despin`` command line. Each submodule registers the commands of one API area."""

from __future__ import annotations

from despin.cli.common import cli

# Importing the submodules registers their commands on ``cli``.
from despin.cli import core, index, scan, serve, spin  # noqa: E402,F401,I001

__all__ = ["cli"]
