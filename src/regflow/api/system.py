"""Liveness, readiness and the public signing keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from regflow.keys.keyring import KeyRing


def system_router(keyring: KeyRing, ping: Any) -> APIRouter:
    """``ping`` is an async callable that raises when the database is unreachable."""
    router = APIRouter(tags=["system"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        try:
            await ping()
        except Exception:  # readiness reports any failure of the database as not ready
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable"},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        return JSONResponse({"status": "ok", "database": "ok"})

    @router.get("/.well-known/jwks.json")
    async def jwks() -> JSONResponse:
        return JSONResponse(keyring.jwks(), headers={"Cache-Control": "public, max-age=300"})

    return router
