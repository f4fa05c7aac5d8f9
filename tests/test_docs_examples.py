"""Every code example in README.md and docs/*.md runs for real against the packaged model (as sqlite-utils
tests its docs).

* ``python`` blocks are executed in order, one namespace per Markdown file; ``pycon`` blocks run as
  doctests in the same namespace. The namespace starts with :data:`GIVEN_NAMES` (what a snippet uses
  without defining it) and ``__name__ == "__main__"``.
* Shell blocks (``console``, ``bash``, ``sh``) run command by command under ``bash -o pipefail`` with
  this virtualenv first on PATH. Each must exit 0 (or the code a trailing ``# exits N`` names), and
  its shown output must fit what it prints (:func:`tests.docblocks.match_output`: JSON keys and values,
  ``...`` for anything). ``curl`` examples of ``localhost:8000`` run against a ``despin serve`` this
  test starts on a free port.
* Everything runs with the working directory in a sandbox holding the files the examples name
  (:func:`sandbox`); each Markdown file gets its own copy, so the files' examples cannot disturb each other.
* What does not run is listed in :data:`SKIPS` with its reason (or skipped by a
  ``<!-- docs-test: skip REASON -->`` comment before its block); every entry must still match a command.
  Blocks in languages that show data (``json``, no language) are not run, unless a
  ``<!-- docs-test: output of `COMMAND` -->`` comment makes one the shown output of a command.
"""

from __future__ import annotations

import contextlib
import doctest
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.docblocks import (
    NOT_CODE_LANGS,
    PYCON_LANGS,
    PYTHON_LANGS,
    SHELL_LANGS,
    Block,
    Command,
    match_output,
    parse_blocks,
    parse_commands,
)
from tests.e2e.test_scan_local import make_corpus
from tests.texts import SOURCES, SPUN_KUPANG

from despin.model.bundle import DEFAULT_PATH

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
VENV_BIN = Path(sys.executable).parent
NEWS = ROOT / "tests" / "data" / "scan" / "news.jsonl"
COMMAND_TIMEOUT_S = 180

pytestmark = pytest.mark.skipif(
    not (DEFAULT_PATH / "manifest.json").is_file(), reason="the default model bundle is not built"
)

# Names the snippets use without defining them: ``text`` is a spun article (examples/spun.txt).
GIVEN_NAMES: dict[str, Any] = {"text": (ROOT / "examples" / "spun.txt").read_text(encoding="utf-8")}


@dataclass(frozen=True, slots=True)
class Skip:
    """Commands of ``doc`` matching ``pattern`` (a regex searched in the command) do not run, because ``reason``."""

    doc: str
    pattern: str
    reason: str
    when: bool = True  # the skip applies only while this holds


SKIPS = [
    Skip("README.md", r"^bash scripts/(demo|test)\.sh", "installs Debian packages and the venv (CI's entry point)"),
    Skip("*", r"^pip install", "installs packages"),
    Skip(
        "*",
        r"^despin serve\b",
        "runs a server until stopped; docs/http.md's curl examples run against one this test starts",
    ),
    Skip("docs/scaling.md", r"^ray start", "starts the nodes of a Ray cluster"),
    Skip(
        "docs/scaling.md",
        r"--executor ray --ray-address auto",
        "needs a multi-node Ray cluster and its shared /shared filesystem (tests/e2e/test_scan_ray.py scans on Ray)",
    ),
    Skip("docs/http.md", r"^\.venv/bin/pytest ", "runs other test files, which CI runs itself"),
    Skip(
        "docs/http.md",
        r"python -m benchmarks\.serve",
        "load benchmark: starts servers and keeps 10 to 200 clients busy for seconds to minutes",
    ),
    Skip("README.md", r"\| jq ", "jq is not installed", when=shutil.which("jq") is None),
    Skip("docs/http.md", r"^curl ", "curl is not installed", when=shutil.which("curl") is None),
]

