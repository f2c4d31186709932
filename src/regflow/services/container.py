"""Every use case, built once over one ServiceContext."""

from __future__ import annotations

from dataclasses import dataclass

from regflow.services.accounts import Accounts
from regflow.services.codes import Codes
from regflow.services.completion import Completion
from regflow.services.context import ServiceContext
from regflow.services.login_sessions import LoginSessions
from regflow.services.lookups import Lookups
from regflow.services.oidc import OpenIdProvider
from regflow.services.password_resets import PasswordResets
from regflow.services.proofs import AddressProofs
from regflow.services.registrations import Registrations
from regflow.services.sessions import Sessions
from regflow.services.signups import Signups
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
    resets: PasswordResets  # password reset by mailed code or link
    login_sessions: LoginSessions  # the hosted UI's signed-in state
    oidc: OpenIdProvider  # the OpenID Provider's codes and refresh tokens

    @classmethod
    def build(cls, ctx: ServiceContext) -> Services:
        return cls(
            ctx=ctx,
            registrations=Registrations(ctx),
            codes=Codes(ctx),
            completion=Completion(ctx),
            sessions=Sessions(ctx),
            usernames=Usernames(ctx),
            accounts=Accounts(ctx),
            lookups=Lookups(ctx),
            signups=Signups(ctx),
            proofs=AddressProofs(ctx),
            resets=PasswordResets(ctx),
            login_sessions=LoginSessions(ctx),
            oidc=OpenIdProvider(ctx),
        )
