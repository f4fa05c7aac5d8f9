"""The verbs: ``detect``, ``restore``, ``trace``, ``spin`` and ``learn``. The CLI and the HTTP server call only these.

Every verb validates its text the same way (non-blank ``str``, at most ``MAX_CHARS``), so the
three interfaces agree on what is an error.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from despin._options import flag, with_overrides
from despin.textio import MAX_CHARS, check_text
from despin.types import Detection, Restoration, Spin, TraceResult

if TYPE_CHECKING:
    from despin.batch.dedup import DedupStats
    from despin.duplicates.options import DedupOptions
    from despin.executor.base import Executor
    from despin.lexicon import SynonymLexicon
    from despin.model.bundle import Model
    from despin.tables.decipher import DecipherConfig
    from despin.tables.pairs import LearnConfig, TableRow
    from despin.tables.site import SiteTable
    from despin.tables.table import TableLike
    from despin.tracer import Index


@lru_cache(maxsize=4)
def _load_model_cached(path: str | None) -> Model:
    from despin.model.bundle import Model

    return Model.load(Path(path)) if path else Model.default()


def load_model(path: str | Path | None = None) -> Model:
    """Load a model bundle (the packaged default when ``path`` is None); loads are cached per path."""
    return _load_model_cached(str(path) if path else None)


def load_table(path: str | Path) -> SynonymLexicon:
    """The lexicon of a spinner table file (``despin learn``'s TSV); read once while the file stays the same.

    :meth:`despin.tables.SpinnerTable.load` gives the table itself.
    """
    from despin.tables.table import as_table

    return as_table(path).lexicon


def _table_lexicon(table: TableLike) -> SynonymLexicon | None:
    """The lexicon the restorer takes for any ``table=`` argument (:func:`despin.tables.as_table`)."""
    from despin.tables.table import as_table

    found = as_table(table)
    return found.lexicon if found is not None else None


def detect(
    text: str,
    *,
    model: Model | None = None,
    table: TableLike = None,
    threshold: float | None = None,
) -> Detection:
    """Score how likely ``text`` is spun, and list the suspicious spans.

    ``detect(text, table=T, threshold=t)`` is exactly ``restore(text, table=T, threshold=t).detection``.

    Args:
        text: the document.
        model: a loaded bundle; the default bundle when None.
        table: a learned spinner table used on top of the lexicon: a :class:`~despin.tables.SpinnerTable`
            or the path of its file; also what :func:`learn` or :func:`learn_site` returns, or a
            :class:`~despin.lexicon.SynonymLexicon`. A path is read once while its file stays the same,
            and equal tables share one restorer.
        threshold: the decision threshold; the bundle's calibrated default when None.
    """
    text = check_text(text, max_chars=MAX_CHARS)
    return (model or load_model()).detect(text, table=_table_lexicon(table), threshold=threshold)


def restore(
    text: str,
    *,
    model: Model | None = None,
    table: TableLike = None,
    remove_footer: bool = True,
    threshold: float | None = None,
    force: bool = False,
) -> Restoration:
    """Undo the spin: return the most likely original text and the edits that produce it.

    One decision governs the words: they change only when the returned detection says the text is
    spun (its score reaches ``threshold``), unless ``force``. The footer is removed either way
    (``remove_footer``). Restoring is idempotent: restoring the restored text changes nothing.

    Args:
        text: the spun document.
        model: a loaded bundle; the default bundle when None.
        table: a learned spinner table used on top of the lexicon: a :class:`~despin.tables.SpinnerTable`
            or the path of its file; also what :func:`learn` or :func:`learn_site` returns, or a
            :class:`~despin.lexicon.SynonymLexicon`. A path is read once while its file stays the same,
            and equal tables share one restorer.
        remove_footer: drop a spinner's source footer ("Sumber ...: OUTLET") from ``text``.
        threshold: the detection threshold; the bundle's calibrated default when None.
        force: change the words even when the text does not look spun.
    """
    text = check_text(text, max_chars=MAX_CHARS)
    return (model or load_model()).restore(
        text, table=_table_lexicon(table), remove_footer=remove_footer, threshold=threshold, force=force
    )


def trace(text: str, *, index: Index, top: int = 5, with_text: bool = False) -> TraceResult:
    """Find the sources of ``text`` in ``index``, best first, with the aligned substitutions.

    Args:
        text: the (possibly spun) document.
        index: an open reference index (``despin.Index.open(path)``).
        top: at most this many matches.
        with_text: include each match's source text, for showing the evidence side by side.
    """
    from despin.tracer import trace as trace_core

    text = check_text(text, max_chars=MAX_CHARS)
    return trace_core(text, index=index, top=top, with_text=with_text)


@dataclass(frozen=True, slots=True)
class SpinOptions:
    """How the simulated spinner spins: the one signature of ``despin.spin``, ``despin spin`` and batches.

    The fields are :class:`despin.spinner.Spinner`'s options (it checks their ranges); the CLI makes
    one flag per field from this class, with the help text in the field's metadata.

    Example:
        >>> SpinOptions(rate=0.5).kwargs()["rate"]
        0.5
        >>> SpinOptions.from_kwargs(None, seed=3) == SpinOptions(seed=3)
        True
    """

    rate: float = field(default=0.15, metadata=flag("Share of word tokens to substitute.", range=(0.0, 1.0)))
    seed: int = field(default=0, metadata=flag("Seed of every random choice."))
    mode: Literal["random", "deterministic"] = field(
        default="random",
        metadata=flag(
            "Draw a replacement at each site, or always the same one per word.", choices=("random", "deterministic")
        ),
    )
    choice: Literal["uniform", "weighted"] = field(
        default="uniform",
        metadata=flag(
            "Pick among the listed replacements alike, or by the table's weights.", choices=("uniform", "weighted")
        ),
    )
    wrong_sense: float = field(
        default=0.0, metadata=flag("Probability of a synonym of a synonym (a wrong sense).", range=(0.0, 1.0))
    )
    capitalize: float = field(
        default=0.25,
        metadata=flag("Probability of a capital letter on a mid-sentence replacement.", range=(0.0, 1.0)),
    )
    repeat: float = field(
        default=0.02, metadata=flag("Probability, per word, of an accidental repeat.", range=(0.0, 1.0))
    )
    footer: bool = field(default=True, metadata=flag("Append a source footer."))
    outlet: str | None = field(default=None, metadata=flag("Outlet named in the footer (a seeded pick if omitted)."))
    multiword: bool = field(default=True, metadata=flag("Match multi-word table entries, not only single words."))

    def kwargs(self) -> dict[str, Any]:
        """The options as keyword arguments of :class:`despin.spinner.Spinner`."""
        return asdict(self)

    @classmethod
    def from_kwargs(cls, options: SpinOptions | None, **overrides: Any) -> SpinOptions:
        """``options`` (the defaults when None) with ``overrides``; an unknown name is a TypeError."""
        return with_overrides(cls, options, overrides, what="spin")


def spin(
    text: str,
    options: SpinOptions | None = None,
    *,
    model: Model | None = None,
    table: TableLike = None,
    doc: int = 0,
    **overrides: Any,
) -> Spin:
    """Spin ``text`` like a content farm would.

    Args:
        text: the document.
        options: the spinner's options (:class:`SpinOptions`); keyword arguments named like its
            fields override them (``spin(text, rate=0.3, seed=1)``).
        model: whose lexicon is the spinner's table when ``table`` is None.
        table: the spinner's table: a :class:`~despin.tables.SpinnerTable`, the path of its file, or
            a :class:`~despin.lexicon.SynonymLexicon` (any shape :func:`despin.tables.as_table` takes).
        doc: the document's number within a batch (seeds its random choices apart from others').
    """
    from despin.spinner import Spinner

    text = check_text(text, max_chars=MAX_CHARS)
    opts = SpinOptions.from_kwargs(options, **overrides)
    return Spinner(_spin_table(model, table), **opts.kwargs()).spin(text, doc=doc)


def spin_batch(
    texts: Iterable[str],
    options: SpinOptions | None = None,
    *,
    model: Model | None = None,
    table: TableLike = None,
    docs: Iterable[int] | None = None,
    **overrides: Any,
) -> Iterator[Spin]:
    """Spin many texts with one spinner, lazily: text ``i`` is ``spin(text, options, doc=docs[i])``.

    ``docs`` numbers the texts (their line in a file, say); ``0, 1, 2, ...`` when None. The table is
    read once. A blank or over-long text raises :class:`~despin.errors.InputError` when its turn comes.
    """
    from despin.spinner import Spinner

    spinner = Spinner(_spin_table(model, table), **SpinOptions.from_kwargs(options, **overrides).kwargs())
    numbers = iter(docs) if docs is not None else itertools.count()
    for text in texts:
        yield spinner.spin(check_text(text, max_chars=MAX_CHARS), doc=next(numbers))


def _spin_table(model: Model | None, table: TableLike) -> SynonymLexicon:
    lexicon = _table_lexicon(table)
    return lexicon if lexicon is not None else (model or load_model()).lexicon


def learn(pairs: Iterable[tuple[str, str]], *, config: LearnConfig | None = None) -> list[TableRow]:
    """Learn a spinner's substitution table from ``(spun, source)`` text pairs.

    Each pair is aligned; pairs whose alignment explains under half of the spun words are skipped
    (not a spun copy of that source). Restore with ``restore(text, table=rows)``, or save the table
    with ``SpinnerTable.from_rows(rows).save(path)`` (:class:`despin.tables.SpinnerTable`) and
    restore with ``restore(text, table=path)``.

    Args:
        pairs: ``(spun text, source text)`` tuples, for example a content farm's pages and the
            sources ``trace`` found for them.
        config: the noise filters (:class:`despin.tables.pairs.LearnConfig`).

    Returns:
        Rows sorted by observed phrase, then by falling count.
    """
    from despin.tables.pairs import learn_table, pairs_from_texts

    found: list[tuple[str, str]] = []
    for spun, source in pairs:
        spun, source = check_text(spun, max_chars=MAX_CHARS), check_text(source, max_chars=MAX_CHARS)
        found.extend(pairs_from_texts(spun, source)[0])
    return learn_table(found, config)


def learn_site(
    pages: Iterable[str],
    *,
    model: Model | None = None,
    lexicon: SynonymLexicon | None = None,
    config: DecipherConfig | None = None,
) -> SiteTable:
    """Learn a content farm's spinner table from its pages alone (no sources), and score the whole site.

    The pages of one site are deciphered together: words the site under-uses against clean text are
    paired with words it over-uses, checked in context by the LM, and fitted by EM (see
    :mod:`despin.tables.decipher`). The site is flagged when its table explains enough of its words or
    when the page detector flags more of its pages than a clean site would show
    (:mod:`despin.tables.site`). Restore the site's pages with ``restore(text, table=result)``, or
    save ``result.table`` (a :class:`despin.tables.SpinnerTable`) for ``despin restore --table``.

    Args:
        pages: the texts of one site or farm (the more pages, the stronger the evidence).
        model: a loaded bundle; the default bundle when None.
        lexicon: the candidate lexicon; the bundle's when None.
        config: the learner's knobs (:class:`despin.tables.decipher.DecipherConfig`).

    Returns:
        A :class:`despin.tables.site.SiteTable`: ``table`` (a :class:`~despin.tables.SpinnerTable`),
        ``rows``, ``entries`` with evidence, ``spun_score``, ``is_spun`` and ``to_dict()``.
    """
    from despin.tables.decipher import decipher
    from despin.tables.site import judge_site

    texts = [check_text(p, max_chars=MAX_CHARS) for p in pages]
    m = model or load_model()
    scorer = m if lexicon is None else m.with_lexicon(lexicon)
    d = decipher(texts, lm=m.lm, vocab=m.vocab, lexicon=scorer.lexicon, neighbours=m.neighbours, config=config)
    return judge_site(d, page_flags=[scorer.detect(t).is_spun for t in texts])


def dedup(
    inputs: str | Path | Iterable[str | Path],
    out_dir: str | Path,
    *,
    options: DedupOptions | None = None,
    model: Model | str | Path | None = None,
    workers: int | None = None,
    executor: str | Executor = "local",
    ray_address: str | None = None,
    progress: bool | None = None,
) -> DedupStats:
    """Find the copies inside a corpus of shards, link each to its source, and judge every site.

    The corpus job of ``despin dedup``: every page is a query against all others (spin-invariant
    MinHash bands over rare words, then the tracer's alignment on the few candidates); each copy
    gets its source (``copy_of``), ``cluster`` and ``relation`` (``"spun"`` or ``"near_duplicate"``);
    every host is judged in ``out_dir/hosts.jsonl`` and a farm's table is learned from its pairs
    and used to score its pages without a source. See docs/dedup.md.

    Args:
        inputs: shard files (.jsonl, .jsonl.gz, .parquet) and directories of them.
        out_dir: the output directory; rerunning the same job there resumes it.
        options: fields, thresholds and ``keep`` (:class:`despin.duplicates.DedupOptions`).
        model: a model bundle directory or a loaded model; the packaged default when None.
        workers: parallel workers (local processes or Ray actors).
        executor: ``"local"``, ``"ray"`` or an executor instance.
        ray_address: the Ray cluster to join (executor ``"ray"``).
        progress: draw progress bars on stderr; None: only when stderr is a terminal.

    Returns:
        :class:`despin.batch.dedup.DedupStats`, also written to ``out_dir/stats.json``.
    """
    from despin.batch.dedup import dedup as dedup_job

    return dedup_job(
        inputs,
        out_dir,
        options=options,
        model=model,
        workers=workers,
        executor=executor,  # type: ignore[arg-type]
        ray_address=ray_address,
        progress=progress,
    )
