"""Branding of the hosted pages by configuration: name, logo, primary colour, favicon, support.

The colour must stay readable: white text on it (buttons) and it as text on the
pages' light backgrounds (links) both need WCAG AA, 4.5:1; a colour that falls
short is refused when the settings are read, so an illegible brand never starts.
The logo and favicon are files the operator names; they are read once and
served from ``/brand/…`` with this site's CSP (no inline style: the colour comes
as ``/brand/brand.css``).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import Response

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/x-icon"})
MAX_IMAGE = 512 * 1024
DEFAULT_FAVICON = Path(__file__).parent / "static" / "favicon.svg"


@dataclass(frozen=True)
class Brand:
    name: str = "regflow"
    color: str | None = None  # None: the stylesheet's own
    logo: Path | None = None
    favicon: Path | None = None
    support_email: str | None = None

    @property
    def logo_url(self) -> str | None:
        return "/brand/logo" if self.logo else None


def _image(path: Path) -> tuple[bytes, str]:
    kind = mimetypes.guess_type(path.name)[0] or ""
    if kind not in IMAGE_TYPES:
        raise ValueError(f"{path}: use a PNG, JPEG, GIF, SVG or ICO file")
    data = path.read_bytes()
    if len(data) > MAX_IMAGE:
        raise ValueError(f"{path}: at most {MAX_IMAGE // 1024} KiB")
    return data, kind


def brand_router(brand: Brand) -> APIRouter:
    """``/brand/brand.css``, ``/brand/logo`` and ``/brand/favicon`` (files read now)."""
    router = APIRouter(include_in_schema=False)
    cache = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    # an SVG opened on its own runs nothing here
    image_headers = {**cache, "Content-Security-Policy": "default-src 'none'; sandbox"}
    css = (
        f"@media (prefers-color-scheme: light) {{ :root {{ --accent:{brand.color}; }} }}\n"
        if brand.color
        else ""
    )
    logo = _image(brand.logo) if brand.logo else None
    favicon = (
        _image(brand.favicon) if brand.favicon else (DEFAULT_FAVICON.read_bytes(), "image/svg+xml")
    )

    @router.get("/brand/brand.css")
    async def stylesheet() -> Response:
        return Response(css, media_type="text/css", headers=cache)

    @router.get("/brand/favicon")
    async def icon() -> Response:
        return Response(favicon[0], media_type=favicon[1], headers=image_headers)

    if logo is not None:

        @router.get("/brand/logo")
        async def logo_file() -> Response:
            return Response(logo[0], media_type=logo[1], headers=image_headers)

    return router
