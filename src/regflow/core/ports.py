"""Ports: what the services need from the outside world, as Protocols.

Adapters in ``regflow.persistence``, ``regflow.delivery``, ``regflow.keys`` and
``regflow.hashing`` implement them; only the composition root wires them.
Repositories never commit: the unit of work does, once per use case.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from regflow.core.claims import AccessClaims
from regflow.core.email_change import EmailChange
from regflow.core.invitations import Invitation
from regflow.core.login_sessions import LoginSession
from regflow.core.model import (
    Account,
    Channel,
    FunnelEvent,
    Membership,
    Organization,
    OutboxMessage,
    OutboxStatus,
    Registration,
    SigningKey,
    Verification,
)
from regflow.core.oidc import AuthorizationCode, RefreshToken
from regflow.core.onboarding import AccountProfile, MemberView
from regflow.core.recovery import PasswordReset
from regflow.core.second_factor import MfaChallenge, TotpCredential
from regflow.core.uploads import ImageKind, SanitizedImage, Upload


class Clock(Protocol):
    def now(self) -> datetime: ...


class RateLimits(Protocol):
    """Named rate-limit rules keyed by a value (an address, an account); ``regflow.ratelimit``.

    ``hit`` counts one event and raises ``TooSoon`` (``RATE_LIMITED``) when the rule
    is exhausted; ``check`` raises the same without counting (for rules that count
    only failures).
    """

    async def hit(self, rule: str, key: str) -> None: ...

    async def check(self, rule: str, key: str) -> None: ...


class NoRateLimits:
    """Every request allowed: rate limits switched off, and unit tests."""

    async def hit(self, rule: str, key: str) -> None:
        return None

    async def check(self, rule: str, key: str) -> None:
        return None


class PublicLinks(Protocol):
    """The public URLs services hand out (in mails, in organization views); the edge
    knows which front end serves them (``regflow.api.links.Links``)."""

    def verification(self, contract: str, link_token: str) -> str:
        """Confirming an address by the link of a verification mail."""
        ...

    def invitation(self, link_token: str) -> str:
        """The page (or API resource) of an invitation."""
        ...

    def sign_in(self) -> str:
        """Where a person signs in."""
        ...

    def password_reset(self) -> str:
        """Where a person asks for a password reset."""
        ...

    def email_undo(self, undo_token: str) -> str:
        """The page that moves an account back to its old address (an email change's
        notice)."""
        ...

    def reset(self, link_token: str) -> str | None:
        """The page that sets a new password from a reset mail's link; None when no front
        end serves one (the mail then carries the code only)."""
        ...

    def logo(self, key: str) -> str:
        """An uploaded organization logo."""
        ...


class PublicKeys(Protocol):
    """The published verification keys (``regflow.keys.keyring.KeyRing``)."""

    def jwks(self) -> dict[str, Any]:
        """``{"keys": [...]}``: a JSON Web Key Set."""
        ...


class TokenIssuer(Protocol):
    """Signs access tokens (``regflow.keys.tokens.TokenService``)."""

    @property
    def ttl_seconds(self) -> int: ...

    def issue(self, claims: AccessClaims, extra: Mapping[str, Any] | None = None) -> str: ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, hashed: str) -> tuple[bool, str | None]:
        """Return (valid, new hash when the stored one must be upgraded)."""
        ...

    async def dummy_verify(self) -> None:
        """Do the work of a verification when there is nothing to verify."""
        ...


class RegistrationRepository(Protocol):
    async def add(self, registration: Registration) -> None: ...

    async def add_unless_active(self, registration: Registration) -> bool:
        """Insert unless an active registration holds its token hash (False: nothing was
        written, and the events recorded for it are dropped)."""
        ...

    async def get(self, registration_id: str) -> Registration | None: ...

    async def find_active(self, token_hash: str) -> Registration | None:
        """The newest active registration with this token hash (contracts whose clients
        name a registration by its email use tokens derived from it)."""
        ...

    async def get_with_challenges(
        self, registration_id: str
    ) -> tuple[Registration, list[Verification] | None] | None:
        """The registration and every verification challenge it has, in one read (for
        :meth:`VerificationRepository.seen`); in a writing unit of work the row is locked.
        None instead of the challenges where one read cannot tell them reliably (a lock
        waited for on PostgreSQL): then they are asked for when needed."""
        ...

    async def find_active_with_challenges(
        self, token_hash: str
    ) -> tuple[Registration, list[Verification] | None] | None:
        """:meth:`find_active` with the challenges, like :meth:`get_with_challenges`."""
        ...

    async def update(self, registration: Registration) -> None:
        """Write back; raises ConcurrentUpdate when ``version`` moved meanwhile.

        On success ``registration.version`` is incremented.
        """
        ...


class VerificationRepository(Protocol):
    async def add(self, verification: Verification) -> None: ...

    async def get_current(self, registration_id: str, channel: Channel) -> Verification | None:
        """The newest verification of that channel in that registration."""
        ...

    def seen(self, registration_id: str, challenges: Sequence[Verification] | None) -> None:
        """Every challenge the registration has, read with it in this unit of work: the
        current one of each channel is known from now on (no statement to ask again).
        None: they were not read (nothing is known)."""
        ...

    async def get_by_link(self, link_hash: str) -> Verification | None: ...

    async def reissue(self, verification: Verification) -> None:
        """Store a new code for the same target; the failure count is kept."""
        ...

    async def count_attempt(
        self,
        verification_id: str,
        max_attempts: int,
        *,
        used: bool = False,
        consume_at: datetime | None = None,
    ) -> int | None:
        """Atomically count one attempt; the new count, or None if none is left or (unless
        ``used``: a used code presented again) the code was used. ``consume_at``: the
        attempt is a right code, used at that time by the same statement."""
        ...

    async def consume(self, verification_id: str, now: datetime) -> bool:
        """Mark used exactly once; False when it was already used."""
        ...

    async def delete_for(self, registration_id: str, channel: Channel) -> None: ...

    async def delete_all_for(self, registration_id: str) -> None:
        """Every verification of the registration, on every channel (one statement)."""
        ...


class AccountRepository(Protocol):
    async def add(self, account: Account) -> None:
        """Insert; raises UniqueViolation("email" | "username")."""
        ...

    async def get(self, account_id: str) -> Account | None: ...

    async def get_by_email(self, email: str) -> Account | None: ...

    async def get_by_email_for_sign_in(self, email: str) -> tuple[Account, bool] | None:
        """The account with this address and whether it has a confirmed TOTP credential
        (``second_factor.is_enrolled``), in one statement."""
        ...

    async def email_exists(self, email: str) -> bool: ...

    async def username_exists(self, username: str) -> bool: ...

    async def set_password_hash(self, account_id: str, password_hash: str) -> None: ...

    async def change_password(self, account_id: str, password_hash: str, now: datetime) -> None:
        """Set the hash, bump the token version, count the address as verified."""
        ...

    async def bump_token_version(self, account_id: str) -> int:
        """Add one to the account's token version (revoking every token and login session
        issued before); the new version, or -1 when there is no such account."""
        ...


class ImportRepository(Protocol):
    """Bulk reads and writes of ``regflow users import``, one statement per batch."""

    async def taken_emails(self, emails: Collection[str]) -> set[str]: ...

    async def taken_usernames(self, usernames: Collection[str]) -> set[str]:
        """The usernames given that are taken, or whose look-alike is."""
        ...

    async def organizations_by_slug(self, slugs: Collection[str]) -> dict[str, str]: ...

    async def add_accounts(self, accounts: Sequence[Account]) -> None:
        """Raises ``UniqueViolation`` if any email or username is taken."""
        ...

    async def add_memberships(self, memberships: Sequence[Membership]) -> None: ...


class OrganizationRepository(Protocol):
    async def add(self, organization: Organization) -> None: ...

    async def get(self, organization_id: str) -> Organization | None: ...

    async def get_by_join_code(self, join_code: str) -> Organization | None: ...

    async def get_by_slug(self, slug: str) -> Organization | None: ...

    async def update(self, organization: Organization) -> None:
        """Write back join policy, settings and join code; UniqueViolation("join_code")."""
        ...


class MembershipRepository(Protocol):
    async def add(self, membership: Membership) -> None:
        """Raises ``UniqueViolation`` when the account is in the organization already."""
        ...

    async def for_account(self, account_id: str) -> Sequence[Membership]:
        """The account's memberships, oldest first."""
        ...

    async def active_with_organizations(
        self, account_id: str
    ) -> list[tuple[Membership, Organization | None]]:
        """The account's active memberships, oldest first, each with its organization
        (one statement: a sign-in reads them all)."""
        ...

    async def get(self, membership_id: str) -> Membership | None: ...

    async def for_organization(
        self, organization_id: str, status: str | None, *, limit: int, offset: int
    ) -> list[MemberView]:
        """Members with their account's email and names, oldest first."""
        ...

    async def set_status(
        self,
        membership_id: str,
        organization_id: str,
        *,
        expected: str,
        status: str,
        role: str | None = None,
    ) -> bool:
        """Move from ``expected`` to ``status`` (and to ``role``, if given) atomically;
        False if it was not ``expected``."""
        ...


