"""``despin serve``: the HTTP API and the web page (needs the ``server`` extra)."""

from __future__ import annotations

import copy
import os
from typing import Any

import click

from despin.cli.common import cli
from despin.errors import MissingDependencyError


def _log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging config plus the ``despin.server`` logger, which writes one line per request."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["despin"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return config


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback only by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option(
    "--model",
    "model_path",
    type=click.Path(file_okay=False),
    help="Model bundle directory (default: the packaged model).",
)
@click.option("--index", "index_path", type=click.Path(), help="Trace index; without it /v1/trace answers 503.")
@click.option(
    "--table",
    "table_path",
    type=click.Path(dir_okay=False, exists=True),
    help="A spinner table learned with `despin learn`, used on top of the lexicon by every detect and restore.",
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option(
    "--max-bytes",
    default=1_000_000,
    show_default=True,
    type=click.IntRange(1),
    help="Largest text accepted, in UTF-8 bytes (bigger requests get 413).",
)
@click.option(
    "--timeout",
    "timeout_s",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.001),
    help="Per-request time limit in seconds (504 past it).",
)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Requests one worker runs at once; the rest queue.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(
    host: str,
    port: int,
    model_path: str | None,
    index_path: str | None,
    table_path: str | None,
    workers: int,
    max_bytes: int,
    timeout_s: float,
    threads: int,
    log_level: str,
) -> None:
    """Serve the HTTP API (POST /v1/detect, /v1/restore, /v1/trace; GET /v1/health) and the web page at /.

    \b
    Example:
        despin serve --port 8000 --index sources.idx
        curl -s localhost:8000/v1/restore -H 'content-type: application/json' -d '{"text": "..."}'
    """
    try:
        import uvicorn

        from despin.server import ServerSettings, create_app
    except ImportError as exc:
        raise MissingDependencyError(f"despin serve needs {exc.name}: pip install 'despin[server]'") from None
    settings = ServerSettings(
        host=host,
        port=port,
        model_path=model_path,
        index_path=index_path,
        table_path=table_path,
        workers=workers,
        max_bytes=max_bytes,
        timeout_s=timeout_s,
        threads=threads,
        log_level=log_level,
    )
    if not settings.is_loopback:
        click.echo(
            f"warning: binding {host} makes the API reachable from other machines; it has no authentication",
            err=True,
        )
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": _log_config(log_level),
        "log_level": log_level,
        "access_log": False,
        "timeout_graceful_shutdown": 10,
    }
    if workers == 1:
        uvicorn.run(create_app(settings), **common)
    else:  # worker processes rebuild the app from the settings the parent hands down
        os.environ.update(settings.to_env())
        uvicorn.run("despin.server.app:create_app_from_env", factory=True, workers=workers, **common)
