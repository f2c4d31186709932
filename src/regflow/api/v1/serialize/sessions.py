"""Tokens, logins and username availability."""

from __future__ import annotations

from typing import Any

from regflow.services.sessions import LoggedIn, TokenGrant
from regflow.services.usernames import Availability


def token(grant: TokenGrant, *, amr: bool = False) -> dict[str, Any]:
    """``{access_token, token_type, expires_in}``, ``second_factor_required`` when the
    token speaks for no organization for want of one; ``amr`` after the second step."""
    body: dict[str, Any] = {
        "access_token": grant.access_token,
        "token_type": grant.token_type,
        "expires_in": grant.expires_in,
    }
    if grant.second_factor_required:
        body["second_factor_required"] = True
    if amr:
        body["amr"] = list(grant.amr)
    return body


def logged_in(login: LoggedIn) -> dict[str, Any]:
    """``POST /v1/sessions``: the token and every active membership to choose from."""
    return {
        **token(login.grant),
        "organizations": [
            {"id": o.id, "name": o.name, "role": o.role.value} for o in login.organizations
        ],
    }


def availability(found: Availability) -> dict[str, Any]:
    """``GET /v1/usernames/{name}/availability``: ``reason`` only when it is not free."""
    body: dict[str, Any] = {"username": found.username, "available": found.available}
    if found.reason is not None:
        body["reason"] = found.reason.value
    body["suggestions"] = list(found.suggestions)
    return body
