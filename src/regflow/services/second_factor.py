"""TOTP two-factor: enrolment, the login's second step, recovery codes.

Enrolment is two calls: ``enrol`` draws a secret (sealed in the database,
unconfirmed) and answers the secret, its ``otpauth://`` URI and a QR code;
``confirm`` checks a code from the app, marks the credential confirmed and
answers ten recovery codes, shown this once and stored as HMACs. Both accept
an access token, or the ``mfa_token`` of a login that was refused with
``MFA_ENROLMENT_REQUIRED`` (an organization requires a second factor the
account lacks): confirming then also finishes that login.

A login with the second factor: :func:`second_step` (called by the login
once the password is right) refuses with ``MFA_REQUIRED`` and an
``mfa_token``; :meth:`SecondFactors.verify` takes that token with a TOTP code
or a recovery code. Its attempts are counted in SQL before comparing and
capped (``ATTEMPTS_EXCEEDED``), a TOTP step is used once (a replayed code is
refused), each recovery code works once; the tokens then carry
``amr: ["pwd", "otp"]``.
"""

from __future__ import annotations

from dataclasses import dataclass

from regflow.core import cryptokit
from regflow.core import second_factor as sf
from regflow.core.model import Account, Membership, Organization
from regflow.core.ports import TokenVerifier, UnitOfWork
from regflow.core.second_factor import ChallengePurpose, MfaChallenge, TotpEnrolment
from regflow.errors import (
    AuthenticationFailed,
    Conflict,
    ErrorCode,
    SecondFactorRequired,
    ValidationFailed,
    VerificationFailed,
)
from regflow.services.bearer import authenticated
from regflow.services.context import ServiceContext
from regflow.services.sessions import TokenGrant, token_response

WRONG = "The code is not correct."
EXPIRED = "This sign-in has expired; start again."
AMR_OTP = ("pwd", "otp")


@dataclass(frozen=True)
class EnrolmentConfirmed:
    """Ten recovery codes (shown once) and, when enrolling finished a login, its tokens."""

    recovery_codes: list[str]
    account: Account
    signed_in: TokenGrant | None = None


async def second_step(
    ctx: ServiceContext,
    account: Account,
    membership: Membership | None,
    organization: Organization | None,
    *,
    required: bool | None = None,
    enrolled: bool | None = None,
) -> None:
    """Raise ``SecondFactorRequired`` when this login needs a second factor (enrolled), or
    an enrolment first (the organization the token would speak for requires one, or
    ``required``: the hosted sign-in asks it for every organization of the account).

    ``enrolled`` is whether the account has a confirmed credential, when the caller read
    it already (the login reads it with the memberships); else it is read here. Only a
    login that must answer a challenge writes (the challenge)."""
    if enrolled is None:
        async with ctx.uow(read_only=True) as uow:
            enrolled = sf.is_enrolled(await uow.second_factors.get_totp(account.id))
    if required is None:
        required = organization is not None and sf.requires_second_factor(organization.settings)
    if not enrolled and not required:
        return
    purpose = ChallengePurpose.VERIFY if enrolled else ChallengePurpose.ENROL
    org_id = membership.organization_id if membership is not None else None
    challenge, token = sf.new_challenge(account.id, purpose, org_id, ctx.clock(), ctx.mfa)
    async with ctx.uow() as uow:
        await uow.second_factors.add_challenge(challenge)
        await uow.commit()
    ttl = int(ctx.mfa.challenge_ttl.total_seconds())
    raise SecondFactorRequired(token, enrol=not enrolled, expires_in=ttl)


