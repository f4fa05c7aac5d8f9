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

# Source articles for a tiny trace index (written for these tests).
SOURCES: dict[str, str] = {
    "kupang-bridge": (
        "Presiden Joko Widodo meresmikan jembatan baru di Kupang pada hari Senin. Jembatan itu menghubungkan "
        "dua kabupaten yang selama ini hanya bisa dicapai dengan perahu. Menurut gubernur, pembangunan "
        "jembatan tersebut menghabiskan dana sekitar dua ratus miliar rupiah dan selesai lebih cepat dari "
        "jadwal. Warga setempat menyambut gembira karena perjalanan ke pasar kini jauh lebih singkat."
    ),
    "rice-price": (
        "Harga beras di pasar tradisional naik tajam menjelang akhir tahun. Para pedagang mengatakan pasokan "
        "dari petani berkurang karena musim hujan datang terlambat. Pemerintah berjanji akan menggelar "
        "operasi pasar agar harga kembali stabil dalam dua minggu ke depan."
    ),
    "flood-jakarta": (
        "Banjir merendam ratusan rumah di Jakarta Timur setelah hujan deras mengguyur ibu kota sejak malam. "
        "Petugas pemadam kebakaran membantu warga mengungsi ke tempat yang lebih aman. Ketinggian air "
        "mencapai satu meter di beberapa titik."
    ),
}
# kupang-bridge with words swapped for synonyms, as a spinner would.
SPUN_KUPANG = (
    "Presiden Joko Widodo meresmikan jembatan anyar di Kupang pada hari Senin. Jembatan itu menyambungkan "
    "dua kabupaten yang selama ini hanya dapat dicapai dengan perahu. Menurut gubernur, pembangunan "
    "jembatan tersebut menghabiskan anggaran sekitar dua ratus miliar rupiah dan rampung lebih cepat dari "
    "jadwal. Penduduk setempat menyambut gembira karena perjalanan ke pasar kini jauh lebih singkat."
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_index(path: Path) -> Path:
    """A tiny real index of :data:`SOURCES`, built with the trace API."""
    from despin.trace import Index

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
                    raise RuntimeError(
                        f"despin serve did not answer in {ready_timeout}s:\n{server.log()}"
                    ) from None
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
