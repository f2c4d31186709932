"""The account behind an access token, checked against the database.

The token is verified by the ``TokenVerifier`` (signature, pinned algorithm,
expiry, claims), then its ``ver`` must equal the account's current token
version (bumping it revokes every older token) and the account must still be
active. Anything else is 401 ``INVALID_TOKEN``, whatever the reason, so a
caller learns nothing about accounts from a bad token.
"""

from __future__ import annotations

from regflow.core.claims import AccessClaims
from regflow.core.model import Account
from regflow.core.ports import TokenVerifier, UnitOfWork
from regflow.errors import AuthenticationFailed, ErrorCode


async def authenticated(
    verifier: TokenVerifier, uow: UnitOfWork, token: str | None
) -> tuple[Account, AccessClaims]:
    """The active account ``token`` speaks for, and the token's claims; else 401."""
    if not token:
        raise AuthenticationFailed("An access token is required.", code=ErrorCode.INVALID_TOKEN)
    claims = await verifier.verify(token)
    account = await uow.accounts.get(claims.sub)
    if account is None or account.status != "active" or account.token_version != claims.ver:
        raise AuthenticationFailed(
            "The access token is no longer valid.", code=ErrorCode.INVALID_TOKEN
        )
    return account, claims
