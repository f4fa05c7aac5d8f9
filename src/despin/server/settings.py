"""Server settings: one frozen dataclass, filled by ``despin serve`` flags.

Worker processes started by uvicorn (``--workers N`` > 1) cannot receive a Python object, so the parent
passes the settings as JSON in ``DESPIN_SERVER_SETTINGS``. That variable is plumbing between the parent
and its own children, not a user-facing switch: :func:`ServerSettings.from_env` is only called by
:func:`despin.server.app.create_app_from_env`.
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import asdict, dataclass
from typing import Any

from despin.errors import ConfigError

ENV_VAR = "DESPIN_SERVER_SETTINGS"

# 1 MB of UTF-8 text is about 400 news articles; a request that large still restores in seconds.
DEFAULT_MAX_BYTES = 1_000_000
# JSON escaping can make the body this many times the text's UTF-8 size: "\u0001" is 6 bytes for 1 (clients
# with ensure_ascii, such as python-requests, send every non-ASCII character as \uXXXX). The body is capped
# at that worst case; the text itself is held to max_bytes after decoding.
JSON_ESCAPE_FACTOR = 6
# On top of that: quotes, keys and the other fields.
BODY_SLACK_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Everything ``create_app`` needs.

    Args:
        host: address to bind; loopback by default, so nothing is exposed unless asked.
        port: TCP port (0 lets the OS choose, for tests).
        model_path: a model bundle directory; the packaged default bundle when None.
        index_path: a trace index; ``/v1/trace`` answers 503 when None.
        table_path: a spinner table file (``despin learn``) that every detect and restore uses on top
            of the lexicon (:class:`despin.tables.SpinnerTable`); none when None.
        workers: uvicorn worker processes; each loads its own model and index.
        max_bytes: the largest ``text`` accepted, in UTF-8 bytes; larger requests get 413.
        timeout_s: per-request time limit for the model work (queueing included); over it the client gets 504.
        threads: how many requests of one worker run the model at once (the rest wait in a queue).
        log_level: level of the ``despin.server`` logger and uvicorn's.

    Example:
        >>> ServerSettings(port=9000).port
        9000
        >>> ServerSettings(max_bytes=0)
        Traceback (most recent call last):
        ...
        despin.errors.ConfigError: max_bytes must be >= 1, got 0
    """

    host: str = "127.0.0.1"
    port: int = 8000
    model_path: str | None = None
    index_path: str | None = None
    table_path: str | None = None
    workers: int = 1
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout_s: float = 60.0
    threads: int = 4
    log_level: str = "info"

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be in 0..65535, got {self.port}")
        if self.workers < 1:
            raise ConfigError(f"workers must be >= 1, got {self.workers}")
        if self.max_bytes < 1:
            raise ConfigError(f"max_bytes must be >= 1, got {self.max_bytes}")
        if not self.timeout_s > 0:
            raise ConfigError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.threads < 1:
            raise ConfigError(f"threads must be >= 1, got {self.threads}")
        if self.log_level.lower() not in {"critical", "error", "warning", "info", "debug"}:
            raise ConfigError(f"log_level must be one of critical/error/warning/info/debug, got {self.log_level!r}")

    @property
    def max_body_bytes(self) -> int:
        """The largest request body read; bigger bodies are refused with 413 before they are parsed.

        Room for any text of ``max_bytes`` however it is escaped; the decoded text's size is checked apart.

        Example:
            >>> ServerSettings().max_body_bytes
            6016384
        """
        return JSON_ESCAPE_FACTOR * self.max_bytes + BODY_SLACK_BYTES

    @property
    def is_loopback(self) -> bool:
        """True when ``host`` only accepts connections from this machine."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ServerSettings:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown server settings: {', '.join(unknown)}")
        return cls(**d)

    def to_env(self) -> dict[str, str]:
        """The environment entry that hands these settings to uvicorn's worker processes."""
        return {ENV_VAR: json.dumps(self.to_dict())}

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ServerSettings:
        raw = (os.environ if environ is None else environ).get(ENV_VAR)
        if raw is None:
            return cls()
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ConfigError(f"{ENV_VAR} is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{ENV_VAR} must hold a JSON object")
        return cls.from_dict(data)
