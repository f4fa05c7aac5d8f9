"""The HTTP API against a real ``despin serve`` (uvicorn in a subprocess on a free loopback port).

Servers are module-scoped and each covers one configuration: a loaded index but no model (all error
paths, trace), the default model (detect/restore equal the Python API), a mismatched index (409), a tiny
time limit (504) and two workers. A few checks use the ASGI test client where a route is added on purpose.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from server_helpers import (
    MODEL_AVAILABLE,
    SKIP_NO_MODEL,
    SOURCES,
    SPUN_KUPANG,
    RunningServer,
    build_index,
    run_server,
)

from despin import api
from despin.cli import cli
from despin.errors import ConfigError, IndexMismatchError, InputError, LexiconError, ModelError
from despin.server import ServerSettings, create_app
from despin.server.schemas import DetectionOut, ErrorOut, HealthOut, RestorationOut, TraceOut
from despin.tracer import Index

pytestmark = pytest.mark.timeout(240)

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server")


@pytest.fixture(scope="module")
def index_path(workdir: Path) -> Path:
    return build_index(workdir / "sources.db")


@pytest.fixture(scope="module")
def bare(workdir: Path, index_path: Path) -> Iterator[RunningServer]:
    """A server whose model directory is empty (model not loaded) but with a real index."""
    (workdir / "no-model").mkdir()
    with no_model_server(workdir, index_path) as server:
        yield server


def no_model_server(workdir: Path, index_path: Path, *extra: str) -> AbstractContextManager[RunningServer]:
    """A server with the empty model directory of :func:`bare` and the index, and ``extra`` flags."""
    return run_server("--model", str(workdir / "no-model"), "--index", str(index_path), *extra, log_dir=workdir)


@pytest.fixture(scope="module")
def client(bare: RunningServer) -> Iterator[httpx.Client]:
    with bare.client() as c:
        yield c


def error_of(resp: httpx.Response, status: int, error: str) -> str:
    """Assert an error response's status, body shape and request id; return its message."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    ErrorOut.model_validate(body)
    assert body["error"] == error, body
    assert HEX_ID.fullmatch(resp.headers["x-request-id"])
    assert "Traceback" not in resp.text and 'File "' not in resp.text
    return str(body["message"])


# -------------------------------------------------------------------------- model not loaded (503)


def test_health_reports_the_missing_model_with_503(client: httpx.Client, workdir: Path) -> None:
    resp = client.get("/v1/health")
    assert resp.status_code == 503
    body = resp.json()
    HealthOut.model_validate(body)
    assert body["status"] == "unavailable" and body["model"] is None
    assert "no-model is not a despin model: manifest.json is missing" in body["model_error"]
    assert str(workdir) not in resp.text  # no host path reaches a client
    assert body["index"]["count"] == len(SOURCES)
    assert body["index"]["header"]["format_version"]
    assert body["limits"] == {"max_bytes": 1_000_000, "timeout_s": 60.0, "threads": 4}


@pytest.mark.parametrize("path", ["/v1/detect", "/v1/restore"])
def test_model_endpoints_answer_503_while_the_model_is_not_loaded(client: httpx.Client, path: str) -> None:
    message = error_of(client.post(path, json={"text": SPUN_KUPANG}), 503, "ModelNotLoaded")
    assert "the model is not loaded" in message and "manifest.json is missing" in message


# -------------------------------------------------------------------------- trace against a real index


def test_trace_returns_exactly_the_api_json(client: httpx.Client, index_path: Path) -> None:
    resp = client.post("/v1/trace", json={"text": SPUN_KUPANG, "top": 2})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    TraceOut.model_validate(body)
    with Index.open(index_path) as ix:
        expected = api.trace(SPUN_KUPANG, index=ix, top=2).to_dict()
    assert body == expected
    best = body["matches"][0]
    assert best["source_id"] == "kupang-bridge" and "source_text" not in best
    pairs = {(s["spun"], s["source"]) for s in best["substitutions"]}
    assert {("anyar", "baru"), ("menyambungkan", "menghubungkan"), ("Penduduk", "Warga")} <= pairs


