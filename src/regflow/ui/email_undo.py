"""``/account/email/undo/{token}``: the link in the old address's notice after a change of
address. GET shows a button (mail scanners prefetch links), POST puts the old address back."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from regflow.errors import RegflowError
from regflow.ui.i18n import N_
from regflow.ui.wizard import Wizard
from regflow.ui.words import say

UndoToken = Path(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")


def email_undo_router(w: Wizard) -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(w.csrf)])
    changes = w.services.email_changes

    def invalid(request: Request, status: int) -> Response:
        return w.pages.render(
            request,
            "problem.html",
            status,
            title=N_("This link is no longer valid"),
            message=N_("It was used already or is more than a week old."),
            sign_in=True,
        )

    @router.get("/account/email/undo/{undo_token}")
    async def show(request: Request, undo_token: str = UndoToken) -> Response:
        if not await changes.undo_valid(undo_token):
            return invalid(request, 404)
        return w.pages.render(request, "email_undo.html", token=undo_token)

    @router.post("/account/email/undo/{undo_token}")
    async def undo(request: Request, undo_token: str = UndoToken) -> Response:
        try:
            restored = await changes.undo(undo_token)
        except RegflowError as error:
            if error.code == "EMAIL_TAKEN":
                return w.pages.render(
                    request,
                    "problem.html",
                    409,
                    title=N_("Not undone"),
                    message=say(error.code, None, error.message),
                )
            return invalid(request, 400)
        return w.pages.render(request, "email_undone.html", email=restored.email)

    return router
