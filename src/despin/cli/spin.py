"""``despin spin``: the content-farm simulator, for making test data and demos (one text, or JSONL batches)."""

from __future__ import annotations

import contextlib
import itertools
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from despin.api import SpinOptions
from despin.cli.common import cli, emit_json, one_shot, read_input
from despin.cli.options import dataclass_options


@cli.command("spin")
@click.argument("source", metavar="[FILE|-]", default="-")
@dataclass_options(SpinOptions)
@click.option(
    "--table",
    type=click.Path(dir_okay=False),
    default=None,
    help="Spinner table (TSV observed<TAB>original); the default model's lexicon if omitted.",
)
@click.option("--json", "as_json", is_flag=True, help="Print {text, edits} with the gold edits.")
@click.option(
    "--jsonl",
    is_flag=True,
    help="Read JSON Lines records (or .jsonl.gz, .parquet) and print each with a 'spun' field {text, edits}.",
)
@click.option("--text-field", default="text", show_default=True, help="Record field holding the text (--jsonl).")
@click.option("--skip-bad", is_flag=True, help="Exit 0 even when bad records were rejected (--jsonl).")
@one_shot
def spin_command(
    source: str,
    table: str | None,
    as_json: bool,
    jsonl: bool,
    text_field: str,
    skip_bad: bool,
    **options: Any,
) -> None:
    """Spin a text as a thesaurus spinner would, with gold labels of every edit.

    With --jsonl, every record of the file is spun with one spinner (the table is read once); record
    N's spin is seeded like `despin spin --seed S` with doc=N (its line), so reruns are identical. A bad
    record (malformed JSON, no text) is listed on stderr as FILE:LINE: reason, and the command
    exits 1 unless --skip-bad.

    \b
    Example:
        echo "Rumah itu besar." | despin spin --rate 0.5 --seed 1 --table table.tsv --json
        despin spin pages.jsonl --jsonl --seed 3 > spun.jsonl
    """
    from despin import api

    spin_options = SpinOptions(**options)
    if jsonl:
        if as_json:
            raise click.UsageError("--json and --jsonl are exclusive: --jsonl already prints JSON, one record a line")
        _spin_records(source, spin_options, table=table, text_field=text_field, skip_bad=skip_bad)
        return
    text = read_input(source, batch=f"despin spin {source} --jsonl")
    result = api.spin(text, spin_options, table=table)
    if as_json:
        emit_json(result.to_dict())
    else:
        click.echo(result.text, nl=not result.text.endswith("\n"))


@contextlib.contextmanager
def _records_file(source: str) -> Iterator[Path]:
    """``source`` as a file the readers can open: stdin is spooled to a temporary .jsonl file."""
    if source != "-":
        path = Path(source)
        if not path.is_file():
            raise click.BadParameter(f"{source}: no such file", param_hint="FILE")
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="despin-spin-") as tmp:
        path = Path(tmp) / "stdin.jsonl"
        with open(path, "wb") as fh:
            shutil.copyfileobj(sys.stdin.buffer, fh)
        yield path


def _spin_records(source: str, options: SpinOptions, *, table: str | None, text_field: str, skip_bad: bool) -> None:
    from despin import api
    from despin.cli.records import Rejects, read_documents
    from despin.pipeline.writers import dumps_record

    rejects = Rejects()
    n = 0
    with _records_file(source) as path:
        # Three views of one lazy stream, consumed in step: memory holds a record or two, not the file.
        texts, lines, docs = itertools.tee(read_documents(path, rejects, text_field=text_field), 3)
        spins = api.spin_batch((d.text for d in texts), options, table=table, docs=(d.line for d in lines))
        out = sys.stdout.buffer
        for doc, spun in zip(docs, spins, strict=True):
            out.write(dumps_record({**doc.record, "spun": spun.to_dict()}, lenient=doc.lenient_json) + b"\n")
            n += 1
        out.flush()
        if source == "-":  # name stdin in the rejects, not the temporary file
            rejects.items = [(p.replace(str(path), "<stdin>", 1), r) for p, r in rejects.items]
    click.echo(f"spun {n:,} records, rejected {len(rejects):,}", err=True)
    rejects.report(skip_bad=skip_bad)
