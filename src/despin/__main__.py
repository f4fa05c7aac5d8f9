"""``python -m despin`` runs the CLI."""

from despin.cli import cli

cli(prog_name="despin")
