"""Each seed contract route counts against the rate-limit rules of its native twin.

One app with rate limits on (memory store); for each route and each of its rules, only that
rule is set to one per minute and the store is emptied, so the second identical request must
answer 429 in the contract's own shape. The Redis store is tested in ``test_rate_limits.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from regflow.api.ratelimits import CONTRACT_RULES, rules_for
from regflow.ratelimit import Policy
from support.harness import Harness, make_settings, started_app

CODE = "IN-ABC-2025-ABCDEF"
HANDLE = "not-a-token.00000000-0000-0000-0000-000000000000"
BODY = {
    "registrationToken": HANDLE,
    "orgCode": CODE,
    "email": "ada@example.com",
    "password": "not the password",
    "code": "123456",
}


@pytest.fixture
async def limited(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    settings = make_settings(
        sqlite_url,
        tmp_path,
        rate_limits_enabled=True,
        rate_limit_prefix=f"test-{uuid.uuid4().hex}",
    )
    async with started_app(settings) as h:
        yield h


async def only(h: Harness, **rules: str) -> None:
    """From now on, only ``rules`` are tight; every counter starts again at zero."""
    h.runtime.limiter.policy = Policy(rules)
    await h.runtime.limiter.storage.reset()


async def call(h: Harness, method: str, template: str) -> httpx.Response:
    path = template.replace("{link_token}", "a" * 43).replace("{org_code}", CODE)
    headers = {"X-Registration-Token": HANDLE}
    if method == "GET":
        return await h.client.get(path, params={"username": "someone"}, headers=headers)
    return await h.client.post(path, json=BODY, headers=headers)


def assert_limited(r: httpx.Response, what: str) -> None:
    assert r.status_code == 429, f"{what}: {r.status_code} {r.text[:300]}"
    assert 1 <= int(r.headers["Retry-After"]) <= 60, what
    if r.headers["content-type"].startswith("application/json"):
        assert r.json()["success"] is False, what


async def test_every_contract_route_has_the_rules_of_its_twin(limited: Harness) -> None:
    h = limited
    openapi = (await h.client.get("/openapi.json")).json()
    served = {
        (method.upper(), path)
        for path, operations in openapi["paths"].items()
        for method, operation in operations.items()
        if any(tag.startswith("contract:") for tag in operation.get("tags", []))
    }
    assert served - set(CONTRACT_RULES) == set()
    failures = []
    for method, template in sorted(served):
        for rule, _ in rules_for(method, template):
            await only(h, **{rule: "1/minute"})
            first = await call(h, method, template)
            second = await call(h, method, template)
            try:
                assert first.status_code != 429, f"first: {first.text[:200]}"
                assert_limited(second, f"{method} {template} {rule}")
            except AssertionError as failure:
                failures.append(str(failure))
    assert failures == [], "\n".join(failures)


async def test_password_spraying_meets_the_native_login_limit(limited: Harness) -> None:
    h = limited
    await only(h, login_ip="3/minute")
    for i in range(3):
        wrong = {"email": f"victim-{i}@example.com", "password": "Spr4y!ng-password"}
        assert (await h.client.post("/v1/sessions", json=wrong)).status_code == 401
    r = await h.client.post(
        "/api/v1/auth/login", json={"email": "next@example.com", "password": "Spr4y!ng"}
    )
    assert_limited(r, "contract login after the native one")
    assert r.json()["error"] == "RATE_LIMITED"


async def test_join_codes_cannot_be_guessed_through_steps(limited: Harness) -> None:
    h = limited
    await only(h, lookup_ip="2/minute")
    for code in ("IN-ABC-2025-AAAAAA", "IN-ABC-2025-AAAAAB"):
        assert (await h.client.get(f"/api/organizations/code/{code}")).status_code == 404
    answers: list[Any] = []
    for path in ("/api/teachers/register/step3", "/api/students/register/step2"):
        body = {**BODY, "orgCode": "IN-ABC-2025-AAAAAC"}
        answers.append(await h.client.post(path, json=body))
    rid = (await h.client.post("/v1/registrations", json={"flow": "teacher"})).json()
    answers.append(
        await h.client.post(
            f"/v1/registrations/{rid['id']}/steps/organization",
            json={"org_code": "IN-ABC-2025-AAAAAD"},
            headers={"Authorization": f"Bearer {rid['token']}"},
        )
    )
    for r in answers:
        assert_limited(r, str(r.request.url))
    # a step without a code is not a lookup
    r = await h.client.post("/api/teachers/register/step2", json={"registrationToken": HANDLE})
    assert r.status_code == 400, r.text


async def test_the_argon2_register_of_seed_003_is_a_start(limited: Harness) -> None:
    h = limited
    await only(h, start="2/minute")
    body = {
        "email": "ada@example.com",
        "password": "SecureP@ss123",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "organizationName": "Acme Insurance Co",
    }
    answers = [
        await h.client.post("/api/v1/auth/register", json={**body, "email": f"ada{i}@example.com"})
        for i in range(3)
    ]
    assert [r.status_code for r in answers[:2]] == [201, 201]
    assert_limited(answers[2], "third register")
    assert answers[2].json()["error"] == "RATE_LIMITED"
