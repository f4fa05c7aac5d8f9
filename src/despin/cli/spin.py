"""``despin spin``: the content-farm simulator, for making test data and demos."""

from __future__ import annotations

import click

from despin import api
from despin.cli.common import cli, emit_json, read_input


@cli.command("spin")
@click.argument("source", metavar="[FILE|-]", default="-")
@click.option(
    "--rate",
    type=click.FloatRange(0.0, 1.0),
    default=0.15,
    show_default=True,
    help="Share of word tokens to substitute.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random choice.")
@click.option(
    "--table",
    type=click.Path(dir_okay=False),
    default=None,
    help="Spinner table (TSV observed<TAB>original); the default model's lexicon if omitted.",
)
@click.option(
    "--mode",
    type=click.Choice(["random", "deterministic"]),
    default="random",
    show_default=True,
    help="Draw a replacement at each site, or always the same one per word.",
)
@click.option(
    "--capitalize",
    type=click.FloatRange(0.0, 1.0),
    default=0.25,
    show_default=True,
    help="Probability of a capital letter on a mid-sentence replacement.",
)
@click.option(
    "--repeat",
    type=click.FloatRange(0.0, 1.0),
    default=0.02,
    show_default=True,
    help="Probability, per word, of an accidental repeat.",
)
@click.option("--footer/--no-footer", default=True, show_default=True, help="Append a source footer.")
@click.option("--outlet", default=None, help="Outlet named in the footer (a seeded pick if omitted).")
@click.option("--json", "as_json", is_flag=True, help="Print {text, edits} with the gold edits.")
def spin_command(
    source: str,
    rate: float,
    seed: int,
    table: str | None,
    mode: str,
    capitalize: float,
    repeat: float,
    footer: bool,
    outlet: str | None,
    as_json: bool,
) -> None:
    """Spin a text as a thesaurus spinner would, with gold labels of every edit.

    \b
    Example:
        echo "Rumah itu besar." | despin spin --rate 0.5 --seed 1 --table table.tsv --json
    """
    text = read_input(source)
    result = api.spin(
        text,
        table=table,
        rate=rate,
        seed=seed,
        mode=mode,
        capitalize=capitalize,
        repeat=repeat,
        footer=footer,
        outlet=outlet,
    )
    if as_json:
        emit_json(result.to_dict())
    else:
        click.echo(result.text, nl=not result.text.endswith("\n"))
