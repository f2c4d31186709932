"""The app under test, and walking its flows the way a client does."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from regflow.app import Runtime, create_app
from regflow.core.model import OutboxMessage
from regflow.services.funnel import drain_events
from regflow.settings import Settings

PASSWORD = "correct horse battery staple"
SECRET_KEY = "test-secret-key-0123456789abcdef"  # shared with the PostgreSQL test database's keys


def make_settings(db_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "data_dir": tmp_path / "data",
        "secret_key": SECRET_KEY,
        "argon2_memory_kib": 8192,
        "argon2_time_cost": 1,
        "dev_mailbox": True,
        "log_json": True,
        # limits have their own tests (tests/api/test_rate_limits.py); over a real port
        # (tests/e2e) the service runs with the default policy
        "rate_limits_enabled": False,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Harness:
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    async def drain_events(self) -> int:
        """Move the events the registrations' writes carry into ``funnel_events`` (the sweep's
        job), for tests that read the table itself."""
        return await drain_events(self.runtime.services.ctx)

    async def outbox(self) -> list[OutboxMessage]:
        async with self.runtime.uow(read_only=True) as uow:
            return await uow.outbox.recent(1000)

    async def last_code(self, recipient: str) -> str:
        """The newest code queued for ``recipient``, read from the real outbox."""
        for message in await self.outbox():
            if message.recipient == recipient and "code" in message.context:
                return str(message.context["code"])
        raise AssertionError(f"no code queued for {recipient}")

    async def last_link_token(self, recipient: str) -> str:
        for message in await self.outbox():
            if message.recipient == recipient and "link" in message.context:
                match = re.search(
                    r"/(?:v1/verify|register/confirm)/([A-Za-z0-9_-]+)$", message.context["link"]
                )
                assert match
                return match.group(1)
        raise AssertionError(f"no link queued for {recipient}")

    async def start(
        self, flow: str = "member", locale: str | None = None
    ) -> tuple[str, dict[str, str]]:
        wanted = {"flow": flow, **({"locale": locale} if locale else {})}
        response = await self.client.post("/v1/registrations", json=wanted)
        assert response.status_code == 201, response.text
        body = response.json()
        return body["id"], {"Authorization": f"Bearer {body['token']}"}

    async def member_until_complete(
        self, email: str, username: str | None = None, locale: str | None = None
    ) -> tuple[str, dict[str, str]]:
        """Walk the member flow up to (not including) completion (in ``locale``: the
        account's language for its later mails)."""
        rid, auth = await self.start("member", locale)
        c = self.client
        r = await c.post(
            f"/v1/registrations/{rid}/steps/email", json={"email": email}, headers=auth
        )
        assert r.status_code == 200, r.text
        code = await self.last_code(email)
        r = await c.post(
            f"/v1/registrations/{rid}/verifications/email/confirm",
            json={"code": code},
            headers=auth,
        )
        assert r.status_code == 200, r.text
        name = username or "u" + email.split("@")[0].replace("-", "")[:20]
        r = await c.post(
            f"/v1/registrations/{rid}/steps/identity",
            json={"first_name": "Ada", "last_name": "Lovelace", "username": name},
            headers=auth,
        )
        assert r.status_code == 200, r.text
        r = await c.post(
            f"/v1/registrations/{rid}/steps/credentials",
            json={"password": PASSWORD, "password_confirmation": PASSWORD},
            headers=auth,
        )
        assert r.status_code == 200, r.text
        return rid, auth


@contextlib.asynccontextmanager
async def started_app(settings: Settings, *, run_worker: bool = False) -> AsyncIterator[Harness]:
    app = create_app(settings, run_worker=run_worker)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Harness(app, client)


@contextlib.contextmanager
def pg_database(server_url: str, name: str) -> Iterator[str]:
    """A fresh PostgreSQL database on ``server_url``'s server, dropped afterwards."""
    url = make_url(server_url)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
