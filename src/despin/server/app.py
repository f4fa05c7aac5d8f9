"""The HTTP app: ``POST /v1/{detect,restore,trace}``, ``GET /v1/health``, the page at ``/`` and ``/docs``.

The endpoints call :mod:`despin.api` and return ``to_dict()`` unchanged, so HTTP, CLI and Python share one
schema. The model and the index load once, at startup; model work runs in worker threads (bounded by
``settings.threads`` and ``settings.timeout_s``) so the event loop keeps serving.

Example:
    >>> from despin.server import ServerSettings, create_app
    >>> app = create_app(ServerSettings(model_path="/nonexistent"))
    >>> sorted(r.path for r in app.routes if r.path.startswith("/v1"))
    ['/v1/detect', '/v1/health', '/v1/restore', '/v1/trace']
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

import anyio
import anyio.from_thread
import anyio.to_thread
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from despin import api
from despin._version import __version__
from despin.errors import (
    ConfigError,
    DespinError,
    IndexCorruptError,
    IndexMismatchError,
    InputError,
    MissingDependencyError,
    ModelError,
)
from despin.server.docs import install_docs
from despin.server.middleware import ApiError, RequestContextMiddleware, error_body
from despin.server.runtime import Runtime
from despin.server.schemas import (
    DetectionOut,
    DetectRequest,
    ErrorOut,
    HealthOut,
    RestorationOut,
    RestoreRequest,
    TraceOut,
    TraceRequest,
)
from despin.server.settings import ServerSettings

if TYPE_CHECKING:
    pass
from despin.server.static import install_page
from despin.textio import check_text

logger = logging.getLogger("despin.server")
T = TypeVar("T")

# STYLE.md section 6: what each DespinError means for an HTTP client.
_STATUS: tuple[tuple[type[DespinError], int], ...] = (
    (InputError, 422),
    (ConfigError, 422),
    (IndexMismatchError, 409),
    (ModelError, 503),
    (IndexCorruptError, 503),
    (MissingDependencyError, 503),
)
_HTTP_CODES = {404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}


def _json(obj: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(obj), status_code=status, media_type="application/json")


def _error(status: int, error: str, message: str) -> Response:
    return Response(error_body(error, message), status_code=status, media_type="application/json")


def _validation_message(exc: RequestValidationError) -> str:
    """One readable sentence per problem, e.g. ``text: Field required``."""
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        if err.get("type") == "json_invalid":
            detail = (err.get("ctx") or {}).get("error", "")
            parts.append(f"request body is not valid JSON: {detail} (at character {loc[0] if loc else '?'})")
        elif not loc and err.get("type") in {"dict_type", "model_attributes_type", "model_type"}:
            parts.append(
                'request body must be a JSON object such as {"text": "..."} sent with Content-Type: application/json'
            )
        elif not loc and err.get("type") == "missing":
            parts.append('request body is empty; send a JSON object such as {"text": "..."}')
        elif err.get("type") == "extra_forbidden":
            parts.append(f"{'.'.join(loc)}: unknown field (this endpoint takes no such option)")
        else:
            parts.append(f"{'.'.join(loc) or 'body'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _not_utf8_message(request: Request, exc: UnicodeDecodeError) -> str:
    """Why a body that is not UTF-8 was refused, e.g. ``byte 0xe9 at position 14``."""
    byte = exc.object[exc.start] if exc.start < len(exc.object) else 0
    message = (
        f"request body is not valid UTF-8 (byte 0x{byte:02x} at position {exc.start}); "
        'send a JSON object such as {"text": "..."} encoded as UTF-8'
    )
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in {"", "identity"}:
        message += f", uncompressed (Content-Encoding: {encoding} is not supported)"
    return message


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> Response:
        return _error(422, "InputError", _validation_message(exc))

    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, exc: ApiError) -> Response:
        return _error(exc.status, exc.error, exc.message)

    @app.exception_handler(DespinError)
    async def on_despin_error(request: Request, exc: DespinError) -> Response:
        status = next((code for cls, code in _STATUS if isinstance(exc, cls)), 500)
        if status == 500:
            logger.error("request_id=%s %s: %s", request.state.request_id, type(exc).__name__, exc)
        return _error(status, type(exc).__name__, str(exc))

    @app.exception_handler(HTTPException)
    async def on_http_error(request: Request, exc: HTTPException) -> Response:
        message = str(exc.detail)
        if exc.status_code == 404:
            message = f"no such endpoint: {request.method} {request.url.path} (the API is listed at /docs)"
        elif exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI turns a body that does not decode into a bare 400; say what is wrong, as a 422.
            return _error(422, "InputError", _not_utf8_message(request, exc.__cause__))
        elif exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "")
            message = f"{request.method} is not allowed on {request.url.path}; use {allowed or 'another method'}"
        response = _error(exc.status_code, _HTTP_CODES.get(exc.status_code, "HTTPError"), message)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """Build the app. Nothing is loaded here: the lifespan loads the model and index when the server starts.

    Args:
        settings: server settings; the defaults when None.

    Returns:
        A FastAPI app, ready for uvicorn or ``fastapi.testclient.TestClient``.
    """
    settings = settings or ServerSettings()
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start_limiter()
        await anyio.to_thread.run_sync(runtime.load)
        try:
            yield
        finally:
            runtime.close()

    app = FastAPI(
        title="despin",
        version=__version__,
        description="Find machine-spun Indonesian text, restore what it said, and trace it to its source. "
        "The responses are exactly the JSON of the `despin` CLI.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        responses={
            422: {"model": ErrorOut},
            413: {"model": ErrorOut},
            503: {"model": ErrorOut},
            504: {"model": ErrorOut},
        },
    )
    app.state.runtime = runtime
    _install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)

    async def run_model(fn: Callable[[], T]) -> T:
        """Run CPU-bound model work in a worker thread, under the concurrency and time limits."""
        # The token goes back when the work ends, not when the request gives up on it: work abandoned after
        # a 504 cannot be stopped, but it still counts against settings.threads. Whichever side gets to the
        # state first decides: the worker starts the work (and releases after it), or the request, giving
        # up before the work started, releases the token itself and the worker skips the work.
        limiter, borrower = runtime.limiter, object()
        lock, state = threading.Lock(), {"started": False, "given_up": False}

        def release() -> None:
            limiter.release_on_behalf_of(borrower)

        def work() -> T | None:
            with lock:
                if state["given_up"]:
                    return None
                state["started"] = True
            try:
                return fn()
            finally:
                # RuntimeError: the event loop is gone (the server is shutting down), nothing left to limit.
                with suppress(RuntimeError):
                    anyio.from_thread.run_sync(release)

        try:
            with anyio.fail_after(settings.timeout_s):
                await limiter.acquire_on_behalf_of(borrower)
                try:
                    return cast(T, await anyio.to_thread.run_sync(work, abandon_on_cancel=True))
                except BaseException:
                    with lock:
                        state["given_up"] = True
                        if not state["started"]:
                            release()
                    raise
        except TimeoutError:
            raise ApiError(
                504,
                "Timeout",
                f"the request took longer than the {settings.timeout_s:g}-second "
                "limit; send a shorter text or retry later",
            ) from None

    def checked(text: str) -> str:
        """The HTTP limits, then the same text rules as the CLI (before the model: a bad text is a 422 even
        while the model is not loaded)."""
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise ApiError(
                422,
                "InputError",
                f"text: unpaired surrogate {text[exc.start]!r} at character {exc.start}; send valid Unicode",
            ) from None
        if size > settings.max_bytes:
            raise ApiError(
                413,
                "PayloadTooLarge",
                f"text is {size:,} bytes of UTF-8, over this server's {settings.max_bytes:,}-byte limit",
            )
        return check_text(text, name="field 'text'")

    @app.post(
        "/v1/detect",
        summary="Is this text spun?",
        response_model=None,
        tags=["api"],
        responses={200: {"model": DetectionOut}},
    )
    async def detect(body: DetectRequest) -> Response:
        """Score how likely the text is spun (`despin detect`)."""
        text, model = checked(body.text), runtime.require_model()
        result = await run_model(partial(api.detect, text, model=model, table=runtime.table))
        return _json(result.to_dict())

    @app.post(
        "/v1/restore",
        summary="Restore the original wording",
        response_model=None,
        tags=["api"],
        responses={200: {"model": RestorationOut}},
    )
    async def restore(body: RestoreRequest) -> Response:
        """Undo the spin: the most likely original text and the edits (`despin restore`)."""
        text, model = checked(body.text), runtime.require_model()
        restore = partial(
            api.restore, text, model=model, table=runtime.table, remove_footer=body.remove_footer, force=body.force
        )
        result = await run_model(restore)
        return _json(result.to_dict())

    @app.post(
        "/v1/trace",
        summary="Find the source",
        response_model=None,
        tags=["api"],
        responses={200: {"model": TraceOut}, 409: {"model": ErrorOut}},
    )
    async def trace(body: TraceRequest) -> Response:
        """Find the sources of the text in the configured index (`despin trace`)."""
        text, index = checked(body.text), runtime.require_index()
        result = await run_model(partial(api.trace, text, index=index, top=body.top, with_text=body.with_text))
        return _json(result.to_dict())

    @app.get(
        "/v1/health",
        summary="Model and index versions",
        response_model=None,
        tags=["api"],
        responses={200: {"model": HealthOut}, 503: {"model": HealthOut}},
    )
    async def health() -> Response:
        """Model version and manifest, index header and size, limits. 503 while the model is not loaded."""
        doc = runtime.health()
        return _json(doc, status=200 if doc["status"] == "ok" else 503)

    install_docs(app)
    install_page(app)
    return app


def create_app_from_env() -> FastAPI:
    """App factory for uvicorn worker processes (``--workers N``); settings come from the parent process."""
    return create_app(ServerSettings.from_env())
