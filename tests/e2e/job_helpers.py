"""What the corpus-job tests (scan, grouped scan, dedup) share: their outputs' bytes, shards, and killing a job."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def output_bytes(out: Path) -> dict[str, bytes]:
    """Every file a job writes except its markers, stats and job file, by relative path."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file()
        and not {"completions", "stats"} & set(p.relative_to(out).parts)
        and p.name not in ("stats.json", "job.json")
    }


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSONL shard, gzipped or not."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [json.loads(line) for line in data.splitlines()]


def write_two_shards(root: Path, a: list[bytes], b: list[bytes]) -> Path:
    """``root/a.jsonl`` and ``root/b.jsonl.gz`` (no time in its header) of the given lines."""
    (root / "a.jsonl").write_bytes(b"\n".join(a) + b"\n")
    (root / "b.jsonl.gz").write_bytes(gzip.compress(b"\n".join(b) + b"\n", mtime=0))
    return root


def despin_cmd(*args: str | Path) -> list[str]:
    """The command line of ``despin ARGS`` in a fresh interpreter."""
    code = "import sys; from despin.cli import cli; sys.exit(cli())"
    return [sys.executable, "-c", code, *map(str, args)]


def kill_when(
    cmd: list[str], count: Callable[[], int], target: int, *, timeout: float, poll: float, delay: float = 0.0
) -> bool:
    """Run ``cmd`` in its own session; once ``count() >= target`` (completion markers, say; or after ``timeout``
    seconds) and ``delay`` more seconds, SIGKILL its whole process group (the driver and its pool workers, no
    cleanup). Returns whether the job was still running."""
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and count() < target and time.monotonic() < deadline:
        time.sleep(poll)
    time.sleep(delay)
    killed = proc.poll() is None
    if killed:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return killed
