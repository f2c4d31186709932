"""The end of a flow: "everything is ready", creating the account, and the welcome page.

Completion answers with a 303 to ``/register/<flow>/welcome``, whose content
rides in a signed cookie for an hour: Back never re-posts and a reload shows
the same page instead of an empty first step. When an organization of the new
account requires two-factor sign-in (its owner ticked it in the last step), the
welcome page first sets it up (QR code, a code, the recovery codes), then shows
itself, or continues to the application that opened the sign-up. An organization's owner sees the
join code (with a copy button), where to invite people and the next steps.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from regflow.errors import Gone, RegflowError, SecondFactorRequired
from regflow.services.completed import Completed
from regflow.services.second_factor import hosted_second_step, required_by_organizations
from regflow.ui.i18n import N_
from regflow.ui.mfa_prompt import prompt
from regflow.ui.pages import redirect
from regflow.ui.session import AUTHORIZE
from regflow.ui.wizard import Place, Wizard
from regflow.ui.words import say

NEXT_STEPS = {
    "complete_profile": N_(
        "Complete your organization's profile: logo, departments, who can join."
    ),
    "add_teachers": N_("Invite your first teachers, or give them the join code."),
    "configure_settings": N_("Decide whether members need your approval and two-factor sign-in."),
}


def welcome_view(done: Completed) -> dict[str, Any]:
    """What the welcome page shows, from the completion (no token, no secret): the payload
    of its signed cookie."""
    account, organization, membership = done.account, done.organization, done.membership
    founded = done.founded  # the owner's own organization: its join code is theirs to share
    return {
        "name": account.first_name or account.username or "",
        "email": account.email,
        "username": account.username,
        "organization": organization.name if organization else None,
        "role": membership.role.value if membership else None,
        "status": membership.status.value if membership else None,
        "join_code": founded.join_code if founded else None,
        "next_steps": [s.id for s in done.made.next_steps] if founded else [],
    }


async def complete(w: Wizard, request: Request, place: Place) -> Response:
    """Create the account; 303 to the welcome page (or the ready page with the refusal)."""
    spec = w.flow(place.flow)
    waiting = w.cookies.authorize_continuation(request)  # an application opened this sign-up
    try:
        done = await w.services.completion.complete(
            place.rid, place.token, join=w.organization_for(waiting)
        )
    except Gone:
        return w.expired(request, place.flow)
    except RegflowError as error:
        message = say(error.code, fallback=error.message)
        return w.pages.render(request, "ready.html", 409, flow=spec, error=message)
    response = redirect(f"/register/{place.flow}/welcome")
    w.cookies.keep_welcome(response, place.flow, welcome_view(done))
    w.cookies.forget_registration(response, place.flow)
    # the end of a hosted flow signs the browser in; an organization that requires
    # two-factor sign-in (the owner ticked it, or the member joined one): the welcome page
    # sets it up first, then goes on
    enrol_first = await required_by_organizations(w.services.ctx, done.account.id)
    if waiting is not None and not enrol_first:  # from an application: back, with a code
        response = redirect(f"{AUTHORIZE}?{waiting}")
        w.cookies.forget_authorize(response)
        w.cookies.forget_registration(response, place.flow)
    await w.start_session(request, response, done.account.id)
    return response


def welcome_router(w: Wizard) -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(w.csrf)])

    @router.get("/register/{flow}/ready")
    async def ready(request: Request, flow: str) -> Response:
        spec = w.flow(flow)
        if spec is None:
            return redirect("/")
        place = await w.place(request, flow)
        if isinstance(place, Gone):
            return w.expired(request, flow)
        if place is None or not place.state.complete:
            return redirect(f"/register/{flow}")
        return w.pages.render(request, "ready.html", flow=spec, error=None)

    @router.post("/register/{flow}/complete")
    async def finish(request: Request, flow: str) -> Response:
        place = await w.place(request, flow)
        if isinstance(place, Gone):
            return w.expired(request, flow)
        if place is None:
            return redirect(f"/register/{flow}")
        return await complete(w, request, place)

    @router.get("/register/{flow}/welcome")
    async def welcome(request: Request, flow: str) -> Response:
        spec = w.flow(flow)
        shown = w.cookies.welcome(request, flow) if spec else None
        if shown is None:
            return redirect(f"/register/{flow}" if spec else "/")
        signed = await w.signed_in(request)
        if signed is not None and "otp" not in signed.session.amr:
            try:  # set up the second factor the organization requires before anything else
                await hosted_second_step(w.services.ctx, signed.account)
            except SecondFactorRequired as required:
                waiting = w.cookies.authorize_continuation(request)
                then = f"{AUTHORIZE}?{waiting}" if waiting else f"/register/{flow}/welcome"
                response = await prompt(w, request, required, then)
                w.cookies.forget_authorize(response)  # it rides in the form now
                return response
        steps = [NEXT_STEPS[s] for s in shown.get("next_steps") or [] if s in NEXT_STEPS]
        return w.pages.render(request, "welcome.html", flow=spec, view=shown, next_steps=steps)

    return router
