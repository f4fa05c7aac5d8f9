"""Locating (or building) KenLM's ``lmplz`` and ``build_binary``: the kenlm wheel can only query."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from despin.errors import ModelError

KENLM_SDIST = "kenlm==0.3.0"


def _run(cmd: list[str], cwd: Path, log: Path) -> None:
    with open(log, "ab") as fh:
        proc = subprocess.run(cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise ModelError(f"`{' '.join(cmd)}` failed (exit {proc.returncode}); see {log}")


def find_kenlm_bin(cache_dir: Path) -> Path | None:
    """A directory holding lmplz and build_binary: $KENLM_BIN, PATH, or a previous build in ``cache_dir``."""
    for cand in (os.environ.get("KENLM_BIN"), str(cache_dir / "kenlm" / "build" / "bin")):
        if cand and (Path(cand) / "lmplz").is_file() and (Path(cand) / "build_binary").is_file():
            return Path(cand)
    lmplz, build_binary = shutil.which("lmplz"), shutil.which("build_binary")
    if lmplz and build_binary and Path(lmplz).parent == Path(build_binary).parent:
        return Path(lmplz).parent
    return None


def ensure_kenlm_bin(cache_dir: Path) -> Path:
    """Return the KenLM bin directory, building it from the PyPI sdist with cmake if needed (~1 min).

    Needs cmake, a C++ compiler and Boost (Debian: cmake build-essential libboost-program-options-dev
    libboost-system-dev libboost-thread-dev libboost-test-dev zlib1g-dev libbz2-dev liblzma-dev).
    """
    found = find_kenlm_bin(cache_dir)
    if found:
        return found
    cache_dir.mkdir(parents=True, exist_ok=True)
    log = cache_dir / "kenlm-build.log"
    src = cache_dir / "kenlm"
    if not (src / "CMakeLists.txt").is_file():
        dl = cache_dir / "sdist"
        dl.mkdir(exist_ok=True)
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                "kenlm",
                KENLM_SDIST,
                "-d",
                str(dl),
            ],
            cache_dir,
            log,
        )
        archive = next(dl.glob("kenlm-*.tar.gz"), None)
        if archive is None:
            raise ModelError(f"pip did not download the kenlm sdist; see {log}")
        with tarfile.open(archive) as tar:
            tar.extractall(dl, filter="data")
        extracted = next(p for p in dl.iterdir() if p.is_dir() and p.name.startswith("kenlm-"))
        if src.exists():
            shutil.rmtree(src)
        extracted.rename(src)
    build = src / "build"
    build.mkdir(exist_ok=True)
    _run(["cmake", "..", "-DCMAKE_BUILD_TYPE=Release"], build, log)
    _run(["make", f"-j{os.cpu_count() or 1}", "lmplz", "build_binary"], build, log)
    return build / "bin"
