"""Registrations walked through the flows over HTTP (httpx), ready for a wrk run.

Codes are read from the outbox table (the dev mailbox keeps them after delivery),
never from a back door in the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from regflow.persistence.tables import accounts, outbox_messages, registrations

PASSWORD = "correct horse battery staple"  # noqa: S105 - the benchmark accounts' password
SEND_CODE = "/auth/send-verification-code"  # seed 004
VERIFY = "/auth/verify-email"  # seed 004
SLACK = 64


@dataclass
class Reg:
    """A registration prepared over HTTP; ``n`` makes its email and username unique."""

    n: int
    id: str
    token: str
    email: str
    code: str = "-"


@dataclass
class Preparer:
    """Walks registrations through the member flow with bounded concurrency."""

    base_url: str
    database_url: str
    concurrency: int = 16
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    failures: Counter[str] = field(default_factory=Counter)
    credentials_rate: dict[str, Any] = field(default_factory=dict)
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    def _client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(
            max_connections=self.concurrency, max_keepalive_connections=self.concurrency
        )
        return httpx.AsyncClient(base_url=self.base_url, timeout=120.0, limits=limits)

    async def _post(
        self, client: httpx.AsyncClient, label: str, path: str, token: str | None, body: Any
    ) -> dict[str, Any] | None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = await client.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            self.failures[f"{label}: {type(exc).__name__}"] += 1
            return None
        if response.is_success:
            answer: dict[str, Any] = response.json()
            return answer
        code = ""
        with contextlib.suppress(ValueError, AttributeError):
            code = str(response.json().get("code", ""))
        self.failures[f"{label}: {response.status_code} {code}".rstrip()] += 1
        return None

    async def _each(
        self,
        regs: Sequence[Reg],
        step: Callable[[httpx.AsyncClient, Reg], Awaitable[bool]],
    ) -> list[Reg]:
        gate = asyncio.Semaphore(self.concurrency)
        async with self._client() as client:

            async def one(reg: Reg) -> bool:
                async with gate:
                    return await step(client, reg)

            oks = await asyncio.gather(*(one(reg) for reg in regs))
        return [reg for reg, ok in zip(regs, oks, strict=True) if ok]

    async def starts(self, count: int) -> list[Reg]:
        gate = asyncio.Semaphore(self.concurrency)
        async with self._client() as client:

            async def one() -> Reg | None:
                async with gate:
                    body = await self._post(
                        client, "start", "/v1/registrations", None, {"flow": "member"}
                    )
                if body is None:
                    return None
                n = next(self._numbers)
                email = f"bench-{self.tag}-{n}@example.com"
                return Reg(n, str(body["id"]), str(body["token"]), email)

            made = await asyncio.gather(*(one() for _ in range(count)))
        return [reg for reg in made if reg is not None]

    async def emails(self, regs: Sequence[Reg]) -> list[Reg]:
        async def step(client: httpx.AsyncClient, reg: Reg) -> bool:
            path = f"/v1/registrations/{reg.id}/steps/email"
            return (
                await self._post(client, "email", path, reg.token, {"email": reg.email}) is not None
            )

        return await self._each(regs, step)

    async def with_codes(self, regs: Sequence[Reg]) -> list[Reg]:
        """Those of ``regs`` whose code is in the outbox, with it (read from the table)."""
        wanted = {reg.email for reg in regs}
        codes: dict[str, str] = {}
        engine = create_async_engine(self.database_url)
        try:
            async with engine.connect() as conn:
                t = outbox_messages
                emails = sorted(wanted)
                for offset in range(0, len(emails), 500):
                    rows = await conn.execute(
                        select(t.c.recipient, t.c.context)
                        .where(
                            t.c.template == "verification_code",
                            t.c.recipient.in_(emails[offset : offset + 500]),
                        )
                        .order_by(t.c.created_at)
                    )
                    for recipient, context in rows:
                        if "code" in context:
                            codes[recipient] = str(context["code"])  # the newest wins
        finally:
            await engine.dispose()
        kept = []
        for reg in regs:
            if reg.email in codes:
                reg.code = codes[reg.email]
                kept.append(reg)
        return kept

    async def email_verified(self, regs: Sequence[Reg]) -> list[Reg]:
        """Those of ``regs`` whose email is verified (read from the table)."""
        ids = [reg.id for reg in regs]
        verified: set[str] = set()
        engine = create_async_engine(self.database_url)
        try:
            async with engine.connect() as conn:
                t = registrations
                for offset in range(0, len(ids), 500):
                    chunk = ids[offset : offset + 500]
                    rows = await conn.execute(select(t.c.id, t.c.verified).where(t.c.id.in_(chunk)))
                    verified.update(rid for rid, marks in rows if marks and marks.get("email"))
        finally:
            await engine.dispose()
        return [reg for reg in regs if reg.id in verified]

    async def confirms(self, regs: Sequence[Reg]) -> list[Reg]:
        async def step(client: httpx.AsyncClient, reg: Reg) -> bool:
            path = f"/v1/registrations/{reg.id}/verifications/email/confirm"
            return (
                await self._post(client, "confirm", path, reg.token, {"code": reg.code}) is not None
            )

        return await self._each(regs, step)

    async def identities(self, regs: Sequence[Reg]) -> list[Reg]:
        async def step(client: httpx.AsyncClient, reg: Reg) -> bool:
            path = f"/v1/registrations/{reg.id}/steps/identity"
            body = {"first_name": "Ada", "last_name": "Lovelace", "username": self.username(reg)}
            return await self._post(client, "identity", path, reg.token, body) is not None

        return await self._each(regs, step)

    async def credentials(self, regs: Sequence[Reg]) -> list[Reg]:
        async def step(client: httpx.AsyncClient, reg: Reg) -> bool:
            path = f"/v1/registrations/{reg.id}/steps/credentials"
            body = {"password": PASSWORD, "password_confirmation": PASSWORD}
            return await self._post(client, "credentials", path, reg.token, body) is not None

        return await self._each(regs, step)

    def username(self, reg: Reg) -> str:
        return f"b{self.tag}{reg.n}"

    async def seed004_verified(self, count: int) -> list[Reg]:
        """``count`` new emails through seed 004's send-verification-code and verify-email
        (ready for ``/auth/register``); the codes are read from the outbox table."""
        regs = [
            Reg(n, "-", "-", f"rg-{self.tag}-{n}@example.com")
            for n in itertools.islice(self._numbers, count)
        ]

        async def send(client: httpx.AsyncClient, reg: Reg) -> bool:
            body = {"email": reg.email}
            return await self._post(client, "send-code", SEND_CODE, None, body) is not None

        async def verify(client: httpx.AsyncClient, reg: Reg) -> bool:
            body = {"email": reg.email, "code": reg.code}
            answer = await self._post(client, "verify-email", VERIFY, None, body)
            if answer is None:
                return False
            # the proof register wants back (a browser gets it as a cookie)
            reg.token = str(answer.get("data", {}).get("verification_token", "-"))
            return True

        sent = await self._each(regs, send)
        return await self._each(await self.with_codes(sent), verify)

    async def with_accounts(self, regs: Sequence[Reg]) -> list[Reg]:
        """Those of ``regs`` whose email has an account (read from the table)."""
        emails = [reg.email for reg in regs]
        found: set[str] = set()
        engine = create_async_engine(self.database_url)
        try:
            async with engine.connect() as conn:
                for offset in range(0, len(emails), 500):
                    chunk = emails[offset : offset + 500]
                    rows = await conn.execute(
                        select(accounts.c.email).where(accounts.c.email.in_(chunk))
                    )
                    found.update(email for (email,) in rows)
        finally:
            await engine.dispose()
        return [reg for reg in regs if reg.email in found]

    async def through_email(self, count: int) -> list[Reg]:
        """``count`` new registrations with the email step submitted and their codes."""
        return await self.with_codes(await self.emails(await self.starts(count)))


def write_lines(path: Path, regs: Sequence[Reg], arg: Callable[[Reg], str]) -> Path:
    path.write_text("".join(f"{reg.id} {reg.token} {arg(reg)}\n" for reg in regs))
    return path


def how_many(rate: float, duration: int, margin: float, cap: int) -> int:
    return min(cap, math.ceil(rate * duration * margin) + SLACK)
