"""Where a person is in a flow and what each page shows: the shared part of the UI routes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from regflow.core.flowspec import FlowSpec, StepSpec
from regflow.core.model import RegistrationStatus
from regflow.errors import ErrorCode, Gone, NotFound, RegflowError
from regflow.services.container import Services
from regflow.services.login_sessions import SignedIn
from regflow.services.uploads import Uploads
from regflow.services.views import RegistrationView
from regflow.ui.csrf import MAX_FIELDS, MAX_FILES, csrf_guard
from regflow.ui.i18n import N_
from regflow.ui.pages import Pages, redirect
from regflow.ui.session import Cookies
from regflow.ui.words import say

CHANNEL_WORDS = {"email": "email address", "phone": "mobile number"}


@dataclass
class Place:
    """One registration as the UI sees it: id, token and its state."""

    flow: str
    rid: str
    token: str
    state: RegistrationView

    @property
    def step_names(self) -> list[str]:
        return self.state.step_names

    def next_url(self) -> str:
        pending = self.state.awaiting
        if pending is not None:
            return f"/register/{self.flow}/verify/{pending.channel.value}"
        if self.state.complete:
            return f"/register/{self.flow}/ready"
        return f"/register/{self.flow}/step/{self.state.step}"


def page_names(spec: FlowSpec, place: Place | None, *, invited: bool = False) -> list[str]:
    """The pages a person goes through: each step, then a code page for each address it asks
    for that some step of the flow verifies."""
    if place is not None:
        steps = [
            (s.name, set(s.field_names), [c.value for c in s.spec.verifications])
            for s in place.state.steps
        ]
    else:
        steps = [
            (s.name, {f["name"] for f in s.describe_fields()}, [c.value for c in s.verifications])
            for s in spec.steps
        ]
    verified_somewhere = {channel for _, _, channels in steps for channel in channels}
    pages: list[str] = []
    for name, fields, _ in steps:
        pages.append(name)
        for channel in ("email", "phone"):
            if channel in fields and channel in verified_somewhere:
                if not (channel == "email" and invited):
                    pages.append(f"verify:{channel}")
    return pages


def step_asking(place: Place, channel: str) -> str | None:
    """The step whose form holds ``channel``'s address (where it can be changed)."""
    for step in place.state.steps:
        if channel in step.field_names:
            return step.name
    return None


def rfc3339(moment: datetime) -> str:
    """``2026-01-05T09:00:00Z``, for the page's scripts."""
    return moment.isoformat().replace("+00:00", "Z")


def seconds_until(moment: datetime, now: datetime) -> int:
    return max(0, int((moment - now).total_seconds() + 0.999))


class Wizard:
    def __init__(
        self,
        services: Services,
        cookies: Cookies,
        pages: Pages,
        uploads: Uploads | None,
        shown: Sequence[str],
    ) -> None:
        self.services = services
        # the native flows people choose from; a seed contract's compact flows are its own
        self.shown = [name for name in shown if name in services.ctx.engine.flows]
        self.cookies = cookies
        self.pages = pages
        self.uploads = uploads
        self.drafts = services.drafts
        self.csrf = csrf_guard(cookies)  # every UI router's dependency
        # OpenID clients' ``organization``: who signs up through one joins it
        self.client_organizations: dict[str, str] = {}

    def organization_for(self, authorize_query: str | None) -> str | None:
        """The organization (id or slug) that a sign-up opened by the waiting authorize
        request joins: its client's configured ``organization``, if any."""
        if not authorize_query:
            return None
        client_id = parse_qs(authorize_query).get("client_id", [""])[0]
        return self.client_organizations.get(client_id)

    def now(self) -> datetime:
        return self.services.ctx.clock().astimezone(UTC)

    def flow(self, name: str) -> FlowSpec | None:
        return self.services.ctx.engine.flows.get(name) if name in self.shown else None

    def flows(self) -> list[FlowSpec]:
        return [self.services.ctx.engine.flows[name] for name in self.shown]

    async def place(self, request: Request, flow: str) -> Place | Gone | None:
        """This browser's registration in ``flow``: None when there is none, Gone if expired."""
        found = self.cookies.registration(request, flow)
        if found is None:
            return None
        rid, token = found
        try:
            state = await self.services.registrations.state(rid, token)
        except NotFound:
            return None
        if state.flow != flow or state.status is RegistrationStatus.COMPLETED:
            return None
        if state.status is RegistrationStatus.EXPIRED:
            return Gone()
        return Place(flow, rid, token, state)

    def progress(
        self, spec: FlowSpec, place: Place | None, page: str, *, invited: bool = False
    ) -> dict[str, Any]:
        """ "Page N of M", counting the code pages too (an invitation's email needs none);
        ``page`` is a step's name or ``verify:<channel>``. ``names`` are the steps only."""
        names = place.step_names if place else [s.name for s in spec.steps]
        pages = page_names(spec, place, invited=invited)
        index = pages.index(page) if page in pages else len(pages) - 1
        return {"current": index + 1, "total": len(pages), "names": names}

    def step_spec(self, spec: FlowSpec, step: str) -> StepSpec | None:
        try:
            return spec.step(step)
        except RegflowError:
            return None

    def expired(self, request: Request, flow: str) -> Response:
        response = self.pages.render(
            request,
            "expired.html",
            410,
            flow=self.flow(flow),
            message=say(ErrorCode.REGISTRATION_EXPIRED),
        )
        self.cookies.forget_registration(response, flow)
        return response

    def lost(self, request: Request, flow: str) -> Response:
        """The cookie names nothing usable: start the flow again from its first page."""
        response = redirect(f"/register/{flow}")
        self.cookies.forget_registration(response, flow)
        return response

    async def form(self, request: Request) -> FormData:
        """The posted form, already read (and its ``csrf`` checked) by :func:`csrf_guard`."""
        return await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS)

    def csrf_failed(self, request: Request) -> Response:
        return self.pages.render(
            request,
            "problem.html",
            403,
            title=N_("Please try again"),
            message=say(ErrorCode.CSRF_FAILED),
        )

    # -- the login session ------------------------------------------------------------------

    async def signed_in(self, request: Request) -> SignedIn | None:
        """Who this browser's login session signs in, if it still holds (a dependency:
        ``Depends(w.signed_in)``)."""
        return await self.services.login_sessions.current(self.cookies.login_secret(request))

    async def start_session(
        self,
        request: Request,
        response: Response,
        account_id: str,
        amr: tuple[str, ...] = ("pwd",),
    ) -> None:
        """Sign this browser in as ``account_id``: a new session (the previous one, if the
        cookie named one, revoked) and its cookie on ``response``."""
        started = await self.services.login_sessions.create(
            account_id, amr=amr, replacing=self.cookies.login_secret(request)
        )
        self.cookies.keep_login(response, started.secret)
