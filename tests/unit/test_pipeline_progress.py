"""The progress bar: off unless stderr is a terminal; counts documents and bytes from executor reports."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from despin.batch.progress import ScanProgress
from despin.executor.base import TaskResult
from despin.pipeline import Stat, Stats


def result(task_id: str, nbytes: int, *, skipped: bool) -> TaskResult:
    stats = Stats()
    stats.inc(Stat.BYTES_READ, nbytes)
    return TaskResult(task_id, stats, skipped=skipped)


def test_progress_is_off_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with ScanProgress(1000, 2) as bar:  # pytest's captured stderr is not a TTY
        bar.advance("a", 10, 500)
        bar.done(result("a", 500, skipped=False))
    assert not bar.enabled and capsys.readouterr().err == ""
    assert (bar.docs, bar.tasks_done) == (10, 1)


def test_skipped_shards_shrink_the_total_and_finished_ones_count_whole() -> None:
    with ScanProgress(1000, 3, enabled=False) as bar:
        bar.done(result("old", 400, skipped=True))  # done by an earlier run: not new work
        bar.advance("a", 5, 100)
        bar.done(result("a", 300, skipped=False))
    assert (bar.total_bytes, bar.tasks_done, bar.tasks_skipped, bar.docs) == (600, 2, 1, 5)


def test_enabled_bar_draws_docs_rate_and_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    sink = io.StringIO()
    monkeypatch.setattr("rich.console.Console", lambda **kw: Console(file=sink, force_terminal=True, width=120))
    with ScanProgress(1000, 2, enabled=True) as bar:
        bar.advance("a", 42, 500)
    drawn = sink.getvalue()
    assert "42 docs" in drawn and "docs/s" in drawn and "0/2 shards" in drawn and "ETA" in drawn