class OutboxRepository(Protocol):
    async def add(self, message: OutboxMessage) -> None: ...

    async def add_by_account(
        self, message: OutboxMessage, known_template: str, known_context: dict[str, Any]
    ) -> None:
        """Queue ``message``, with ``known_template`` and ``known_context`` instead when an
        account has its recipient's address, in one statement either way."""
        ...

    async def claim(
        self, *, limit: int, now: datetime, lease_until: datetime, owner: str
    ) -> list[OutboxMessage]:
        """Lease up to ``limit`` due messages to ``owner``; no two owners get one."""
        ...

    async def mark_sent(self, message_id: str, now: datetime, *, scrub: bool) -> None: ...

    async def mark_all_sent(
        self, message_ids: Sequence[str], now: datetime, *, scrub: bool
    ) -> None:
        """Record the delivery of each of ``message_ids`` (the worker's batch)."""
        ...

    async def mark_failed(self, message_id: str, error: str, *, retry_at: datetime | None) -> None:
        """Record a failed attempt; ``retry_at`` None means dead."""
        ...

    async def recent(self, limit: int) -> list[OutboxMessage]: ...

    async def listing(self, statuses: Sequence[OutboxStatus], limit: int) -> list[OutboxMessage]:
        """Messages in ``statuses``, oldest first (for operators)."""
        ...

    async def counts(self) -> dict[OutboxStatus, int]:
        """How many messages are in each status."""
        ...

    async def requeue(self, message_id: str | None, now: datetime) -> int:
        """Dead messages (one, or every one when None) back to pending; how many moved."""
        ...

    async def sms_sent_since(self, since: datetime, prefix: str | None = None) -> int:
        """SMS delivered since ``since`` (to numbers starting with ``prefix`` when given)."""
        ...


