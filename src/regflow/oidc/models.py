"""regflow's clients, codes and refresh tokens as Authlib's models (its mixins' methods)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oidc.core import AuthorizationCodeMixin

from regflow.core.oidc import SCOPES, AuthorizationCode, Client, RefreshToken


class ClientModel(ClientMixin):  # type: ignore[misc]
    def __init__(self, client: Client) -> None:
        self.client = client
        self.client_id = client.client_id
        self.client_metadata: dict[str, Any] = {
            "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
            "redirect_uris": list(client.redirect_uris),
        }

    def get_client_id(self) -> str:
        return self.client.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # OpenID Connect: the request names its redirect_uri, always

    def get_allowed_scope(self, scope: str | None) -> str:
        wanted = (scope or "openid").split()
        return " ".join(s for s in dict.fromkeys(wanted) if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.client.redirect_uris  # exact, character for character

    def check_client_secret(self, client_secret: str) -> bool:
        expected = self.client.client_secret_sha256
        if self.client.public or not expected or len(client_secret) > 512:
            return False
        given = hashlib.sha256(client_secret.encode("utf-8")).hexdigest()
        return hmac.compare_digest(given, expected.lower())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.client.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class CodeModel(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, code: AuthorizationCode) -> None:
        self.code = code

    def get_redirect_uri(self) -> str:
        return self.code.redirect_uri

    def get_scope(self) -> str:
        return self.code.scope

    def get_nonce(self) -> str | None:
        return self.code.nonce

    def get_auth_time(self) -> int:
        return int(self.code.auth_time.timestamp())

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str]:
        return list(self.code.amr)


class RefreshModel(TokenMixin):  # type: ignore[misc]
    def __init__(self, token: RefreshToken) -> None:
        self.token = token

    def check_client(self, client: ClientModel) -> bool:
        return bool(self.token.client_id == client.get_client_id())

    def get_scope(self) -> str:
        return self.token.scope

    def get_expires_in(self) -> int:
        return int((self.token.expires_at - self.token.created_at).total_seconds())

    def is_expired(self) -> bool:
        return False  # checked with the service's clock before Authlib sees it

    def is_revoked(self) -> bool:
        return self.token.revoked_at is not None