def test_trace_with_text_adds_the_aligned_source_text(client: httpx.Client) -> None:
    body = client.post("/v1/trace", json={"text": SPUN_KUPANG, "with_text": True}).json()
    best = body["matches"][0]
    assert best["source_text"] == SOURCES["kupang-bridge"]
    for sub in best["substitutions"]:
        assert SPUN_KUPANG[sub["spun_start"] : sub["spun_end"]] == sub["spun"]
        assert best["source_text"][sub["source_start"] : sub["source_end"]] == sub["source"]


def test_trace_of_unrelated_text_has_no_matches(client: httpx.Client) -> None:
    body = client.post("/v1/trace", json={"text": "Tim sepak bola nasional menang dua kosong tadi malam."}).json()
    assert body == {"matches": []}


# -------------------------------------------------------------------------- 422: bad requests


@pytest.mark.parametrize(
    ("path", "payload", "needle"),
    [
        ("/v1/detect", {}, "text: Field required"),
        ("/v1/detect", {"txt": "halo"}, "txt: unknown field"),
        ("/v1/detect", {"text": 42}, "text: Input should be a valid string"),
        ("/v1/detect", {"text": None}, "text: Input should be a valid string"),
        ("/v1/detect", {"text": ["a"]}, "text: Input should be a valid string"),
        ("/v1/detect", {"text": "   \n "}, "field 'text': text is empty"),
        ("/v1/restore", {"text": "halo", "table": "/etc/passwd"}, "table: unknown field"),
        ("/v1/restore", {"text": "halo", "model": "/tmp"}, "model: unknown field"),
        (
            "/v1/restore",
            {"text": "halo", "remove_footer": "yes"},
            "remove_footer: Input should be a valid boolean",
        ),
        ("/v1/trace", {"text": "halo", "top": 0}, "top: Input should be greater than or equal to 1"),
        ("/v1/trace", {"text": "halo", "top": "5"}, "top: Input should be a valid integer"),
        ("/v1/trace", {"text": "halo", "top": 101}, "top: Input should be less than or equal to 100"),
        ("/v1/trace", {"text": "halo", "index": "/tmp/x.db"}, "index: unknown field"),
    ],
)
def test_invalid_fields_get_422_with_a_clear_message(
    client: httpx.Client, path: str, payload: dict[str, Any], needle: str
) -> None:
    assert needle in error_of(client.post(path, json=payload), 422, "InputError")


@pytest.mark.parametrize(
    ("body", "headers", "needle"),
    [
        (b'{"text": "halo"', {"content-type": "application/json"}, "request body is not valid JSON"),
        (b"text=halo", {"content-type": "application/json"}, "request body is not valid JSON"),
        (b'["halo"]', {"content-type": "application/json"}, "request body must be a JSON object"),
        (b'"halo"', {"content-type": "application/json"}, "request body must be a JSON object"),
        (b'{"text": "halo"}', {"content-type": "text/plain"}, "request body must be a JSON object"),
        (b"", {"content-type": "application/json"}, "request body is empty"),
        (b'{"text": "a\\ud800b"}', {"content-type": "application/json"}, "unpaired surrogate"),
    ],
)
def test_malformed_bodies_get_422(client: httpx.Client, body: bytes, headers: dict[str, str], needle: str) -> None:
    assert needle in error_of(client.post("/v1/detect", content=body, headers=headers), 422, "InputError")


def test_validation_runs_before_the_model_is_needed(client: httpx.Client) -> None:
    # A bad text is the client's fault (422) even on a server whose model is down.
    assert "text is empty" in error_of(client.post("/v1/restore", json={"text": ""}), 422, "InputError")


# -------------------------------------------------------------------------- 413: size limits


def test_text_over_max_bytes_gets_413(client: httpx.Client) -> None:
    message = error_of(client.post("/v1/trace", json={"text": "a" * 1_000_001}), 413, "PayloadTooLarge")
    assert "1,000,001 bytes" in message and "1,000,000-byte limit" in message