# Commands that run and exit 0, whose shown output comes from a corpus the sandbox does not have:
# only its keys and value types are compared.
SHAPE_ONLY = [
    Skip("docs/trace.md", r"^despin index add --index refs\.db news\.jsonl\.gz", "counts of the 27k-reference index"),
    Skip("docs/trace.md", r"^despin trace spun\.txt --index refs\.db --top 3$", "a match in the 27k-reference index"),
]


def _applies(skip: Skip, doc: str, command: str) -> bool:
    return skip.doc in ("*", doc) and re.search(skip.pattern, command, re.MULTILINE) is not None


# --- the examples, as units run in document order ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unit:
    """One thing to run: a python/pycon block, or one command of a shell block."""

    block: Block
    command: Command | None = None

    @property
    def doc(self) -> str:
        return self.block.path

    @property
    def line(self) -> int:
        return self.command.line if self.command else self.block.line

    @property
    def skip_reason(self) -> str | None:
        if self.block.skip:
            return f"{self.doc}:{self.block.line}: {self.block.skip}"
        if self.command:
            for s in SKIPS:
                if s.when and _applies(s, self.doc, self.command.command):
                    return s.reason
        return None

    def label(self) -> str:
        what = self.command.command.split("\n")[0] if self.command else self.block.lang
        return f"{self.doc}:{self.line}: {what[:60]}"


def _blocks() -> list[Block]:
    return [b for p in DOC_FILES for b in parse_blocks(p.relative_to(ROOT).as_posix(), p.read_text(encoding="utf-8"))]


def _units(blocks: list[Block]) -> tuple[list[Unit], list[str]]:
    units: list[Unit] = []
    errors: list[str] = []
    for b in blocks:
        if b.output_of:
            units.append(Unit(b, Command(b, b.line, b.output_of, b.code)))
        elif b.lang in PYTHON_LANGS | PYCON_LANGS:
            units.append(Unit(b))
        elif b.lang in SHELL_LANGS:
            try:
                units.extend(Unit(b, c) for c in parse_commands(b))
            except ValueError as exc:
                errors.append(str(exc))
    return units, errors


BLOCKS = _blocks()
UNITS, PARSE_ERRORS = _units(BLOCKS)


# --- the sandbox --------------------------------------------------------------------------------


def _write_jsonl_gz(path: Path, records: list[dict[str, Any]]) -> None:
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    path.write_bytes(gzip.compress(lines.encode("utf-8"), mtime=0))


def _despin(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [str(VENV_BIN / "despin"), *args], cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S
    )
    assert done.returncode == 0, f"despin {' '.join(args)} failed while preparing the sandbox:\n{done.stderr}"
    return done.stdout


