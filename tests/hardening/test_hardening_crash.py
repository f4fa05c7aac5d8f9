"""Crash safety: transactional index writes, atomic batch outputs, corruption found by checksums.

The SIGKILL-during-``index add`` test is tests/e2e/test_cli_trace.py::test_sigkill_during_add_leaves_whole_batches
and the kill-and-rerun test of scan is tests/e2e/test_scan_local.py::
test_sigkill_at_random_points_then_rerun_gives_identical_outputs; these tests add what they do not check.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import despin
from conftest import DESPIN, REPO, SOURCES, SPUN_KUPANG, build_index, needs_model
from despin.errors import DespinError, ModelError
from despin.model.bundle import DEFAULT_PATH, Model
from despin.tracer import Index

# ----------------------------------------------------------------------------- index: transactions


def test_an_error_inside_a_batch_keeps_exactly_the_committed_batches(tmp_path: Path) -> None:
    path = tmp_path / "refs.db"
    rng = random.Random(0)
    words = " ".join(SOURCES.values()).split()
    docs = [(f"d{i:04d}", " ".join(rng.sample(words, 30))) for i in range(250)]

    def records() -> Iterator[tuple[str, str]]:
        yield from docs
        raise RuntimeError("the input broke off")  # e.g. a reader failing mid-file

    with Index.create(path) as ix, pytest.raises(RuntimeError, match="broke off"):
        ix.add(records(), batch_size=100)
    with Index.open(path, verify="quick") as ix:
        assert len(ix) == 200 and "d0199" in ix and "d0200" not in ix
        assert ix.stats()["batches"] == 2
    with Index.open(path, writable=True) as ix:  # resuming adds the rest, and nothing twice
        report = ix.add(docs, batch_size=100)
        assert (report.n_added, report.n_duplicate, len(ix)) == (50, 200, 250)


# ----------------------------------------------------------------------------- index: corruption

FLIP_TRIALS = 300  # per verify mode; benchmarks/index_flips.py runs 10,000 on a 400-article index


def _reads() -> list[tuple[str, Callable[[Index], Any]]]:
    """Every kind of read the API offers, each returning a comparable answer."""
    ids = sorted(SOURCES)
    return [
        ("stats", lambda ix: {k: v for k, v in ix.stats().items() if k != "path"}),
        ("len", len),
        ("contains", lambda ix: [s in ix for s in [*ids, "absent-id", "kupang-bridgf"]]),
        ("text", lambda ix: [ix.text(s) for s in [ids[0], "absent-id"]]),
        ("trace", lambda ix: despin.trace(SPUN_KUPANG, index=ix, with_text=True).to_dict()),
        ("trace-other", lambda ix: despin.trace(SOURCES[ids[-1]][:400], index=ix).to_dict()),
    ]


def _flip_trials(tmp_path: Path, verify: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]], int]:
    """Flip one random bit of a real index, ``FLIP_TRIALS`` times; repeat every read with each damaged copy.

    Returns the flips that changed some answer without any error (offset, read), those that raised
    something other than a DespinError (a traceback in the CLI, a 500 from the server), and how many
    were detected (a DespinError).
    """
    good = build_index(tmp_path / "good.db")
    data = good.read_bytes()
    reads = _reads()
    with Index.open(good, verify=verify) as ix:  # type: ignore[arg-type]
        reference = {name: read(ix) for name, read in reads}
    rng = random.Random(0)
    offsets = [i for i, b in enumerate(data) if b]  # flipping zero padding is not interesting
    silent: list[tuple[int, str]] = []
    crashes: list[tuple[int, str]] = []
    detected = 0
    trial = tmp_path / "trial.db"
    for _ in range(FLIP_TRIALS):
        off = rng.choice(offsets)
        damaged = bytearray(data)
        damaged[off] ^= 1 << rng.randrange(8)
        trial.write_bytes(bytes(damaged))
        try:
            ix = Index.open(trial, verify=verify)  # type: ignore[arg-type]
        except DespinError:
            detected += 1
            continue
        except Exception as exc:  # noqa: BLE001 - what we are looking for
            crashes.append((off, f"open: {type(exc).__name__}: {exc}"))
            continue
        with ix:
            errors = 0
            for name, read in reads:  # each read must fail loudly or answer as before
                try:
                    answer = read(ix)
                except DespinError:
                    errors += 1
                    continue
                except Exception as exc:  # noqa: BLE001
                    crashes.append((off, f"{name}: {type(exc).__name__}: {exc}"))
                    break
                if answer != reference[name]:
                    silent.append((off, name))
                    break
            detected += errors > 0
    return silent, crashes, detected


@pytest.fixture(scope="module", params=["auto", "header"])
def flips(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[tuple[int, str]], list[tuple[int, str]], int]:
    """``auto`` runs quick_check at open; ``header`` trusts the pages, so only the row checksums guard."""
    return _flip_trials(tmp_path_factory.mktemp(f"flips-{request.param}"), request.param)


def test_a_flipped_bit_in_the_index_is_never_a_traceback(
    flips: tuple[list[tuple[int, str]], list[tuple[int, str]], int],
) -> None:
    _, crashes, _ = flips
    assert not crashes, crashes[:5]


def test_a_flipped_bit_in_the_index_never_changes_an_answer_silently(
    flips: tuple[list[tuple[int, str]], list[tuple[int, str]], int],
) -> None:
    """Regression (issue 12): row checksums, key chains and postings counts, verified on every read.

    Before them 1-2% of flips changed an answer (a df count, a source id, a postings blob, a key).
    """
    silent, _, detected = flips
    assert not silent, f"{len(silent)} of {FLIP_TRIALS} flips changed an answer: {silent[:10]}"
    assert detected >= FLIP_TRIALS // 20  # the sample does hit rows the reads use


# ----------------------------------------------------------------------------- model: checksums


@needs_model
@pytest.mark.parametrize("name", ["lm.binary", "vocab.json.gz", "neighbours.json.gz"])
def test_a_flipped_byte_in_a_model_file_is_found_by_its_checksum(tmp_path: Path, name: str) -> None:
    bundle = tmp_path / "model"
    bundle.mkdir()
    for f in DEFAULT_PATH.iterdir():
        if f.is_file():
            os.symlink(f, bundle / f.name)
    (bundle / name).unlink()
    data = bytearray((DEFAULT_PATH / name).read_bytes())
    data[len(data) // 3] ^= 0x40
    (bundle / name).write_bytes(bytes(data))
    with pytest.raises(ModelError, match=f"{name} is corrupted \\(sha256 does not match the manifest\\)"):
        Model.load(bundle)


# ----------------------------------------------------------------------------- scan: atomic outputs


def _scan(corpus: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*DESPIN, "scan", str(corpus), "-o", str(out), "--restore"],
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _final_files(out: Path) -> dict[str, bytes]:
    """Output shards and rejects under their final names (not markers, stats or temporaries)."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file()
        and ".tmp-" not in p.name
        and p.relative_to(out).parts[0] not in ("stats", "completions")
        and p.name not in ("stats.json", "job.json")
    }


