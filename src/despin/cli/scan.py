"""``despin scan``: detect (restore, trace, filter) over JSONL/Parquet shards, resumably."""

from __future__ import annotations

from typing import Literal, cast

import click

from despin.cli.common import cli


@cli.command("scan")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--out-dir", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--restore", is_flag=True, help="Also restore the original wording (adds restored, edits).")
@click.option("--index", type=click.Path(exists=True, dir_okay=False), help="Trace sources in this index.")
@click.option("--text-field", default="text", show_default=True, help="Record field holding the text.")
@click.option("--id-field", default="id", show_default=True, help="Record field holding the document id.")
@click.option("--filter", "keep", type=click.Choice(["spun", "clean"]), help="Write only these documents.")
@click.option("--min-score", type=click.FloatRange(0, 1), help="Write only documents scoring at least this.")
@click.option("--workers", type=click.IntRange(min=1), help="Parallel workers [default: 1; Ray: all CPUs].")
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Run tasks in local processes or on a Ray cluster.",
)
@click.option("--ray-address", help="Ray cluster to join, e.g. auto or ray://head:10001 (with --executor ray).")
@click.option("--model", type=click.Path(exists=True, file_okay=False), help="Model bundle directory.")
@click.option(
    "--table", type=click.Path(exists=True, dir_okay=False), help="Learned spinner table (for detect and restore)."
)
def scan_command(
    inputs: tuple[str, ...],
    out_dir: str,
    restore: bool,
    index: str | None,
    text_field: str,
    id_field: str,
    keep: str | None,
    min_score: float | None,
    workers: int | None,
    executor: str,
    ray_address: str | None,
    model: str | None,
    table: str | None,
) -> None:
    """Scan JSONL, JSONL.gz and Parquet shards (or directories of them) for spun documents.

    Writes one output shard per input shard under OUT_DIR (same name, format and compression),
    each record with a "despin" field; bad records go to OUT_DIR/rejects/, counts to
    OUT_DIR/stats.json. Rerunning the same command resumes: finished shards are skipped.

    \b
    Example:
        despin scan corpus/ -o scanned/ --restore --workers 2
        despin scan crawl/*.parquet -o out/ --filter spun --executor ray --ray-address auto
    """
    if ray_address is not None and executor != "ray":
        raise click.UsageError("--ray-address needs --executor ray")
    from despin.batch import scan

    stats = scan(
        list(inputs),
        out_dir,
        text_field=text_field,
        id_field=id_field,
        restore=restore,
        index=index,
        keep=cast(Literal["spun", "clean"] | None, keep),
        min_score=min_score,
        model=model,
        table=table,
        workers=workers,
        executor=cast(Literal["local", "ray"], executor),
        ray_address=ray_address,
    )
    click.echo(stats.summary(), err=True)
