"""The outermost ASGI layer: request ids, a log line per request, the body size limit, a last-resort 500.

Written as plain ASGI (not ``BaseHTTPMiddleware``) so that it costs little per request and sees every
response, including the ones Starlette builds for errors.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("despin.server")

REQUEST_ID_HEADER = "x-request-id"
# A client may pass its own id (to correlate logs); anything else is replaced, so ids never inject log lines.
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a body passes the limit (FastAPI lets HTTPExceptions through)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than the {limit:,}-byte limit")


class ApiError(Exception):
    """An error response decided by the server itself (no index, model not loaded, time limit, size)."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def error_body(error: str, message: str) -> bytes:
    return orjson.dumps({"error": error, "message": message})


class RequestContextMiddleware:
    """Give every request an id (``X-Request-ID`` on the response and in the log line) and bound its body.

    Args:
        app: the wrapped ASGI app.
        max_body_bytes: larger bodies get 413 (from the Content-Length header before reading, or while
            reading a chunked body).
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        client_id = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        rid = client_id if _CLIENT_ID.fullmatch(client_id) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        status = 0
        received = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                out = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER.encode()]
                out.append((REQUEST_ID_HEADER.encode(), rid.encode()))
                message = {**message, "headers": out}
            await send(message)

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        try:
            declared = _content_length(headers)
            if declared is not None and declared > self.max_body_bytes:
                await _send_error(
                    send_with_id,
                    413,
                    "PayloadTooLarge",
                    f"request body is {declared:,} bytes, over the {self.max_body_bytes:,}-byte limit",
                )
            else:
                await self.app(scope, bounded_receive, send_with_id)
        except BodyTooLarge as exc:
            if status == 0:
                await _send_error(send_with_id, 413, "PayloadTooLarge", str(exc.detail))
        except Exception:
            # Never a stack trace to the client: the trace goes to the server log under the request id.
            logger.exception("request_id=%s unhandled error", rid)
            if status == 0:
                await _send_error(
                    send_with_id,
                    500,
                    "InternalError",
                    f"internal error; quote request id {rid} to the operator",
                )
        finally:
            logger.info(
                "request_id=%s method=%s path=%s status=%d bytes_in=%d duration_ms=%.1f",
                rid,
                scope.get("method", "-"),
                scope.get("path", "-"),
                status,
                received,
                (time.perf_counter() - started) * 1000,
            )


def _content_length(headers: dict[bytes, bytes]) -> int | None:
    raw = headers.get(b"content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


async def _send_error(send: Send, status: int, error: str, message: str) -> None:
    body = error_body(error, message)
    start: dict[str, Any] = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})
