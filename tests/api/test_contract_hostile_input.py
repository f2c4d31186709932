"""Hostile input on every seed contract route, on both databases: a 4xx, never a 5xx, in the
contract's own error shape (``success: false``), and nothing written.

The routes are read from the app (every route tagged ``contract: ...``), so a route added
later is covered without touching this file.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from regflow.persistence import tables
from support.harness import Harness

# every field name some contract reads, so that each route finds its own among them
FIELDS = (
    "email",
    "password",
    "code",
    "otp",
    "verificationCode",
    "firstName",
    "lastName",
    "first_name",
    "last_name",
    "name",
    "username",
    "organizationName",
    "organisationName",
    "company_name",
    "country",
    "adminEmail",
    "adminPhone",
    "phone",
    "fullName",
    "orgCode",
    "emailOtp",
    "phoneOtp",
    "departments",
    "subjects",
    "passwordConfirmation",
    "confirmPassword",
)
# evalon's organization step 1 still starts its registration before it validates: a refused
# request leaves an empty registration behind (issue #20, "orphans")
ORPHANS = frozenset({"/api/organizations/register/step1"})
WRONG_TYPES = ("text/plain", "application/x-www-form-urlencoded", "application/xml")


def contract_routes(h: Harness) -> list[tuple[str, str]]:
    found = []
    for template, operations in h.app.openapi()["paths"].items():
        path = template.replace("{link_token}", "x" * 43).replace("{org_code}", "IN-X")
        for method, operation in operations.items():
            if any(tag.startswith("contract:") for tag in operation.get("tags", [])):
                found.append((method.upper(), path))
    assert len(found) >= 30, found
    return found


async def snapshot(h: Harness) -> dict[str, Any]:
    """Row counts of every table, and the registrations and verifications themselves."""
    async with h.runtime.engine.connect() as conn:
        counts = {
            name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for name, table in tables.metadata.tables.items()
        }
        rows = [
            sorted(tuple(map(str, row)) for row in await conn.execute(select(table)))
            for table in (tables.registrations, tables.verifications)
        ]
    return {"counts": counts, "rows": rows}


async def handles(h: Harness) -> tuple[str, str]:
    """Real registration handles (phased, evalon), spoilt below."""
    r = await h.client.post("/auth/initiate-registration", json={"email": "ada@example.com"})
    phased = r.json()["registrationToken"]
    r = await h.client.post(
        "/api/organizations/register/step1",
        json={
            "organisationName": "Test University",
            "country": "IN",
            "state": "Maharashtra",
            "city": "Pune",
            "pincode": "411001",
            "organisationType": "university",
            "studentStrength": 1200,
            "governmentRecognition": True,
        },
    )
    assert r.status_code == 200, r.text
    evalon = r.json()["data"]["registrationToken"]
    return phased, evalon


def bodies(handle: str) -> list[bytes]:
    def every(value: Any, *, real_handle: bool = False) -> str:
        """Every field ``value``; the handle too, unless ``real_handle``."""
        return json.dumps(
            {"registrationToken": handle if real_handle else value, **dict.fromkeys(FIELDS, value)}
        )

    return [
        b"[" * 30_000 + b"]" * 30_000,
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        every("a\u0000b@example.com", real_handle=True).encode(),
        every("a\ud800b", real_handle=True).encode(),  # escaped: "\\ud800"
        b'{"email": "a\xed\xa0\x80@example.com", "code": "\xed\xb0\x80"}',  # raw, not UTF-8
        json.dumps({"registrationToken": handle, "email": "a\ud800@example.com"}).encode(),
        json.dumps({"registrationToken": handle + "\u0000", "email": "a@example.com"}).encode(),
        json.dumps({"registrationToken": "\ud800" + handle, "code": "123456"}).encode(),
        json.dumps({"registrationToken": handle, "e\u0000mail": "a@example.com"}).encode(),
        every(["x"] * 1_000).encode(),
        json.dumps(list(range(10_000))).encode(),
        every({"$gt": ""}).encode(),
        every(10**400).encode(),
        every(None).encode(),
        every(True).encode(),
        b"\xff\xfe{}",
        b'{"registrationToken": "' + handle.encode() + b'", "email": "a@example.com"',
        b"null",
        b"",
    ]


def assert_refused(r: httpx.Response, what: str) -> None:
    assert 400 <= r.status_code < 500, f"{what}: {r.status_code} {r.text[:300]}"
    if r.headers.get("content-type", "").startswith("application/json"):
        assert r.json()["success"] is False, f"{what}: {r.text[:300]}"


async def test_hostile_bodies_on_every_contract_route(harness: Harness) -> None:
    h = harness
    phased, evalon = await handles(h)
    for method, path in contract_routes(h):
        if method != "POST":
            continue
        before = await snapshot(h)
        for raw in bodies(evalon if path.startswith("/api/") else phased):
            r = await h.client.post(path, content=raw, headers={"content-type": "application/json"})
            assert_refused(r, f"{path} {raw[:60]!r}")
        after = await snapshot(h)
        if path in ORPHANS:
            before["counts"].pop("registrations"), after["counts"].pop("registrations")
            before["rows"], after["rows"] = before["rows"][1:], after["rows"][1:]
        assert after == before, path


async def test_wrong_content_types_are_refused_in_the_contract_shape(harness: Harness) -> None:
    h = harness
    before = await snapshot(h)
    body = json.dumps({"email": "ada@example.com", "password": "Secur3P@ss!"}).encode()
    for method, path in contract_routes(h):
        if method != "POST" or path.startswith("/auth/verify-email/") or "upload" in path:
            continue
        for content_type in WRONG_TYPES:
            r = await h.client.post(path, content=body, headers={"content-type": content_type})
            assert r.status_code == 415, f"{path} {content_type}: {r.status_code} {r.text}"
            assert r.json()["success"] is False
    assert await snapshot(h) == before


@pytest.mark.parametrize("bad", ["%00", "%ED%A0%80", "a%01b"])
async def test_nul_and_surrogates_in_paths_queries_and_headers(harness: Harness, bad: str) -> None:
    h = harness
    phased, _ = await handles(h)
    before = await snapshot(h)
    c = h.client
    answers = [
        await c.get(f"/api/organizations/code/IN{bad}X"),
        await c.get(f"/auth/username-availability?username=ada{bad}"),
        await c.get(f"/auth/verify-email/x{bad}y"),
        await c.post(f"/auth/verify-email/x{bad}y", headers={"accept": "application/json"}),
        await c.get(f"/auth/registration?registrationToken={bad}"),
    ]
    for raw in (phased + "\x00", "\x01" + phased):
        answers.append(await c.get("/auth/registration", headers={"x-registration-token": raw}))
        answers.append(
            await c.post(
                "/auth/registration/identity",
                json={"firstName": "Ada", "lastName": "Lovelace", "username": "ada"},
                headers={"x-registration-token": raw},
            )
        )
    for r in answers:
        if r.status_code == 200 and "username-availability" in str(r.request.url):
            assert r.json()["available"] is False  # undecodable bytes arrive as U+FFFD
            continue
        assert_refused(r, f"{r.request.method} {r.request.url}")
    assert await snapshot(h) == before
