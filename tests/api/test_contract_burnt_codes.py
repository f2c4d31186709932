"""Email-named registrations (seeds 002, 003, 004): a code someone burnt is replaced.

Anyone who knows an address can spend its pending code's five attempts. The
address names the registration, so its owner cannot start another one while it
stands: asking again (``register-pending``, ``register``, ``send-verification-
code``) now mails a fresh code for the same registration instead of refusing
until it expires. The registration keeps its data; a burner who asks with
another password contests it, as any later request does.
"""

from __future__ import annotations

import uuid

from support.harness import Harness

VICTIM, ATTACKER = "Quartz#Lamp8841", "Copper#Kite5570"


def address() -> str:
    return f"burnt-{uuid.uuid4().hex[:10]}@example.com"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def codes_to(h: Harness, email: str) -> list[str]:
    return [
        str(m.context["code"])
        for m in reversed(await h.outbox())
        if m.recipient == email and m.template == "verification_code"
    ]


async def test_002_a_burnt_code_is_replaced_when_the_owner_asks_again(harness: Harness) -> None:
    c, email = harness.client, address()
    body = {"email": email, "password": VICTIM}
    assert (await c.post("/api/auth/register-pending", json=body)).status_code == 200
    (first,) = await codes_to(harness, email)
    burner = {"email": email, "verificationCode": wrong(first)}
    for _ in range(5):
        assert (await c.post("/api/auth/verify-and-create", json=burner)).status_code == 400
    right = {"email": email, "verificationCode": first}
    assert (await c.post("/api/auth/verify-and-create", json=right)).status_code == 429
    assert (await c.post("/api/auth/register-pending", json=body)).status_code == 200
    first_again, second = await codes_to(harness, email)  # a second mail, a fresh code
    assert first_again == first
    r = await c.post("/api/auth/verify-and-create", json={**right, "verificationCode": second})
    assert r.status_code == 201, r.text
    assert (await c.post("/v1/sessions", json=body)).status_code == 200


async def test_004_a_burnt_code_is_replaced_on_the_next_code_request(harness: Harness) -> None:
    c, email = harness.client, address()
    assert (await c.post("/auth/send-verification-code", json={"email": email})).is_success
    (first,) = await codes_to(harness, email)
    for _ in range(5):
        r = await c.post("/auth/verify-email", json={"email": email, "code": wrong(first)})
        assert r.status_code == 400
    r = await c.post("/auth/verify-email", json={"email": email, "code": first})
    assert r.status_code == 429
    assert (await c.post("/auth/send-verification-code", json={"email": email})).is_success
    codes = await codes_to(harness, email)
    assert len(codes) == 2
    r = await c.post("/auth/verify-email", json={"email": email, "code": codes[-1]})
    assert r.status_code == 200, r.text
