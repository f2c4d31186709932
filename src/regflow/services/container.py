"""Every use case, built once over one ServiceContext: the front ends (API, seed contracts,
hosted UI, CLI) take them from here and never build their own."""

from __future__ import annotations

from dataclasses import dataclass

from regflow.core.ports import BlobStore, ImageSanitizer, TokenVerifier
from regflow.services.account import AccountSettings
from regflow.services.accounts import Accounts
from regflow.services.codes import Codes
from regflow.services.completion import Completion
from regflow.services.console import ConsoleAccess
from regflow.services.context import ServiceContext
from regflow.services.drafts import Drafts
from regflow.services.email_change import EmailChanges
from regflow.services.funnel import OperatorReports
from regflow.services.invitation_admin import InvitationAdmin
from regflow.services.invitations import Invitations
from regflow.services.login_sessions import LoginSessions
from regflow.services.lookups import Lookups
from regflow.services.oidc import OpenIdProvider
from regflow.services.org_admin import OrgAdmin
from regflow.services.organizations import Organizations
from regflow.services.outbox_admin import OutboxAdmin
from regflow.services.password_resets import PasswordResets
from regflow.services.proofs import AddressProofs
from regflow.services.proven import ProvenRegistrations
from regflow.services.registrations import Registrations
from regflow.services.second_factor import SecondFactors, second_step
from regflow.services.sessions import Sessions
from regflow.services.signups import Signups
from regflow.services.uploads import Uploads
from regflow.services.user_import import UserImport
from regflow.services.usernames import Usernames


@dataclass(frozen=True)
class Services:
    ctx: ServiceContext
    registrations: Registrations
    codes: Codes
    completion: Completion
    sessions: Sessions
    usernames: Usernames
    accounts: Accounts  # seed contracts: known emails, imports
    lookups: Lookups  # seed contracts: registrations named by email
    signups: Signups  # start + first step in one unit of work (seed contracts)
    proofs: AddressProofs  # seed 004: the proof of an address, bound to its client
    proven: ProvenRegistrations  # seed 004: register a proven address in two units of work
    resets: PasswordResets  # password reset by mailed code or link
    second_factors: SecondFactors  # TOTP: enrolment, the login's second step
    email_changes: EmailChanges  # changing the address (code to the new, undo for the old)
    login_sessions: LoginSessions  # the hosted UI's signed-in state
    oidc: OpenIdProvider  # the OpenID Provider's codes and refresh tokens
    account: AccountSettings  # the signed-in account: its settings, leaving
    drafts: Drafts  # the hosted UI: what a person entered, to fill a form again
    organizations: Organizations  # an organization by its join code or slug
    org_admin: OrgAdmin  # an organization's admins: members, settings
    invitations: Invitations  # inviting, following and accepting invitations
    invitation_admin: InvitationAdmin  # an organization's invitations, listed and revoked
    console: ConsoleAccess  # the hosted console's seats
    uploads: Uploads  # logos: sanitized, stored, claimed at completion
    reports: OperatorReports  # the operator's funnel and backlog
    outbox_admin: OutboxAdmin  # the operator's view of the delivery queue

    def user_import(self, *, resume: bool = False, dry_run: bool = False) -> UserImport:
        """One run of an import (it remembers the addresses and usernames it saw)."""
        return UserImport(self.ctx, resume=resume, dry_run=dry_run)

    @classmethod
    def build(
        cls,
        ctx: ServiceContext,
        verifier: TokenVerifier,
        *,
        images: ImageSanitizer,
        store: BlobStore,
    ) -> Services:
        org_admin = OrgAdmin(ctx, verifier)
        return cls(
            ctx=ctx,
            registrations=Registrations(ctx),
            codes=Codes(ctx),
            completion=Completion(ctx),
            sessions=Sessions(ctx, second_step),
            usernames=Usernames(ctx),
            accounts=Accounts(ctx),
            lookups=Lookups(ctx),
            signups=Signups(ctx),
            proofs=AddressProofs(ctx),
            proven=ProvenRegistrations(ctx),
            resets=PasswordResets(ctx),
            second_factors=SecondFactors(ctx, verifier),
            email_changes=EmailChanges(ctx, verifier),
            login_sessions=LoginSessions(ctx),
            oidc=OpenIdProvider(ctx),
            account=AccountSettings(ctx, verifier),
            drafts=Drafts(ctx),
            organizations=Organizations(ctx),
            org_admin=org_admin,
            invitations=Invitations(org_admin),
            invitation_admin=InvitationAdmin(org_admin),
            console=ConsoleAccess(ctx),
            uploads=Uploads(ctx, images, store),
            reports=OperatorReports(ctx),
            outbox_admin=OutboxAdmin(ctx),
        )
