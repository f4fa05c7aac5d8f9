"""Index integrity under random bit flips: every damaged copy must fail loudly or answer exactly as before.

Run: ``python -m benchmarks index_flips [--flips 10000] [--docs 400] [--verify auto|header|quick] [--seed 0]``.

Builds a small real index (``--docs`` articles of indosum_dev + clickid_clean: four batches, compacted,
then one more batch, so postings rows of both kinds exist), records the answers of a fixed set of reads
(``stats``, ``len``, ``in`` for present and absent ids, ``text``, and ``trace`` of perturbed copies of
indexed articles, of an excerpt and of articles that are not indexed), then, ``--flips`` times, flips
one uniformly random bit of the file, opens the copy and repeats every read. Each trial is:

* ``detected``: opening or some read raised a :class:`DespinError` (by class, ``IndexCorruptError`` apart)
  and every read that did answer gave the reference answer;
* ``harmless``: every read answered, each exactly as before (e.g. a flip in free space or in a row no
  read uses);
* ``silent``: some read answered differently without an error. Must be 0 (issue 12);
* ``crash``: some read raised something that is not a DespinError (a traceback). Must be 0.

Writes ``benchmarks/results/index-flips-<git sha>[-<verify>].json`` (and ``.md``) with the counts, the offsets of any
silent change or crash, and a breakdown by the table whose page was hit (SQLite's ``dbstat``). This is a
benchmark (minutes), not a CI test; tests/hardening/test_hardening_crash.py runs a few hundred flips.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.config import RESULTS_DIR
from benchmarks.index_latency import perturb, read_docs
from benchmarks.registry import md_table, parser_for
from despin.errors import DespinError, IndexCorruptError
from despin.tracer import Index, IndexConfig, trace

Read = Callable[[Index], Any]


@dataclass(frozen=True, slots=True)
class FlipsConfig:
    """``flips`` one-bit trials on an index of ``docs`` articles, opened with ``verify``."""

    flips: int = 10_000
    docs: int = 400
    verify: str = "auto"
    seed: int = 0
    out_dir: Path = RESULTS_DIR


def configure(argv: Sequence[str]) -> FlipsConfig:
    parser = parser_for("index_flips", __doc__)
    parser.add_argument("--flips", type=int, default=10_000)
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--verify", choices=["auto", "header", "quick"], default="auto")
    parser.add_argument("--seed", type=int, default=0)
    a = parser.parse_args(list(argv))
    return FlipsConfig(flips=a.flips, docs=a.docs, verify=a.verify, seed=a.seed, out_dir=a.out)


def build(path: Path, docs: list[tuple[str, str]]) -> None:
    """Four batches, compacted (postings rows of batch 0), then a fifth batch (rows of batch 5)."""
    cut = len(docs) * 4 // 5
    with Index.create(path, config=IndexConfig(batch_size=max(1, cut // 4))) as ix:
        ix.add(docs[:cut])
        ix.compact()
        ix.add(docs[cut:])


def reads(docs: list[tuple[str, str]], absent: list[tuple[str, str]], seed: int) -> list[tuple[str, Read]]:
    """The fixed reads of every trial, by name: each returns a JSON-comparable answer."""
    rng = random.Random(seed)
    vocab = sorted({w for _, t in docs[:50] for w in t.split()})
    picked = rng.sample(docs, 6)
    present = [sid for sid, _ in picked[:3]]
    out: list[tuple[str, Read]] = [
        ("stats", lambda ix: {k: v for k, v in ix.stats().items() if k != "path"}),
        ("len", len),
        ("contains", lambda ix: [s in ix for s in [*present, "tidak-ada", absent[0][0]]]),
        ("text", lambda ix: [ix.text(s) for s in [present[0], "tidak-ada"]]),
    ]
    queries = [perturb(t, vocab, rng) for _, t in picked]
    queries.append(picked[0][1].split("\n")[0])  # one paragraph of an indexed article
    queries.extend(t for _, t in absent)  # articles that are not indexed: only wrong candidates
    for k, q in enumerate(queries):
        out.append((f"trace{k}", _trace_read(q, with_text=k == 0)))
    return out


def _trace_read(query: str, *, with_text: bool) -> Read:
    def read(ix: Index) -> Any:
        return trace(query, index=ix, with_text=with_text).to_dict()

    return read


def page_owners(path: Path) -> tuple[int, dict[int, str]]:
    """The page size and ``page number -> table or index name`` of the file (unlisted pages are free)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        page = int(conn.execute("PRAGMA page_size").fetchone()[0])
        owners = {int(p): str(n) for n, p in conn.execute("SELECT name, pageno FROM dbstat")}
    return page, owners


