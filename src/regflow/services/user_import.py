"""Importing people in batches: each batch one transaction, each row all or nothing.

A batch of checked rows (:mod:`regflow.core.user_import`) is written with one
statement per table: accounts, then memberships of the organizations named by
slug. Rows the database would refuse (an email or username taken, an unknown
organization) are refused with their line first, so a batch never fails half-way;
if another writer takes an address between that check and the insert, the batch
is rolled back and its rows retried one transaction each. With ``resume``, a row
whose email already has an account counts as imported before and is skipped.
``dry_run`` does every check and writes nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from regflow.core.model import Account, Membership, MembershipStatus, Role
from regflow.core.user_import import ImportRow, Refusal
from regflow.errors import ErrorCode, UniqueViolation
from regflow.services.context import ServiceContext

_HASH_CONCURRENCY = 8  # plain passwords hashed at once (the hasher's pool bounds the CPU)


@dataclass
class BatchOutcome:
    imported: int = 0
    skipped: int = 0  # resume: imported by an earlier run
    refused: list[Refusal] = field(default_factory=list)


class UserImport:
    """``run(rows)`` imports one batch; the caller reads the file and reports progress."""

    def __init__(self, ctx: ServiceContext, *, resume: bool = False, dry_run: bool = False):
        self.ctx = ctx
        self.resume = resume
        self.dry_run = dry_run
        # the first line of each address and username of this run: later ones are duplicates
        self._emails: dict[str, int] = {}
        self._usernames: dict[str, int] = {}

    def _duplicates(self, row: ImportRow) -> list[Refusal]:
        found = []
        for name, value, seen in (
            ("email", row.email, self._emails),
            ("username", row.username, self._usernames),
        ):
            if value is None:
                continue
            first = seen.setdefault(value, row.line)
            if first != row.line:
                message = f"The same {name} as line {first}."
                found.append(Refusal(row.line, name, "DUPLICATE", message))
        return found

    async def run(self, rows: Sequence[ImportRow]) -> BatchOutcome:
        duplicates: list[Refusal] = []
        unique = []
        for row in rows:
            found = self._duplicates(row)
            duplicates += found
            if not found:
                unique.append(row)
        outcome = await self._run(unique)
        outcome.refused += duplicates
        return outcome

    async def _run(self, rows: Sequence[ImportRow]) -> BatchOutcome:
        hashes = await self._hash_passwords(rows)
        outcome = await self._write(rows, hashes)
        if outcome is not None:
            return outcome
        # another writer took an address or username after the checks: one row at a time
        total = BatchOutcome()
        for row in rows:
            single = await self._write([row], hashes)
            if single is None:
                single = BatchOutcome(refused=[_taken(row.line, "email")])
            total.imported += single.imported
            total.skipped += single.skipped
            total.refused += single.refused
        return total

    async def _hash_passwords(self, rows: Sequence[ImportRow]) -> dict[int, str]:
        gate = asyncio.Semaphore(_HASH_CONCURRENCY)

        async def one(row: ImportRow) -> tuple[int, str]:
            if row.password_hash is not None:
                return row.line, row.password_hash
            async with gate:
                return row.line, await self.ctx.hasher.hash(str(row.password))

        return dict(await asyncio.gather(*(one(row) for row in rows)))

    async def _write(
        self, rows: Sequence[ImportRow], hashes: dict[int, str]
    ) -> BatchOutcome | None:
        """The outcome of writing ``rows`` in one transaction; None if it hit a unique race."""
        outcome = BatchOutcome()
        now = self.ctx.clock()
        async with self.ctx.uow() as uow:
            emails = await uow.imports.taken_emails([r.email for r in rows])
            names = await uow.imports.taken_usernames([r.username for r in rows if r.username])
            orgs = await uow.imports.organizations_by_slug(
                [r.organization for r in rows if r.organization]
            )
            accounts: list[Account] = []
            memberships: list[Membership] = []
            for row in rows:
                if row.email in emails:
                    if self.resume:
                        outcome.skipped += 1
                    else:
                        outcome.refused.append(_taken(row.line, "email"))
                    continue
                refusals = []
                if row.username and row.username in names:
                    refusals.append(_taken(row.line, "username"))
                if row.organization and row.organization not in orgs:
                    message = f"No organization has the slug {row.organization!r}."
                    refusals.append(Refusal(row.line, "organization", ErrorCode.NOT_FOUND, message))
                if refusals:
                    outcome.refused += refusals
                    continue
                emails.add(row.email)  # a later row of this batch with the same address
                if row.username:
                    names.add(row.username)
                account = _account(row, hashes[row.line], now)
                accounts.append(account)
                if row.organization:
                    memberships.append(
                        Membership(
                            id=str(uuid.uuid4()),
                            account_id=account.id,
                            organization_id=orgs[row.organization],
                            role=Role(row.role or Role.MEMBER),
                            status=MembershipStatus.ACTIVE,
                            created_at=now,
                        )
                    )
            try:
                await uow.imports.add_accounts(accounts)
            except UniqueViolation:
                return None
            await uow.imports.add_memberships(memberships)
            if not self.dry_run:
                await uow.commit()
        outcome.imported = len(accounts)
        return outcome


def _account(row: ImportRow, password_hash: str, now: datetime) -> Account:
    return Account(
        id=str(uuid.uuid4()),
        email=row.email,
        password_hash=password_hash,
        created_at=now,
        email_verified_at=now if row.email_verified else None,
        username=row.username,
        first_name=row.first_name,
        last_name=row.last_name,
    )


def _taken(line: int, name: str) -> Refusal:
    reason = {"email": "This email already has an account.", "username": "This username is taken."}
    return Refusal(line, name, f"{name.upper()}_TAKEN", reason[name])
