"""The OpenID Provider's use at the HTTP edge: load, let Authlib decide, write what it decided.

Every method takes plain parameters (string pairs, headers) and returns a
:class:`~regflow.oidc.server.Reply` or data; the routes (``regflow.api.oidc``,
``regflow.ui.authorize``) turn them into responses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import jwt
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidGrantError

from regflow.core import cryptokit
from regflow.core.oidc import CLAIMS, SCOPES, Client, Subject
from regflow.errors import AuthenticationFailed
from regflow.keys.keyring import KeyRing
from regflow.keys.signing import algorithm_of
from regflow.keys.tokens import TokenService
from regflow.oidc.requests import Request
from regflow.oidc.server import Authorization, Reply, Revoking, Server
from regflow.services.login_sessions import SignedIn
from regflow.services.oidc import Exchange, OpenIdProvider

AUTHORIZE = "/oauth2/authorize"
TOKEN = "/oauth2/token"  # noqa: S105 - a path
USERINFO = "/oauth2/userinfo"
REVOKE = "/oauth2/revoke"
END_SESSION = "/oauth2/logout"
DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/.well-known/jwks.json"


class Provider:
    def __init__(
        self,
        clients: Iterable[Client],
        service: OpenIdProvider,
        keyring: KeyRing,
        tokens: TokenService,
        *,
        issuer: str,
        refresh_ttl: timedelta,
    ) -> None:
        self.clients = {c.client_id: c for c in clients}
        self.service = service
        self.keyring = keyring
        self.tokens = tokens
        self.issuer = issuer.rstrip("/")
        self.server = Server(
            self.clients,
            keyring,
            tokens,
            issuer=self.issuer,
            refresh_ttl=refresh_ttl,
            clock=lambda: service.ctx.clock(),  # read on each use (tests move it)
        )

    def redirect_origins(self) -> list[str]:
        """The origins (scheme://host:port) the clients' redirect URIs live on."""
        found = set()
        for client in self.clients.values():
            for uri in (*client.redirect_uris, *client.post_logout_redirect_uris):
                parts = urlsplit(uri)
                found.add(f"{parts.scheme}://{parts.netloc}")
        return sorted(found)

    def now(self) -> datetime:
        return self.service.ctx.clock()

    def request(
        self,
        method: str,
        path: str,
        items: list[tuple[str, str]],
        headers: Mapping[str, str],
        context: Any,
    ) -> Request:
        return Request(method, self.issuer + path, items, headers, context)  # case-insensitive

    # -- discovery ----------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        _, key = self.keyring.active()
        signing = dict.fromkeys(["RS256", algorithm_of(key)])  # RS256 is required, and first
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + AUTHORIZE,
            "token_endpoint": self.issuer + TOKEN,
            "userinfo_endpoint": self.issuer + USERINFO,
            "revocation_endpoint": self.issuer + REVOKE,
            "end_session_endpoint": self.issuer + END_SESSION,
            "jwks_uri": self.issuer + JWKS,
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": list(signing),
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "revocation_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "code_challenge_methods_supported": ["S256"],
            "prompt_values_supported": ["none", "login", "consent", "create"],
            "claims_supported": [*CLAIMS, "name", "auth_time", "nonce", "iss", "aud"],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
        }

    # -- authorize ----------------------------------------------------------------------------

    async def subject_of(self, signed_in: SignedIn | None, client_id: str | None) -> Subject | None:
        client = self.clients.get(client_id or "")
        if signed_in is None or client is None:
            return None
        return await self.service.subject(
            signed_in.account.id,
            client,
            auth_time=signed_in.session.created_at,
            amr=signed_in.session.amr,
        )

    def consent_grant(self, request: Request) -> Any:
        """Authlib's validated authorization request; ``OAuth2Error`` when it is not one.
        An error whose ``redirect_uri`` is unset must never redirect (unknown client, a
        redirect URI not registered character for character)."""
        authorization: Authorization = request.context
        return self.server.get_consent_grant(request, end_user=authorization.subject)

    async def issue_code(self, request: Request, grant: Any, granted: bool) -> Reply:
        """The redirect back to the client: with a new code (kept as its SHA-256), or with
        ``access_denied``."""
        authorization: Authorization = request.context
        user = authorization.subject if granted else None
        reply: Reply = self.server.create_authorization_response(
            request, grant_user=user, grant=grant
        )
        if authorization.code is not None:
            await self.service.save_code(authorization.code)
        return reply

    def error_reply(self, request: Request, error: OAuth2Error) -> Reply:
        reply: Reply = self.server.handle_error_response(request, error)
        return reply

    # -- token, revocation ----------------------------------------------------------------------

    async def token(self, items: list[tuple[str, str]], headers: Mapping[str, str]) -> Reply:
        data = dict(items)
        exchange = Exchange()
        code = data.get("code") if data.get("grant_type") == "authorization_code" else None
        refresh = data.get("refresh_token") if data.get("grant_type") == "refresh_token" else None
        await self.service.load(
            exchange,
            self.clients,
            cryptokit.sha256_hex(code) if code else None,
            cryptokit.sha256_hex(refresh) if refresh else None,
        )
        request = self.request("POST", TOKEN, items, headers, exchange)
        reply: Reply = self.server.create_token_response(request)
        if exchange.writes and not await self.service.apply(exchange):
            # another request used this code or refresh token first: nothing is issued
            return self.error_reply(request, InvalidGrantError())
        return reply

    async def revoke(self, items: list[tuple[str, str]], headers: Mapping[str, str]) -> Reply:
        token = dict(items).get("token") or ""
        revoking = Revoking()
        revoking.refresh = await self.service.refresh_token(cryptokit.sha256_hex(token))
        if revoking.refresh is None and token.count(".") == 2:
            try:
                payload = await self.tokens.verify_payload(token)
            except AuthenticationFailed:
                payload = {}
            if isinstance(payload.get("sid"), str) and isinstance(payload.get("client_id"), str):
                revoking.access_family = (payload["client_id"], payload["sid"])
        request = self.request("POST", REVOKE, items, headers, revoking)
        reply: Reply = self.server.create_endpoint_response("revocation", request)
        if revoking.revoke_family:
            await self.service.revoke_family(revoking.revoke_family)
        return reply

    # -- userinfo -------------------------------------------------------------------------------

    async def userinfo(self, access_token: str | None) -> dict[str, Any] | None:
        """The claims of the person an access token speaks for, while the token holds."""
        if not access_token:
            return None
        try:
            payload = await self.tokens.verify_payload(access_token)
        except AuthenticationFailed:
            return None
        sid, client_id = payload.get("sid"), payload.get("client_id")
        client = self.clients.get(client_id) if isinstance(client_id, str) else None
        if not isinstance(sid, str) or client is None:
            return None
        account = await self.service.holds(payload["sub"], payload["ver"], sid)
        if account is None:
            return None
        auth_time = datetime.fromtimestamp(int(payload.get("auth_time") or 0), tz=self.now().tzinfo)
        amr = tuple(str(a) for a in payload.get("amr") or ("pwd",))
        subject = await self.service.subject(account.id, client, auth_time=auth_time, amr=amr)
        if subject is None:
            return None
        return subject.claims(str(payload.get("scope") or "openid"))

    # -- RP-initiated logout --------------------------------------------------------------------

    async def logout_context(self, items: list[tuple[str, str]]) -> Revoking:
        """What a logout request needs loaded: the public key its ``id_token_hint`` names."""
        revoking = Revoking()
        hint = dict(items).get("id_token_hint")
        if hint:
            try:
                kid = jwt.get_unverified_header(hint).get("kid")
            except jwt.PyJWTError:
                kid = None
            if isinstance(kid, str) and 0 < len(kid) <= 128:
                revoking.id_token_key = await self.keyring.public_key(kid)
        return revoking

    async def finish_logout(self, revoking: Revoking) -> None:
        """End the refresh tokens the logged-out client holds for the person, if known."""
        ended = revoking.ended
        claims = ended.id_token_claims if ended is not None else None
        if claims and isinstance(claims.get("sub"), str) and ended is not None and ended.client:
            await self.service.revoke_for(claims["sub"], ended.client.get_client_id())
