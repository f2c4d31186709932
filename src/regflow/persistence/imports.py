"""Bulk reads and writes of ``regflow users import``: one statement per batch, not per row."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.confusables import skeleton
from regflow.core.model import Account, Membership
from regflow.persistence.accounts import account_row
from regflow.persistence.errors import unique_violation
from regflow.persistence.organizations import membership_row
from regflow.persistence.tables import accounts as at
from regflow.persistence.tables import memberships as mt
from regflow.persistence.tables import organizations as ot

_IN_CHUNK = 500  # bound parameters per IN (...): well under every backend's limit


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[i : i + _IN_CHUNK] for i in range(0, len(values), _IN_CHUNK)]


class SqlImports:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def taken_emails(self, emails: Collection[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(sorted(set(emails))):
            rows = await self._conn.execute(select(at.c.email).where(at.c.email.in_(chunk)))
            found.update(row[0] for row in rows)
        return found

    async def taken_usernames(self, usernames: Collection[str]) -> set[str]:
        """The usernames given that are taken, or whose look-alike (skeleton) is."""
        wanted = sorted(set(usernames))
        by_skeleton = {skeleton(u): u for u in wanted}
        found: set[str] = set()
        for chunk in _chunks(wanted):
            skeletons = [skeleton(u) for u in chunk]
            query = select(at.c.username, at.c.username_skeleton).where(
                or_(at.c.username.in_(chunk), at.c.username_skeleton.in_(skeletons))
            )
            for name, shape in await self._conn.execute(query):
                if name in chunk:
                    found.add(name)
                if shape in by_skeleton:
                    found.add(by_skeleton[shape])
        return found

    async def organizations_by_slug(self, slugs: Collection[str]) -> dict[str, str]:
        """``slug -> organization id`` for the slugs that exist."""
        found: dict[str, str] = {}
        for chunk in _chunks(sorted(set(slugs))):
            rows = await self._conn.execute(select(ot.c.slug, ot.c.id).where(ot.c.slug.in_(chunk)))
            found.update({slug: org_id for slug, org_id in rows})
        return found

    async def add_accounts(self, accounts: Sequence[Account]) -> None:
        """Insert every account in one statement; ``UniqueViolation`` if any is taken."""
        if not accounts:
            return
        rows = [account_row(a) for a in accounts]
        try:
            await self._conn.execute(insert(at), rows)
        except IntegrityError as error:
            violation = unique_violation(error, ("email", "username", "id"))
            if violation is None:
                raise
            raise violation from None

    async def add_memberships(self, memberships: Sequence[Membership]) -> None:
        if not memberships:
            return
        rows = [membership_row(m) for m in memberships]
        await self._conn.execute(insert(mt), rows)