class SecondFactors:
    def __init__(self, ctx: ServiceContext, verifier: TokenVerifier) -> None:
        self.ctx = ctx
        self.verifier = verifier

    async def _account(
        self,
        uow: UnitOfWork,
        token: str | None,
        mfa_token: str | None,
        account_id: str | None = None,
    ) -> tuple[Account, MfaChallenge | None]:
        """The account of an access token, of an enrolment challenge of a login, or (the
        hosted UI, whose login session vouches for it) ``account_id``."""
        if account_id is not None:
            signed_in = await uow.accounts.get(account_id)
            if signed_in is None or signed_in.status != "active":
                raise AuthenticationFailed(EXPIRED, code=ErrorCode.INVALID_TOKEN)
            return signed_in, None
        if mfa_token is None:
            account, _ = await authenticated(self.verifier, uow, token)
            return account, None
        challenge = await uow.second_factors.get_challenge(cryptokit.sha256_hex(mfa_token))
        problem = sf.challenge_usable(challenge, self.ctx.clock(), self.ctx.mfa)
        if challenge is None or problem or challenge.purpose is not ChallengePurpose.ENROL:
            raise AuthenticationFailed(EXPIRED, code=problem or ErrorCode.MFA_TOKEN_INVALID)
        found = await uow.accounts.get(challenge.account_id)
        if found is None or found.status != "active":
            raise AuthenticationFailed(EXPIRED, code=ErrorCode.MFA_TOKEN_INVALID)
        return found, challenge

    async def enrol(
        self, token: str | None, mfa_token: str | None = None, *, account_id: str | None = None
    ) -> TotpEnrolment:
        """A new, unconfirmed TOTP secret for the account (replacing an unconfirmed one)."""
        secret = sf.new_secret()
        async with self.ctx.uow() as uow:
            account, _ = await self._account(uow, token, mfa_token, account_id)
            credential = sf.TotpCredential(
                account_id=account.id,
                sealed_secret=sf.seal(self.ctx.secret, account.id, secret),
                created_at=self.ctx.clock(),
            )
            if not await uow.second_factors.start_totp(credential):
                raise Conflict(
                    "Two-factor sign-in is on already.", code=ErrorCode.MFA_ALREADY_ENABLED
                )
            await uow.commit()
        return sf.enrolment(secret, account.email, self.ctx.mfa.issuer)

    async def pending(
        self, token: str | None, mfa_token: str | None = None, *, account_id: str | None = None
    ) -> TotpEnrolment | None:
        """The set-up under way (unconfirmed), to show again after a wrong code."""
        async with self.ctx.uow(read_only=True) as uow:
            account, _ = await self._account(uow, token, mfa_token, account_id)
            credential = await uow.second_factors.get_totp(account.id)
        if credential is None or credential.confirmed_at is not None:
            return None
        secret = sf.unseal(self.ctx.secret, account.id, credential.sealed_secret)
        return sf.enrolment(secret, account.email, self.ctx.mfa.issuer)

    async def confirm(
        self,
        token: str | None,
        code: str,
        mfa_token: str | None = None,
        *,
        account_id: str | None = None,
    ) -> EnrolmentConfirmed:
        """Turn the second factor on with a code from the app; ten recovery codes."""
        async with self.ctx.uow() as uow:
            account, challenge = await self._account(uow, token, mfa_token, account_id)
            await self.ctx.limits.check("mfa_failures", account.id)
            credential = await uow.second_factors.get_totp(account.id)
            if credential is None or credential.confirmed_at is not None:
                raise Conflict("Start the set-up first.", code=ErrorCode.MFA_NOT_STARTED)
            secret = sf.unseal(self.ctx.secret, account.id, credential.sealed_secret)
            now = self.ctx.clock()
            step = sf.matching_step(secret, code, now)
            if challenge is not None and (
                await uow.second_factors.count_challenge_attempt(
                    challenge.id, self.ctx.mfa.max_attempts
                )
                is None
            ):
                raise VerificationFailed("Too many wrong codes.", code=ErrorCode.ATTEMPTS_EXCEEDED)
            if step is None or not await uow.second_factors.confirm_totp(account.id, step, now):
                await uow.commit()  # a counted attempt stays counted
                await self.ctx.limits.hit("mfa_failures", account.id)
                raise VerificationFailed(WRONG, code=ErrorCode.INVALID_CODE)
            codes = sf.new_recovery_codes()
            digests = [sf.recovery_digest(self.ctx.secret, account.id, c) for c in codes]
            await uow.second_factors.replace_recovery_codes(account.id, digests, now)
            signed_in = None
            if challenge is not None:
                if not await uow.second_factors.consume_challenge(challenge.id, now):
                    raise AuthenticationFailed(
                        "This sign-in was used already.", code=ErrorCode.MFA_TOKEN_INVALID
                    )
                signed_in = await self._tokens(uow, account, challenge)
            await uow.commit()
        return EnrolmentConfirmed(codes, account, signed_in)

    async def verify(
        self, mfa_token: str, code: str | None, recovery_code: str | None
    ) -> TokenGrant:
        """The login's second step: tokens with ``amr: ["pwd", "otp"]``."""
        account, challenge = await self.pass_second_step(mfa_token, code, recovery_code)
        async with self.ctx.uow(read_only=True) as uow:
            return await self._tokens(uow, account, challenge)

    async def pass_second_step(
        self, mfa_token: str, code: str | None, recovery_code: str | None
    ) -> tuple[Account, MfaChallenge]:
        """Check a TOTP code or a recovery code for the ``mfa_token``: the account, once."""
        if (code is None) == (recovery_code is None):
            raise ValidationFailed.single(
                "code", ErrorCode.REQUIRED, "Give either the code from your app or a recovery code."
            )
        async with self.ctx.uow() as uow:
            challenge = await uow.second_factors.get_challenge(cryptokit.sha256_hex(mfa_token))
            now = self.ctx.clock()
            problem = sf.challenge_usable(challenge, now, self.ctx.mfa)
            if challenge is None or problem or challenge.purpose is not ChallengePurpose.VERIFY:
                failed = problem or ErrorCode.MFA_TOKEN_INVALID
                if failed is ErrorCode.ATTEMPTS_EXCEEDED:
                    raise VerificationFailed("Too many wrong codes; sign in again.", code=failed)
                raise AuthenticationFailed(EXPIRED, code=failed)
            account = await uow.accounts.get(challenge.account_id)
            credential = await uow.second_factors.get_totp(challenge.account_id)
            if account is None or account.status != "active" or credential is None:
                raise AuthenticationFailed(EXPIRED, code=ErrorCode.MFA_TOKEN_INVALID)
            await self.ctx.limits.check("mfa_failures", account.id)
            counted = await uow.second_factors.count_challenge_attempt(
                challenge.id, self.ctx.mfa.max_attempts
            )
            if counted is None:
                raise VerificationFailed(
                    "Too many wrong codes; sign in again.", code=ErrorCode.ATTEMPTS_EXCEEDED
                )
            if code is not None:
                secret = sf.unseal(self.ctx.secret, account.id, credential.sealed_secret)
                step = sf.matching_step(secret, code, now)
                good = step is not None and await uow.second_factors.use_step(account.id, step)
            else:
                digest = sf.recovery_digest(self.ctx.secret, account.id, str(recovery_code))
                good = await uow.second_factors.use_recovery_code(account.id, digest, now)
            if not good or not await uow.second_factors.consume_challenge(challenge.id, now):
                await uow.commit()  # the counted attempt stays counted
                await self.ctx.limits.hit("mfa_failures", account.id)
                raise VerificationFailed(WRONG, code=ErrorCode.INVALID_CODE)
            await uow.commit()
        return account, challenge

    async def _tokens(
        self, uow: UnitOfWork, account: Account, challenge: MfaChallenge
    ) -> TokenGrant:
        """Tokens with both factors, for the organization the login asked for if still active."""
        membership: Membership | None = None
        organization: Organization | None = None
        if challenge.organization_id is not None:
            memberships = await uow.memberships.for_account(account.id)
            membership = next(
                (
                    m
                    for m in memberships
                    if m.organization_id == challenge.organization_id and m.status == "active"
                ),
                None,
            )
            if membership is not None:
                organization = await uow.organizations.get(membership.organization_id)
        return token_response(self.ctx, account, membership, organization=organization, amr=AMR_OTP)

    async def status(self, token: str | None, *, account_id: str | None = None) -> tuple[bool, int]:
        """Whether the second factor is on, and how many recovery codes are left."""
        async with self.ctx.uow(read_only=True) as uow:
            account, _ = await self._account(uow, token, None, account_id)
            credential = await uow.second_factors.get_totp(account.id)
            left = await uow.second_factors.recovery_codes_left(account.id)
        return credential is not None and credential.confirmed_at is not None, left


async def required_by_organizations(ctx: ServiceContext, account_id: str) -> bool:
    """Whether an organization the account is an active member of requires a second
    factor (a login session speaks for all of them)."""
    async with ctx.uow(read_only=True) as uow:
        active = await uow.memberships.active_with_organizations(account_id)
    return any(o is not None and sf.requires_second_factor(o.settings) for _, o in active)


async def hosted_second_step(ctx: ServiceContext, account: Account) -> None:
    """The hosted sign-in's check: a login session speaks for every organization of the
    account, so any of them requiring a second factor asks for it (or its set-up)."""
    required = await required_by_organizations(ctx, account.id)
    await second_step(ctx, account, None, None, required=required)
