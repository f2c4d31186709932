"""Running a flow's completion hooks (``FlowSpec.on_complete``), one handler per kind.

Called by ``Completion`` inside its unit of work, after the account row is
written; everything a hook writes is in that same transaction, so completion
creates all of it or nothing. Hooks run in the order the flow declares them;
the membership completion answers with is the one the last membership-making
hook made (a flow declares at most one that applies to a registration: an
invitation excludes founding an organization and joining by code).
"""

from __future__ import annotations

from typing import assert_never

from regflow.core.hooks import AcceptInvitation, FoundOrganization, JoinByCode, KeepProfile
from regflow.core.model import Account, Registration
from regflow.core.ports import UnitOfWork
from regflow.services.context import ServiceContext
from regflow.services.hooks.accept_invitation import accept_invitation
from regflow.services.hooks.base import Joined
from regflow.services.hooks.found_organization import found_organization
from regflow.services.hooks.join_by_code import join_by_code_hook
from regflow.services.hooks.keep_profile import keep_profile

__all__ = ["Joined", "run_completion_hooks"]


async def run_completion_hooks(
    ctx: ServiceContext, uow: UnitOfWork, registration: Registration, account: Account
) -> Joined:
    """Run what ``registration``'s flow declares completing it creates for ``account``."""
    spec = ctx.engine.flow(registration.flow)
    now = ctx.clock()
    joined = Joined()
    for hook in spec.on_complete:
        made: Joined | None
        match hook:
            case KeepProfile():
                made = await keep_profile(uow, hook, registration, account, now)
            case FoundOrganization():
                made = await found_organization(ctx, uow, hook, registration, account, now)
            case JoinByCode():
                made = await join_by_code_hook(uow, spec, hook, registration, account, now)
            case AcceptInvitation():
                made = await accept_invitation(uow, hook, registration, account, now)
            case _:
                assert_never(hook)
        if made is not None:
            joined = made
    return joined