class FunnelRepository(Protocol):
    """Events of this unit of work: committed with it, read by reports once the sweep's
    ``drain_events`` has moved them (reports drain first)."""

    async def add(self, event: FunnelEvent) -> None: ...


# -- funnel reports, metrics and the sweep (regflow.services.funnel / .sweep) ----------------


@dataclass(frozen=True)
class OutboxBacklog:
    """Messages waiting for delivery (pending or retrying) and the age of the oldest."""

    depth: int
    oldest_age_seconds: float
    dead: int


class ReportQueries(Protocol):
    """Read models for operators: funnel cohorts and the outbox backlog."""

    async def cohort_events(
        self, since: datetime, until: datetime, flow: str | None = None
    ) -> list[FunnelEvent]:
        """Events before ``until`` of the registrations started in [since, until), in order."""
        ...

    async def outbox_backlog(self, now: datetime) -> OutboxBacklog: ...


class RegistrationSweep(Protocol):
    """What the periodic sweep needs: registrations past their lifetime, events to move
    into the log, old events."""

    async def due_for_expiry(self, now: datetime, limit: int) -> list[str]:
        """Ids of active registrations whose ``expires_at`` has passed."""
        ...

    async def drain_events(self, limit: int) -> int:
        """Move the events recorded with up to ``limit`` registrations' own writes into the
        event log read by reports, in recorded order; how many registrations had some."""
        ...

    async def prune_events(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` funnel events recorded before ``before``; how many went."""
        ...


# -- organizations: invitations, uploaded logos, profiles, admin tokens ----------------------


class InvitationRepository(Protocol):
    async def add(self, invitation: Invitation) -> None: ...

    async def get_by_token_hash(self, token_hash: str) -> Invitation | None: ...

    async def accept(self, invitation_id: str, registration_id: str | None, now: datetime) -> bool:
        """Consume exactly once, if not expired; False when used or expired meanwhile.

        ``registration_id`` is the registration it started, ``None`` when an
        existing account accepted it.
        """
        ...

    async def for_organization(self, organization_id: str, limit: int) -> list[Invitation]:
        """The organization's invitations, newest first."""
        ...

    async def revoke(self, invitation_id: str, organization_id: str, now: datetime) -> bool:
        """End an unused, unexpired invitation of this organization now (its link stops
        working); False when there is none such."""
        ...


class UploadRepository(Protocol):
    async def add(self, upload: Upload) -> None: ...

    async def get(self, key: str) -> Upload | None: ...

    async def claim(self, key: str, organization_id: str, now: datetime) -> bool:
        """Give an unexpired, unclaimed upload to an organization, exactly once."""
        ...

    async def expired(self, now: datetime, limit: int) -> list[Upload]:
        """Unclaimed uploads past their expiry, oldest first."""
        ...

    async def delete(self, key: str) -> bool:
        """Forget an unclaimed upload; False if it was claimed meanwhile (keep its file)."""
        ...


class ProfileRepository(Protocol):
    async def add(self, profile: AccountProfile) -> None: ...

    async def get(self, account_id: str) -> AccountProfile | None: ...


class ImageSanitizer(Protocol):
    """Re-encodes an uploaded image (``regflow.media.images``), refusing what it cannot."""

    async def sanitize(self, data: bytes, kind: ImageKind) -> SanitizedImage:
        """Raise ValidationFailed (field ``logo``) for a broken or oversized image."""
        ...


class BlobStore(Protocol):
    """Where uploaded files live (``regflow.media.files``), by server-chosen name."""

    async def put(self, name: str, data: bytes) -> None: ...

    async def get(self, name: str) -> bytes | None: ...

    async def delete(self, name: str) -> None: ...


class TokenVerifier(Protocol):
    """Checks access tokens (``regflow.keys.tokens.TokenService``)."""

    async def verify(self, token: str) -> AccessClaims:
        """The claims, or AuthenticationFailed(code=ErrorCode.INVALID_TOKEN)."""
        ...


@dataclass
class IdempotencyRecord:
    scope: str
    key: str
    request_hash: str
    # what the completion made, as its codec keeps it (regflow.services.completed), so a
    # replay rebuilds the same value; never a token
    completed: dict[str, Any]
    created_at: datetime


class IdempotencyRepository(Protocol):
    async def get(self, scope: str, key: str) -> IdempotencyRecord | None: ...

    async def add(self, record: IdempotencyRecord) -> None:
        """Insert; raises UniqueViolation("idempotency_key") when it exists."""
        ...


class SigningKeyRepository(Protocol):
    async def all(self) -> list[SigningKey]: ...

    async def add(self, key: SigningKey) -> None: ...

    async def retire_all_but(self, kid: str, algorithms: Collection[str]) -> None:
        """Mark every key of ``algorithms`` but ``kid`` inactive (one lane, see
        ``regflow.keys.signing.lane_of``)."""
        ...


class PasswordResetRepository(Protocol):
    """One reset challenge per address (keyed by the address's HMAC)."""

    async def get(self, email_key: str) -> PasswordReset | None: ...

    async def get_by_link(self, link_hash: str) -> PasswordReset | None: ...

    async def save(self, reset: PasswordReset, *, new: bool) -> bool:
        """Insert or replace; False when a racing insert for the same address won."""
        ...

    async def count_attempt(self, reset_id: str, max_attempts: int) -> int | None:
        """Atomically add one attempt below the cap; None when capped or used."""
        ...

    async def consume(self, reset_id: str, link_hash: str | None, now: datetime) -> bool:
        """Atomically mark used; True only for the first caller."""
        ...


class LoginSessionRepository(Protocol):
    """The hosted UI's login sessions (``regflow.core.login_sessions``)."""

    async def add(self, session: LoginSession) -> None: ...

    async def get_by_token_hash(self, token_hash: str) -> LoginSession | None: ...

    async def touch(self, session_id: str, now: datetime) -> None:
        """Move the idle clock forward to ``now`` (never backward)."""
        ...

    async def revoke(self, session_id: str, now: datetime) -> bool:
        """End one session; False when it was revoked already."""
        ...

    async def revoke_all(self, account_id: str, now: datetime) -> int:
        """End every open session of the account; how many ended."""
        ...


class SecondFactorRepository(Protocol):
    """TOTP credentials, recovery codes and login challenges; uses are atomic updates."""

    async def get_totp(self, account_id: str) -> TotpCredential | None: ...

    async def start_totp(self, credential: TotpCredential) -> bool:
        """Replace an unconfirmed credential; False when a confirmed one exists."""
        ...

    async def confirm_totp(self, account_id: str, step: int, now: datetime) -> bool: ...

    async def use_step(self, account_id: str, step: int) -> bool:
        """Record the step used; False for one at or before the last (a replay)."""
        ...

    async def remove(self, account_id: str) -> None: ...

    async def replace_recovery_codes(
        self, account_id: str, digests: Sequence[str], now: datetime
    ) -> None: ...

    async def use_recovery_code(self, account_id: str, digest: str, now: datetime) -> bool: ...

    async def recovery_codes_left(self, account_id: str) -> int: ...

    async def add_challenge(self, challenge: MfaChallenge) -> None: ...

    async def get_challenge(self, token_hash: str) -> MfaChallenge | None: ...

    async def count_challenge_attempt(self, challenge_id: str, max_attempts: int) -> int | None: ...

    async def consume_challenge(self, challenge_id: str, now: datetime) -> bool: ...


class EmailChangeRepository(Protocol):
    """One change of address per account; uses are atomic updates."""

    async def get(self, account_id: str) -> EmailChange | None: ...

    async def get_by_undo(self, undo_hash: str) -> EmailChange | None: ...

    async def replace(self, change: EmailChange) -> None: ...

    async def count_attempt(self, change_id: str, max_attempts: int) -> int | None: ...

    async def consume(
        self, change_id: str, now: datetime, old_email: str, undo_hash: str, undo_until: datetime
    ) -> bool: ...

    async def close(self, change_id: str) -> bool: ...

    async def set_email(self, account_id: str, email: str, now: datetime) -> bool:
        """Move the account to ``email``; False when another account holds it."""
        ...


class ErasureRepository(Protocol):
    async def erase(
        self, account_id: str, email: str, email_key: str, phone: str | None = None
    ) -> None:
        """Delete the account and every row naming it or its address."""
        ...


class AuthorizationCodeRepository(Protocol):
    async def add(self, code: AuthorizationCode) -> None: ...

    async def get(self, code_hash: str) -> AuthorizationCode | None: ...

    async def consume(self, code_hash: str, now: datetime) -> bool:
        """Mark used exactly once; False when it was used already."""
        ...


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None: ...

    async def rotate(self, token_id: str, now: datetime) -> bool:
        """Mark used exactly once (unless revoked); False when it was not open."""
        ...

    async def revoke_family(self, family_id: str, now: datetime) -> int: ...

    async def revoke_by_code(self, code_hash: str, now: datetime) -> int:
        """Revoke the families that authorization code started."""
        ...

    async def revoke_for(self, account_id: str, client_id: str | None, now: datetime) -> int:
        """Revoke the account's families (at one client, or at every one)."""
        ...

    async def family_open(self, family_id: str) -> bool:
        """True when the family exists and none of its tokens is revoked."""
        ...


class ExpiredRows(Protocol):
    """Short-lived rows that have run out, deleted by the sweep: at most ``limit`` a call,
    answering how many went."""

    async def authorization_codes(self, before: datetime, limit: int) -> int: ...

    async def refresh_tokens(self, now: datetime, limit: int) -> int: ...

    async def login_sessions(self, now: datetime, idle_before: datetime, limit: int) -> int: ...

    async def mfa_challenges(self, now: datetime, limit: int) -> int: ...

    async def totp_enrolments(self, started_before: datetime, limit: int) -> int: ...

    async def email_changes(self, now: datetime, limit: int) -> int: ...

    async def password_resets(self, now: datetime, limit: int) -> int: ...


class UnitOfWork(Protocol):
    """One transaction per use case; leaving without ``commit`` rolls back."""

    registrations: RegistrationRepository
    verifications: VerificationRepository
    accounts: AccountRepository
    imports: ImportRepository  # regflow users import
    organizations: OrganizationRepository
    memberships: MembershipRepository
    outbox: OutboxRepository
    funnel: FunnelRepository
    idempotency: IdempotencyRepository
    signing_keys: SigningKeyRepository
    reports: ReportQueries  # funnel reports and metrics
    sweep: RegistrationSweep  # expiry and retention sweep
    expired: ExpiredRows  # the sweep's pruning of short-lived rows
    invitations: InvitationRepository  # organizations
    uploads: UploadRepository  # organizations
    profiles: ProfileRepository  # organizations
    resets: PasswordResetRepository  # password resets
    login_sessions: LoginSessionRepository  # the hosted UI's login sessions
    second_factors: SecondFactorRepository  # TOTP, recovery codes, login challenges
    erasure: ErasureRepository  # leaving: the account and what names it
    email_changes: EmailChangeRepository  # changing the address
    oauth_codes: AuthorizationCodeRepository  # the OpenID Provider
    refresh_tokens: RefreshTokenRepository  # the OpenID Provider

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...
