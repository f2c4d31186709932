"""``/v1/organizations``: the public lookup by join code.

``GET /v1/organizations/by-code/{code}`` answers only the organization's name,
so that a teacher or student sees whom they are about to join; unknown and
malformed codes get the same 404. Join codes carry few random bits, so the
lookup is throttled hard per client and per code (``regflow.api.ratelimits``).
"""

from __future__ import annotations

from fastapi import APIRouter, Path

from regflow.services.organizations import Organizations


def organizations_router(organizations: Organizations) -> APIRouter:
    router = APIRouter(prefix="/v1/organizations", tags=["organizations"])

    @router.get("/by-code/{code}")
    async def by_code(code: str = Path(max_length=64)) -> dict[str, str]:
        """The public name of the organization a join code belongs to (404 otherwise)."""
        return {"name": await organizations.by_code(code)}

    return router
