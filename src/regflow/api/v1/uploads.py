"""``/v1/uploads/logo``: upload an organization logo; fetch one back.

``POST`` takes ``multipart/form-data`` with the image in a part named
``logo`` (or ``file``): JPEG, PNG or GIF by content, at most
``REGFLOW_UPLOAD_MAX_BYTES`` (5 MiB; 413 ``PAYLOAD_TOO_LARGE`` the moment the
stream passes it), at most 4096x4096 pixels. The answer's ``key`` goes into the
organization flow's ``logo`` field. ``GET /v1/uploads/logo/{key}`` serves the
re-encoded image with ``nosniff`` and a sandboxing CSP, never the original.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from regflow.api.multipart import read_file_field
from regflow.api.problems import problem
from regflow.api.v1 import serialize
from regflow.errors import ErrorCode
from regflow.services.uploads import Uploads

LOGO_PATH = "/v1/uploads/logo"
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file
_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"logo": {"type": "string", "format": "binary"}},
                "required": ["logo"],
            }
        }
    },
}


def uploads_router(uploads: Uploads, *, max_bytes: int) -> APIRouter:
    router = APIRouter(tags=["uploads"])

    @router.post(LOGO_PATH, status_code=201, openapi_extra={"requestBody": _BODY})
    async def upload_logo(request: Request) -> dict[str, Any]:
        """Store a logo; the answer's ``key`` is the organization flow's ``logo`` value."""
        data = await read_file_field(
            request,
            names=("logo", "file"),
            max_file_bytes=max_bytes,
            max_body_bytes=max_bytes + MULTIPART_OVERHEAD,
        )
        return serialize.stored_logo(await uploads.logo(data))

    @router.get(LOGO_PATH + "/{key}", response_class=Response)
    async def logo(key: str = Path(max_length=64)) -> Response:
        found = await uploads.read(key)
        if found is None:
            return problem(404, ErrorCode.UPLOAD_NOT_FOUND, "No such logo.")
        upload, data = found
        cache = "public, max-age=86400" if upload.claimed_at else "private, no-store"
        return Response(
            data,
            media_type=upload.content_type,
            headers={
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Content-Disposition": "inline",
                "Cache-Control": cache,
            },
        )

    return router
