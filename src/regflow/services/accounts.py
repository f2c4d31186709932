"""Accounts outside a registration: whether an email is taken, and operator imports.

``exists`` serves the contracts whose seeds document a 409 for a known email
(002, 001); the native API and the enumeration-proof contracts never call it.
``import_account`` is the operator's bulk path (seed 002's internal
``POST /api/users``): a plain password is hashed with argon2id, an existing
bcrypt hash (``$2a$``/``$2b$``/``$2y$``) is kept as it is and upgraded to
argon2id on the account's first login.
"""

from __future__ import annotations

import re
import uuid

from regflow.core.identifiers import normalize_email
from regflow.core.model import Account
from regflow.errors import Conflict, ErrorCode, FieldProblem, UniqueViolation, ValidationFailed
from regflow.services.context import ServiceContext

BCRYPT_HASH = re.compile(r"\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}")


class Accounts:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def exists(self, email: str) -> bool:
        async with self.ctx.uow(read_only=True) as uow:
            return await uow.accounts.email_exists(email)

    async def import_account(
        self,
        email: str,
        *,
        password: str | None = None,
        password_hash: str | None = None,
        verified: bool = True,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> Account:
        """Create an account directly; USER_EXISTS (409) when the email is taken."""
        try:
            address = normalize_email(email)
        except FieldProblem as problem:
            raise ValidationFailed([problem]) from None
        if (password is None) == (password_hash is None):
            raise ValidationFailed.single(
                "password", ErrorCode.REQUIRED, "Give either a password or a bcrypt password hash."
            )
        if password_hash is not None and not BCRYPT_HASH.fullmatch(password_hash):
            raise ValidationFailed.single(
                "passwordHash",
                ErrorCode.INVALID_VALUE,
                "Only bcrypt hashes ($2a$, $2b$, $2y$) are accepted.",
            )
        if password is not None:
            try:
                self.ctx.engine.password_policy.check(password, context=[address])
            except FieldProblem as problem:
                raise ValidationFailed([problem]) from None
            password_hash = await self.ctx.hasher.hash(password)
        now = self.ctx.clock()
        account = Account(
            id=str(uuid.uuid4()),
            email=address,
            password_hash=str(password_hash),
            created_at=now,
            email_verified_at=now if verified else None,
            first_name=first_name,
            last_name=last_name,
        )
        async with self.ctx.uow() as uow:
            try:
                await uow.accounts.add(account)
            except UniqueViolation:
                raise Conflict(
                    "User with this email already exists", code=ErrorCode.USER_EXISTS
                ) from None
            await uow.commit()
        return account
