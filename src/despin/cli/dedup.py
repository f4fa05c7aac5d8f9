"""``despin dedup``: find the spun copies inside a corpus, link each to its source, judge whole sites."""

from __future__ import annotations

from typing import Literal, cast

import click

from despin.cli.common import cli
from despin.cli.options import executor_options
from despin.duplicates.options import DedupOptions, Keep

_D = DedupOptions()


@cli.command("dedup")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--out-dir", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option("--text-field", default=_D.text_field, show_default=True, help="Record field holding the text.")
@click.option("--id-field", default=_D.id_field, show_default=True, help="Record field holding the document id.")
@click.option(
    "--url-field", default=_D.url_field, show_default=True, help="Record field holding the URL (its host is the site)."
)
@click.option(
    "--date-field", help="Record field holding the publication date: the earlier page of a pair is the source."
)
@click.option(
    "--keep",
    type=click.Choice([k.value for k in Keep]),
    default=_D.keep.value,
    show_default=True,
    help="'sources': write only sources and unique pages, nothing judged a copy.",
)
@executor_options
@click.option("--model", type=click.Path(exists=True, file_okay=False), help="Model bundle directory.")
@click.option(
    "--bucket-tasks",
    type=click.IntRange(min=1),
    default=_D.bucket_tasks,
    show_default=True,
    help="Tasks of the band stage.",
)
def dedup_command(
    inputs: tuple[str, ...],
    out_dir: str,
    text_field: str,
    id_field: str,
    url_field: str,
    date_field: str | None,
    keep: str,
    workers: int | None,
    executor: str,
    ray_address: str | None,
    model: str | None,
    bucket_tasks: int,
) -> None:
    """Find the copies (spun or verbatim) inside JSONL, JSONL.gz and Parquet shards and link each to its source.

    Writes one output shard per input shard under OUT_DIR (same name, format and compression),
    each record with a "despin" field {cluster, copy_of, relation, score, coverage, substitutions,
    spun_score, is_spun}; OUT_DIR/hosts.jsonl judges every host (a farm's learned table goes to
    OUT_DIR/tables/); bad records go to OUT_DIR/rejects/, counts to OUT_DIR/stats.json.
    Rerunning the same command resumes.

    \b
    Example:
        despin dedup crawl/ -o out/ --keep sources
        despin dedup crawl/*.parquet -o out/ --date-field date --executor ray --ray-address auto
    """
    if ray_address is not None and executor != "ray":
        raise click.UsageError("--ray-address needs --executor ray")
    from despin.api import dedup

    options = DedupOptions(
        text_field=text_field,
        id_field=id_field,
        url_field=url_field,
        date_field=date_field,
        keep=Keep(keep),
        bucket_tasks=bucket_tasks,
    )
    stats = dedup(
        list(inputs),
        out_dir,
        options=options,
        model=model,
        workers=workers,
        executor=cast(Literal["local", "ray"], executor),
        ray_address=ray_address,
    )
    click.echo(stats.summary(), err=True)
