"""Start a real ``despin serve`` in a subprocess on a free loopback port (used by the server e2e tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from despin.model.bundle import DEFAULT_PATH

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_AVAILABLE = (DEFAULT_PATH / "manifest.json").is_file()
SKIP_NO_MODEL = "the default model bundle (src/despin/model/default/) is not built"

from tests.texts import SOURCES, SPUN_KUPANG  # noqa: E402,F401  (re-exported for the server tests)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_index(path: Path) -> Path:
    """A tiny real index of :data:`SOURCES`, built with the trace API."""
    from despin.tracer import Index

    with Index.create(path) as ix:
        ix.add(sorted(SOURCES.items()))
    return path


@dataclass
class RunningServer:
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60.0, **kwargs)  # type: ignore[arg-type]


@contextlib.contextmanager
def run_server(*args: str, log_dir: Path, ready_timeout: float = 120.0) -> Iterator[RunningServer]:
    """Run ``despin serve --port FREE ARGS...`` until the block ends; wait until it answers /v1/health."""
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    cmd = [
        sys.executable,
        "-c",
        "from despin.cli import cli; cli(prog_name='despin')",
        "serve",
        "--port",
        str(port),
        *args,
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env, start_new_session=True
        )
    server = RunningServer(f"http://127.0.0.1:{port}", port, proc, log_path)
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"despin serve exited with {proc.returncode}:\n{server.log()}")
            try:
                httpx.get(f"{server.url}/v1/health", timeout=2.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"despin serve did not answer in {ready_timeout}s:\n{server.log()}") from None
                time.sleep(0.1)
        yield server
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT (uvicorn's graceful stop), then SIGKILL to the server's own process group if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
