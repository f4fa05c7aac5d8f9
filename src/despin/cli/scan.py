"""``despin scan``: detect (restore, trace, filter) over JSONL/Parquet shards, resumably."""

from __future__ import annotations

import os
from typing import Any, Literal, cast

import click

from despin.batch.options import ScanOptions
from despin.cli.common import cli, existing_inputs
from despin.cli.options import dataclass_options, executor_options


def local_dir_or_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An output directory: an fsspec URL, or a local path that is not a file."""
    from despin.pipeline.fs import is_remote, local_path

    if not is_remote(value) and os.path.isfile(local_path(value)):
        raise click.BadParameter(f"Directory {value!r} is a file.", ctx=ctx, param=param)
    return value


@cli.command("scan")
@click.argument("inputs", nargs=-1, required=True, callback=existing_inputs)
@click.option(
    "-o",
    "--out-dir",
    required=True,
    callback=local_dir_or_url,
    help="Output directory: a local path or an fsspec URL (s3://, gs://, hf://, memory://).",
)
@dataclass_options(ScanOptions)
@executor_options
def scan_command(
    inputs: tuple[str, ...],
    out_dir: str,
    workers: int | None,
    executor: str,
    ray_address: str | None,
    **options: Any,
) -> None:
    """Scan JSONL, JSONL.gz and Parquet shards (or directories of them) for spun documents.

    INPUTS and OUT_DIR are local paths or fsspec URLs (s3://bucket/crawl/, gs://, hf://; see
    docs/scaling.md for what holds on object stores).

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
    if options["group_by"] is not None and options["table"] is not None:
        raise click.UsageError("--group-by learns a table per group: drop --table")
    from despin.batch.scan import scan

    stats = scan(
        list(inputs),
        out_dir,
        ScanOptions(**options),
        workers=workers,
        executor=cast(Literal["local", "ray"], executor),
        ray_address=ray_address,
    )
    click.echo(stats.summary(), err=True)
