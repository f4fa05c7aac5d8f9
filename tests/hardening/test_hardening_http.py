"""HTTP column of docs/hardening.md, and the service's security checks.

The app runs in-process under Starlette's test client with its real lifespan (real model, real index);
the bind address and a 20 MB upload use a real ``despin serve`` (uvicorn) in a subprocess.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from fastapi.testclient import TestClient

from conftest import PROCESSED, REPO, SOURCES, SPUN_KUPANG, doc_20mb, long_line, needs_model
from despin.server import ServerSettings, create_app

pytestmark = needs_model


@pytest.fixture(scope="module")
def client(index_files: dict[str, Path]) -> Iterator[TestClient]:
    with TestClient(create_app(ServerSettings(index_path=str(index_files["good"])))) as c:
        yield c


class _Response(Protocol):
    """What the checks need of a response: httpx's, or the test client's (its own httpx build)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


def error_of(resp: _Response, status: int, error: str) -> str:
    assert resp.status_code == status, (resp.status_code, resp.text[:500])
    body = resp.json()
    assert set(body) == {"error", "message"} and body["error"] == error, body
    assert "Traceback" not in body["message"]
    return str(body["message"])


# ----------------------------------------------------------------------------- texts


@pytest.mark.parametrize("path", ["/v1/detect", "/v1/restore", "/v1/trace"])
@pytest.mark.parametrize("text", ["", " \n\t\u3000 "], ids=["empty", "whitespace"])
def test_http_empty_and_whitespace_text_get_422(client: TestClient, path: str, text: str) -> None:
    assert "text is empty" in error_of(client.post(path, json={"text": text}), 422, "InputError")


BAD_BYTES = {
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
    "invalid-utf8": b'{"text": "caf\xe9 di pasar"}',
    "gzip": gzip.compress(b'{"text": "Harga beras naik."}'),
}


def test_http_lone_surrogate_escape_gets_422(client: TestClient) -> None:
    resp = client.post("/v1/detect", content=b'{"text": "a\\ud800b"}', headers={"content-type": "application/json"})
    assert "unpaired surrogate" in error_of(resp, 422, "InputError")


@pytest.mark.parametrize("name", sorted(BAD_BYTES))
def test_http_binary_invalid_utf8_and_gzip_bodies_get_a_json_4xx(client: TestClient, name: str) -> None:
    """Refused with a JSON error body, before any model work (the next test pins the status and message)."""
    resp = client.post("/v1/detect", content=BAD_BYTES[name], headers={"content-type": "application/json"})
    assert 400 <= resp.status_code < 500 and set(resp.json()) == {"error", "message"}


@pytest.mark.parametrize("name", sorted(BAD_BYTES))
def test_http_binary_invalid_utf8_and_gzip_bodies_get_422_saying_why(client: TestClient, name: str) -> None:
    headers = {"content-type": "application/json"} | ({"content-encoding": "gzip"} if name == "gzip" else {})
    message = error_of(client.post("/v1/detect", content=BAD_BYTES[name], headers=headers), 422, "InputError")
    assert "UTF-8" in message


