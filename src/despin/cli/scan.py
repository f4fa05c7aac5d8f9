"""``despin scan``: detect (restore, trace, filter) over JSONL/Parquet shards, resumably."""

from __future__ import annotations

from typing import Literal, cast

import click

from despin.batch.groups import GROUP_TASKS, MIN_GROUP_PAGES
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
@click.option(
    "--group-by",
    help="Learn a spinner table per group and restore each record with its own: 'host' (the URL's host) or a field.",
)
@click.option("--url-field", default="url", show_default=True, help="Record field holding the URL (--group-by host).")
@click.option(
    "--min-group-pages",
    type=click.IntRange(min=1),
    default=MIN_GROUP_PAGES,
    show_default=True,
    help="Smaller groups get an empty table.",
)
@click.option(
    "--group-tasks",
    type=click.IntRange(min=1),
    default=GROUP_TASKS,
    show_default=True,
    help="Table-learning tasks the groups are shared among.",
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
    group_by: str | None,
    url_field: str,
    min_group_pages: int,
    group_tasks: int,
) -> None:
    """Scan JSONL, JSONL.gz and Parquet shards (or directories of them) for spun documents.

    Writes one output shard per input shard under OUT_DIR (same name, format and compression),
    each record with a "despin" field; bad records go to OUT_DIR/rejects/, counts to
    OUT_DIR/stats.json. Rerunning the same command resumes: finished shards are skipped.

    \b
    Example:
        despin scan corpus/ -o scanned/ --restore --workers 2
        despin scan crawl/*.parquet -o out/ --filter spun --executor ray --ray-address auto
        despin scan crawl/ -o out/ --restore --group-by host   # one learned table per site

    With --group-by, each group's pages are deciphered together (despin learn --unsupervised) and
    every record is restored with its own group's table; OUT_DIR/groups.json lists each group's
    verdict and OUT_DIR/tables/ its table.
    """
    if ray_address is not None and executor != "ray":
        raise click.UsageError("--ray-address needs --executor ray")
    if group_by is not None and table is not None:
        raise click.UsageError("--group-by learns a table per group: drop --table")
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
        group_by=group_by,
        url_field=url_field,
        min_group_pages=min_group_pages,
        group_tasks=group_tasks,
        workers=workers,
        executor=cast(Literal["local", "ray"], executor),
        ray_address=ray_address,
    )
    click.echo(stats.summary(), err=True)
