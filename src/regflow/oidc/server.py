"""Authlib's authorization server, grants and endpoints, fed by regflow's services.

Authlib validates and decides: the authorization request (client, exact
redirect URI, response type, scope, ``prompt``, ``nonce``, PKCE), client
authentication, the code and refresh-token grants, revocation (RFC 7009) and
RP-initiated logout. Authlib's server is synchronous, so each request first
loads what it may need (``regflow.services.oidc``) into ``request.context``;
the hooks below read only that and record what to write, and the caller writes
it in one unit of work afterwards.

Tokens are signed with regflow's key ring through PyJWT, the library that
verifies them everywhere else in regflow: access tokens with its EdDSA or ES256
key, ID tokens with the algorithm the client registered (RS256 unless it says
otherwise, as OpenID Connect Registration defaults).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt
from authlib.oauth2.rfc6749 import AuthorizationServer, InvalidRequestError, grants
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo
from authlib.oidc.core.util import create_half_hash
from authlib.oidc.rpinitiated import EndSessionEndpoint, EndSessionRequest

from regflow.core import cryptokit
from regflow.core.claims import AccessClaims
from regflow.core.oidc import CODE_TTL, AuthorizationCode, Client, RefreshToken, Subject
from regflow.keys.keyring import KeyRing
from regflow.keys.signing import PublicKey, algorithm_of
from regflow.keys.tokens import TokenService
from regflow.oidc.models import ClientModel, CodeModel, RefreshModel
from regflow.oidc.requests import Request
from regflow.services.oidc import Exchange

AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


@dataclass
class Authorization:
    """An authorize request's context: who is signed in, and the code the grant issued."""

    subject: Subject | None
    code: AuthorizationCode | None = None


@dataclass
class Revoking:
    """A revocation or logout request's context: what the token names, what to end."""

    refresh: RefreshToken | None = None
    access_family: tuple[str, str] | None = None  # (client_id, family) of an access token
    id_token_key: PublicKey | None = None
    revoke_family: str | None = None
    ended: EndSessionRequest | None = None


@dataclass(frozen=True)
class Reply:
    """What Authlib answered: status, body (a dict or a string) and headers."""

    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)