def test_http_text_under_the_limit_is_accepted_whatever_its_json_escaping(client: TestClient) -> None:
    text = "“kata” " * 70_000  # 770,000 bytes of UTF-8, under the 1,000,000-byte limit; 1.19 MB escaped
    body = json.dumps({"text": text}, ensure_ascii=True).encode()
    assert len(text.encode()) < 1_000_000 < len(body)
    resp = client.post("/v1/detect", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 200, resp.text[:300]


def test_http_20mb_document_gets_413_from_the_declared_length(client: TestClient) -> None:
    body = json.dumps({"text": doc_20mb()}).encode()
    message = error_of(
        client.post("/v1/restore", content=body, headers={"content-type": "application/json"}), 413, "PayloadTooLarge"
    )
    assert f"{len(body):,} bytes, over the 6,016,384-byte limit" in message


def test_http_5mb_line_gets_413_under_the_default_limit(client: TestClient) -> None:
    message = error_of(client.post("/v1/detect", json={"text": long_line()}), 413, "PayloadTooLarge")
    assert "over the 6,016,384-byte limit" in message


def test_http_5mb_line_is_processed_when_the_limit_allows_it() -> None:
    with TestClient(create_app(ServerSettings(max_bytes=8_000_000))) as c:  # tabs are escaped as \\t
        text = long_line()
        resp = c.post("/v1/detect", json={"text": text})
        assert resp.status_code == 200, resp.text[:300]
        assert all(text[s["start"] : s["end"]] == s["text"] for s in resp.json()["spans"])


@pytest.mark.parametrize("name", sorted(PROCESSED))
def test_http_processes_markup_scripts_nul_long_words_and_english(client: TestClient, name: str) -> None:
    text = PROCESSED[name]
    for path in ("/v1/detect", "/v1/restore", "/v1/trace"):
        resp = client.post(path, json={"text": text})
        assert resp.status_code == 200, (path, resp.text[:300])
    spans = client.post("/v1/detect", json={"text": text}).json()["spans"]
    assert all(text[s["start"] : s["end"]] == s["text"] for s in spans)


def test_http_nul_escape_in_json_is_processed(client: TestClient) -> None:
    resp = client.post("/v1/restore", json={"text": "Harga beras\u0000 naik tajam."})
    assert resp.status_code == 200 and "\x00" in resp.json()["text"]


# ----------------------------------------------------------------------------- request bodies (JSONL/Parquet rows)


@pytest.mark.parametrize(
    ("body", "headers", "needle"),
    [
        (b'{"text": "Harga beras', {}, "not valid JSON"),
        (b'{"text": "a"}\n{"text": "b"}\n', {}, "not valid JSON"),
        (b"PAR1\x15\x04\x15\x10\x15\x14L\x15\x02\x15\x00\x12\x00\x00PAR1", {}, "not valid JSON"),
    ],
    ids=["truncated-json", "jsonl-lines", "parquet"],
)
def test_http_malformed_truncated_gzip_and_parquet_bodies_get_422(
    client: TestClient, body: bytes, headers: dict[str, str], needle: str
) -> None:
    resp = client.post("/v1/detect", content=body, headers={"content-type": "application/json", **headers})
    assert needle in error_of(resp, 422, "InputError")


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ({}, "text: Field required"),
        ({"body": "Harga beras naik."}, "text: Field required"),
        ({"text": None}, "text: Input should be a valid string"),
        ({"text": 12}, "text: Input should be a valid string"),
        ({"text": ["Harga", "beras"]}, "text: Input should be a valid string"),
        ([{"text": "Harga beras naik."}], "must be a JSON object"),
    ],
    ids=["missing", "wrong-schema", "null", "int", "list", "array-body"],
)
def test_http_missing_and_non_string_text_get_422(client: TestClient, payload: Any, needle: str) -> None:
    assert needle in error_of(client.post("/v1/detect", json=payload), 422, "InputError")


# ----------------------------------------------------------------------------- index and model


@pytest.mark.parametrize(
    ("name", "message"),
    [("truncated", "is truncated"), ("empty", "not a despin index"), ("not_sqlite", "not a despin index")],
)
def test_http_damaged_index_gives_503_with_the_reason(index_files: dict[str, Path], name: str, message: str) -> None:
    with TestClient(create_app(ServerSettings(index_path=str(index_files[name])))) as c:
        assert message in error_of(c.post("/v1/trace", json={"text": SPUN_KUPANG}), 503, "IndexNotLoaded")
        health = c.get("/v1/health").json()
        assert message in health["index_error"] and health["status"] == "ok"  # detect/restore still work
        assert c.post("/v1/detect", json={"text": SPUN_KUPANG}).status_code == 200


def test_http_damaged_stored_text_gives_503_not_500(index_files: dict[str, Path]) -> None:
    with TestClient(create_app(ServerSettings(index_path=str(index_files["damaged_text"])))) as c:
        message = error_of(c.post("/v1/trace", json={"text": SPUN_KUPANG}), 503, "IndexCorruptError")
        assert "stored text of 'kupang-bridge' is damaged" in message


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("missing-lm.binary", "lm.binary is missing"),
        ("missing-detector.json", "detector.json is missing"),
        ("corrupt-lexicon.json.gz", "lexicon.json.gz is corrupted"),
    ],
)
def test_http_broken_model_gives_503_naming_the_file(
    model_variants: dict[str, Path], variant: str, message: str
) -> None:
    with TestClient(create_app(ServerSettings(model_path=str(model_variants[variant])))) as c:
        assert message in error_of(c.post("/v1/restore", json={"text": SPUN_KUPANG}), 503, "ModelNotLoaded")
        health = c.get("/v1/health")
        assert health.status_code == 503 and message in health.json()["model_error"]


