"""``/console``: an organization's owners and admins at work, behind the hosted sign-in.

One page over the admin use cases the API offers (``OrgAdmin``,
``Invitations``, ``InvitationAdmin``): members filtered by status and role,
approving or rejecting a pending one, sending, listing and revoking
invitations, showing and rotating the join code, the join policy, departments,
two-factor requirement and logo. Each request signs in through the login
session cookie (``/sign-in?next=/console`` otherwise), every form carries the
CSRF token, and each post answers 303 back to the page with a notice. An
organization that requires two-factor sign-in (ticked here, perhaps a moment
ago) is managed only from a session that used it: without, the console shows
the set-up (or the code prompt) and comes back here afterwards.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from regflow.core.invitations import INVITABLE_ROLES
from regflow.core.organizations import JOIN_POLICIES
from regflow.errors import RegflowError, SecondFactorRequired, ValidationFailed
from regflow.services.console import Seat
from regflow.services.invitations import Invitations
from regflow.services.org_admin import MEMBER_STATUSES, OrgAdmin
from regflow.services.second_factor import hosted_second_step
from regflow.ui.forms import _CHOICE_WORDS
from regflow.ui.i18n import N_, current
from regflow.ui.mfa_prompt import prompt
from regflow.ui.pages import redirect
from regflow.ui.wizard import Wizard
from regflow.ui.words import role_words, say

CONSOLE = "/console"
ROLES = ("owner", "admin", "sub_admin", "teacher", "student", "member")
DONE = {
    "approved": N_("The member is approved; they were told by mail."),
    "rejected": N_("The request was rejected; they were told by mail."),
    "invited": N_("The invitation is on its way."),
    "revoked": N_("The invitation is revoked: its link no longer works."),
    "rotated": N_("The join code is new: the previous one no longer works."),
    "saved": N_("The settings are saved."),
}


def console_router(w: Wizard, invitations: Invitations) -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(w.csrf)])
    admin: OrgAdmin = invitations.admin
    listing = w.services.invitation_admin
    access = w.services.console

    async def seat_for(request: Request, organization_id: str | None) -> Seat | Response:
        signed = await w.signed_in(request)
        if signed is None:
            return redirect("/sign-in?next=/console")
        seat = await access.seat(signed.account, organization_id or None, signed.session.amr)
        if seat is not None and seat.needs_second_factor:
            # the organization asks for two-factor sign-in (perhaps just ticked here): set it
            # up, or type a code, then come back to this organization's console
            try:
                await hosted_second_step(w.services.ctx, signed.account)
            except SecondFactorRequired as required:
                here = f"{CONSOLE}?{urlencode({'org': seat.organization_id})}"
                return await prompt(w, request, required, here)
        if seat is None:
            return w.pages.render(
                request,
                "problem.html",
                403,
                title=N_("No organization to manage"),
                message=N_(
                    "The console is for an organization's owners and administrators; "
                    "this account is neither."
                ),
            )
        return seat

    def back(seat: Seat, done: str) -> Response:
        return redirect(f"{CONSOLE}?{urlencode({'org': seat.organization_id, 'done': done})}")

    async def page(
        request: Request,
        seat: Seat,
        *,
        errors: dict[str, str] | None = None,
        status: int = 200,
        email: str = "",
    ) -> Response:
        query = request.query_params
        wanted_status = query.get("status") if query.get("status") in MEMBER_STATUSES else None
        wanted_role = query.get("role") if query.get("role") in ROLES else None
        organization = await admin.organization(seat.token, seat.organization_id)
        found = await admin.members(seat.token, seat.organization_id, wanted_status, 200, 0)
        members = [m for m in found.members if wanted_role is None or m.role == wanted_role]
        sent = await listing.listed(seat.token, seat.organization_id)
        signed = await w.signed_in(request)
        seats = await access.seats(signed.account) if signed else []
        return w.pages.render(
            request,
            "console.html",
            status,
            seat=seat,
            seats=seats,
            org=organization,
            settings=organization.settings,
            members=members,
            invitations=sent,
            statuses=MEMBER_STATUSES,
            roles=ROLES,
            invitable=INVITABLE_ROLES,
            policies=[(p, _CHOICE_WORDS.get(p, p)) for p in JOIN_POLICIES],
            wanted_status=wanted_status,
            wanted_role=wanted_role,
            role_words=role_words,
            notice=DONE.get(query.get("done") or ""),
            errors=errors or {},
            email=email,
        )

    async def posted(request: Request) -> tuple[Seat | Response, Any]:
        form = await w.form(request)
        org = form.get("org")
        return await seat_for(request, org if isinstance(org, str) else None), form

    def refusal(error: RegflowError) -> dict[str, str]:
        if isinstance(error, ValidationFailed):
            return {p.field: say(p.code, p.field, p.message) for p in error.problems}
        return {"console": say(error.code, fallback=error.message)}

    @router.get(CONSOLE)
    async def show(request: Request) -> Response:
        seat = await seat_for(request, request.query_params.get("org"))
        return seat if isinstance(seat, Response) else await page(request, seat)

    @router.post(CONSOLE + "/members/{membership_id}/{decision}")
    async def decide(request: Request, membership_id: str, decision: str) -> Response:
        seat, _ = await posted(request)
        if isinstance(seat, Response):
            return seat
        if decision not in ("approve", "reject"):
            return redirect(CONSOLE)
        try:
            await admin.decide(
                seat.token, seat.organization_id, membership_id, approve=decision == "approve"
            )
        except RegflowError as error:
            return await page(request, seat, errors=refusal(error), status=409)
        return back(seat, "approved" if decision == "approve" else "rejected")

    @router.post(CONSOLE + "/invitations")
    async def invite(request: Request) -> Response:
        seat, form = await posted(request)
        if isinstance(seat, Response):
            return seat
        email, role = str(form.get("email") or "")[:320], str(form.get("role") or "")[:32]
        try:
            await invitations.invite(seat.token, seat.organization_id, email, role, current())
        except RegflowError as error:
            return await page(request, seat, errors=refusal(error), status=422, email=email)
        return back(seat, "invited")

    @router.post(CONSOLE + "/invitations/{invitation_id}/revoke")
    async def revoke(request: Request, invitation_id: str) -> Response:
        seat, _ = await posted(request)
        if isinstance(seat, Response):
            return seat
        try:
            await listing.revoke(seat.token, seat.organization_id, invitation_id[:64])
        except RegflowError as error:
            return await page(request, seat, errors=refusal(error), status=409)
        return back(seat, "revoked")

    @router.post(CONSOLE + "/join-code/rotate")
    async def rotate(request: Request) -> Response:
        seat, _ = await posted(request)
        if isinstance(seat, Response):
            return seat
        await admin.rotate(seat.token, seat.organization_id)
        return back(seat, "rotated")

    @router.post(CONSOLE + "/settings")
    async def settings(request: Request) -> Response:
        seat, form = await posted(request)
        if isinstance(seat, Response):
            return seat
        policy = form.get("join_policy")
        lines = str(form.get("departments") or "").splitlines()
        try:
            logo = None
            upload = form.get("logo_file")
            if w.uploads is not None and isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read()
                if data:
                    try:
                        logo = (await w.uploads.logo(data)).key
                    except RegflowError as error:
                        raise ValidationFailed.single("logo", error.code, error.message) from None
            await admin.update(
                seat.token,
                seat.organization_id,
                join_policy=policy if isinstance(policy, str) and policy else None,
                departments=[line.strip() for line in lines if line.strip()],
                two_factor=form.get("two_factor") is not None,
                logo=logo,
            )
        except RegflowError as error:
            return await page(request, seat, errors=refusal(error), status=422)
        return back(seat, "saved")

    return router
