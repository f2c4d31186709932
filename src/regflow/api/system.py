"""Liveness, readiness and the public signing keys."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from regflow.core.ports import PublicKeys


def system_router(
    keyring: PublicKeys, ping: Any, limits_store: Callable[[], Awaitable[str]]
) -> APIRouter:
    """``ping`` raises when the database is unreachable; ``limits_store`` says where the rate
    limits count: ``memory``, ``ok`` (Redis) or ``unreachable``."""
    router = APIRouter(tags=["system"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        """503 without the database. Without Redis the service still serves (rate limits
        let requests through, loudly), so it stays ready and says ``degraded``."""
        redis = await limits_store()
        try:
            await ping()
        except Exception:  # readiness reports any failure of the database as not ready
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable", "redis": redis},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        status = "degraded" if redis == "unreachable" else "ok"
        return JSONResponse({"status": status, "database": "ok", "redis": redis})

    @router.get("/.well-known/jwks.json")
    async def jwks() -> JSONResponse:
        return JSONResponse(keyring.jwks(), headers={"Cache-Control": "public, max-age=300"})

    return router
