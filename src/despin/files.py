"""Whole files written atomically: a private temporary sibling, flushed to disk, then renamed into place.

A killed writer leaves only ``<name>.tmp-*`` siblings behind, never a half-written file under its
final name; :func:`remove_stale` clears them when the file is written again. The pipeline's writers
and the core's ``save`` methods (:meth:`despin.tables.SpinnerTable.save`) share these.

Example:
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> write_atomic(d / "a" / "t.tsv", b"x\\n"); sorted(p.name for p in (d / "a").iterdir())
    ['t.tsv']
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def tmp_name(path: Path) -> Path:
    """A private temporary sibling of ``path`` (unique per process and call)."""
    return path.with_name(f"{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


def remove_stale(path: Path) -> None:
    """Delete temporary siblings of ``path`` left by a killed run."""
    if path.parent.is_dir():
        for p in path.parent.glob(f"{path.name}.tmp-*"):
            p.unlink(missing_ok=True)


def commit(tmp: Path, path: Path) -> None:
    """Flush ``tmp`` to disk and rename it to ``path`` in one atomic step."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file + rename), clearing a killed run's leftovers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path)
    tmp = tmp_name(path)
    tmp.write_bytes(data)
    commit(tmp, path)