@needs_model
def test_a_killed_scan_never_leaves_a_partial_file_under_a_final_name(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    rng = random.Random(2)
    words = " ".join(SOURCES.values()).split()
    for i in range(4):
        lines = [json.dumps({"id": f"s{i}-{k}", "text": " ".join(rng.sample(words, 60))}) for k in range(12)]
        data = ("\n".join(lines) + "\n{broken\n").encode()
        name = f"s{i}.jsonl.gz" if i % 2 else f"s{i}.jsonl"
        (corpus / name).write_bytes(gzip.compress(data, mtime=0) if i % 2 else data)
    ref = tmp_path / "ref"
    t0 = time.monotonic()
    assert _scan(corpus, ref).wait(timeout=300) == 0
    # Kill at fixed shares of the uninterrupted run's time (start-up included), so that the kills
    # land mid-job on fast and slow machines alike.
    took = time.monotonic() - t0
    reference = _final_files(ref)

    out = tmp_path / "out"
    seen_partial_states = 0
    for delay in (0.5 * took, 0.7 * took, 0.9 * took):
        proc = _scan(corpus, out)
        time.sleep(delay)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        now = _final_files(out)
        seen_partial_states += len(now) < len(reference)
        for name, data in now.items():  # whatever exists under a final name is complete
            assert data == reference[name], name
    final = _scan(corpus, out)
    assert final.wait(timeout=300) == 0
    assert _final_files(out) == reference
    assert not list(out.rglob("*.tmp-*"))
    assert seen_partial_states >= 1  # at least one kill landed mid-job


def test_a_closed_index_is_one_self_contained_sqlite_file(tmp_path: Path) -> None:
    """A file the index wrote and closed is a plain SQLite database that SQLite's own check accepts."""
    path = build_index(tmp_path / "refs.db")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
