"""HTTP service: ``despin serve``. ``create_app(settings)`` builds the FastAPI app."""

from __future__ import annotations

from despin.server.app import create_app, create_app_from_env
from despin.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app", "create_app_from_env"]
