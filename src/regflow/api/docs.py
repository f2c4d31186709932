"""``/docs``: Swagger UI from the ``swagger-ui-py`` package, served by regflow itself.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline
script; regflow's CSP forbids both, so the page was blank. Here the assets are
the package's files under ``/static/docs`` and the start-up script is a file of
its own, so the CSP allows exactly this origin's scripts and styles, no inline ones
(Swagger UI sets its styles through the DOM, which a CSP does not govern, and shows
its icons as ``data:`` images).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from starlette.responses import FileResponse, HTMLResponse, Response

ASSETS = "/static/docs"
# Swagger UI 5 (OpenAPI 3.1, which FastAPI writes); only the two files the page loads
FILES = {"swagger-ui-bundle.js": "application/javascript", "swagger-ui.css": "text/css"}
STATIC = Path(str(resources.files("swagger_ui"))) / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>regflow API</title>
<link rel="icon" href="/brand/favicon">
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<script src="{ASSETS}/swagger-ui-bundle.js" defer></script>
<script src="/docs/start.js" defer></script>
</head>
<body>
<main id="swagger-ui"></main>
</body>
</html>
"""
START = """window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
"""


def mount_docs(app: FastAPI) -> None:
    """The page, its start-up script and the package's assets (create the app with
    ``docs_url=None``)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    async def docs() -> Response:
        return HTMLResponse(PAGE, headers={"Content-Security-Policy": CSP})

    @router.get("/docs/start.js")
    async def start() -> Response:
        return Response(
            START,
            media_type="application/javascript",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    @router.get(ASSETS + "/{name}")
    async def asset(name: str) -> Response:
        if name not in FILES:
            return Response(status_code=404)
        return FileResponse(
            STATIC / name,
            media_type=FILES[name],
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.include_router(router)
