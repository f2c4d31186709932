"""Completing a registration: account (+ membership) and token, in one transaction.

The answer is a :class:`~regflow.services.completed.Completed`. A sign-up an OpenID
client opened may name the client's ``organization`` (``join``): the new account joins
it in the same transaction, as its join policy says
(``regflow.services.joining.join_named``).

``Idempotency-Key``: the same key and body replays the first completion (what it made,
kept by the codec of ``regflow.services.completed``, with a fresh access token: tokens
are never stored; not for a disabled account, after a token-version bump or past the
registration's lifetime), a different body is refused with IDEMPOTENCY_MISMATCH, and
a request racing the first one gets a 409.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from regflow.core import onboarding, webhooks
from regflow.core.model import (
    Account,
    Membership,
    MembershipStatus,
    Organization,
    Registration,
    Role,
)
from regflow.core.ports import IdempotencyRecord, UnitOfWork
from regflow.errors import (
    ConcurrentUpdate,
    Conflict,
    ErrorCode,
    Gone,
    IdempotencyMismatch,
    UniqueViolation,
)
from regflow.services.base import RegistrationUseCase
from regflow.services.completed import (
    AccountView,
    Completed,
    Made,
    MembershipRef,
    OrganizationRef,
    decode,
    encode,
)
from regflow.services.contested import no_password, offer_password
from regflow.services.hooks import run_completion_hooks
from regflow.services.joining import join_named
from regflow.services.sessions import TokenGrant, token_response
from regflow.services.webhooks import completion_data, membership_data, publish  # webhooks

MAX_RACE_RETRIES = 3


def request_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class Completion(RegistrationUseCase):
    async def complete(
        self,
        registration_id: str,
        token: str | None,
        *,
        idempotency_key: str | None = None,
        body: bytes = b"",
        join: str | None = None,
    ) -> Completed:
        for _ in range(MAX_RACE_RETRIES):
            try:
                return await self._complete(registration_id, token, idempotency_key, body, join)
            except ConcurrentUpdate:
                continue  # another request changed it first: look again (replay or 409)
        raise Conflict(
            "This registration is being completed by another request.",
            code=ErrorCode.IDEMPOTENCY_IN_PROGRESS,
        )

    async def _complete(
        self,
        registration_id: str,
        token: str | None,
        key: str | None,
        body: bytes,
        join: str | None = None,
    ) -> Completed:
        async with self.ctx.uow() as uow:
            registration = await self.load(uow, registration_id, token)
            return await self.finish(uow, registration, key=key, body=body, join=join)

    async def finish(
        self,
        uow: UnitOfWork,
        registration: Registration,
        *,
        key: str | None = None,
        body: bytes = b"",
        join: str | None = None,
    ) -> Completed:
        """Complete ``registration`` (read, and locked, in ``uow``) and commit ``uow``: what
        the caller wrote in it before commits with the completion or not at all."""
        digest = request_hash(body)
        if key is not None:
            record = await uow.idempotency.get(registration.id, key)
            if record is not None:
                if record.request_hash != digest:
                    raise IdempotencyMismatch()
                return await self._replay(uow, registration, record)
        await self.ensure_open(uow, registration)
        data = self.ctx.engine.ready_to_complete(registration)
        now = self.ctx.clock()
        account = self._account(registration, data)
        outcome = self.ctx.engine.completed(registration, account.id, now)
        try:
            await uow.accounts.add(account)
        except UniqueViolation as violation:
            raise _taken(violation) from None
        if registration.contested:  # no password survives: the address's owner chooses one
            await offer_password(self.ctx, uow, account)
        joined = await run_completion_hooks(self.ctx, uow, registration, account)
        membership = joined.membership
        # the organization joined (not one created here) feeds the org-code usage rate
        joined_org = (
            membership.organization_id if membership and membership.role is not Role.OWNER else None
        )
        # the organization of the application the sign-up came from (an OpenID client's)
        found = await join_named(uow, join, account_id=account.id, now=now) if join else None
        by_client = found[1] if found else None
        if membership is None:
            membership, by_client = by_client, None
        await self.record(uow, registration, outcome.effects, org=joined_org)
        # racers queued on the row lock taken when it was read (load); this write also
        # carries the events just recorded
        await uow.registrations.update(registration)
        await self._publish(uow, registration, account, membership, by_client)  # webhooks
        # the challenges have served: nothing is left to confirm
        await uow.verifications.delete_all_for(registration.id)
        # the organization a hook made or joined is at hand; one joined by the client's
        # ``organization`` is read
        organization = (
            joined.organization
            if membership is not None and membership is joined.membership
            else await self._organization(uow, membership)
        )
        made = Made(
            AccountView.of(account),
            OrganizationRef.of(organization) if organization else None,
            MembershipRef.of(membership) if membership else None,
            joined.founded,  # a founded organization: the owner's view
            joined.next_steps,
        )
        if key is not None:
            try:
                kept = encode(made, account.token_version)
                await uow.idempotency.add(
                    IdempotencyRecord(registration.id, key, digest, kept, now)
                )
            except UniqueViolation:
                raise ConcurrentUpdate() from None
        await uow.commit()
        self.ctx.outbox_written()
        return Completed(made, self._token(account, membership, organization))

    async def _publish(
        self,
        uow: UnitOfWork,
        registration: Registration,
        account: Account,
        membership: Membership | None,
        also: Membership | None = None,
    ) -> None:
        """Webhook events of this completion, in its transaction."""
        for joined in (membership, also):
            if joined is not None and joined.status is MembershipStatus.PENDING:
                data = membership_data(joined, email=account.email)
                await publish(self.ctx, uow, webhooks.MEMBERSHIP_REQUESTED, data)
        data = completion_data(registration, account, membership)
        await publish(self.ctx, uow, webhooks.REGISTRATION_COMPLETED, data)

    def _account(self, registration: Registration, data: dict[str, Any]) -> Account:
        now = self.ctx.clock()
        spec = self.ctx.engine.flow(registration.flow)
        first_name, last_name = onboarding.person_names(spec, registration, data)
        return Account(
            id=registration.reserved.account_id or str(uuid.uuid4()),
            email=str(data["email"]),
            password_hash=no_password() if registration.contested else str(data["password_hash"]),
            created_at=now,
            email_verified_at=now if "email" in registration.verified else None,
            phone=data.get("phone"),
            phone_verified_at=now if "phone" in registration.verified else None,
            username=data.get("username"),
            first_name=first_name,
            last_name=last_name,
            locale=registration.locale,
        )

    def _token(
        self, account: Account, membership: Membership | None, organization: Organization | None
    ) -> TokenGrant:
        # an organization that requires a second factor is not spoken for by this token
        return token_response(self.ctx, account, membership, organization=organization)

    async def _organization(
        self, uow: UnitOfWork, membership: Membership | None
    ) -> Organization | None:
        return await uow.organizations.get(membership.organization_id) if membership else None

    async def _replay(
        self, uow: UnitOfWork, registration: Registration, record: IdempotencyRecord
    ) -> Completed:
        """The first completion again with a fresh token, only while that token could still
        be had: the registration not past its lifetime, the account active and its token
        version what it was at completion (a bump revokes every token issued before)."""
        if self.ctx.clock() >= registration.expires_at:
            raise Gone()
        made, token_version = decode(record.completed)
        account = await uow.accounts.get(made.account.id)
        if account is None or account.status != "active" or account.token_version != token_version:
            raise Conflict(
                "This registration is complete; sign in for a new token.",
                code=ErrorCode.ALREADY_COMPLETED,
            )
        memberships = await uow.memberships.for_account(account.id)
        membership = memberships[0] if memberships else None
        organization = await self._organization(uow, membership)
        return Completed(made, self._token(account, membership, organization))


def _taken(violation: UniqueViolation) -> Conflict:
    if violation.field == "username":
        return Conflict(
            "This username was taken meanwhile; choose another.", code=ErrorCode.USERNAME_TAKEN
        )
    return Conflict("An account with this email exists already.", code=ErrorCode.ALREADY_COMPLETED)