def test_the_limit_counts_utf8_bytes_not_characters(client: httpx.Client) -> None:
    text = "é" * 500_001  # 500,001 characters, 1,000,002 bytes
    error_of(client.post("/v1/trace", json={"text": text}), 413, "PayloadTooLarge")
    assert client.post("/v1/trace", json={"text": "é" * 499_999}).status_code == 200


def test_body_over_the_limit_is_refused_before_reading(client: httpx.Client) -> None:
    body = b'{"text": "' + b"a" * 6_100_000 + b'"}'  # the body cap is 6x max_bytes (room for JSON escaping)
    message = error_of(
        client.post("/v1/detect", content=body, headers={"content-type": "application/json"}),
        413,
        "PayloadTooLarge",
    )
    assert "6,016,384-byte limit" in message


def test_chunked_body_over_the_limit_gets_413(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(130):
            yield b"a" * 50_000
        yield b'"}'

    resp = client.post("/v1/detect", content=chunks(), headers={"content-type": "application/json"})
    assert resp.request.headers["transfer-encoding"] == "chunked" and "content-length" not in resp.request.headers
    error_of(resp, 413, "PayloadTooLarge")


# -------------------------------------------------------------------------- other errors, ids, logs


def test_unknown_path_and_wrong_method_are_json_errors(client: httpx.Client) -> None:
    assert "no such endpoint: GET /v2/detect" in error_of(client.get("/v2/detect"), 404, "NotFound")
    resp = client.get("/v1/detect")
    assert "GET is not allowed on /v1/detect; use POST" in error_of(resp, 405, "MethodNotAllowed")
    assert resp.headers["allow"] == "POST"


def test_every_response_has_a_request_id_that_is_in_the_log(client: httpx.Client, bare: RunningServer) -> None:
    ids = set()
    for resp in (
        client.post("/v1/trace", json={"text": SPUN_KUPANG}),
        client.get("/v1/health"),
        client.get("/nowhere"),
        client.get("/"),
    ):
        ids.add(resp.headers["x-request-id"])
        assert HEX_ID.fullmatch(resp.headers["x-request-id"])
    assert len(ids) == 4
    rid = client.post("/v1/trace", json={"text": SPUN_KUPANG}).headers["x-request-id"]
    line = _log_line(bare, rid)
    assert "method=POST path=/v1/trace status=200" in line and "duration_ms=" in line


def test_a_client_request_id_is_kept_and_a_bad_one_replaced(client: httpx.Client, bare: RunningServer) -> None:
    resp = client.get("/v1/health", headers={"X-Request-ID": "client-abc.123"})
    assert resp.headers["x-request-id"] == "client-abc.123"
    assert "path=/v1/health status=503" in _log_line(bare, "client-abc.123")
    for bad in ("bad id status=200", "x" * 200, "ok;rm"):
        resp = client.get("/v1/health", headers={"X-Request-ID": bad})
        assert HEX_ID.fullmatch(resp.headers["x-request-id"])


def _log_line(server: RunningServer, rid: str) -> str:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [ln for ln in server.log().splitlines() if f"request_id={rid} " in ln]
        if lines:
            return lines[-1]
        time.sleep(0.05)
    raise AssertionError(f"no log line for request {rid}:\n{server.log()[-2000:]}")


def test_model_work_does_not_block_the_event_loop(client: httpx.Client, bare: RunningServer) -> None:
    big = (SPUN_KUPANG + "\n") * 2_000  # ~950 kB: 0.1-1 s of trace, depending on the machine
    busy_for = 1.0  # keep the server tracing at least this long, however fast one trace is
    traces: list[tuple[float, float]] = []
    statuses: list[int] = []

    def slow() -> None:
        with bare.client() as c:
            while sum(t1 - t0 for t0, t1 in traces) < busy_for:
                t0 = time.perf_counter()
                statuses.append(c.post("/v1/trace", json={"text": big}).status_code)
                traces.append((t0, time.perf_counter()))

    worker = threading.Thread(target=slow)
    worker.start()
    checks: list[tuple[float, float]] = []
    while worker.is_alive():
        t0 = time.perf_counter()
        client.get("/v1/health")
        checks.append((t0, time.perf_counter()))
        time.sleep(0.005)
    worker.join()
    assert statuses and set(statuses) == {200}
    # A blocked loop holds a health check that arrives during a trace until that trace is over, so no check would
    # start and finish inside one trace (a free loop answers 15-20 in a second of traces, a blocked one 0-1). The
    # margin absorbs the order in which the two responses are read.
    margin = 0.01
    inside = sum(any(t0 < h0 and h1 < t1 - margin for t0, t1 in traces) for h0, h1 in checks)
    assert inside >= 6, f"{inside} of {len(checks)} health checks answered inside one of {len(traces)} traces"


# -------------------------------------------------------------------------- page and docs


def test_the_page_and_its_assets_are_served_with_a_strict_csp(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert 'src="/static/app.js"' in page.text and "http" not in page.text.split("<body>")[0]
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "innerHTML" not in js.text and "textContent" in js.text
    assert client.get("/static/style.css").status_code == 200


def test_openapi_and_docs_work_offline(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/v1/detect", "/v1/restore", "/v1/trace", "/v1/health"} <= set(spec["paths"])
    restore_body = spec["components"]["schemas"]["RestoreRequest"]
    assert set(restore_body["properties"]) == {"text", "remove_footer", "force"}
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn." not in docs.text and "unpkg" not in docs.text
    for src in re.findall(r'(?:src|href)="(/[^"]+)"', docs.text):
        assert client.get(src).status_code == 200, src


def test_the_docs_fallback_page_works_without_swagger_ui() -> None:
    from fastapi import FastAPI

    from despin.server.docs import install_docs

    app = FastAPI(docs_url=None)
    assert install_docs(app, prefer_swagger=False) == "offline"
    with TestClient(app) as c:
        page = c.get("/docs")
    assert page.status_code == 200 and "/static/docs.js" in page.text


# -------------------------------------------------------------------------- other server configurations


def test_trace_without_an_index_is_503_and_names_the_flag(workdir: Path) -> None:
    with run_server("--model", str(workdir / "no-model"), log_dir=workdir) as server, server.client() as c:
        message = error_of(c.post("/v1/trace", json={"text": SPUN_KUPANG}), 503, "IndexNotConfigured")
        assert "--index PATH" in message
        assert c.get("/v1/health").json()["index"] is None


def test_an_index_from_another_despin_gives_409(workdir: Path) -> None:
    path = build_index(workdir / "other.db")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = 'tok-0' WHERE key = 'tokenizer_version'")
    with (
        run_server("--model", str(workdir / "no-model"), "--index", str(path), log_dir=workdir) as server,
        server.client() as c,
    ):
        message = error_of(c.post("/v1/trace", json={"text": SPUN_KUPANG}), 409, "IndexMismatchError")
        assert "tokenizer tok-0" in message
        assert "tokenizer tok-0" in c.get("/v1/health").json()["index_error"]


def test_requests_over_the_time_limit_get_504(workdir: Path, index_path: Path) -> None:
    big = (SPUN_KUPANG + "\n") * 2_000
    with no_model_server(workdir, index_path, "--timeout", "0.05") as server, server.client() as c:
        message = error_of(c.post("/v1/trace", json={"text": big}), 504, "Timeout")
        assert "0.05-second limit" in message
        # The abandoned work still finishes in its thread; once it has, short requests fit the limit again.
        deadline, status = time.monotonic() + 30, 0
        while status != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
            status = c.post("/v1/trace", json={"text": "Harga beras naik."}).status_code
        assert status == 200


def test_two_workers_serve_the_same_settings(workdir: Path, index_path: Path) -> None:
    with no_model_server(workdir, index_path, "--workers", "2", "--max-bytes", "5000") as server, server.client() as c:
        for _ in range(6):
            assert c.post("/v1/trace", json={"text": SPUN_KUPANG}).json()["matches"][0]["source_id"] == "kupang-bridge"
        error_of(c.post("/v1/trace", json={"text": "a" * 5001}), 413, "PayloadTooLarge")
        assert c.get("/v1/health").json()["limits"]["max_bytes"] == 5000


@pytest.mark.skipif(not MODEL_AVAILABLE, reason=SKIP_NO_MODEL)
def test_detect_and_restore_return_exactly_the_api_json(workdir: Path) -> None:
    with run_server(log_dir=workdir) as server, server.client() as c:
        health = c.get("/v1/health")
        assert health.status_code == 200
        model = api.load_model()
        info = health.json()
        HealthOut.model_validate(info)
        assert info["status"] == "ok" and info["model"]["version"] == model.version
        assert info["model"]["manifest"] == json.loads(json.dumps(model.manifest))
        assert "path" not in info["model"] and str(model.path) not in health.text
        det = c.post("/v1/detect", json={"text": SPUN_KUPANG}).json()
        DetectionOut.model_validate(det)
        assert det == api.detect(SPUN_KUPANG, model=model).to_dict()
        for remove_footer in (True, False):
            text = SPUN_KUPANG + "\n\nSumber Referensi Berita: Kompas"
            res = c.post("/v1/restore", json={"text": text, "remove_footer": remove_footer}).json()
            RestorationOut.model_validate(res)
            assert res == api.restore(text, model=model, remove_footer=remove_footer).to_dict()


# -------------------------------------------------------------------------- in-process checks


def test_despin_errors_map_to_statuses_without_tracebacks(tmp_path: Path) -> None:
    app = create_app(ServerSettings(model_path=str(tmp_path)))
    raised: dict[str, Exception] = {
        "input": InputError("bad record"),
        "config": ConfigError("top must be >= 1"),
        "mismatch": IndexMismatchError("built with tokenizer 0"),
        "model": ModelError("lm.binary is corrupted"),
        "lexicon": LexiconError("x.tsv:3: malformed"),
        "bug": ZeroDivisionError("division by zero"),
    }

    def make(exc: Exception) -> Any:
        async def route() -> None:
            raise exc

        return route

    for name, exc in raised.items():
        app.add_api_route(f"/boom/{name}", make(exc))
    expected = {
        "input": (422, "InputError"),
        "config": (422, "ConfigError"),
        "mismatch": (409, "IndexMismatchError"),
        "model": (503, "ModelError"),
        "lexicon": (500, "LexiconError"),
        "bug": (500, "InternalError"),
    }
    with TestClient(app, raise_server_exceptions=False) as c:
        for name, (status, error) in expected.items():
            resp = c.get(f"/boom/{name}")
            assert resp.status_code == status, (name, resp.text)
            body = resp.json()
            assert body["error"] == error and set(body) == {"error", "message"}
            assert "Traceback" not in resp.text and HEX_ID.fullmatch(resp.headers["x-request-id"])
        assert "division" not in c.get("/boom/bug").text


def test_settings_are_checked_and_round_trip_through_the_worker_env() -> None:
    s = ServerSettings(port=0, index_path="/x.db", workers=2, max_bytes=10, timeout_s=1.5)
    assert ServerSettings.from_env(s.to_env()) == s
    assert ServerSettings().host == "127.0.0.1" and ServerSettings().is_loopback
    assert not ServerSettings(host="0.0.0.0").is_loopback
    for bad in ({"workers": 0}, {"max_bytes": 0}, {"timeout_s": 0}, {"port": 70000}, {"log_level": "loud"}):
        with pytest.raises(ConfigError):
            ServerSettings(**bad)
    with pytest.raises(ConfigError, match="unknown server settings: colour"):
        ServerSettings.from_dict({"colour": "red"})


def test_serve_help_shows_loopback_default_and_every_flag() -> None:
    out = CliRunner().invoke(cli, ["serve", "--help"]).output
    assert "[default: 127.0.0.1]" in out
    for flag in ("--port", "--model", "--index", "--workers", "--max-bytes", "--timeout"):
        assert flag in out
