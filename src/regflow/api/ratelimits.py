"""Rate limits at the HTTP edge: one table from routes to rules, applied by one dependency.

Every route of the app passes through :class:`RouteLimits` (installed as an
app-wide dependency). The table says which rules of the policy a route counts
against and with which key: the client's address (``ip``), the registration in
the path or, for the seed contracts, the registration its handle names
(``registrationToken`` in the body or ``X-Registration-Token``), or the join code
in the path or in the step's body. Each seed contract route counts against the
rules of its native twin (start, step, send, confirm, login, join-code lookup;
a join by code in a step also counts as a lookup by the client, so codes cannot
be guessed through a step once the lookup route says 429). Routes missing
from the table count against ``default_ip``; only probes and metrics are
exempt. Limits keyed by an email, a phone or an account are counted where the
service knows the address (``regflow.services.codes``, ``.sessions``), through
the same limiter.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request

from regflow.api.clientip import Network, client_address, client_key
from regflow.api.contracts.base import unpack
from regflow.api.contracts.names import canonical
from regflow.core.ports import RateLimits
from regflow.errors import NotFound

REGISTRATION = "/v1/registrations/{registration_id}"
IP = "ip"
BY_REGISTRATION = "path:registration_id"
BY_CODE = "path:code"
BY_ORG_CODE = "body:org_code"
BY_HANDLE = "handle"  # a contract's registration handle, in the body or X-Registration-Token
IP_WITH = "ip-with:"  # the client's address, counted only when the body carries the field
CODE_FIELDS = frozenset({"org_code", "orgCode"})
_BODY_KEY = "regflow.rate_limit_body"

_ON_REGISTRATION = (("registration_ip", IP), ("registration", BY_REGISTRATION))
_ON_HANDLE = (("registration_ip", IP), ("registration", BY_HANDLE))
_CONFIRM = (("confirm_ip", IP), *_ON_HANDLE)
_START = (("start", IP),)


def _join(field: str) -> tuple[tuple[str, str], ...]:
    """A step that joins by the code in ``field``: per code, and as a lookup per client."""
    return (("join_code", f"body:{field}"), ("lookup_ip", IP_WITH + field))


# the seed contracts, each route with the rules of its native twin
CONTRACT_RULES: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    # 000 phased
    ("POST", "/auth/initiate-registration"): _START,
    ("POST", "/auth/verify-email-code"): _CONFIRM,
    ("GET", "/auth/verify-email/{link_token}"): (("confirm_ip", IP),),
    ("POST", "/auth/verify-email/{link_token}"): (("confirm_ip", IP),),
    ("POST", "/auth/resend-verification"): _ON_HANDLE,
    ("GET", "/auth/registration"): _ON_HANDLE,
    ("GET", "/auth/username-availability"): (("username_ip", IP),),
    ("POST", "/auth/registration/identity"): _ON_HANDLE,
    ("POST", "/auth/registration/security"): (*_ON_HANDLE, *_join("orgCode")),
    # 001 evalon
    ("POST", "/api/organizations/register/step1"): _START,
    ("POST", "/api/organizations/register/step2"): _ON_HANDLE,
    ("POST", "/api/organizations/auth/send-email-otp"): _ON_HANDLE,
    ("POST", "/api/organizations/auth/send-phone-otp"): _ON_HANDLE,
    ("POST", "/api/organizations/register/verify-email-otp"): _CONFIRM,
    ("POST", "/api/organizations/register/verify-phone-otp"): _CONFIRM,
    ("POST", "/api/organizations/register/step3"): _ON_HANDLE,
    ("POST", "/api/organizations/upload/logo"): (("upload_ip", IP),),
    ("GET", "/api/organizations/code/{org_code}"): (
        ("lookup_ip", IP),
        ("join_code", "path:org_code"),
    ),
    ("POST", "/api/teachers/register/step1"): _START,
    ("POST", "/api/teachers/register/step2"): _ON_HANDLE,
    ("POST", "/api/teachers/register/step3"): (*_ON_HANDLE, *_join("orgCode")),
    ("POST", "/api/teachers/register/step4"): _CONFIRM,
    ("POST", "/api/teachers/register"): (*_START, *_join("orgCode")),
    ("POST", "/api/students/register/step1"): _START,
    ("POST", "/api/students/register/step2"): (*_ON_HANDLE, *_join("orgCode")),
    ("POST", "/api/students/register/step3"): _CONFIRM,
    ("POST", "/api/students/register/step4"): _ON_HANDLE,
    # 002 pending: its documented sign-up limit, and a start
    ("POST", "/api/auth/register-pending"): (("pending_signup_ip", IP), *_START),
    ("POST", "/api/auth/verify-and-create"): (("confirm_ip", IP),),
    # 003 oneshot: hashing the password makes every register a start
    ("POST", "/api/v1/auth/register"): _START,
    ("POST", "/api/v1/auth/verify-email"): (("confirm_ip", IP),),
    ("POST", "/api/v1/auth/resend-verification"): (("registration_ip", IP),),
    ("POST", "/api/v1/auth/login"): (("login_ip", IP),),
    ("POST", "/api/v1/auth/forgot-password"): (("reset_ip", IP),),
    ("POST", "/api/v1/auth/reset-password"): (("reset_ip", IP), ("confirm_ip", IP)),
    # 004 verify_first
    ("POST", "/auth/send-verification-code"): _START,
    ("POST", "/auth/verify-email"): (("confirm_ip", IP),),
    ("POST", "/auth/register"): (("registration_ip", IP),),
}

# (method, route template) -> (rule, key) pairs, every one counted
ROUTE_RULES: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("POST", "/v1/registrations"): (("start", IP),),
    ("GET", REGISTRATION): _ON_REGISTRATION,
    ("POST", REGISTRATION + "/steps/{step}"): (*_ON_REGISTRATION, *_join("org_code")),
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
    **CONTRACT_RULES,
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

    def __init__(
        self, limiter: RateLimits, trusted_proxies: Sequence[Network], *, enabled: bool = True
    ) -> None:
        self.limiter = limiter
        self.proxies = tuple(trusted_proxies)
        self.enabled = enabled

    def client(self, request: Request) -> str:
        peer = request.client.host if request.client else None
        forwarded = request.headers.getlist("x-forwarded-for")
        return client_key(client_address(peer, forwarded, self.proxies))

    async def __call__(self, request: Request) -> None:
        if not self.enabled:
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
        if key == BY_HANDLE:
            handle = (await _body(request)).get("registrationToken")
            handle = handle or request.headers.get("x-registration-token")
            try:
                return unpack(handle)[0]
            except NotFound:
                return None
        if key.startswith(IP_WITH):
            wanted = (await _body(request)).get(key.removeprefix(IP_WITH))
            return self.client(request) if isinstance(wanted, str) and wanted.strip() else None
        field = key.removeprefix("body:")
        value = (await _body(request)).get(field)
        if not isinstance(value, str) or not value.strip():
            return None
        return value.strip().upper()[:64] if field in CODE_FIELDS else value[:256]


async def _body(request: Request) -> dict[str, Any]:
    """The JSON object of the body, or ``{}`` (the input guard and the route refuse the rest);
    read once per request."""
    cached: dict[str, Any] | None = request.scope.get(_BODY_KEY)
    if cached is not None:
        return cached
    body: Any = {}
    if "json" in request.headers.get("content-type", "application/json"):
        try:
            body = json.loads(await request.body() or b"null")
        except (ValueError, RecursionError):
            body = {}
    route = getattr(request.scope.get("route"), "path", "")
    found = canonical(body, route) if isinstance(body, dict) else {}  # the names routes read
    request.scope[_BODY_KEY] = found  # not request.state: a test client may share it
    return found