# ----------------------------------------------------------------------------- security


@pytest.mark.parametrize(
    "field",
    [
        {"model": "/etc"},
        {"model_path": "/etc"},
        {"index": "/etc/passwd"},
        {"index_path": "/etc/passwd"},
        {"table": "/etc/passwd"},
        {"path": "../../etc/passwd"},
    ],
)
@pytest.mark.parametrize("path", ["/v1/detect", "/v1/restore", "/v1/trace"])
def test_http_no_request_field_can_name_a_file(client: TestClient, path: str, field: dict[str, str]) -> None:
    message = error_of(client.post(path, json={"text": SOURCES["rice-price"], **field}), 422, "InputError")
    assert "unknown field" in message


@pytest.mark.parametrize(
    "url",
    [
        "/static/../../../../etc/passwd",
        "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%5c..%5cetc%5cpasswd",
        "/static//etc/passwd",
        "/docs/assets/../../../../etc/passwd",
        "/v1/../static/../../etc/passwd",
        "/static/../app.py",
    ],
)
def test_http_static_paths_cannot_leave_the_static_directory(client: TestClient, url: str) -> None:
    resp = client.get(url)
    assert resp.status_code == 404 and b"root:" not in resp.content and b"create_app" not in resp.content


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket in LISTEN state on ``port``, from /proc/net/tcp and tcp6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if int(p, 16) == port and state == "0A":
                found.add(addr)
    return found


@pytest.fixture(scope="module")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``despin serve`` with its defaults (but the port), in a real uvicorn process."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    code = "import sys; from despin.cli import cli; sys.exit(cli(prog_name='despin'))"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "serve", "--port", str(port)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_http_serve_binds_loopback_only_by_default(real_server: str) -> None:
    port = int(real_server.rsplit(":", 1)[1])
    assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, and nothing else (no 0.0.0.0, no ::)


def test_http_real_server_refuses_a_20mb_upload_before_reading_it(real_server: str) -> None:
    body = json.dumps({"text": doc_20mb()}).encode()
    t0 = time.perf_counter()
    resp = httpx.post(
        f"{real_server}/v1/detect", content=body, headers={"content-type": "application/json"}, timeout=60
    )
    assert time.perf_counter() - t0 < 10.0
    assert error_of(resp, 413, "PayloadTooLarge").startswith(f"request body is {len(body):,} bytes")
    assert httpx.post(f"{real_server}/v1/detect", json={"text": SPUN_KUPANG}, timeout=60).status_code == 200


def _threads_in_restore() -> int:
    """How many threads are inside ``Restorer.restore`` right now."""
    n = 0
    for frame in sys._current_frames().values():
        f: Any = frame
        while f is not None:
            if f.f_code.co_name == "restore" and f.f_code.co_filename.endswith("restorer.py"):
                n += 1
                break
            f = f.f_back
    return n


def test_http_timed_out_work_does_not_exceed_the_thread_limit() -> None:
    # Doubled words in a random order: every sentence window is new (the restorer caches decoded
    # windows, so "a a a ..." is fast now) and each doubled word is a repeat to weigh (~2 s here).
    words = [
        "pemerintah",
        "kota",
        "akan",
        "membangun",
        "taman",
        "baru",
        "di",
        "wilayah",
        "timur",
        "tahun",
        "depan",
        "warga",
        "berharap",
    ]
    slow = " ".join(f"{w} {w}" for w in random.Random(0).choices(words, k=10_000))
    with TestClient(create_app(ServerSettings(threads=1, timeout_s=0.3))) as c:
        peak = 0
        stop = threading.Event()

        def watch() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, _threads_in_restore())
                time.sleep(0.01)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            for _ in range(2):
                error_of(c.post("/v1/detect", json={"text": slow}), 504, "Timeout")
            time.sleep(0.5)
        finally:
            stop.set()
            watcher.join()
            deadline = time.monotonic() + 60  # let the abandoned work end before the next test
            while _threads_in_restore() and time.monotonic() < deadline:
                time.sleep(0.2)
        assert peak <= 1, f"{peak} requests ran the model at once with threads=1"
