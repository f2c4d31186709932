"""Rate limits at the HTTP edge: one table from routes to rules, applied by one dependency.

Every route of the app passes through :class:`RouteLimits` (installed as an
app-wide dependency). The table says which rules of the policy a route counts
against and with which key: the client's address (``ip``), the registration in
the path, or the join code in the path or in the step's body. Routes missing
from the table count against ``default_ip``; only probes and metrics are
exempt. Limits keyed by an email, a phone or an account are counted where the
service knows the address (``regflow.services.codes``, ``.sessions``), through
the same limiter.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.requests import Request

from regflow.ratelimit import RateLimiter, client_address, client_key
from regflow.ratelimit.clientip import Network

REGISTRATION = "/v1/registrations/{registration_id}"
IP = "ip"
BY_REGISTRATION = "path:registration_id"
BY_CODE = "path:code"
BY_ORG_CODE = "body:org_code"

_ON_REGISTRATION = (("registration_ip", IP), ("registration", BY_REGISTRATION))

# (method, route template) -> (rule, key) pairs, every one counted
ROUTE_RULES: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("POST", "/v1/registrations"): (("start", IP),),
    ("GET", REGISTRATION): _ON_REGISTRATION,
    ("POST", REGISTRATION + "/steps/{step}"): (*_ON_REGISTRATION, ("join_code", BY_ORG_CODE)),
    ("POST", REGISTRATION + "/verifications/{channel}"): _ON_REGISTRATION,
    ("POST", REGISTRATION + "/verifications/{channel}/confirm"): (
        ("confirm_ip", IP),
        *_ON_REGISTRATION,
    ),
    ("POST", REGISTRATION + "/complete"): _ON_REGISTRATION,
    ("GET", "/v1/verify/{link_token}"): (("confirm_ip", IP),),
    ("POST", "/v1/verify/{link_token}"): (("confirm_ip", IP),),
    ("POST", "/v1/sessions"): (("login_ip", IP),),
    ("POST", "/v1/password-resets"): (("reset_ip", IP),),
    ("GET", "/v1/account"): (("account_ip", IP),),
    ("POST", "/v1/password-resets/confirm"): (("reset_ip", IP), ("confirm_ip", IP)),
    ("GET", "/v1/usernames/{name}/availability"): (("username_ip", IP),),
    ("GET", "/v1/organizations/by-code/{code}"): (("lookup_ip", IP), ("join_code", BY_CODE)),
    ("POST", "/v1/uploads/logo"): (("upload_ip", IP),),
    ("GET", "/v1/invitations/{link_token}"): (("invitation_ip", IP),),
    ("POST", "/v1/invitations/{link_token}"): (("invitation_ip", IP), ("start", IP)),
    # seed contracts whose documents name a limit, or that reach an organization by code
    ("POST", "/api/auth/register-pending"): (("pending_signup_ip", IP),),
    ("GET", "/api/organizations/code/{org_code}"): (
        ("lookup_ip", IP),
        ("join_code", "path:org_code"),
    ),
    ("POST", "/api/organizations/upload/logo"): (("upload_ip", IP),),
    ("POST", "/api/v1/auth/forgot-password"): (("reset_ip", IP),),
    ("POST", "/api/v1/auth/reset-password"): (("reset_ip", IP), ("confirm_ip", IP)),
    # the hosted pages: opening a flow may start a registration; codes and links confirm;
    # signing in counts as POST /v1/sessions does, an invitation as /v1/invitations/... does
    ("GET", "/register/{flow}"): (("start", IP),),
    ("POST", "/register/{flow}/verify/{channel}"): (("confirm_ip", IP),),
    ("POST", "/register/confirm/{link_token}"): (("confirm_ip", IP),),
    ("POST", "/sign-in"): (("login_ip", IP),),
    ("POST", "/forgot-password"): (("reset_ip", IP),),
    ("POST", "/forgot-password/code"): (("reset_ip", IP), ("confirm_ip", IP)),
    ("GET", "/reset/{link_token}"): (("confirm_ip", IP),),
    ("POST", "/reset/{link_token}"): (("reset_ip", IP), ("confirm_ip", IP)),
    ("GET", "/invite/{link_token}"): (("invitation_ip", IP),),
    ("POST", "/invite/{link_token}"): (("invitation_ip", IP), ("start", IP)),
    ("POST", "/invite/{link_token}/sign-in"): (("invitation_ip", IP), ("login_ip", IP)),
    # the OpenID Provider
    ("GET", "/oauth2/authorize"): (("authorize_ip", IP),),
    ("POST", "/oauth2/authorize"): (("authorize_ip", IP),),
    ("POST", "/oauth2/token"): (("token_ip", IP),),
    ("POST", "/oauth2/revoke"): (("token_ip", IP),),
}
ADMIN_PREFIX = "/v1/organizations/{organization_id}"
EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})


def rules_for(method: str, template: str) -> tuple[tuple[str, str], ...]:
    """The (rule, key) pairs a route counts against."""
    if template in EXEMPT:
        return ()
    found = ROUTE_RULES.get((method, template))
    if found is not None:
        return found
    if template.startswith(ADMIN_PREFIX):
        return (("admin_ip", IP),)
    return (("default_ip", IP),)


class RouteLimits:
    """The app-wide dependency: count the request against its route's rules (429 past them)."""

    def __init__(self, limiter: RateLimiter, trusted_proxies: Sequence[Network]) -> None:
        self.limiter = limiter
        self.proxies = tuple(trusted_proxies)

    def client(self, request: Request) -> str:
        peer = request.client.host if request.client else None
        forwarded = request.headers.getlist("x-forwarded-for")
        return client_key(client_address(peer, forwarded, self.proxies))

    async def __call__(self, request: Request) -> None:
        if not self.limiter.enabled:
            return
        route = request.scope.get("route")
        template = getattr(route, "path", None)
        if template is None:
            return
        for rule, key in rules_for(request.method, template):
            value = await self._key(request, key)
            if value:
                await self.limiter.hit(rule, value)

    async def _key(self, request: Request, key: str) -> str | None:
        if key == IP:
            return self.client(request)
        if key.startswith("path:"):
            value = request.path_params.get(key.removeprefix("path:"))
            return str(value).strip().upper() if key == BY_CODE else value
        field = key.removeprefix("body:")
        try:
            body = json.loads(await request.body() or b"null")
        except (ValueError, RecursionError):
            return None
        value = body.get(field) if isinstance(body, dict) else None
        return value.strip().upper()[:64] if isinstance(value, str) and value.strip() else None
