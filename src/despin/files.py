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

import hashlib
import os
import re
import secrets
from pathlib import Path


def safe_name(key: str, *, fallback: str = "file") -> str:
    """A file name for any key (a site, a host): its safe characters (at most 60) and a digest, so keys never collide.

    Example:
        >>> safe_name("kabar.example"), safe_name("//", fallback="group")
        ('kabar.example-89d26d08e4', 'group-a2c2339691')
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", key)[:60].strip("._") or fallback
    return f"{stem}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


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
