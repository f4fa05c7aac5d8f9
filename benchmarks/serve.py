"""HTTP load benchmark: concurrent clients against ``POST /v1/restore`` of a real ``despin serve``.

Run: ``python -m benchmarks serve --suite quick|full [--clients N] [--duration S] [--workers N...]`` (or
``run(BenchConfig(...))``); writes ``serve-<git sha>[-quick].json`` and ``.md`` under ``--out``.

For 1 and then 2 server workers, start ``despin serve`` on a free 127.0.0.1 port, warm it up, then let
``clients`` asyncio+httpx clients send restore requests back to back for ``duration`` seconds, each a
news-length spun article (about 2,500 characters). Reports requests/s, latency percentiles of the
successful requests, every error by kind, and the 2-worker/1-worker throughput ratio.
Traffic goes only to 127.0.0.1; every loop is bounded in time and in request count.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.config import BenchConfig
from benchmarks.config import SuiteConfig as Cfg
from benchmarks.registry import bench_config, common_options, md_table, parser_for
from despin import api

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # never anything else: the load goes to this machine only
TARGET_CHARS = 2_500
MAX_REQUESTS = 1_000_000  # hard cap per run, whatever the duration
REQUEST_TIMEOUT_S = 120.0
SUITES: dict[str, dict[str, Any]] = {
    "quick": {"clients": 10, "duration_s": 3.0, "warmup_s": 1.0, "workers": (1, 2)},
    "full": {"clients": 200, "duration_s": 30.0, "warmup_s": 3.0, "workers": (1, 2)},
}
# Used when the shared corpora are absent; our own text, repeated to news length.
FALLBACK = (
    "Presiden Joko Widodo meresmikan jembatan baru di Kupang pada hari Senin. Jembatan itu menghubungkan "
    "dua kabupaten yang selama ini hanya bisa dicapai dengan perahu. Menurut gubernur, pembangunan jembatan "
    "tersebut menghabiskan dana sekitar dua ratus miliar rupiah dan selesai lebih cepat dari jadwal. Warga "
    "setempat menyambut gembira karena perjalanan ke pasar kini jauh lebih singkat.\n"
)


@dataclass
class LoadResult:
    """What one load run saw. Latencies are of successful (200) requests only."""

    workers: int
    clients: int
    duration_s: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        return {
            "workers": self.workers,
            "clients": self.clients,
            "duration_s": round(self.duration_s, 2),
            "requests": len(lat),
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "rps": round(len(lat) / self.duration_s, 2) if self.duration_s else 0.0,
            "p50_ms": _pct(lat, 50),
            "p90_ms": _pct(lat, 90),
            "p99_ms": _pct(lat, 99),
            "max_ms": round(lat[-1], 1) if lat else None,
        }


def _pct(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return round(sorted_values[k], 1)


# -------------------------------------------------------------------------------- the article


def article(cfg: Cfg) -> tuple[str, str]:
    """A spun news-length article and where its source came from (a dev-split IndoSum document)."""
    source, origin = _dev_article(cfg)
    spun = api.spin(source, model=_model(cfg), seed=cfg.seed).text
    return spun, origin


def _dev_article(cfg: Cfg) -> tuple[str, str]:
    from despin.training.splits import split_of

    resolved = getattr(cfg, "resolved_data_dir", None)
    if callable(resolved):
        ddir = Path(resolved())
    else:
        from despin.training.corpora import default_data_dir

        ddir = default_data_dir()
    path = ddir / "corpus" / "indosum_dev.jsonl.gz"
    if path.is_file():
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if split_of("indosum_dev", rec) == "dev" and len(rec["text"]) >= TARGET_CHARS:
                    return _cut(rec["text"]), f"indosum_dev:{rec['id']} (dev split)"
    return _cut(FALLBACK * (TARGET_CHARS // len(FALLBACK) + 2)), "built-in fallback text"


def _cut(text: str) -> str:
    """Cut at the last paragraph (or sentence) end before about TARGET_CHARS characters."""
    if len(text) <= TARGET_CHARS:
        return text
    head = text[: TARGET_CHARS + 200]
    for sep in ("\n", ". "):
        at = head.rfind(sep, TARGET_CHARS - 500)
        if at > 0:
            return head[: at + 1].rstrip()
    return head[:TARGET_CHARS]


def _model(cfg: Cfg) -> Any:
    return api.load_model(getattr(cfg, "model", None))


# -------------------------------------------------------------------------------- server process


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(workers: int, *, model: Path | None, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``despin serve`` with ``workers`` processes; return it once /v1/health says ok."""
    port = _free_port()
    cmd = [
        sys.executable,
        "-c",
        "from despin.cli import cli; cli(prog_name='despin')",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    if model is not None:
        cmd += ["--model", str(model)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"despin serve exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
        try:
            health = httpx.get(f"{url}/v1/health", timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        if health.status_code == 200:
            return proc, url
        # A worker answers only after loading, so a 503 here is a model that failed to load: stop now.
        stop_server(proc)
        raise RuntimeError(f"despin serve started without a model: {health.json().get('model_error')}")
    stop_server(proc)
    raise RuntimeError(f"despin serve did not become healthy in 300 s: {log_path.read_text()[-2000:]}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the server's own process group (its workers)
            proc.wait(timeout=10)


# -------------------------------------------------------------------------------- load generator


async def _client(http: httpx.AsyncClient, body: bytes, end: float, result: LoadResult, budget: list[int]) -> None:
    headers = {"content-type": "application/json"}
    while time.monotonic() < end and budget[0] > 0:
        budget[0] -= 1
        t0 = time.perf_counter()
        try:
            resp = await http.post("/v1/restore", content=body, headers=headers)
            ms = (time.perf_counter() - t0) * 1000
            if resp.status_code == 200 and resp.json().get("text"):
                if time.monotonic() <= end:  # a reply after the window is not counted
                    result.latencies_ms.append(ms)
            else:
                result.errors[f"http_{resp.status_code}"] += 1
        except httpx.HTTPError as exc:
            result.errors[type(exc).__name__] += 1


async def load(url: str, text: str, *, clients: int, duration_s: float, workers: int) -> LoadResult:
    """``clients`` concurrent loops of POST /v1/restore for ``duration_s`` s (and at most MAX_REQUESTS)."""
    if not url.startswith(f"http://{HOST}:"):
        raise ValueError(f"load targets {HOST} only, got {url}")
    body = json.dumps({"text": text}).encode()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    result = LoadResult(workers=workers, clients=clients, duration_s=duration_s)
    budget = [MAX_REQUESTS]
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=REQUEST_TIMEOUT_S) as http:
        start = time.monotonic()
        end = start + duration_s
        await asyncio.wait_for(
            asyncio.gather(*(_client(http, body, end, result, budget) for _ in range(clients))),
            timeout=duration_s + REQUEST_TIMEOUT_S + 30,
        )
    return result


# -------------------------------------------------------------------------------- entry points


def inprocess_rate(text: str, cfg: Cfg, *, reps: int) -> float:
    """Restorations per second of ``text`` by ``despin.api.restore`` in this process, on one thread: the
    ceiling one server worker can reach, so ``rps_1w / this`` is what HTTP costs."""
    model = _model(cfg)
    api.restore(text, model=model)  # loads the lazy parts
    t0 = time.perf_counter()
    for _ in range(reps):
        api.restore(text, model=model)
    return round(reps / (time.perf_counter() - t0), 2)


def run(
    cfg: Cfg,
    *,
    clients: int | None = None,
    duration_s: float | None = None,
    workers: tuple[int, ...] | None = None,
) -> dict[str, Any]:
    """Run the load benchmark for the suite of ``cfg``; the keyword arguments (else the config's
    ``clients``, ``duration_s`` and ``workers``) override the suite."""
    suite = dict(SUITES[cfg.suite])
    clients = clients or getattr(cfg, "clients", None)
    duration_s = duration_s or getattr(cfg, "duration_s", None)
    workers = workers or getattr(cfg, "workers", None)
    clients = clients or int(suite["clients"])
    duration_s = duration_s or float(suite["duration_s"])
    workers = workers or tuple(suite["workers"])
    text, origin = article(cfg)
    model = getattr(cfg, "model", None)
    runs: list[dict[str, Any]] = []
    load_before = os.getloadavg()[0]
    baseline = inprocess_rate(text, cfg, reps=5 if cfg.suite == "quick" else 20)
    with tempfile.TemporaryDirectory(prefix="despin-bench-serve-") as tmp:
        for n in workers:
            proc, url = start_server(n, model=model, log_path=Path(tmp) / f"serve-{n}.log")
            try:
                asyncio.run(load(url, text, clients=min(clients, 8), duration_s=float(suite["warmup_s"]), workers=n))
                runs.append(asyncio.run(load(url, text, clients=clients, duration_s=duration_s, workers=n)).summary())
            finally:
                stop_server(proc)
    by_workers = {r["workers"]: r for r in runs}
    out: dict[str, Any] = {}
    for n, r in by_workers.items():
        tag = f"{n}w"
        out.update({f"rps_{tag}": r["rps"], f"p50_ms_{tag}": r["p50_ms"], f"p99_ms_{tag}": r["p99_ms"]})
    if 1 in by_workers and 2 in by_workers and by_workers[1]["rps"]:
        out["scaling_2w_vs_1w"] = round(by_workers[2]["rps"] / by_workers[1]["rps"], 2)
    out["errors"] = sum(r["errors"] for r in runs)
    out["inprocess_restore_per_s"] = baseline
    if 1 in by_workers and baseline:
        out["server_efficiency_1w"] = round(by_workers[1]["rps"] / baseline, 2)
    out.update(
        {
            "clients": clients,
            "duration_s": duration_s,
            "text_chars": len(text),
            "text_source": origin,
            "endpoint": "POST /v1/restore",
            "cpu_count": os.cpu_count(),
            "loadavg_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "note": "load generator and server share the machine's CPUs; latencies are of 200 responses; "
            "inprocess_restore_per_s is api.restore on one thread, measured just before",
            "runs": runs,
            "command": f"python -m benchmarks serve --suite {cfg.suite}",
        }
    )
    return out


@dataclass(frozen=True, slots=True)
class ServeConfig(BenchConfig):
    """The common options; ``clients``, ``duration_s`` and ``workers`` override the suite's when set."""

    clients: int | None = None
    duration_s: float | None = None
    workers: tuple[int, ...] | None = None


def configure(argv: Sequence[str]) -> ServeConfig:
    parser = common_options(parser_for("serve", __doc__))
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--duration", type=float, default=None, help="seconds of load per worker count")
    parser.add_argument("--workers", type=int, nargs="+", default=None)
    a = parser.parse_args(list(argv))
    base = bench_config(a)
    return ServeConfig(
        **{f: getattr(base, f) for f in BenchConfig.__dataclass_fields__},
        clients=a.clients,
        duration_s=a.duration,
        workers=tuple(a.workers) if a.workers else None,
    )


def render(result: dict[str, Any]) -> str:
    keys = ("workers", "clients", "requests", "rps", "p50_ms", "p90_ms", "p99_ms", "errors")
    rows = [[r.get(k) for k in keys] for r in result["runs"]]
    return (
        f"# HTTP load: {result['endpoint']} ({result['cpu_count']} CPUs, {result['text_chars']:,}-char article)\n\n"
        + md_table(["workers", "clients", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors"], rows)
        + f"\n\nIn-process restore: {result['inprocess_restore_per_s']}/s"
        + (f"; 2 vs 1 workers: x{result['scaling_2w_vs_1w']}" if "scaling_2w_vs_1w" in result else "")
        + ".\n"
    )


if __name__ == "__main__":
    from benchmarks.registry import main

    main("serve")
