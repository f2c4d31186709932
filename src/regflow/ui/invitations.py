"""``/invite/{token}``: the link of an invitation mail, as a page.

GET shows what the invitation is for (``Invitations.preview``) and uses
nothing: mail scanners prefetch links. Two posts use it, once:

- "Accept and create my account" consumes it and starts its registration,
  kept in this browser's registration cookie as starting a flow on its first
  page does, then goes to the first open step of that flow;
- "Sign in to accept" logs in as ``/sign-in`` does (the same generic sentence
  for wrong credentials) and accepts with the account's access token, which
  stays on the server; the page says which organization and role.

A refused sign-in or accept (wrong credentials, another email, a member
already) leaves the invitation unused.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from regflow.errors import AuthenticationFailed, Conflict, ErrorCode, Forbidden, Gone, NotFound
from regflow.services.invitations import InvitationPreview, Invitations
from regflow.ui.i18n import N_, current
from regflow.ui.pages import redirect
from regflow.ui.signin import Refused, credentials, log_in
from regflow.ui.wizard import Place, Wizard
from regflow.ui.words import role_phrase, role_words, say

LINK_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
UNUSABLE = {  # code -> (status, page title)
    ErrorCode.INVITATION_NOT_FOUND: (404, N_("This invitation is not valid")),
    ErrorCode.INVITATION_USED: (409, N_("This invitation was already used")),
    ErrorCode.INVITATION_EXPIRED: (410, N_("This invitation has expired")),
}


def invitation_router(w: Wizard, invitations: Invitations) -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(w.csrf)])

    def unusable(request: Request, code: ErrorCode) -> Response:
        status, title = UNUSABLE.get(code, UNUSABLE[ErrorCode.INVITATION_NOT_FOUND])
        return w.pages.render(
            request,
            "problem.html",
            status,
            title=title,
            message=say(code),
            sign_in=code == ErrorCode.INVITATION_USED,
        )

    def invitation_page(
        request: Request,
        link_token: str,
        preview: InvitationPreview,
        email: str = "",
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        return w.pages.render(
            request,
            "invitation.html",
            status,
            token=link_token,
            organization=preview.organization_name or "an organization",
            role=role_words(preview.role),
            role_phrase=role_phrase(preview.role),
            invited=preview.masked_email,
            email=email,
            errors=errors or {},
        )

    async def previewed(request: Request, link_token: str) -> InvitationPreview | Response:
        if not LINK_TOKEN.match(link_token):
            return unusable(request, ErrorCode.INVITATION_NOT_FOUND)
        try:
            return await invitations.preview(link_token)
        except (NotFound, Conflict, Gone) as failure:
            return unusable(request, failure.code)

    @router.get("/invite/{link_token}")
    async def show(request: Request, link_token: str) -> Response:
        found = await previewed(request, link_token)
        if isinstance(found, Response):
            return found
        return invitation_page(request, link_token, found)

    @router.post("/invite/{link_token}")
    async def accept(request: Request, link_token: str) -> Response:
        if not LINK_TOKEN.match(link_token):
            return unusable(request, ErrorCode.INVITATION_NOT_FOUND)
        try:
            started = await invitations.accept(link_token, locale=current())
        except (NotFound, Gone) as failure:
            return unusable(request, failure.code)
        except Conflict as failure:
            if failure.code in UNUSABLE:
                return unusable(request, failure.code)
            return w.pages.render(
                request,
                "problem.html",
                409,
                title=N_("This invitation cannot be used here"),
                message=say(failure.code, fallback=failure.message),
            )
        flow, rid, token = started.state.flow, started.state.id, started.token
        response = redirect(Place(flow, rid, token, started.state).next_url())
        w.cookies.keep_registration(response, flow, rid, token)
        return response

    @router.post("/invite/{link_token}/sign-in")
    async def sign_in(request: Request, link_token: str) -> Response:
        form = await w.form(request)
        found = await previewed(request, link_token)
        if isinstance(found, Response):
            return found
        email, password = credentials(form)
        answer = await log_in(w.services.sessions, email, password)
        if isinstance(answer, Refused):
            return invitation_page(request, link_token, found, email, answer.errors, answer.status)
        try:
            joined = await invitations.accept_with_account(link_token, answer.grant.access_token)
        except Forbidden as failure:  # INVITATION_EMAIL_MISMATCH
            errors = {"email": say(failure.code, fallback=failure.message)}
            return invitation_page(request, link_token, found, email, errors, 403)
        except Conflict as failure:
            if failure.code in UNUSABLE:
                return unusable(request, failure.code)
            return w.pages.render(
                request,
                "problem.html",
                409,
                title=N_("You are a member already"),
                message=say(failure.code, fallback=failure.message),
                sign_in=True,
            )
        except (NotFound, Gone) as failure:
            return unusable(request, failure.code)
        except AuthenticationFailed:  # the token was just issued; revoked meanwhile
            errors = {"email": say(ErrorCode.INVALID_CREDENTIALS)}
            return invitation_page(request, link_token, found, email, errors, 401)
        role = role_words(joined.membership.role)
        response = w.pages.render(
            request,
            "joined.html",
            organization=joined.organization.name,
            role=role,
            role_phrase=role_phrase(joined.membership.role),
            email=joined.email,
        )
        await w.start_session(request, response, joined.account_id)
        return response

    return router
