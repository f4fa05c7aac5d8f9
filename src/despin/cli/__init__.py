"""The ``despin`` command line. Each submodule registers the commands of one API area; they are
imported when a command runs (see :data:`despin.cli.common.COMMANDS`), so start-up stays fast."""

from __future__ import annotations

from despin.cli.common import COMMANDS, cli

__all__ = ["COMMANDS", "cli"]
