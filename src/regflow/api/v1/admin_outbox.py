"""``/v1/admin/outbox``: the delivery queue for the operator.

Mounted only when ``REGFLOW_ADMIN_TOKEN`` is set, with the token as
``Authorization: Bearer``. ``GET /v1/admin/outbox?status=dead&limit=50`` lists
counts per status and the oldest messages in the statuses asked for (default
pending, retrying and dead), recipients masked and without their content;
``POST /v1/admin/outbox/{id}/requeue`` and ``POST /v1/admin/outbox/requeue-dead``
put dead messages back in the queue with their attempts reset.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import JSONResponse, Response

from regflow.api.problems import problem
from regflow.api.v1 import serialize
from regflow.api.v1.admin import NO_STORE, presented_token
from regflow.errors import ErrorCode
from regflow.services.outbox_admin import OutboxAdmin

Authorization = Annotated[str | None, Header()]
Statuses = Annotated[list[str] | None, Query(alias="status", max_length=4)]
Limit = Annotated[int, Query(ge=1, le=1000)]
MessageId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def admin_outbox_router(outbox: OutboxAdmin, admin_token: str) -> APIRouter:
    router = APIRouter(prefix="/v1/admin/outbox", tags=["admin"])
    expected = admin_token.encode("utf-8")

    def refused(authorization: str | None) -> Response | None:
        token = presented_token(authorization)
        if token is not None and hmac.compare_digest(token.encode("utf-8"), expected):
            return None
        return problem(
            401,
            ErrorCode.INVALID_TOKEN,
            "An operator token is required.",
            headers={"WWW-Authenticate": 'Bearer realm="regflow admin"'},
        )

    @router.get("")
    async def listing(
        authorization: Authorization = None, status: Statuses = None, limit: Limit = 100
    ) -> Response:
        """Counts per status and the oldest messages waiting, retrying or dead."""
        if (denied := refused(authorization)) is not None:
            return denied
        overview = await outbox.overview(status, limit)
        return JSONResponse(serialize.outbox_overview(overview), headers=NO_STORE)

    @router.post("/requeue-dead")
    async def requeue_dead(authorization: Authorization = None) -> Response:
        """Every dead message back in the queue."""
        if (denied := refused(authorization)) is not None:
            return denied
        return JSONResponse({"requeued": await outbox.requeue(None)}, headers=NO_STORE)

    @router.post("/{message_id}/requeue")
    async def requeue(message_id: MessageId, authorization: Authorization = None) -> Response:
        """One dead message back in the queue (404 ``MESSAGE_NOT_FOUND`` if none is dead)."""
        if (denied := refused(authorization)) is not None:
            return denied
        return JSONResponse({"requeued": await outbox.requeue(message_id)}, headers=NO_STORE)

    return router
