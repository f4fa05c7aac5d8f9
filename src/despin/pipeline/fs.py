"""Paths that may be fsspec URLs: ``s3://``, ``gs://``, ``hf://``, ``memory://``, any protocol fsspec knows.

A plain path (or a ``file://`` URL, which is turned into one) keeps the local code paths and their
guarantees (``os.replace``, ``fsync``). Anything else goes through :mod:`fsspec`: reading a shard,
listing a directory of shards, a shard's size and version (its completion signature), and writing a
whole file under a temporary name that is then moved into place (on object stores a single PUT is
already all-or-nothing, and the move is a copy then a delete: a killed run can leave a ``.tmp-``
object behind, never a half-written final one). See docs/scaling.md, "Object stores".

The backends (``s3fs``, ``gcsfs``, ``huggingface_hub``) are installed separately; a missing one is a
:class:`~despin.errors.MissingDependencyError` that names it.

Example:
    >>> is_remote("s3://bucket/shards/"), is_remote("/data/shards"), is_remote("file:///data/x.jsonl")
    (True, False, False)
    >>> local_path("file:///data/x.jsonl")
    '/data/x.jsonl'
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from despin.errors import InputError, MissingDependencyError

# Backends fsspec imports on demand, and the package a user installs for each.
_BACKENDS = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "hf": "huggingface_hub", "az": "adlfs"}


def is_remote(path: str | Path) -> bool:
    """Whether ``path`` is an fsspec URL other than ``file://`` (which is a local path)."""
    text = str(path)
    return "://" in text and not text.startswith("file://")


def local_path(path: str | Path) -> str:
    """``path`` without a ``file://`` prefix (any other path unchanged)."""
    text = str(path)
    return text[len("file://") :] if text.startswith("file://") else text


def url_fs(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of ``url`` and the path within it; a missing backend names its package."""
    import fsspec

    try:
        fs, inner = fsspec.core.url_to_fs(url)
    except ImportError as exc:
        protocol = url.split("://", 1)[0]
        package = _BACKENDS.get(protocol, f"the fsspec backend for {protocol}://")
        raise MissingDependencyError(f"{url}: reading {protocol}:// needs {package}: pip install {package}") from exc
    except ValueError as exc:  # unknown protocol
        raise InputError(f"{url}: {exc}") from None
    return fs, str(inner)


def join(root: str, *parts: str) -> str:
    """``root/part/...`` for a URL or a local path."""
    return "/".join([root.rstrip("/"), *(p.strip("/") for p in parts)])


@contextmanager
def open_input(path: str) -> Iterator[IO[bytes]]:
    """Open a shard for reading, local or remote (binary)."""
    if not is_remote(path):
        with open(local_path(path), "rb") as fh:
            yield fh
        return
    fs, inner = url_fs(path)
    with fs.open(inner, "rb") as fh:
        yield fh


def size_of(path: str) -> int:
    """The size of a shard in bytes (0 when it cannot be read)."""
    try:
        if not is_remote(path):
            return os.path.getsize(local_path(path))
        fs, inner = url_fs(path)
        return int(fs.size(inner) or 0)
    except (OSError, ValueError, KeyError, FileNotFoundError):
        return 0


def version_of(path: str) -> tuple[int, str | int]:
    """``(size, version)`` of a shard: its mtime in ns locally; remotely its ETag, checksum or mtime."""
    if not is_remote(path):
        st = Path(local_path(path)).stat()
        return st.st_size, st.st_mtime_ns
    fs, inner = url_fs(path)
    info = fs.info(inner)
    for key in ("ETag", "etag", "md5Hash", "checksum", "mtime", "LastModified", "last_modified", "created"):
        if info.get(key) is not None:
            return int(info.get("size") or 0), str(info[key])
    return int(info.get("size") or 0), ""


def list_files(url: str) -> tuple[bool, list[tuple[str, str]]]:
    """``(is_dir, [(url, name relative to url)])``: the file itself, or every file below a directory.

    Raises:
        InputError: nothing exists at ``url``.
    """
    fs, inner = url_fs(url)
    if fs.isfile(inner):
        return False, [(url, inner.rstrip("/").rsplit("/", 1)[-1])]
    if not fs.isdir(inner):
        raise InputError(f"{url}: no such file or directory")
    base = inner.rstrip("/")
    out = []
    for found in sorted(fs.find(inner)):
        rel = found[len(base) :].lstrip("/") if found.startswith(base) else found.rsplit("/", 1)[-1]
        out.append((fs.unstrip_protocol(found), rel))
    return True, out


def write_bytes(path: str, data: bytes) -> None:
    """Write a whole file, remote or local, under a temporary name first (see the module docstring)."""
    if not is_remote(path):
        from despin.files import write_atomic

        write_atomic(Path(local_path(path)), data)
        return
    fs, inner = url_fs(path)
    parent = inner.rstrip("/").rsplit("/", 1)[0]
    if parent and parent != inner:
        fs.makedirs(parent, exist_ok=True)
    tmp = f"{inner}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    with fs.open(tmp, "wb") as fh:
        fh.write(data)
    fs.mv(tmp, inner)


def put_file(local: Path, url: str) -> None:
    """Upload a local file to ``url`` under a temporary name, then move it into place."""
    fs, inner = url_fs(url)
    parent = inner.rstrip("/").rsplit("/", 1)[0]
    if parent and parent != inner:
        fs.makedirs(parent, exist_ok=True)
    tmp = f"{inner}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    fs.put_file(str(local), tmp)
    fs.mv(tmp, inner)


def read_bytes(path: str) -> bytes:
    """A whole file, remote or local."""
    with open_input(path) as fh:
        return fh.read()


def exists(path: str) -> bool:
    if not is_remote(path):
        return os.path.exists(local_path(path))
    fs, inner = url_fs(path)
    return bool(fs.exists(inner))
