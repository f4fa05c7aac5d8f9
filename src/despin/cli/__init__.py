"""The ``despin`` command line. Each submodule registers the commands of one API area."""

from __future__ import annotations

# Importing the submodules registers their commands on ``cli``.
from despin.cli import core, dedup, index, learn, scan, serve, spin  # noqa: E402,F401,I001
from despin.cli.common import cli

__all__ = ["cli"]