# A page of the same content farm as examples/spun.txt (tests/texts.py's flood article, spun with
# the swaps the farm made there: "di" -> "ke", "setelah" -> "bakda", "kota" -> "bandar", "dari" -> "melewati").
OTHER_PAGE = (
    "Banjir merendam ratusan rumah ke Jakarta Timur bakda hujan deras mengguyur ibu bandar sejak malam. "
    "Petugas pemadam kebakaran membantu warga mengungsi melewati rumah mereka ke tempat yang lebih aman. "
    "Ketinggian air mencapai satu meter ke beberapa titik.\n"
)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the examples name, built once (with the real CLI where a doc says how they are made).

    * ``examples/``, ``spun.txt``: the repository's example article and its spun copy.
    * ``articles.jsonl.gz``, ``news.jsonl.gz``, ``more.parquet``: reference articles ``{id, text}``
      (tests/texts.py's sources, the example's original, tests/data/scan/news.jsonl's originals).
    * ``refs.db``: an index built by ``despin index add`` from ``articles.jsonl.gz``; ``sources.db``:
      one of ``sources.jsonl`` (tests/texts.py's three sources, which docs/http.md's examples trace).
    * ``traced.jsonl``: ``despin trace`` of two spun pages (one JSON line each); ``farm.tsv`` and
      ``spinner.tsv``: ``despin learn`` of it; ``other_page.txt``, ``other-spun-page.txt``: another
      page of the same farm (:data:`OTHER_PAGE`).
    * ``shards/``: small JSONL, JSONL.gz and Parquet shards of news.jsonl; ``corpus/``: the scan test
      corpus of tests/e2e/test_scan_local.py (with a shard of bad records); ``a.jsonl.gz``,
      ``b.jsonl.gz``: records with the text under ``body`` (docs/scaling.md's Python example).
    """
    root = tmp_path_factory.mktemp("docs-sandbox")
    shutil.copytree(ROOT / "examples", root / "examples")
    shutil.copy(ROOT / "examples" / "spun.txt", root / "spun.txt")
    news = [json.loads(line) for line in NEWS.read_text(encoding="utf-8").splitlines()]
    refs = [{"id": k, "text": v} for k, v in SOURCES.items()]
    refs.append({"id": "bandung-parks", "text": (ROOT / "examples" / "original.txt").read_text(encoding="utf-8")})
    _write_jsonl_gz(root / "articles.jsonl.gz", refs)
    _write_jsonl_gz(root / "news.jsonl.gz", [{"id": r["id"], "text": r["text"]} for r in news if r["kind"] == "source"])
    pq.write_table(pa.Table.from_pylist(refs), root / "more.parquet")
    _despin(root, "index", "add", "--index", "refs.db", "articles.jsonl.gz")
    (root / "sources.jsonl").write_text("".join(json.dumps(r) + "\n" for r in refs[:3]), encoding="utf-8")
    _despin(root, "index", "add", "--index", "sources.db", "sources.jsonl")
    (root / "spun_kupang.txt").write_text(SPUN_KUPANG, encoding="utf-8")
    traced = [_despin(root, "trace", page, "--index", "refs.db").strip() for page in ("spun.txt", "spun_kupang.txt")]
    (root / "traced.jsonl").write_text("\n".join(traced) + "\n", encoding="utf-8")
    for table in ("farm.tsv", "spinner.tsv"):
        _despin(root, "learn", "traced.jsonl", "-o", table)
    for page in ("other_page.txt", "other-spun-page.txt"):
        (root / page).write_text(OTHER_PAGE, encoding="utf-8")
    shards = root / "shards"
    shards.mkdir()
    (shards / "part-0.jsonl").write_text("".join(json.dumps(r) + "\n" for r in news[0:3]), encoding="utf-8")
    _write_jsonl_gz(shards / "part-1.jsonl.gz", news[3:6])
    pq.write_table(pa.Table.from_pylist(news[6:9]), shards / "part-2.parquet")
    make_corpus(root / "corpus")
    for name, part in (("a.jsonl.gz", news[9:12]), ("b.jsonl.gz", news[12:15])):
        _write_jsonl_gz(root / name, [{"id": r["id"], "body": r["text"]} for r in part])
    return root


# --- running ------------------------------------------------------------------------------------


@dataclass
class Server:
    """A ``despin serve`` on a free port, started on first use (the curl examples need it)."""

    cwd: Path
    process: subprocess.Popen[bytes] | None = None
    port: int = 0

    def url(self) -> str:
        if self.process is None:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            cmd = [str(VENV_BIN / "despin"), "serve", "--port", str(self.port), "--index", "sources.db"]
            self.process = subprocess.Popen(cmd, cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 120
            while True:
                with (
                    contextlib.suppress(OSError),
                    urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v1/health", timeout=5),
                ):
                    break
                assert self.process.poll() is None, "despin serve exited before answering /v1/health"
                assert time.monotonic() < deadline, "despin serve did not answer /v1/health within 120 s"
                time.sleep(0.2)
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class DocRun:
    """The state of one Markdown file's examples: its sandbox copy, its Python namespace, what ran."""

    cwd: Path
    namespace: dict[str, Any] = field(default_factory=lambda: {"__name__": "__main__", **GIVEN_NAMES})
    done: set[int] = field(default_factory=set)


@pytest.fixture(scope="module")
def runs(sandbox: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, DocRun], Server]]:
    copies = tmp_path_factory.mktemp("docs-runs")
    doc_runs: dict[str, DocRun] = {}
    for p in DOC_FILES:
        doc = p.relative_to(ROOT).as_posix()
        doc_runs[doc] = DocRun(copies / doc.replace("/", "_"))
        shutil.copytree(sandbox, doc_runs[doc].cwd)
    server = Server(sandbox)
    try:
        yield doc_runs, server
    finally:
        server.stop()