class Server(AuthorizationServer):  # type: ignore[misc]
    def __init__(
        self,
        clients: dict[str, Client],
        keyring: KeyRing,
        tokens: TokenService,
        *,
        issuer: str,
        refresh_ttl: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__(scopes_supported=["openid", "email", "profile", "offline_access"])
        self.clients = clients
        self.keyring = keyring
        self.tokens = tokens
        self.issuer = issuer
        self.refresh_ttl = refresh_ttl
        self.clock = clock
        self.register_token_generator("default", self.generate_bearer)
        self.register_grant(CodeGrant, [Pkce(required=True), IdToken(self)])
        self.register_grant(RefreshGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(EndSession)

    # -- what Authlib asks of a framework integration ---------------------------------------

    def query_client(self, client_id: str) -> ClientModel | None:
        client = self.clients.get(client_id) if isinstance(client_id, str) else None
        return ClientModel(client) if client else None

    def create_oauth2_request(self, request: Request) -> Request:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> Reply:
        return Reply(status, body, list(headers or []))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def save_token(self, token: dict[str, Any], request: Request) -> None:
        """Keep the new refresh token (as its SHA-256) in the exchange to be written."""
        exchange: Exchange = request.context
        subject: Subject = request.user
        secret = token.get("refresh_token")
        if not secret or subject.family_id is None:
            return
        now = self.clock()
        code = request.authorization_code
        exchange.new_refresh.append(
            RefreshToken(
                id=str(uuid.uuid4()),
                token_hash=cryptokit.sha256_hex(secret),
                family_id=subject.family_id,
                client_id=request.client.get_client_id(),
                account_id=subject.account_id,
                scope=token.get("scope") or "openid",
                token_version=subject.token_version,
                created_at=now,
                expires_at=now + self.refresh_ttl,
                auth_time=subject.auth_time,
                amr=subject.amr,
                code_hash=code.code.code_hash if isinstance(code, CodeModel) else None,
            )
        )

    def generate_bearer(
        self,
        grant_type: str,
        client: ClientModel,
        user: Subject,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """The access token (a JWT with the subject's claims) and a random refresh token."""
        scope = scope or "openid"
        claims = AccessClaims(
            sub=user.account_id,
            email=user.email,
            email_verified=user.email_verified,
            org=user.org,
            role=user.role,
            ver=user.token_version,
        )
        extra = {
            "org_slug": user.org_slug,
            "amr": list(user.amr),
            "auth_time": int(user.auth_time.timestamp()),
            "client_id": client.get_client_id(),
            "scope": scope,
            "sid": user.family_id,
        }
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": self.tokens.issue(claims, extra=extra),
            "expires_in": self.tokens.ttl_seconds,
            "scope": scope,
        }
        if include_refresh_token:
            token["refresh_token"] = cryptokit.new_token()
        return token

    def sign(self, claims: dict[str, Any], algorithm: str | None = None) -> tuple[str, str]:
        """``(jwt, alg)``: ``claims`` signed with the active key of ``algorithm``'s lane
        (``RS256``), or with the access tokens' key."""
        kid, key = self.keyring.active(algorithm)
        alg = algorithm_of(key)
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"}), alg


# -- grants -------------------------------------------------------------------------------------


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_authorization_code(self, code: str, request: Request) -> None:
        authorization: Authorization = request.context
        subject = request.user
        now = self.server.clock()
        authorization.code = AuthorizationCode(
            code_hash=cryptokit.sha256_hex(code),
            client_id=request.client.get_client_id(),
            account_id=subject.account_id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope or "openid",
            created_at=now,
            expires_at=now + CODE_TTL,
            auth_time=subject.auth_time,
            amr=subject.amr,
            nonce=request.payload.data.get("nonce"),
            code_challenge=request.payload.data.get("code_challenge"),
            code_challenge_method=request.payload.data.get("code_challenge_method"),
        )

    def query_authorization_code(self, code: str, client: ClientModel) -> CodeModel | None:
        exchange: Exchange = self.request.context
        found = exchange.code
        if found is None or found.code_hash != cryptokit.sha256_hex(code):
            return None
        if found.used_at is not None:  # a replay: what this code issued is revoked
            exchange.revoke_families_of_code = found.code_hash
            return None
        if not found.usable(client.get_client_id(), self.server.clock()):
            return None
        return CodeModel(found)

    def delete_authorization_code(self, authorization_code: CodeModel) -> None:
        exchange: Exchange = self.request.context
        exchange.consume_code = authorization_code.code.code_hash

    def authenticate_user(self, authorization_code: CodeModel) -> Subject | None:
        exchange: Exchange = self.request.context
        subject = exchange.subject
        if subject is None or subject.account_id != authorization_code.code.account_id:
            return None
        exchange.subject = Subject(**{**subject.__dict__, "family_id": str(uuid.uuid4())})
        return exchange.subject


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every use gives the next of the family

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshModel | None:
        exchange: Exchange = self.request.context
        found, subject = exchange.refresh, exchange.subject
        if found is None or found.token_hash != cryptokit.sha256_hex(refresh_token):
            return None
        if found.replayed():  # used or revoked: whoever holds it, the family ends
            exchange.revoke_family = found.family_id
            return None
        if subject is None or not found.usable(
            found.client_id, subject.token_version, self.server.clock()
        ):
            return None
        return RefreshModel(found)

    def authenticate_user(self, refresh_token: RefreshModel) -> Subject | None:
        exchange: Exchange = self.request.context
        return exchange.subject

    def revoke_old_credential(self, refresh_token: RefreshModel) -> None:
        exchange: Exchange = self.request.context
        exchange.rotate_refresh = refresh_token.token.id


class Pkce(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only; a public client must send a challenge."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ("S256",)
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        client: ClientModel = grant.request.client
        if client.client.public and not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge'.")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is accepted.")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code: CodeModel) -> str | None:
        return authorization_code.code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: CodeModel) -> str | None:
        return authorization_code.code.code_challenge_method


class IdToken(OpenIDCode):  # type: ignore[misc]
    def __init__(self, server: Server) -> None:
        super().__init__(require_nonce=False)
        self.server = server

    def exists_nonce(self, nonce: str, request: Request) -> bool:
        return False  # a nonce is the client's to check against its own session

    def generate_user_info(self, user: Subject, scope: str) -> UserInfo:
        return UserInfo(user.claims(scope))

    def encode_id_token(self, token: dict[str, Any], request: Request) -> str:
        # Authlib's claims and hashes, signed by the key ring through PyJWT (joserfc, which
        # Authlib signs with, warns on EdDSA, and the test suite turns warnings into errors)
        now = int(self.server.clock().timestamp())
        claims: dict[str, Any] = {
            "iss": self.server.issuer,
            "aud": request.client.get_client_id(),
            "iat": now,
            "exp": now + self.server.tokens.ttl_seconds,
            **self.get_authorization_code_claims(request.authorization_code),
        }
        client: ClientModel = request.client
        alg = client.client.id_token_alg  # the client's id_token_signed_response_alg
        _, key = self.server.keyring.active(alg)
        at_hash = create_half_hash(token["access_token"], algorithm_of(key))
        if at_hash is not None:
            claims["at_hash"] = at_hash.decode("utf-8")
        claims.update(self.generate_user_info(request.user, token["scope"]))
        claims["sid"] = request.user.family_id
        signed, _ = self.server.sign(claims, alg)
        return signed


# -- endpoints ----------------------------------------------------------------------------------


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        revoking: Revoking = self.request_context
        found = revoking.refresh
        if found is not None and found.token_hash == cryptokit.sha256_hex(token_string):
            return RefreshModel(found)
        if revoking.access_family is not None:
            return _AccessToken(*revoking.access_family)
        return None

    def create_endpoint_request(self, request: Request) -> Request:
        self.request_context = request.context
        return request

    def revoke_token(self, token: Any, request: Request) -> None:
        revoking: Revoking = request.context
        if isinstance(token, RefreshModel):
            revoking.revoke_family = token.token.family_id
        elif isinstance(token, _AccessToken):
            revoking.revoke_family = token.family_id


@dataclass(frozen=True)
class _AccessToken:
    client_id: str
    family_id: str

    def check_client(self, client: ClientModel) -> bool:
        return self.client_id == client.get_client_id()


class EndSession(EndSessionEndpoint):  # type: ignore[misc]
    """RP-initiated logout; ``id_token_hint`` is verified with the key ring's public key
    (loaded beforehand into the context), its expiry ignored as the specification allows."""

    def validate_request(self, request: Request) -> EndSessionRequest:
        self.request_context = request.context
        return super().validate_request(request)

    def _validate_id_token_hint(self, id_token_hint: str) -> dict[str, Any]:
        revoking: Revoking = self.request_context
        key = revoking.id_token_key
        if key is None:
            raise InvalidRequestError("The id_token_hint is not valid.")
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token_hint,
                key,
                algorithms=[algorithm_of(key)],
                issuer=self.server.issuer,
                options={"verify_aud": False, "verify_exp": False, "require": ["sub", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidRequestError("The id_token_hint is not valid.") from exc
        return claims

    def end_session(self, end_session_request: EndSessionRequest) -> None:
        revoking: Revoking = end_session_request.request.context
        revoking.ended = end_session_request
