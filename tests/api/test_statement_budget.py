"""How many transactions and SQL statements each hot use case costs, on each backend.

Speed is measured in ``make bench``; what makes it is counted here, so a change that
adds a round trip to a cheap call shows as a failing test. A statement is one
``cursor.execute`` (SQLite's ``BEGIN``/``BEGIN IMMEDIATE`` included; PostgreSQL's
``BEGIN`` and every ``COMMIT``/``ROLLBACK`` are the driver's and are not counted); a
transaction is one checkout of a connection (one unit of work, or the health ping).
When a change lowers a figure, lower the budget with it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from support.harness import PASSWORD, Harness, make_settings, started_app


@dataclass
class Seen:
    statements: list[str] = field(default_factory=list)
    checkouts: int = 0

    def kinds(self) -> list[str]:
        return [s.split()[0].upper() for s in self.statements]


@contextmanager
def counting(h: Harness) -> Iterator[Seen]:
    engine = h.runtime.engine.sync_engine
    seen = Seen()

    def executed(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.statements.append(sql)

    def checked_out(*args: Any) -> None:
        seen.checkouts += 1

    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine.pool, "checkout", checked_out)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(engine.pool, "checkout", checked_out)


async def measure(
    h: Harness, call: Callable[[], Awaitable[httpx.Response]], status: int = 200
) -> Seen:
    with counting(h) as seen:
        response = await call()
    assert response.status_code == status, response.text
    return seen


# (units of work, statements) per use case, as SQLite runs them; PostgreSQL runs the same
# without the BEGIN lines, and with the "PG:" ones: a registration locked for a write is
# read with its codes in one statement on SQLite, where the writer's BEGIN IMMEDIATE came
# first, and its code is read by a second one on PostgreSQL, where a statement that waited
# for the row's lock would see the codes as they were before the lock holder committed.
# "again": the same address once more (with no resend cooldown, so a new code is sent).
BUDGET: dict[str, tuple[int, str]] = {
    "start": (1, "BEGIN INSERT"),
    # the registration is read with its codes; the INSERT of the mail picks "already
    # registered" for a known address; the UPDATE carries the funnel events
    "email step": (1, "BEGIN SELECT PG:SELECT INSERT INSERT UPDATE"),
    "email step again": (1, "BEGIN SELECT PG:SELECT UPDATE INSERT UPDATE"),
    "resend": (1, "BEGIN SELECT PG:SELECT UPDATE INSERT UPDATE"),
    # the attempt is counted and the code used by one UPDATE
    "confirm": (1, "BEGIN SELECT PG:SELECT UPDATE UPDATE"),
    # validated, then started with its first step in one write: the INSERT of the
    # registration does nothing where an active one holds the address (ON CONFLICT), and
    # carries every event; "again" then finds the one that holds it
    "send-code (seed 004)": (1, "BEGIN INSERT INSERT INSERT"),
    "send-code again (seed 004)": (1, "BEGIN INSERT SELECT PG:SELECT UPDATE INSERT UPDATE"),
    "verify-email (seed 004)": (1, "BEGIN SELECT PG:SELECT UPDATE UPDATE"),
    # the proof checked and the account step validated in one read; after hashing, the
    # step applied and the registration completed in one write: the account and the
    # organization inserted with no savepoint (ON CONFLICT DO NOTHING), the membership,
    # the registration (the step's data and the completion in one UPDATE), its
    # verifications deleted at once; the organization founded answers and signs the
    # token without being read again
    "register (seed 004)": (2, "BEGIN SELECT | BEGIN SELECT INSERT INSERT INSERT UPDATE DELETE"),
    # one read: the account with whether a second factor is enrolled (one statement), then
    # its active memberships with their organizations (the same for an unknown email, used
    # once the password is right)
    "login": (1, "BEGIN SELECT SELECT"),
}


def _kinds(budget: str, sqlite: bool) -> list[str]:
    """The statements of a budget on one backend (see BUDGET)."""
    kinds = [k for k in budget.split() if k != "|"]
    if sqlite:
        return [k for k in kinds if not k.startswith("PG:")]
    return [k.removeprefix("PG:") for k in kinds if k != "BEGIN"]


@pytest.fixture
async def no_cooldown(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with started_app(make_settings(db_url, tmp_path, resend_cooldown_seconds=0)) as h:
        yield h


async def test_hot_use_cases_stay_within_their_statements(no_cooldown: Harness) -> None:
    h, c = no_cooldown, no_cooldown.client
    sqlite = h.runtime.engine.dialect.name == "sqlite"
    seen: dict[str, Seen] = {}
    email = f"budget-{uuid.uuid4().hex[:10]}@example.com"

    async def step(
        name: str, call: Callable[[], Awaitable[httpx.Response]], status: int = 200
    ) -> httpx.Response:
        holder: list[httpx.Response] = []

        async def wrapped() -> httpx.Response:
            holder.append(await call())
            return holder[0]

        seen[name] = await measure(h, wrapped, status)
        return holder[0]

    started = await step("start", lambda: c.post("/v1/registrations", json={"flow": "member"}), 201)
    rid, auth = started.json()["id"], {"Authorization": f"Bearer {started.json()['token']}"}
    base = f"/v1/registrations/{rid}"
    body = {"email": email}
    await step("email step", lambda: c.post(f"{base}/steps/email", json=body, headers=auth))
    await step("email step again", lambda: c.post(f"{base}/steps/email", json=body, headers=auth))
    await step("resend", lambda: c.post(f"{base}/verifications/email", headers=auth), 202)
    code = {"code": await h.last_code(email)}
    confirm = f"{base}/verifications/email/confirm"
    await step("confirm", lambda: c.post(confirm, json=code, headers=auth))

    seed = {"email": f"budget-seed-{uuid.uuid4().hex[:10]}@example.com"}
    send = "/auth/send-verification-code"
    await step("send-code (seed 004)", lambda: c.post(send, json=seed))
    await step("send-code again (seed 004)", lambda: c.post(send, json=seed))
    verify = {**seed, "code": await h.last_code(seed["email"])}
    await step("verify-email (seed 004)", lambda: c.post("/auth/verify-email", json=verify))
    account = {**seed, "password": PASSWORD, "name": "Ada Lovelace", "company_name": "Budget"}
    await step("register (seed 004)", lambda: c.post("/auth/register", json=account), 201)
    login = {**seed, "password": PASSWORD}
    await step("login", lambda: c.post("/v1/sessions", json=login))

    # an address that has an account costs the very statements of a new one: the INSERT
    # of the mail picks "already registered" (enumeration)
    again = await c.post("/v1/registrations", json={"flow": "member"})
    base = f"/v1/registrations/{again.json()['id']}"
    auth = {"Authorization": f"Bearer {again.json()['token']}"}
    await step("known", lambda: c.post(f"{base}/steps/email", json=seed, headers=auth))
    await step("known (seed 004)", lambda: c.post(send, json=seed))
    mails = [m for m in await h.outbox() if m.recipient == seed["email"]]
    assert [m.template for m in mails[:2]] == ["already_registered"] * 2  # newest first
    # a login for an address nobody has reads what a wrong password's reads
    wrong = {**seed, "password": PASSWORD + "!"}
    await step("login, wrong password", lambda: c.post("/v1/sessions", json=wrong), 401)
    nobody = {"email": f"budget-nobody-{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD}
    await step("login, unknown", lambda: c.post("/v1/sessions", json=nobody), 401)
    assert seen["login, wrong password"].kinds() == seen["login"].kinds()
    for known, unknown in (
        ("known", "email step"),
        ("known (seed 004)", "send-code (seed 004)"),
        ("login, wrong password", "login, unknown"),
    ):
        assert seen[known].statements == seen[unknown].statements
        assert seen[known].checkouts == seen[unknown].checkouts

    found = {name: (s.checkouts, s.kinds()) for name, s in seen.items()}
    expected = {name: (units, _kinds(budget, sqlite)) for name, (units, budget) in BUDGET.items()}
    wrong = {
        name: f"{found[name][0]} units: {' '.join(found[name][1])}"
        for name in expected
        if found[name] != expected[name]
    }
    assert not wrong, "\n".join(f"{name}: {seen}" for name, seen in wrong.items())
