"""``/v1/registrations``: start, state, steps, codes, completion."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from regflow.api.deps import idempotency_key, registration_token
from regflow.api.schemas import ConfirmRequest, StartRequest
from regflow.api.v1 import serialize
from regflow.core.model import Channel
from regflow.errors import ErrorCode, NotFound
from regflow.services.container import Services

TokenDep = Annotated[str | None, Depends(registration_token)]


def _channel(value: str) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        raise NotFound(
            "Unknown verification channel.", code=ErrorCode.VERIFICATION_NOT_FOUND
        ) from None


def registrations_router(services: Services) -> APIRouter:
    router = APIRouter(prefix="/v1/registrations", tags=["registrations"])

    @router.post("", status_code=201)
    async def start(body: StartRequest) -> dict[str, Any]:
        """Start a registration; the token in the answer opens it from then on."""
        started = await services.registrations.start(
            body.flow, variant=body.variant, locale=body.locale
        )
        return {**serialize.registration(started.state), "token": started.token}

    @router.get("/{registration_id}")
    async def state(registration_id: str, token: TokenDep) -> dict[str, Any]:
        return serialize.registration(await services.registrations.state(registration_id, token))

    @router.post("/{registration_id}/steps/{step}")
    async def submit(
        registration_id: str,
        step: str,
        token: TokenDep,
        fields: Annotated[dict[str, Any], Body()],
    ) -> dict[str, Any]:
        """Submit one step's fields; earlier steps may be submitted again (going back)."""
        state = await services.registrations.submit(registration_id, token, step, fields)
        return serialize.registration(state)

    @router.post("/{registration_id}/verifications/{channel}", status_code=202)
    async def send_code(registration_id: str, channel: str, token: TokenDep) -> dict[str, Any]:
        """Send (or resend) the code; ``resend_available_at`` says when another may follow."""
        return serialize.code_sent(
            await services.codes.resend(registration_id, token, _channel(channel))
        )

    @router.post("/{registration_id}/verifications/{channel}/confirm")
    async def confirm(
        registration_id: str, channel: str, token: TokenDep, body: ConfirmRequest
    ) -> dict[str, Any]:
        state = await services.codes.confirm(registration_id, token, _channel(channel), body.code)
        return serialize.registration(state)

    @router.post("/{registration_id}/complete", status_code=201)
    async def complete(
        registration_id: str,
        request: Request,
        token: TokenDep,
        key: Annotated[str | None, Depends(idempotency_key)],
    ) -> dict[str, Any]:
        """Create the account (and membership) and return an access token, atomically."""
        done = await services.completion.complete(
            registration_id, token, idempotency_key=key, body=await request.body()
        )
        return serialize.completed(done)

    return router
