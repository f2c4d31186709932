"""Code pages (one input, resend with a countdown) and the landing page of the mail's link.

The link confirms on POST only (mail scanners prefetch GETs). Confirmed in the
browser that started the registration (its cookie is there), the person goes
straight on. Confirmed on another device, the page says so and the first
device's code page, which polls ``status.json``, moves on by itself; without
JavaScript its "I used the link" button does the same.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import JSONResponse, Response

from regflow.core.model import Channel
from regflow.errors import ErrorCode, Gone, NotFound, RegflowError, TooSoon, VerificationFailed
from regflow.ui.i18n import gettext
from regflow.ui.pages import redirect
from regflow.ui.wizard import (
    CHANNEL_WORDS,
    Place,
    Wizard,
    rfc3339,
    seconds_until,
    step_asking,
)
from regflow.ui.words import say

LinkToken = Path(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")


def verification_router(w: Wizard) -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(w.csrf)])

    def code_page(
        request: Request,
        place: Place,
        channel: str,
        *,
        error: str | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> Response:
        spec = w.services.ctx.engine.flow(place.flow)
        pending = place.state.pending_for(Channel(channel))
        if pending is None:  # confirmed meanwhile (the link, on another device)
            return redirect(place.next_url())
        step = place.state.step
        return w.pages.render(
            request,
            "code.html",
            status,
            flow=spec,
            channel=channel,
            words=CHANNEL_WORDS[channel],
            target=pending.target,
            resend_at=rfc3339(pending.resend_available_at),
            wait=seconds_until(pending.resend_available_at, w.now()),
            error=error,
            notice=notice,
            progress=w.progress(spec, place, f"verify:{channel}"),
            back=f"/register/{place.flow}/step/{step_asking(place, channel) or step}",
        )

    async def place_for(request: Request, flow: str, channel: str) -> Place | Response:
        if w.flow(flow) is None or channel not in CHANNEL_WORDS:
            return w.lost(request, flow) if w.flow(flow) else redirect("/")
        place = await w.place(request, flow)
        if isinstance(place, Gone):
            return w.expired(request, flow)
        if place is None:
            return w.lost(request, flow)
        waiting = [p.channel.value for p in place.state.pending]
        if channel not in waiting:
            return redirect(place.next_url())
        return place

    @router.get("/register/{flow}/verify/{channel}")
    async def show(request: Request, flow: str, channel: str, sent: int = 0) -> Response:
        found = await place_for(request, flow, channel)
        if not isinstance(found, Place):
            return found
        notice = None
        if sent:
            notice = (
                gettext("We sent a new code to your email address.")
                if channel == "email"
                else gettext("We sent a new code to your mobile number.")
            )
        return code_page(request, found, channel, notice=notice)

    @router.post("/register/{flow}/verify/{channel}")
    async def confirm(request: Request, flow: str, channel: str) -> Response:
        form = await w.form(request)
        found = await place_for(request, flow, channel)
        if not isinstance(found, Place):
            return found
        code = "".join(ch for ch in str(form.get("code") or "") if ch.isalnum())[:32]
        if not code:
            return code_page(
                request, found, channel, error=say(ErrorCode.REQUIRED, "code"), status=422
            )
        try:
            state = await w.services.codes.confirm(found.rid, found.token, Channel(channel), code)
        except Gone:
            return w.expired(request, flow)
        except (VerificationFailed, NotFound) as failure:
            fresh = await w.place(request, flow)
            shown = fresh if isinstance(fresh, Place) else found
            return code_page(request, shown, channel, error=say(failure.code), status=422)
        return redirect(Place(flow, found.rid, found.token, state).next_url())

    @router.post("/register/{flow}/verify/{channel}/resend")
    async def resend(request: Request, flow: str, channel: str) -> Response:
        found = await place_for(request, flow, channel)
        if not isinstance(found, Place):
            return found
        try:
            await w.services.codes.resend(found.rid, found.token, Channel(channel))
        except Gone:
            return w.expired(request, flow)
        except TooSoon as failure:
            return code_page(request, found, channel, error=say(failure.code), status=429)
        return redirect(f"/register/{flow}/verify/{channel}?sent=1")

    @router.get("/register/{flow}/status.json")
    async def status(request: Request, flow: str) -> Response:
        """For the code page's script: has the registration moved on (a link used elsewhere)?"""
        place = await w.place(request, flow) if w.flow(flow) else None
        body: dict[str, Any] = {"next": None}
        if isinstance(place, Place):
            body["next"] = place.next_url()
        elif isinstance(place, Gone):
            body["next"] = f"/register/{flow}"
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @router.get("/register/confirm/{link_token}")
    async def link_page(request: Request, link_token: str = LinkToken) -> Response:
        if not await w.services.codes.link_valid(link_token):
            return w.pages.render(request, "link_invalid.html", 404)
        return w.pages.render(request, "link_confirm.html", link_token=link_token)

    @router.post("/register/confirm/{link_token}")
    async def link_confirm(request: Request, link_token: str = LinkToken) -> Response:
        try:
            registration = await w.services.codes.confirm_link(link_token)
        except RegflowError:
            return w.pages.render(request, "link_invalid.html", 400)
        mine = w.cookies.registration(request, registration.flow)
        if mine is not None and mine[0] == registration.id:
            return redirect(f"/register/{registration.flow}")
        return w.pages.render(request, "link_done.html", flow=w.flow(registration.flow))

    return router
