"""Organizations and memberships (the approval queue joins memberships to accounts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.core.model import JoinPolicy, Membership, MembershipStatus, Organization, Role
from regflow.core.onboarding import MemberView
from regflow.persistence.compiled import run
from regflow.persistence.errors import unique_violation
from regflow.persistence.inserts import insert_or_name_taken
from regflow.persistence.tables import accounts as at
from regflow.persistence.tables import memberships as mt
from regflow.persistence.tables import organizations as ot

# built once (see persistence/registrations.py): executed with the values as parameters
_INSERT_ORGANIZATION = insert(ot)
_INSERT_MEMBERSHIP = insert(mt)
_ORGANIZATION_BY_ID = select(ot).where(ot.c.id == bindparam("b_id"))


def _org(m: Any) -> Organization:
    return Organization(
        id=m["id"],
        name=m["name"],
        slug=m["slug"],
        join_code=m["join_code"],
        created_at=m["created_at"],
        settings=dict(m["settings"]),
        join_policy=JoinPolicy(m["join_policy"]),
    )


def membership_row(m: Membership) -> dict[str, Any]:
    """The ``memberships`` row of ``m`` (also what an import writes)."""
    return {
        "id": m.id,
        "account_id": m.account_id,
        "organization_id": m.organization_id,
        "role": m.role,
        "status": m.status,
        "details": m.details,
        "created_at": m.created_at,
    }


class SqlOrganizations:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, o: Organization) -> None:
        values = {
            "id": o.id,
            "name": o.name,
            "slug": o.slug,
            "join_code": o.join_code,
            "join_policy": o.join_policy,
            "settings": o.settings,
            "created_at": o.created_at,
        }
        await insert_or_name_taken(
            self._conn, ot, _INSERT_ORGANIZATION, values, ("slug", "join_code")
        )

    async def get(self, organization_id: str) -> Organization | None:
        row = (await run(self._conn, _ORGANIZATION_BY_ID, {"b_id": organization_id})).first()
        return _org(row) if row else None

    async def get_by_join_code(self, join_code: str) -> Organization | None:
        row = (await self._conn.execute(select(ot).where(ot.c.join_code == join_code))).first()
        return _org(row._mapping) if row else None

    async def get_by_slug(self, slug: str) -> Organization | None:
        row = (await self._conn.execute(select(ot).where(ot.c.slug == slug))).first()
        return _org(row._mapping) if row else None

    async def update(self, o: Organization) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    update(ot)
                    .where(ot.c.id == o.id)
                    .values(join_code=o.join_code, join_policy=o.join_policy, settings=o.settings)
                )
        except IntegrityError as error:
            violation = unique_violation(error, ("join_code",))
            if violation is None:
                raise
            raise violation from None


_ORG_LABELS = {c.name: f"org_{c.name}" for c in ot.c}
# built once: an account's active memberships, each with its organization (a sign-in)
_ACTIVE_WITH_ORGANIZATIONS = (
    select(mt, *(c.label(_ORG_LABELS[c.name]) for c in ot.c))
    .select_from(mt.outerjoin(ot, ot.c.id == mt.c.organization_id))
    .where(mt.c.account_id == bindparam("b_account"), mt.c.status == MembershipStatus.ACTIVE.value)
    .order_by(mt.c.created_at, mt.c.id)
)


def _membership(m: Any) -> Membership:
    return Membership(
        id=m["id"],
        account_id=m["account_id"],
        organization_id=m["organization_id"],
        role=Role(m["role"]),
        status=MembershipStatus(m["status"]),
        created_at=m["created_at"],
        details=dict(m["details"]),
    )


class SqlMemberships:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, m: Membership) -> None:
        # no savepoint (completion adds one on its hot path): after a violation the
        # transaction is done, and every caller gives up on it
        try:
            await run(self._conn, _INSERT_MEMBERSHIP, membership_row(m))
        except IntegrityError as error:
            violation = unique_violation(error, ("membership",))  # one account, one membership
            if violation is None:
                raise
            raise violation from None

    async def for_account(self, account_id: str) -> Sequence[Membership]:
        rows = await self._conn.execute(
            select(mt).where(mt.c.account_id == account_id).order_by(mt.c.created_at, mt.c.id)
        )
        return [_membership(r._mapping) for r in rows]

    async def active_with_organizations(
        self, account_id: str
    ) -> list[tuple[Membership, Organization | None]]:
        rows = await run(self._conn, _ACTIVE_WITH_ORGANIZATIONS, {"b_account": account_id})
        found: list[tuple[Membership, Organization | None]] = []
        for m in rows.rows:
            organization = None
            if m[_ORG_LABELS["id"]] is not None:
                organization = _org({name: m[label] for name, label in _ORG_LABELS.items()})
            found.append((_membership(m), organization))
        return found

    async def get(self, membership_id: str) -> Membership | None:
        row = (await self._conn.execute(select(mt).where(mt.c.id == membership_id))).first()
        return _membership(row._mapping) if row else None

    async def for_organization(
        self, organization_id: str, status: str | None, *, limit: int, offset: int
    ) -> list[MemberView]:
        query = (
            select(mt, at.c.email, at.c.first_name, at.c.last_name)
            .join(at, at.c.id == mt.c.account_id)
            .where(mt.c.organization_id == organization_id)
            .order_by(mt.c.created_at, mt.c.id)
            .limit(limit)
            .offset(offset)
        )
        if status is not None:
            query = query.where(mt.c.status == status)
        rows = await self._conn.execute(query)
        return [
            MemberView(
                id=r.id,
                account_id=r.account_id,
                email=r.email,
                first_name=r.first_name,
                last_name=r.last_name,
                role=Role(r.role),
                status=MembershipStatus(r.status),
                details=dict(r.details),
                created_at=r.created_at,
            )
            for r in rows
        ]

    async def set_status(
        self,
        membership_id: str,
        organization_id: str,
        *,
        expected: str,
        status: str,
        role: str | None = None,
    ) -> bool:
        values = {"status": status} if role is None else {"status": status, "role": role}
        result = await self._conn.execute(
            update(mt)
            .where(
                mt.c.id == membership_id,
                mt.c.organization_id == organization_id,
                mt.c.status == expected,
            )
            .values(**values)
        )
        return result.rowcount == 1
