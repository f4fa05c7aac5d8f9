"""``despin index add|stats`` and ``despin trace``: the reference index and its uses (``despin learn`` is in learn.py).

Bad input records are never dropped silently: each is reported on stderr as ``FILE:LINE: reason``
and counted. The good records are still added (or learned from); the command then exits 1 unless
``--skip-bad`` is given. The printed counts always add up: ``read = added + duplicate + conflict +
rejected`` for ``index add``.
"""

from __future__ import annotations

from collections.abc import Iterator

import click

from despin.cli.common import cli, emit_json, existing_inputs, one_shot, read_input
from despin.textio import MAX_CHARS

VERIFY = click.Choice(["auto", "quick", "header"])
STATS_VERIFY = click.Choice(["auto", "quick", "header", "full"])


@cli.group("index")
def index_group() -> None:
    """Build and inspect a reference index for `despin trace`."""


@index_group.command("add")
@click.option("--index", "index_path", required=True, type=click.Path(dir_okay=False), help="Index file.")
@click.argument("files", nargs=-1, required=True, callback=existing_inputs)
@click.option("--id-field", default="id", show_default=True, help="Record field with the document id.")
@click.option("--text-field", default="text", show_default=True, help="Record field with the text.")
@click.option("--batch-size", type=click.IntRange(1), default=None, help="Records per transaction [4000].")
@click.option("--skip-bad", is_flag=True, help="Exit 0 even when bad records were rejected.")
@click.option("--compact/--no-compact", default=True, show_default=True, help="Merge postings at the end.")
@click.option(
    "--max-chars",
    type=click.IntRange(1),
    default=MAX_CHARS,
    show_default=True,
    help="Longer references are rejected (each trace retrieving one aligns all of it).",
)
def index_add(
    index_path: str,
    files: tuple[str, ...],
    id_field: str,
    text_field: str,
    batch_size: int | None,
    skip_bad: bool,
    compact: bool,
    max_chars: int,
) -> None:
    """Add JSONL(.gz) or Parquet records {id, text} to an index (created if missing).

    FILES are local paths or fsspec URLs (s3://, gs://, hf://); the index is a local SQLite file.

    Each batch is one transaction: an interrupted run keeps whole batches. Ids already in the index
    are skipped (a different text under a known id is a conflict, and rejected).

    \b
    Example:
        despin index add --index refs.db news.jsonl.gz more.parquet
    """
    from despin.cli.records import Rejects, read_documents
    from despin.tracer import Index

    bad = Rejects()

    def records() -> Iterator[tuple[str, str]]:
        for f in files:
            docs = read_documents(
                f, bad, text_field=text_field, id_field=id_field, max_chars=max_chars, require_id=True
            )
            for doc in docs:
                assert doc.doc_id is not None  # require_id
                yield doc.doc_id, doc.text

    with Index.open(index_path, create=True) as ix:
        report = ix.add(records(), batch_size=batch_size, max_chars=max_chars)
        if compact and report.n_added:
            ix.compact()
        count = len(ix)
    emit_json(
        {
            "read": report.n_seen + len(bad),
            "added": report.n_added,
            "duplicate": report.n_duplicate,
            "conflict": report.n_conflict,
            "rejected": len(bad),
            "count": count,
        }
    )
    for c in report.conflicts:
        bad.add(f"id {c!r}", "already in the index with a different text")
    bad.report(skip_bad=skip_bad)


@index_group.command("stats")
@click.option("--index", "index_path", required=True, type=click.Path(dir_okay=False), help="Index file.")
@click.option(
    "--verify",
    type=STATS_VERIFY,
    default="auto",
    show_default=True,
    help="quick: check every page; header: header only; auto: quick up to 256 MB; "
    "full: quick, then every row's checksum (adds 'checked': rows per table).",
)
def index_stats(index_path: str, verify: str) -> None:
    """Print {path, count, batches, size_bytes, config, header} of an index as JSON.

    \b
    Example:
        despin index stats --index refs.db --verify full
    """
    from despin.tracer import Index

    with Index.open(index_path, verify="quick" if verify == "full" else verify) as ix:  # type: ignore[arg-type]
        stats = ix.stats()
        if verify == "full":
            stats["checked"] = ix.check()
        emit_json(stats)


@cli.command("trace")
@click.argument("source", metavar="[FILE|-]", default="-")
@click.option("--index", "index_path", required=True, type=click.Path(dir_okay=False), help="Index file.")
@click.option("--top", type=click.IntRange(1), default=5, show_default=True, help="Most matches to print.")
@one_shot
def trace_command(source: str, index_path: str, top: int) -> None:
    """Find the sources of a spun text, best first, with the substitutions as evidence.

    Prints {"matches": [{source_id, score, coverage, substitutions}]}; empty when nothing plausible.

    \b
    Example:
        despin trace spun.txt --index refs.db --top 3
    """
    from despin import api
    from despin.tracer import Index

    text = read_input(source, batch=f"despin scan {source} -o OUT --index {index_path}")
    with Index.open(index_path) as ix:
        emit_json(api.trace(text, index=ix, top=top).to_dict())