def _run_python(unit: Unit, run: DocRun) -> None:
    block = unit.block
    if block.lang in PYCON_LANGS:
        test = doctest.DocTestParser().get_doctest(block.code, run.namespace, unit.label(), block.path, block.line)
        out: list[str] = []
        flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        result = doctest.DocTestRunner(optionflags=flags).run(test, out=out.append, clear_globs=False)
        assert result.failed == 0, "".join(out)
        return
    # Leading newlines make tracebacks point at the Markdown file's own line numbers.
    code = compile("\n" * block.line + block.code, block.path, "exec")
    exec(code, run.namespace)


def _run_command(unit: Unit, run: DocRun, server: Server) -> None:
    assert unit.command is not None
    command = unit.command.command
    if re.search(r"\bcurl\b.*localhost:8000", command, re.DOTALL):
        command = command.replace("localhost:8000", server.url())
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=run.cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )
    where = f"{unit.doc}:{unit.line}: `{unit.command.command}`"
    assert done.returncode == unit.command.exit_code, (
        f"{where} exited {done.returncode} (the doc expects {unit.command.exit_code})\n"
        f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    )
    if unit.command.output is not None:
        shape_only = any(_applies(s, unit.doc, unit.command.command) for s in SHAPE_ONLY)
        diff = match_output(unit.command.output, done.stdout, done.stderr, shape_only=shape_only)
        assert diff is None, f"{where}: output differs from the doc:\n{diff}"


def _execute(unit: Unit, run: DocRun, server: Server) -> None:
    if unit.command is None:
        with contextlib.chdir(run.cwd):
            _run_python(unit, run)
    else:
        _run_command(unit, run, server)


@pytest.mark.parametrize("unit", UNITS, ids=[u.label() for u in UNITS])
def test_doc_example_runs(unit: Unit, runs: tuple[dict[str, DocRun], Server]) -> None:
    doc_runs, server = runs
    run = doc_runs[unit.doc]
    # Examples build on the ones before them (files, names): run any earlier one not yet run
    # (when this test was selected alone), ignoring its failure, which its own test reports.
    for n, earlier in enumerate(UNITS):
        if earlier is unit:
            break
        if earlier.doc == unit.doc and n not in run.done and earlier.skip_reason is None:
            run.done.add(n)
            with contextlib.suppress(Exception):
                _execute(earlier, run, server)
    run.done.add(UNITS.index(unit))
    if reason := unit.skip_reason:
        pytest.skip(reason)
    _execute(unit, run, server)


def test_every_block_is_run_or_shows_data() -> None:
    """A block in a new language fails here until it is run, or classified as data."""
    assert not PARSE_ERRORS, PARSE_ERRORS
    known = PYTHON_LANGS | PYCON_LANGS | SHELL_LANGS | NOT_CODE_LANGS
    unknown = [f"{b.path}:{b.line} ```{b.lang}" for b in BLOCKS if b.lang not in known]
    assert not unknown, f"blocks in languages this test neither runs nor lists as data: {unknown}"
    runnable = [b for b in BLOCKS if (b.lang in known - NOT_CODE_LANGS and b.code.strip()) or b.output_of]
    assert {(b.path, b.line) for b in runnable} == {(u.doc, u.block.line) for u in UNITS}
    assert len(UNITS) >= 20, "the docs' examples were not found"


@pytest.mark.parametrize("skip", SKIPS + SHAPE_ONLY, ids=lambda s: f"{s.doc}:{s.pattern}")
def test_every_skip_entry_matches_a_command(skip: Skip) -> None:
    """A stale entry (its example was edited or removed) must go, so that nothing is skipped by accident."""
    assert any(u.command and _applies(skip, u.doc, u.command.command) for u in UNITS), f"{skip} matches nothing"
