"""Hostile input is refused with field errors and stable codes, never a 500."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from regflow.api import inputs
from regflow.app import create_app
from regflow.errors import ValidationFailed
from support.harness import Harness, make_settings, started_app
from support.orgs import register_organization


async def _until_identity(h: Harness, email: str) -> tuple[str, dict[str, str]]:
    """A member registration with its email confirmed, at the identity step."""
    rid, auth = await h.start()
    url = f"/v1/registrations/{rid}"
    r = await h.client.post(f"{url}/steps/email", json={"email": email}, headers=auth)
    assert r.status_code == 200, r.text
    code = await h.last_code(email)
    r = await h.client.post(f"{url}/verifications/email/confirm", json={"code": code}, headers=auth)
    assert r.status_code == 200, r.text
    return rid, auth


async def test_body_over_the_cap_is_413_before_it_is_read(harness: Harness) -> None:
    big = b'{"flow": "' + b"x" * 70_000 + b'"}'
    r = await harness.client.post(
        "/v1/registrations", content=big, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"

    async def chunks() -> Any:  # no Content-Length: the cap holds while streaming
        for _ in range(20):
            yield b"x" * 8192

    r = await harness.client.post(
        "/v1/registrations", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
async def test_wrong_content_type_is_415(harness: Harness, content_type: str) -> None:
    r = await harness.client.post(
        "/v1/registrations", content=b'{"flow": "member"}', headers={"content-type": content_type}
    )
    assert r.status_code == 415 and r.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    rid, auth = await harness.start()
    r = await harness.client.post(
        f"/v1/registrations/{rid}/steps/email",
        content=b"email=a@example.com",
        headers={**auth, "content-type": content_type},
    )
    assert r.status_code == 415


def _fields(r: httpx.Response) -> dict[str, str]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return {e["field"]: e["code"] for e in r.json()["errors"]}


async def test_malformed_json_and_wrong_types(harness: Harness) -> None:
    c = harness.client
    js = {"content-type": "application/json"}
    r = await c.post("/v1/registrations", content=b'{"flow": "member"', headers=js)
    assert "MALFORMED_JSON" in _fields(r).values()
    assert _fields(await c.post("/v1/registrations", json={"flow": 7}))["flow"] == "INVALID_TYPE"
    assert _fields(await c.post("/v1/registrations", json=["member"]))
    rid, auth = await harness.start()
    step = f"/v1/registrations/{rid}/steps/email"
    assert _fields(await c.post(step, json={"email": ["a@example.com"]}, headers=auth))
    assert _fields(await c.post(step, json="a@example.com", headers=auth))
    login = await c.post("/v1/sessions", json={"email": "a@example.com", "password": None})
    assert _fields(login)["password"] == "INVALID_TYPE"


async def test_unknown_and_privileged_fields_are_refused(harness: Harness) -> None:
    c = harness.client
    r = await c.post("/v1/registrations", json={"flow": "member", "status": "completed"})
    assert _fields(r)["status"] == "UNKNOWN_FIELD"
    rid, auth = await harness.start()
    for extra in ({"email_verified": True}, {"role": "owner"}, {"verified": {"email": True}}):
        r = await c.post(
            f"/v1/registrations/{rid}/steps/email",
            json={"email": "a@example.com", **extra},
            headers=auth,
        )
        assert _fields(r)[next(iter(extra))] == "UNKNOWN_FIELD"
    state = (await c.get(f"/v1/registrations/{rid}", headers=auth)).json()
    assert state["verified"]["email"] is False and state["step"] == "email"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"flow": "mem\\u0000ber"}', "flow"),
        (b'{"flow": "member", "variant": "\\ud800"}', "variant"),
        (b'{"flow": "member", "locale": "en\\udfff"}', "locale"),
        (b'{"fl\\u0000ow": "member"}', "body"),
    ],
)
async def test_nul_and_lone_surrogates_are_refused(
    harness: Harness, raw: bytes, field: str
) -> None:
    r = await harness.client.post(
        "/v1/registrations", content=raw, headers={"content-type": "application/json"}
    )
    assert _fields(r)[field] == "INVALID_CHARACTERS"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/usernames/ab%00cd/availability",
        "/v1/organizations/by-code/IN-%00",
        "/v1/usernames/abc/availability?x=%00",
    ],
)
async def test_nul_in_path_and_query_is_refused(harness: Harness, path: str) -> None:
    r = await harness.client.get(path)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "INVALID_CHARACTERS"


@pytest.mark.parametrize(
    "email",
    [
        "ada@example.com\r\nBcc: victim@example.com",
        "ada\n@example.com",
        "ada\u200b@example.com",  # zero-width space
        "ada\u202e@example.com",  # right-to-left override
        "\ud800@example.com",
    ],
)
async def test_hostile_emails_are_field_errors(harness: Harness, email: str) -> None:
    rid, auth = await harness.start()
    before = {m.id for m in await harness.outbox()}  # the database is shared with other tests
    r = await harness.client.post(
        f"/v1/registrations/{rid}/steps/email",
        content=json.dumps({"email": email}).encode(),  # escapes lone surrogates as \\ud800
        headers={**auth, "content-type": "application/json"},
    )
    assert set(_fields(r).values()) <= {"INVALID_EMAIL", "INVALID_CHARACTERS"}
    assert [m for m in await harness.outbox() if m.id not in before] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "Ada\r\nLovelace"),
        ("first_name", "Ad\u200da"),
        ("last_name", "Love\u2066lace"),
        ("username", "ada\u200b"),
        ("username", "ada\u202e"),
        ("username", "pаypal"),  # Cyrillic а among Latin letters
    ],
)
async def test_hostile_identity_fields(
    harness: Harness, unique_email: str, field: str, value: str
) -> None:
    rid, auth = await _until_identity(harness, unique_email)
    identity = {"first_name": "Ada", "last_name": "Lovelace", "username": "ada" + rid[:6]}
    r = await harness.client.post(
        f"/v1/registrations/{rid}/steps/identity",
        json={**identity, field: value},
        headers=auth,
    )
    assert field in _fields(r)


async def test_confusable_username_of_an_existing_account_is_taken(
    harness: Harness, unique_email: str
) -> None:
    rid, auth = await harness.member_until_complete(unique_email, username="paypal")
    assert (await harness.client.post(f"/v1/registrations/{rid}/complete", headers=auth)).is_success
    for lookalike in ("рауpаl", "раураӏ", "paypa1", "PayPal"):  # Cyrillic, all-Cyrillic, digit
        r = await harness.client.get(f"/v1/usernames/{lookalike}/availability")
        assert r.status_code == 200
        if r.json()["available"] is not False:
            assert False, f"{lookalike} should collide with paypal"  # noqa: B011
    rid2, auth2 = await _until_identity(harness, "other-" + unique_email)
    r = await harness.client.post(
        f"/v1/registrations/{rid2}/steps/identity",
        json={"first_name": "Eve", "last_name": "Mallory", "username": "раураӏ"},
        headers=auth2,
    )
    assert _fields(r)["username"] == "USERNAME_TAKEN"


async def test_unknown_method_is_405_problem(harness: Harness) -> None:
    r = await harness.client.delete("/v1/registrations")
    assert r.status_code == 405 and r.json()["code"] == "METHOD_NOT_ALLOWED"
    assert r.headers["content-type"] == "application/problem+json"
    assert "allow" in {k.lower() for k in r.headers}


async def test_errors_carry_no_trace_or_version(harness: Harness) -> None:
    r = await harness.client.post("/v1/registrations", json={"flow": 7})
    text = r.text.lower()
    assert "traceback" not in text and "regflow/" not in text and "python" not in text
    assert "server" not in {k.lower() for k in r.headers}
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


async def test_no_cors_by_default(harness: Harness) -> None:
    r = await harness.client.options(
        "/v1/registrations",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in r.headers
    r = await harness.client.post(
        "/v1/registrations", json={"flow": "member"}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in r.headers


async def test_cors_allow_list(sqlite_url: str, tmp_path: Path) -> None:
    settings = make_settings(sqlite_url, tmp_path, cors_origins="https://app.example")
    async with started_app(settings) as h:
        preflight = {"Access-Control-Request-Method": "POST"}
        good = await h.client.options(
            "/v1/registrations", headers={"Origin": "https://app.example", **preflight}
        )
        bad = await h.client.options(
            "/v1/registrations", headers={"Origin": "https://evil.example", **preflight}
        )
    assert good.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in bad.headers


@pytest.mark.parametrize("url", ["sqlite", "postgresql"])
async def test_unreachable_database_is_503_with_retry_after(tmp_path: Path, url: str) -> None:
    database = {
        "sqlite": f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'regflow.db'}",
        "postgresql": "postgresql+asyncpg://postgres@127.0.0.1:1/nothing",  # a closed port
    }[url]
    app = create_app(make_settings(database, tmp_path), run_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        r = await client.post("/v1/registrations", json={"flow": "member"})
        ready = await client.get("/readyz")
        login = await client.post("/v1/sessions", json={"email": "a@example.com", "password": "x"})
    await app.state.runtime.engine.dispose()
    # aiosqlite's thread of a connection that failed to open ends on its own, answering this
    # loop: wait for it while the loop runs, or it may answer a closed one in a later test
    for thread in threading.enumerate():
        if thread.name.endswith("(_connection_worker_thread)"):
            await asyncio.to_thread(thread.join, 10)
    assert r.status_code == 503 and r.json()["code"] == "DATABASE_UNAVAILABLE"
    assert int(r.headers["Retry-After"]) >= 1
    assert "asyncpg" not in r.text and "sqlite" not in r.text.lower()
    assert ready.status_code == 503 and login.status_code == 503


async def test_admin_api_refuses_forged_tokens(harness: Harness) -> None:
    owner = await register_organization(harness)
    org_id = owner["organization"]["id"]
    good = owner["access_token"]
    url = f"/v1/organizations/{org_id}"
    assert (await harness.client.get(url, headers={"Authorization": f"Bearer {good}"})).is_success
    head, body, signature = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    unsigned = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    jwks = (await harness.client.get("/.well-known/jwks.json")).json()
    public_x = jwks["keys"][0]["x"]
    forged = [
        f"{unsigned}.{body}.",  # alg none
        jwt.encode(claims, public_x.encode(), algorithm="HS256"),  # HS256 keyed by the public key
        f"{head}.{body[:-2]}{'AA' if body[-2:] != 'AA' else 'BB'}.{signature}",  # tampered
        jwt.encode({**claims, "exp": 1}, ed25519.Ed25519PrivateKey.generate(), algorithm="EdDSA"),
        jwt.encode(
            claims,
            ed25519.Ed25519PrivateKey.generate(),
            algorithm="EdDSA",
            headers={"kid": jwt.get_unverified_header(good)["kid"], "jku": "https://evil.example"},
        ),
        "not-a-token",
    ]
    for token in forged:
        r = await harness.client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, (token, r.text)
        assert r.json()["code"] in {"INVALID_TOKEN", "INVALID_CREDENTIALS"}


@pytest.mark.parametrize("depth", [33, 30_000])
async def test_deeply_nested_json_is_refused(sqlite_harness: Harness, depth: int) -> None:
    raw = b'{"flow": "member", "variant": ' + b"[" * depth + b"]" * depth + b"}"
    r = await sqlite_harness.client.post(
        "/v1/registrations", content=raw, headers={"content-type": "application/json"}
    )
    assert 400 <= r.status_code < 500, r.text
    if depth == 33:  # parsed by FastAPI, refused by the guard before any field is read
        assert _fields(r)["body"] == "TOO_DEEP"


BODIES = [
    b'{"email": "a@example.com"}',
    b"[" * 32 + b"]" * 32,
    b"[" * 33 + b"]" * 33,
    b"[" * 5000 + b"]" * 5000,
    b"[" * 40,  # too deep and malformed
    b'{"a": "x\\u0000y"}',
    b'{"a\\u0001": 1}',
    b'{"a": "\\ud800"}',
    b'{"a": "\\u007f", "b": ["\\u001f", {"c": "ok"}]}',
    b'{"a": "\xed\xa0\x80"}',
    b'"\x7f"',
    '{"a": "é"}'.encode("utf-16"),
    b'{"a": "\\u0000"',  # suspect and malformed
    b"{not json",
    b'{"deep": ' + b'{"x": ' * 31 + b"1" + b"}" * 31 + b"}",
]


@pytest.mark.parametrize("raw", BODIES)
def test_the_guard_refuses_a_body_as_parsing_it_would(raw: bytes) -> None:
    """The guard decodes a body only where something could be refused in it."""

    def outcome(check: Any) -> tuple[list[str], str | None]:
        found: list[str] = []
        try:
            check(raw, found)
        except ValidationFailed as refused:
            return found, str(refused.problems)
        return found, None

    assert outcome(inputs._refuse_in_body) == outcome(inputs.parse)
