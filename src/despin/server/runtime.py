"""What one server process holds: the model, the index, the limiter, and why either failed to load."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from despin import api
from despin._version import __version__
from despin.errors import DespinError, IndexMismatchError
from despin.server.middleware import ApiError
from despin.server.settings import ServerSettings

if TYPE_CHECKING:
    from despin.model.bundle import Model
    from despin.tables.table import SpinnerTable
    from despin.tracer import Index

logger = logging.getLogger("despin.server")

# A short spun-looking sentence: restoring it once at startup loads every lazy part of the model
# (LM, lexicon, vocabulary, detector), so the first client does not pay for it.
_WARM_UP_TEXT = "Presiden mengatakan bahwa pemerintah bakal membangun jalan raya anyar di kawasan itu."


class Runtime:
    """Loads the model and index once; endpoints ask it for them and get a clear error when absent.

    Args:
        settings: the server settings (paths, limits).
    """

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.model: Model | None = None
        self.table: SpinnerTable | None = None
        self.model_error: str | None = "the model is still loading"
        self.index: Index | None = None
        self.index_error: str | None = None
        self.index_error_status = 503
        self._limiter: anyio.CapacityLimiter | None = None

    def start_limiter(self) -> None:
        """Create the thread limiter; it must be made inside the running event loop."""
        self._limiter = anyio.CapacityLimiter(self.settings.threads)

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            raise RuntimeError("the server has not started (lifespan did not run)")
        return self._limiter

    def load(self) -> None:
        """Load the table, model and index (blocking; the lifespan runs it in a thread). Failures are kept, not
        raised: the server still starts, answers 503 with the reason, and ``/v1/health`` shows it. A table that
        does not load leaves the model unloaded: no answer ever comes without the table asked for."""
        t0 = time.perf_counter()
        try:
            if self.settings.table_path:
                from despin.tables.table import SpinnerTable

                self.table = SpinnerTable.load(self.settings.table_path)
            self.model = api.load_model(self.settings.model_path)
            self.model_error = None
        except DespinError as exc:
            self.model_error = str(exc)
            logger.error("model not loaded: %s", exc)
        except Exception as exc:  # e.g. a KenLM file the library cannot read
            self.model_error = f"the model failed to load ({type(exc).__name__}); see the server log"
            logger.exception("model not loaded")
        if self.model is not None:
            self._warm_up(self.model)
            logger.info(
                "model %s loaded from %s in %.1fs",
                self.model.version,
                self.model.path,
                time.perf_counter() - t0,
            )
        if self.settings.index_path:
            self._load_index(Path(self.settings.index_path))

    def _warm_up(self, model: Model) -> None:
        try:
            api.restore(_WARM_UP_TEXT, model=model, table=self.table)
        except Exception:  # the model stays usable; the first request will show the real error
            logger.exception("model warm-up failed")

    def _load_index(self, path: Path) -> None:
        try:
            from despin.tracer import Index

            self.index = Index.open(path)
            logger.info("index loaded from %s", path)
        except DespinError as exc:
            self.index_error = str(exc)
            # An index built by another despin or config is a conflict (409, STYLE.md section 6).
            self.index_error_status = 409 if isinstance(exc, IndexMismatchError) else 503
            logger.error("index not loaded: %s", exc)
        except Exception as exc:
            self.index_error = f"the index at {path} failed to load ({type(exc).__name__}); see the server log"
            logger.exception("index not loaded")

    def close(self) -> None:
        """Release the index file at shutdown."""
        if self.index is not None:
            self.index.close()
            self.index = None

    def require_model(self) -> Model:
        if self.model is None:
            raise ApiError(503, "ModelNotLoaded", f"the model is not loaded: {self.model_error}")
        return self.model

    def require_index(self) -> Index:
        if self.index is not None:
            return self.index
        if self.index_error:
            error = "IndexMismatchError" if self.index_error_status == 409 else "IndexNotLoaded"
            message = f"the trace index is not loaded: {self.index_error}"
            raise ApiError(self.index_error_status, error, message)
        raise ApiError(
            503,
            "IndexNotConfigured",
            "no trace index is configured on this server; start it with `despin serve --index PATH` "
            "(build one with `despin index`)",
        )

    def health(self) -> dict[str, Any]:
        """What ``GET /v1/health`` shows any client: versions, never the host's file system paths."""
        model = self.model
        return {
            "status": "ok" if model is not None else "unavailable",
            "despin_version": __version__,
            "model": None if model is None else {"version": model.version, "manifest": model.manifest},
            "model_error": self._redact(self.model_error),
            "table": _table_info(self.table),
            "index": _index_info(self.index) if self.index is not None else None,
            "index_error": self._redact(self.index_error),
            "limits": {
                "max_bytes": self.settings.max_bytes,
                "timeout_s": self.settings.timeout_s,
                "threads": self.settings.threads,
            },
        }

    def _redact(self, message: str | None) -> str | None:
        """``message`` with the configured model and index paths cut to their last component."""
        if message is None:
            return None
        for raw in (self.settings.model_path, self.settings.index_path, self.settings.table_path):
            if raw:
                for form in sorted({str(Path(raw).resolve()), str(Path(raw))}, key=len, reverse=True):
                    message = message.replace(form, Path(raw).name)
        return message


def _index_info(index: Index) -> dict[str, Any]:
    """``despin index stats`` for the loaded index (count, size, config, header with versions), less its path."""
    return {k: v for k, v in index.stats().items() if k != "path"}


def _table_info(table: SpinnerTable | None) -> dict[str, Any] | None:
    """The spinner table every request uses, as ``/v1/health`` shows it (never its path)."""
    return None if table is None else {"entries": len(table), "fingerprint": table.fingerprint()}
