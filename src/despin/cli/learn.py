"""``despin learn``: a spinner's table from aligned (spun, source) pairs, or from a site's pages alone.

Pair mode (the default) aligns each pair and counts its substitutions. ``--unsupervised`` deciphers
the table from one site's pages with no sources (see :mod:`despin.tables.decipher`) and scores the
whole site. Bad input records are reported on stderr as ``FILE:LINE: reason`` and counted; the good
ones are still learned from, and the command exits 1 unless ``--skip-bad`` is given.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click
import orjson

from despin.cli.common import cli, emit_json, existing_inputs, output_file
from despin.errors import InputError
from despin.pipeline.fs import is_remote, local_path, read_bytes, write_bytes
from despin.textio import MAX_CHARS, check_text

if TYPE_CHECKING:
    from despin.cli.records import Rejects
    from despin.tables.table import SpinnerTable


def _learn_default(name: str) -> object:
    """A default of :class:`despin.tables.pairs.LearnConfig`, read when a flag needs it (keeps start-up light)."""
    from despin.tables.pairs import LearnConfig

    return getattr(LearnConfig(), name)


def _learn_inputs(path: str, bad: Rejects) -> list[tuple[list[tuple[str, str]], bool]]:
    """Candidate entries per record: {"spun", "source"} texts, or a `despin trace` result.

    The file's bad records go to ``bad`` in line order, whether the reader or this function refused them.
    """
    from despin.cli.records import Rejects, read_values
    from despin.tables.pairs import MIN_PAIR_COVERAGE, pairs_from_texts, pairs_from_trace

    mine = Rejects()
    items = list(read_values(path, mine))
    if mine.items and (not items or items[0][0] != 1):  # maybe one pretty-printed JSON document
        with contextlib.suppress(orjson.JSONDecodeError, OSError):
            items, mine = [(1, orjson.loads(read_bytes(path)))], Rejects()
    out: list[tuple[list[tuple[str, str]], bool]] = []
    for lineno, rec in items:
        if isinstance(rec, list) and not rec:
            mine.add(f"{path}:{lineno}", "an empty JSON list: no pair to learn from", line=lineno)
        for k, obj in enumerate(rec if isinstance(rec, list) else [rec]):
            place = f"{path}:{lineno}" + (f"[{k}]" if isinstance(rec, list) else "")
            if isinstance(obj, dict) and all(isinstance(obj.get(k), str) for k in ("spun", "source")):
                found, coverage = pairs_from_texts(obj["spun"], obj["source"])
                out.append((found, coverage >= MIN_PAIR_COVERAGE))
            elif isinstance(obj, dict) and "matches" in obj:
                try:
                    out.append((pairs_from_trace(obj), True))
                except ValueError as exc:
                    mine.add(place, str(exc), line=lineno)
            else:
                mine.add(place, 'expected {"spun": TEXT, "source": TEXT} or a `despin trace` result', line=lineno)
    bad.extend_in_line_order(mine)
    return out


def _check_outputs(inputs: Iterable[str], outputs: Iterable[str]) -> None:
    """Refuse, before any work, outputs that cannot be written or that would overwrite an input or each other.

    Local paths are compared by inode (hard links too) or resolved path; fsspec URLs by their text.
    """
    seen: list[str] = []
    sources = list(inputs)
    for out in outputs:
        if not is_remote(out):
            path = Path(local_path(out))
            parent = path.resolve().parent
            if not parent.exists():
                raise click.ClickException(f"cannot write {out}: directory {path.parent} does not exist")
            if not parent.is_dir():
                raise click.ClickException(f"cannot write {out}: {path.parent} is not a directory")
        source = next((s for s in sources if _same_file(s, out)), None)
        if source is not None:
            also = "an input" if str(source) == str(out) else f"the input {source}"
            raise click.ClickException(f"{out} is also {also}: writing it would destroy the input")
        other = next((o for o in seen if _same_file(o, out)), None)
        if other is not None:
            raise click.ClickException(f"{other} and {out} are the same file: give each output its own")
        seen.append(out)


def _same_file(a: str, b: str) -> bool:
    """Whether two paths name one file: by inode where both exist (hard links too), else by resolved path;
    fsspec URLs by their text."""
    if is_remote(a) or is_remote(b):
        return a.rstrip("/") == b.rstrip("/")
    pa, pb = Path(local_path(a)), Path(local_path(b))
    if pa.exists() and pb.exists():
        return os.path.samefile(pa, pb)
    return pa.resolve() == pb.resolve()


def _write(path: str, data: str | SpinnerTable) -> None:
    """Write a report's text or a table's file (gzipped when ``path`` ends with ``.gz``), local or remote."""
    raw = data.encode("utf-8") if isinstance(data, str) else data.to_bytes(compress=path.endswith(".gz"))
    try:
        write_bytes(path, raw)  # a local path is written atomically, a URL under a temporary name
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None


@cli.command("learn")
@click.argument("pairs", nargs=-1, required=True, callback=existing_inputs)
@click.option(
    "--unsupervised",
    is_flag=True,
    help="Learn from one site's PAGES alone (JSONL(.gz), Parquet or text files), with no sources.",
)
@click.option("--text-field", default="text", show_default=True, help="Record field with a page's text.")
@click.option(
    "--report",
    "report_path",
    callback=output_file,
    default=None,
    help="With --unsupervised: write a report with per-entry evidence (.html, or .md plus an .svg plot).",
)
@click.option(
    "-o", "--output", required=True, callback=output_file, help="Table to write (TSV; a path or an fsspec URL)."
)
@click.option(
    "--min-count",
    type=click.IntRange(1),
    default=lambda: _learn_default("min_count"),
    show_default=True,
    help="Least sightings of an entry.",
)
@click.option(
    "--min-prob",
    type=click.FloatRange(0, 1),
    default=lambda: _learn_default("min_prob"),
    show_default=True,
    help="Least P(original | observed) of an entry.",
)
@click.option("--skip-bad", is_flag=True, help="Exit 0 even when bad records were rejected.")
def learn_command(
    pairs: tuple[str, ...],
    unsupervised: bool,
    text_field: str,
    report_path: str | None,
    output: str,
    min_count: int,
    min_prob: float,
    skip_bad: bool,
) -> None:
    """Learn a spinner's table (observed<TAB>original<TAB>count<TAB>prob) from aligned pairs.

    PAIRS are JSONL(.gz) files of {"spun": TEXT, "source": TEXT} records, or of `despin trace`
    results (their best match's substitutions). Pairs whose alignment covers under half of the
    spun words are counted as unaligned and ignored.

    With --unsupervised, PAGES are one site's records instead; the table is deciphered from the
    pages alone and the command prints {"pages", "words", "entries", "spun_score", "is_spun",
    "pages_flagged", "output", "seconds", "rejected"}: spun_score is the site's evidence that one
    spinner produced it (from the learned table, or from how many of its pages the page detector
    flags, pages_flagged), and is_spun says whether it reaches 0.5.

    \b
    Examples:
        despin learn pairs.jsonl -o spinner.tsv && despin restore spun.txt --table spinner.tsv
        despin learn --unsupervised site.jsonl.gz -o site.tsv --report site.html
    """
    if unsupervised:
        _learn_unsupervised(pairs, text_field, output, report_path, skip_bad)
        return
    if report_path:
        raise click.UsageError("--report needs --unsupervised")
    _check_outputs(pairs, [output])
    from despin.cli.records import Rejects
    from despin.tables.pairs import LearnConfig, learn_table
    from despin.tables.table import SpinnerTable

    bad = Rejects()
    found: list[tuple[str, str]] = []
    n_records = n_unaligned = 0
    for p in pairs:
        for entries, aligned in _learn_inputs(p, bad):
            n_records += 1
            n_unaligned += 0 if aligned else 1
            found.extend(entries)
    if not found:
        bad.report(skip_bad=True)
        raise click.ClickException(_nothing_learned(pairs, n_records, n_unaligned))
    rows = learn_table(found, LearnConfig(min_count=min_count, min_prob=min_prob))
    comment = f"despin learn: {n_records} pairs, {len(found)} aligned substitutions, {len(rows)} entries"
    _write(output, SpinnerTable.from_rows(rows, comment=comment))
    emit_json(
        {
            "records": n_records + len(bad),
            "learned_from": n_records - n_unaligned,
            "unaligned": n_unaligned,
            "rejected": len(bad),
            "substitutions": len(found),
            "entries": len(rows),
            "output": output,
        }
    )
    bad.report(skip_bad=skip_bad)


def _nothing_learned(files: tuple[str, ...], n_records: int, n_unaligned: int) -> str:
    """Why no table can be learned from pair files: no usable record, or records with no substitution."""
    where = ", ".join(files)
    if not n_records:
        return f"no pairs to learn from in {where}"
    return f"no substitutions to learn from in {where}: {n_records} pair(s), {n_unaligned} of them unaligned"


def _report_files(path: str) -> tuple[str, ...]:
    """The files a report at ``path`` is: an HTML page, or Markdown with its plot beside it (``.svg``)."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix.lower() in ("html", "htm"):
        return (path,)
    return (path, path[: len(path) - len(name)] + (stem if dot else name) + ".svg")


def _site_pages(path: str, text_field: str, bad: Rejects) -> Iterator[str]:
    """Page texts of a JSONL(.gz) or Parquet file of records, or of a plain-text file (one page)."""
    from despin.cli.records import read_documents

    name = path.rstrip("/").rsplit("/", 1)[-1].lower()
    if name.endswith((".parquet", ".pq", ".jsonl", ".jsonl.gz", ".json", ".json.gz", ".ndjson", ".ndjson.gz")):
        yield from (doc.text for doc in read_documents(path, bad, text_field=text_field))
        return
    try:
        text = read_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        bad.add(str(path), "not UTF-8 text")
        return
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        yield check_text(text, name=str(path), max_chars=MAX_CHARS)
    except InputError as exc:
        bad.add(str(path), str(exc).removeprefix(f"{path}: "))


def _learn_unsupervised(
    files: tuple[str, ...], text_field: str, output: str, report_path: str | None, skip_bad: bool
) -> None:
    from despin.tables import report as report_mod

    t0 = time.perf_counter()
    report = _report_files(report_path) if report_path else ()
    _check_outputs(files, [output, *report])
    from despin import api
    from despin.cli.records import Rejects
    from despin.types import shown_score

    bad = Rejects()
    pages = [page for f in files for page in _site_pages(f, text_field, bad)]
    if not pages:
        bad.report(skip_bad=True)
        raise click.ClickException(f"no pages to learn from in {', '.join(files)}")
    site = api.learn_site(pages)
    if not site.words:  # pages of digits and punctuation only: no word to decipher
        bad.report(skip_bad=True)
        raise click.ClickException(f"no words to learn from in {', '.join(files)}: {site.pages} page(s) without words")
    comment = (
        f"despin learn --unsupervised: {site.pages} pages, {site.words} words, {len(site.rows)} entries, "
        f"spun_score {site.spun_score:.4f}"
    )
    _write(output, site.table.with_comment(comment))
    if len(report) == 1:
        _write(report[0], report_mod.html_report(site))
    elif report:
        rp, svg = report
        _write(svg, report_mod.frequency_svg(site))
        _write(rp, report_mod.markdown(site, plot_path=svg.rstrip("/").rsplit("/", 1)[-1]))
    emit_json(
        {
            "pages": site.pages,
            "words": site.words,
            "entries": len(site.rows),
            "spun_score": shown_score(site.spun_score),
            "is_spun": site.is_spun,
            "pages_flagged": site.pages_flagged,
            "output": output,
            "seconds": round(time.perf_counter() - t0, 2),
            "rejected": len(bad),
        }
    )
    bad.report(skip_bad=skip_bad)
