"""Completing a contested registration: the account, no password, a mailed way to choose one.

Seeds 002 and 003 name a pending registration by its email alone, and the
first one stands (``regflow.services.signups``). Whoever registered first
chose its password, and that may not be the address's owner: an attacker who
registers the victim's address first gets the code mailed to the victim, and
the victim, finding that mail, would have created an account holding the
attacker's password. So a registration that a later request asked to hold
another password or other data is *contested*, and completing it (which
needs the mailed code: only the address's owner has it) keeps no password at
all. The account gets a hash no password matches, and the same unit of work
issues a password-reset challenge for it and mails the code and link to the
address as "choose your password". Nobody who only typed a password gets in.
"""

from __future__ import annotations

from regflow.core import cryptokit, recovery
from regflow.core.model import Account, OutboxMessage
from regflow.core.ports import UnitOfWork
from regflow.services.account_mail import mail
from regflow.services.context import ServiceContext
from regflow.services.messages import localized

TEMPLATE = "password_choose"


def no_password() -> str:
    """A stored hash that no password matches: no hasher knows its format (a random value,
    so two such accounts never share one)."""
    return "!contested:" + cryptokit.new_token()


async def offer_password(ctx: ServiceContext, uow: UnitOfWork, account: Account) -> None:
    """Issue a reset challenge for ``account`` and queue the "choose your password" mail,
    in ``uow`` (not committed here)."""
    key = recovery.email_key(ctx.secret, account.email)
    now = ctx.clock()
    current = await uow.resets.get(key)
    issued = recovery.issue(
        secret=ctx.secret,
        key=key,
        account_id=account.id,
        now=now,
        policy=ctx.recovery,
        current=current,
    )
    if not await uow.resets.save(issued.reset, new=current is None):
        return  # a racing reset request inserted the address's challenge: its mail serves
    await uow.outbox.add(_message(ctx, account, issued))


def _message(ctx: ServiceContext, account: Account, issued: recovery.IssuedReset) -> OutboxMessage:
    now = ctx.clock()
    minutes = max(1, int((issued.reset.expires_at - now).total_seconds() // 60))
    context: dict[str, object] = {"code": issued.code, "expires_minutes": minutes}
    link = ctx.links.reset(issued.link_token)
    if link is not None:
        context["link"] = localized(link, account.locale)
    return mail(account.email, TEMPLATE, context, now, account.locale)
