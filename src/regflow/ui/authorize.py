"""``/oauth2/authorize`` and ``/oauth2/logout``: the OpenID Provider's pages.

Authorize (Authlib validates; ``regflow.oidc.provider``):

- an unknown client, or a ``redirect_uri`` not registered character for
  character, gets an error page and is **never** redirected to;
- other errors go back to the client's redirect URI (``error``, ``state``);
- no login session (or ``prompt=login``, or a session older than ``max_age``)
  continues at ``/sign-in?next=...``, whose "Create an account" link is this
  request with ``prompt=create``;
- ``prompt=create`` keeps the request in a cookie and opens sign-up (the
  client's one flow, or the choice among its flows); the flow's end comes back
  here, signed in, and so to the client with a code;
- a client that is not first-party is shown a consent page first.

Logout (RP-initiated): with a valid ``id_token_hint`` it ends the login
session and the client's refresh tokens for that person, then redirects to a
registered ``post_logout_redirect_uri``; without one it asks first.
"""

from __future__ import annotations

from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from regflow.core.oidc import Client
from regflow.oidc.provider import AUTHORIZE, END_SESSION, Provider
from regflow.oidc.requests import clean_items
from regflow.oidc.server import Authorization, Reply
from regflow.ui.i18n import N_
from regflow.ui.wizard import Wizard

CONTROL = ("csrf", "decision")


def without(items: list[tuple[str, str]], prompt: str) -> list[tuple[str, str]]:
    """The request with ``prompt`` taken out of its ``prompt`` parameter."""
    kept = []
    for key, value in items:
        if key == "prompt":
            value = " ".join(p for p in value.split() if p != prompt)
            if not value:
                continue
        kept.append((key, value))
    return kept


def authorize_url(items: list[tuple[str, str]]) -> str:
    return f"{AUTHORIZE}?{urlencode(items)}"


def go(location: str) -> Response:
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})


def authorize_router(w: Wizard, provider: Provider) -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(w.csrf)])

    def refused(request: Request, error: OAuth2Error) -> Response:
        return w.pages.render(
            request,
            "problem.html",
            400,
            title=N_("This sign-in link is not valid"),
            message=(
                N_(
                    "The application that sent you here is not set up for this address. "
                    "Nothing was shared with it."
                )
            ),
            detail=getattr(error, "description", None),
        )

    def sign_up_url(client: Client) -> str:
        flows = [f for f in (client.flows or w.shown) if f in w.shown]
        return f"/register/{flows[0]}" if len(flows) == 1 else "/"

    async def handle(request: Request, items: list[tuple[str, str]], posted: bool) -> Response:
        data = dict(items)
        client = provider.clients.get(data.get("client_id", ""))
        signed_in = await w.signed_in(request)
        subject = await provider.subject_of(signed_in, data.get("client_id"))
        oauth = provider.request(
            request.method, AUTHORIZE, items, request.headers, Authorization(subject)
        )
        try:
            grant = provider.consent_grant(oauth)
        except OAuth2Error as error:
            if not error.redirect_uri:
                return refused(request, error)
            return go(provider.error_reply(oauth, error).location or "/")
        assert client is not None  # noqa: S101 - Authlib found it
        prompts = data.get("prompt", "").split()
        if "create" in prompts:
            response = go(sign_up_url(client))
            w.cookies.keep_authorize(response, urlencode(without(items, "create")))
            return response
        max_age = data.get("max_age", "")
        too_old = (
            subject is not None
            and max_age.isdigit()
            and (provider.now() - subject.auth_time).total_seconds() > int(max_age)
        )
        if subject is None or "login" in prompts or too_old:
            if "none" in prompts:
                needed = LoginRequiredError(redirect_uri=grant.redirect_uri)
                needed.state = data.get("state")
                return go(provider.error_reply(oauth, needed).location or "/")
            return go("/sign-in?" + urlencode({"next": authorize_url(without(items, "login"))}))
        if not client.first_party and not posted and "none" in prompts:
            needed = ConsentRequiredError(redirect_uri=grant.redirect_uri)
            needed.state = data.get("state")
            return go(provider.error_reply(oauth, needed).location or "/")
        if not client.first_party and not posted:
            fields = [(k, v) for k, v in items if k not in CONTROL]
            return w.pages.render(
                request,
                "consent.html",
                client=client,
                fields=fields,
                email=subject.email,
                scopes=(grant.request.scope or "openid").split(),
            )
        granted = client.first_party or data.get("decision") == "allow"
        reply = await provider.issue_code(oauth, grant, granted)
        return go(reply.location or "/")

    @router.get(AUTHORIZE)
    async def authorize(request: Request) -> Response:
        items = clean_items(request.query_params.multi_items())
        if items is None:
            return refused(request, OAuth2Error("invalid_request"))
        return await handle(request, items, posted=False)

    @router.post(AUTHORIZE)
    async def consent(request: Request) -> Response:
        form = await w.form(request)
        items = clean_items(form.multi_items())
        if items is None:
            return refused(request, OAuth2Error("invalid_request"))
        return await handle(request, [(k, v) for k, v in items if k != "csrf"], posted=True)

    async def logout(request: Request, items: list[tuple[str, str]], confirmed: bool) -> Response:
        revoking = await provider.logout_context(items)
        oauth = provider.request(request.method, END_SESSION, items, request.headers, revoking)
        try:
            validated = provider.server.validate_endpoint_request("end_session", oauth)
        except OAuth2Error as error:
            return refused(request, error)
        if validated.needs_confirmation and not confirmed:
            fields = [(k, v) for k, v in items if k not in CONTROL]
            return w.pages.render(request, "logout_confirm.html", fields=fields)
        reply = provider.server.create_endpoint_response("end_session", validated)
        await provider.finish_logout(revoking)
        await w.services.login_sessions.revoke(w.cookies.login_secret(request))
        response: Response
        if isinstance(reply, Reply) and reply.location:
            response = go(reply.location)
        else:
            response = w.pages.render(request, "signed_out.html")
        w.cookies.forget_login(response)
        return response

    @router.get(END_SESSION)
    async def end_session(request: Request) -> Response:
        items = clean_items(request.query_params.multi_items())
        if items is None:
            return refused(request, OAuth2Error("invalid_request"))
        return await logout(request, items, confirmed=False)

    @router.post(END_SESSION)
    async def end_session_confirmed(request: Request) -> Response:
        form = await w.form(request)
        items = clean_items(form.multi_items())
        if items is None:
            return refused(request, OAuth2Error("invalid_request"))
        return await logout(request, [(k, v) for k, v in items if k not in CONTROL], True)

    return router


def continuation(query: str | None) -> str | None:
    """Where a hosted flow's end goes when an authorize request opened it."""
    return f"{AUTHORIZE}?{query}" if query else None
