"""``/docs`` without a CDN.

FastAPI's default ``/docs`` page loads Swagger UI from a CDN, which this project's machines cannot reach.
When the ``swagger-ui-py`` package (``pip install 'despin[server]'``) is installed, its bundled Swagger UI 5
files are served from ``/docs/assets/``. Without it, ``/docs`` is a small page of our own
(``static/docs.html``) that renders the endpoints, their request bodies and responses from ``/openapi.json``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from despin.server.static import STATIC_DIR


def swagger_ui_dir() -> Path | None:
    """The directory of Swagger UI's files shipped by ``swagger-ui-py``, or None when it is not installed."""
    try:
        spec = importlib.util.find_spec("swagger_ui")
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "static"
        if (candidate / "swagger-ui-bundle.js").is_file() and (candidate / "swagger-ui.css").is_file():
            return candidate
    return None


def install_docs(app: FastAPI, *, assets: Path | None = None, prefer_swagger: bool = True) -> str:
    """Add ``GET /docs``; returns which kind was installed: ``"swagger-ui"`` or ``"offline"``."""
    assets = assets or (swagger_ui_dir() if prefer_swagger else None)
    if assets is None:

        @app.get("/docs", include_in_schema=False)
        async def docs_offline() -> FileResponse:
            return FileResponse(STATIC_DIR / "docs.html", media_type="text/html")

        return "offline"

    app.mount("/docs/assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs_swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
            # No online validator badge: it would call validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

    return "swagger-ui"