def region(offset: int, page: int, owners: dict[int, str]) -> str:
    if offset < 100:
        return "file header"
    name = owners.get(offset // page + 1, "free page")
    return name if not name.startswith("sqlite_autoindex_") else f"{name} (index)"


def trial(path: Path, verify: str, checks: list[tuple[str, Read]], reference: dict[str, Any]) -> tuple[str, str]:
    """``(outcome, detail)`` of one damaged copy at ``path``."""
    errors: list[str] = []
    try:
        ix = Index.open(path, verify=verify)  # type: ignore[arg-type]
    except DespinError as exc:
        return "detected", type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - what we are looking for
        return "crash", f"open: {type(exc).__name__}: {exc}"
    try:
        for name, read in checks:
            try:
                answer = read(ix)
            except DespinError as exc:
                errors.append(type(exc).__name__)
                continue
            except Exception as exc:  # noqa: BLE001
                return "crash", f"{name}: {type(exc).__name__}: {exc}"
            if answer != reference[name]:
                return "silent", name
    finally:
        with contextlib.suppress(Exception):  # closing a damaged file may fail; the trial is decided
            ix.close()
    return ("detected", errors[0]) if errors else ("harmless", "")


def run(config: FlipsConfig) -> dict[str, Any]:
    n_flips, n_docs, verify, seed = config.flips, config.docs, config.verify, config.seed
    # The revision of the code this process imported (taken now: a commit during the run must not rename it).
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "src/despin/tracer"], capture_output=True, text=True, check=False
    )
    docs = read_docs(n_docs + 2)
    refs, absent = docs[:n_docs], docs[n_docs:]
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
        good = Path(tmp) / "good.db"
        t0 = time.perf_counter()
        build(good, refs)
        build_s = time.perf_counter() - t0
        with Index.open(good) as ix:
            rows = ix.check() if hasattr(ix, "check") else {}
        data = good.read_bytes()
        page, owners = page_owners(good)
        checks = reads(refs, absent, seed)
        trial_path = Path(tmp) / "trial.db"
        trial_path.write_bytes(data)
        with Index.open(trial_path, verify=verify) as ix:  # type: ignore[arg-type]
            reference = {name: read(ix) for name, read in checks}
        rng = random.Random(seed)
        outcomes: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        by_region: dict[str, Counter[str]] = {}
        bad: list[dict[str, Any]] = []
        t0 = time.perf_counter()
        for _ in range(n_flips):
            bit = rng.randrange(len(data) * 8)
            damaged = bytearray(data)
            damaged[bit // 8] ^= 1 << (bit % 8)
            for extra in (Path(f"{trial_path}-wal"), Path(f"{trial_path}-shm")):
                extra.unlink(missing_ok=True)
            trial_path.write_bytes(bytes(damaged))
            outcome, detail = trial(trial_path, verify, checks, reference)
            outcomes[outcome] += 1
            where = region(bit // 8, page, owners)
            by_region.setdefault(where, Counter())[outcome] += 1
            if outcome == "detected":
                errors[detail] += 1
            elif outcome in ("silent", "crash"):
                bad.append({"offset": bit // 8, "bit": bit % 8, "region": where, "outcome": outcome, "detail": detail})
        flips_s = time.perf_counter() - t0
    return {
        "git": sha.stdout.strip(),
        "tracer_uncommitted": dirty.stdout.splitlines(),
        "flips": n_flips,
        "verify": verify,
        "seed": seed,
        "index": {"docs": n_docs, "bytes": len(data), "page_size": page, "rows": rows, "build_s": round(build_s, 2)},
        "reads_per_trial": [name for name, _ in checks],
        "outcomes": {k: outcomes.get(k, 0) for k in ("detected", "harmless", "silent", "crash")},
        "detected_by": dict(errors.most_common()),
        "index_corrupt_error": errors.get(IndexCorruptError.__name__, 0),
        "by_region": {k: dict(v) for k, v in sorted(by_region.items())},
        "silent_or_crash": bad,
        "seconds": round(flips_s, 1),
        "ms_per_trial": round(1000 * flips_s / max(n_flips, 1), 2),
    }


def render(result: dict[str, Any]) -> str:
    o = result["outcomes"]
    by_region = [
        [k, *(v.get(x, 0) for x in ("detected", "harmless", "silent", "crash"))] for k, v in result["by_region"].items()
    ]
    return (
        f"# Index bit flips (git `{result['git']}`, verify `{result['verify']}`)\n\n"
        f"{result['flips']:,} one-bit flips of a {result['index']['docs']}-article index "
        f"({result['index']['bytes']:,} bytes), {result['ms_per_trial']} ms per trial. "
        f"Detected {o['detected']}, harmless {o['harmless']}, **silent {o['silent']}**, **crash {o['crash']}** "
        "(the last two must be 0).\n\n"
        + md_table(["region hit", "detected", "harmless", "silent", "crash"], by_region)
        + "\n"
    )


def result_name(config: FlipsConfig, result: dict[str, Any]) -> str:
    return f"index-flips-{result['git']}" + ("" if config.verify == "auto" else f"-{config.verify}")


if __name__ == "__main__":
    from benchmarks.registry import main

    main("index_flips")
