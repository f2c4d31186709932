"""Rate limits over HTTP, with the memory store and with Redis (``REGFLOW_TEST_REDIS_URL``).

Each test gets its own Redis key prefix, so runs never share counters.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from regflow.api.ratelimits import EXEMPT, ROUTE_RULES, rules_for
from regflow.settings import Settings
from support.harness import PASSWORD, Harness, make_settings, started_app

REDIS_URL = os.environ.get("REGFLOW_TEST_REDIS_URL")
REDIS_SKIP = "Redis not configured: set REGFLOW_TEST_REDIS_URL to run the Redis store"

Factory = Callable[..., AbstractAsyncContextManager[Harness]]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def limited(request: pytest.FixtureRequest, sqlite_url: str, tmp_path: Path) -> Factory:
    """``async with limited(start="3/minute") as h``: the app with rate limits on."""
    if request.param == "redis" and not REDIS_URL:
        pytest.skip(REDIS_SKIP)
    redis = {"redis_url": REDIS_URL} if request.param == "redis" else {}

    def factory(
        trusted_proxies: list[str] | None = None, **rules: str
    ) -> AbstractAsyncContextManager[Harness]:
        settings = make_settings(
            sqlite_url,
            tmp_path,
            rate_limits_enabled=True,
            rate_limits=rules,
            rate_limit_prefix=f"test-{uuid.uuid4().hex}",
            trusted_proxies=trusted_proxies or [],
            **redis,
        )
        return started_app(settings)

    return factory


def assert_limited(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert r.json()["code"] == "RATE_LIMITED"
    assert r.headers["content-type"] == "application/problem+json"
    assert 1 <= int(r.headers["Retry-After"]) <= 86400


async def test_sign_up_starts_20_per_minute_per_client(limited: Factory) -> None:
    async with limited() as h:
        answers = [await h.client.post("/v1/registrations", json={"flow": "member"})]
        answers += [
            await h.client.post("/v1/registrations", json={"flow": "member"}) for _ in range(20)
        ]
    assert [r.status_code for r in answers[:20]] == [201] * 20
    assert_limited(answers[20])
    assert int(answers[20].headers["Retry-After"]) <= 60


async def test_switched_off_nothing_is_limited(sqlite_url: str, tmp_path: Path) -> None:
    settings = make_settings(sqlite_url, tmp_path, rate_limits_enabled=False)
    async with started_app(settings) as h:
        for _ in range(25):
            r = await h.client.post("/v1/registrations", json={"flow": "member"})
            assert r.status_code == 201


async def _email_step(h: Harness, email: str) -> httpx.Response:
    rid, auth = await h.start()
    return await h.client.post(
        f"/v1/registrations/{rid}/steps/email", json={"email": email}, headers=auth
    )


async def test_one_code_per_address_per_minute_across_registrations(
    limited: Factory, unique_email: str
) -> None:
    async with limited() as h:
        assert (await _email_step(h, unique_email)).status_code == 200
        assert_limited(await _email_step(h, unique_email.upper()))  # the same address
        assert (await _email_step(h, "other-" + unique_email)).status_code == 200
        codes = [m for m in await h.outbox() if m.recipient == unique_email]
    assert len(codes) == 1  # the refused step sent nothing


async def test_hourly_cap_per_address(limited: Factory, unique_email: str) -> None:
    async with limited(code_send="10/minute;3/hour") as h:
        answers = [await _email_step(h, unique_email) for _ in range(4)]
    assert [r.status_code for r in answers[:3]] == [200] * 3
    assert_limited(answers[3])
    assert int(answers[3].headers["Retry-After"]) > 60  # the hourly window, not the minute


async def test_wrong_codes_capped_per_address_across_registrations(
    limited: Factory, unique_email: str
) -> None:
    async with limited(verify_failures="3/day", code_send="10/minute") as h:
        for _ in range(2):  # two registrations, the same address
            rid, auth = await h.start()
            url = f"/v1/registrations/{rid}"
            r = await h.client.post(
                f"{url}/steps/email", json={"email": unique_email}, headers=auth
            )
            assert r.status_code == 200
            code = await h.last_code(unique_email)
            wrong = f"{(int(code) + 1) % 1_000_000:06d}"
            confirm = f"{url}/verifications/email/confirm"
            first = await h.client.post(confirm, json={"code": wrong}, headers=auth)
            assert first.json()["code"] == "INVALID_CODE"
        second = await h.client.post(confirm, json={"code": wrong}, headers=auth)
        assert second.json()["code"] == "INVALID_CODE"  # the third failure of the day
        right = await h.client.post(confirm, json={"code": code}, headers=auth)
    assert_limited(right)  # even the right code waits: the address is under attack


async def test_failed_logins_per_account_known_or_not(limited: Factory) -> None:
    async with limited(login_failures="3/hour") as h:
        email = "nobody-" + uuid.uuid4().hex[:8] + "@example.com"
        wrong = {"email": email, "password": "not the password at all"}
        answers = [await h.client.post("/v1/sessions", json=wrong) for _ in range(4)]
        other = await h.client.post("/v1/sessions", json={**wrong, "email": "x" + email})
    assert [r.json()["code"] for r in answers[:3]] == ["INVALID_CREDENTIALS"] * 3
    assert_limited(answers[3])
    assert other.json()["code"] == "INVALID_CREDENTIALS"  # per account, not global


async def test_failed_logins_then_the_owner_waits(limited: Factory, unique_email: str) -> None:
    async with limited(login_failures="2/hour") as h:
        rid, auth = await h.member_until_complete(unique_email)
        assert (await h.client.post(f"/v1/registrations/{rid}/complete", headers=auth)).is_success
        wrong = {"email": unique_email, "password": PASSWORD + "!"}
        for _ in range(2):
            r = await h.client.post("/v1/sessions", json=wrong)
            assert r.json()["code"] == "INVALID_CREDENTIALS"
        right = await h.client.post("/v1/sessions", json={**wrong, "password": PASSWORD})
    assert_limited(right)


async def test_calls_per_registration(limited: Factory) -> None:
    async with limited(registration="5/minute") as h:
        rid, auth = await h.start()
        answers = [await h.client.get(f"/v1/registrations/{rid}", headers=auth) for _ in range(6)]
    assert [r.status_code for r in answers[:5]] == [200] * 5
    assert_limited(answers[5])


async def test_join_code_limited_per_code_across_clients(limited: Factory) -> None:
    async with limited(trusted_proxies=["127.0.0.1"], join_code="2/hour") as h:
        url = "/v1/organizations/by-code/IN-ABC-2025-ABCDEF"
        answers = [
            await h.client.get(url, headers={"X-Forwarded-For": f"198.51.100.{i}"})
            for i in range(3)
        ]
        other = await h.client.get(url.replace("ABCDEF", "ABCDEG"))
    assert [r.status_code for r in answers[:2]] == [404, 404]
    assert_limited(answers[2])
    assert other.status_code == 404


async def test_join_code_in_a_step_counts_too(limited: Factory) -> None:
    async with limited(join_code="1/hour") as h:
        code = "IN-ABC-2025-ABCDEF"
        assert (await h.client.get(f"/v1/organizations/by-code/{code}")).status_code == 404
        rid, auth = await h.start("teacher")
        r = await h.client.post(
            f"/v1/registrations/{rid}/steps/organization",
            json={"org_code": code.lower()},
            headers=auth,
        )
    assert_limited(r)


async def test_forwarded_for_believed_only_from_trusted_hops(limited: Factory) -> None:
    url = "/v1/organizations/by-code/IN-ABC-2025-ABCDEF"
    spoofed = [{"X-Forwarded-For": f"203.0.113.{i}"} for i in range(3)]
    async with limited(lookup_ip="2/minute") as h:  # no trusted proxies: the peer counts
        untrusted = [await h.client.get(url, headers=headers) for headers in spoofed]
    async with limited(trusted_proxies=["127.0.0.0/8"], lookup_ip="2/minute") as h:
        trusted = [await h.client.get(url, headers=headers) for headers in spoofed]
        # the client forges a left-most entry: the proxy's right-most one is believed
        forged = [
            await h.client.get(url, headers={"X-Forwarded-For": f"10.9.9.{i}, 203.0.113.0"})
            for i in range(2)
        ]
    assert_limited(untrusted[2])
    assert [r.status_code for r in trusted] == [404, 404, 404]
    assert forged[0].status_code == 404  # 203.0.113.0's second lookup
    assert_limited(forged[1])


async def test_ipv6_clients_count_per_64(limited: Factory) -> None:
    url = "/v1/usernames/someone/availability"
    async with limited(trusted_proxies=["127.0.0.1"], username_ip="2/minute") as h:

        async def ask(address: str) -> httpx.Response:
            return await h.client.get(url, headers={"X-Forwarded-For": address})

        same_64 = [await ask(f"2001:db8:1:2::{i}") for i in range(1, 4)]
        next_64 = await ask("2001:db8:1:3::1")
    assert [r.status_code for r in same_64[:2]] == [200, 200]
    assert_limited(same_64[2])
    assert next_64.status_code == 200


PUBLIC = [
    ("POST", "/v1/registrations", {"flow": "member"}, "start"),
    ("POST", "/v1/sessions", {"email": "a@example.com", "password": "x" * 12}, "login_ip"),
    ("GET", "/v1/usernames/someone/availability", None, "username_ip"),
    ("GET", "/v1/verify/" + "a" * 32, None, "confirm_ip"),
    ("POST", "/v1/verify/" + "a" * 32, None, "confirm_ip"),
    ("GET", "/v1/invitations/" + "a" * 32, None, "invitation_ip"),
    ("POST", "/v1/invitations/" + "a" * 32, None, "invitation_ip"),
    ("POST", "/v1/uploads/logo", None, "upload_ip"),
    ("GET", "/v1/uploads/logo/nothing", None, "default_ip"),
    ("GET", "/v1/organizations/7d0f2b8e-3c1a-4b5e-9f6d-2a8c4e1b0f93", None, "admin_ip"),
    ("GET", "/.well-known/jwks.json", None, "default_ip"),
]


@pytest.mark.parametrize(("method", "path", "body", "rule"), PUBLIC)
async def test_every_public_endpoint_is_limited(
    limited: Factory, method: str, path: str, body: Any, rule: str
) -> None:
    async with limited(**{rule: "1/minute"}) as h:
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        first = await h.client.request(method, path, **kwargs)
        second = await h.client.request(method, path, **kwargs)
    assert first.status_code != 429, first.text
    assert_limited(second)


async def test_accepting_an_invitation_with_an_account_is_limited_too(limited: Factory) -> None:
    url = "/v1/invitations/" + "a" * 32
    async with limited(invitation_ip="2/minute") as h:
        anonymous = await h.client.post(url)
        signed_in = await h.client.post(url, headers={"Authorization": "Bearer not-a-jwt"})
        again = await h.client.post(url, headers={"Authorization": "Bearer not-a-jwt"})
    assert anonymous.json()["code"] == "INVITATION_NOT_FOUND"
    assert signed_in.json()["code"] == "INVALID_TOKEN"
    assert_limited(again)


async def test_every_v1_route_has_its_own_rules(sqlite_harness: Harness) -> None:
    """A new public route must be added to the table (or fall under the admin prefix)."""
    openapi = (await sqlite_harness.client.get("/openapi.json")).json()
    missing = []
    for path, operations in openapi["paths"].items():
        for method in operations:
            rules = rules_for(method.upper(), path)
            if not rules and path not in EXEMPT:
                missing.append(f"{method.upper()} {path} (exempt)")
            elif path.startswith("/v1/") and rules == (("default_ip", "ip"),):
                if not path.startswith(("/v1/uploads/logo/", "/v1/admin/")):
                    missing.append(f"{method.upper()} {path}")
    assert missing == []
    assert all(rule for rules in ROUTE_RULES.values() for rule, _ in rules)


async def test_unknown_rule_names_are_refused(sqlite_url: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown rate-limit rules: strat"):
        async with started_app(make_settings(sqlite_url, tmp_path, rate_limits={"strat": "1/s"})):
            pass


def test_policy_setting_reads_json_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGFLOW_RATE_LIMITS", json.dumps({"start": "5/minute"}))
    assert Settings().rate_limits == {"start": "5/minute"}


@pytest.mark.parametrize("path", ["/sign-in", "/invite/" + "a" * 32 + "/sign-in"])
async def test_the_hosted_sign_in_forms_count_as_logins(limited: Factory, path: str) -> None:
    async with limited(login_ip="1/minute") as h:
        form = {"email": "a@example.com", "password": "x" * 12}
        first = await h.client.post(path, data=form)
        second = await h.client.post(path, data=form)
    assert first.status_code != 429, first.text  # refused for its missing CSRF token
    assert second.status_code == 429, second.text
    assert 1 <= int(second.headers["Retry-After"]) <= 60


@pytest.mark.parametrize(
    ("method", "path", "rule"),
    [
        ("POST", "/oauth2/token", "token_ip"),
        ("POST", "/oauth2/revoke", "token_ip"),
        ("GET", "/oauth2/authorize", "authorize_ip"),
    ],
)
async def test_the_openid_endpoints_are_limited_per_client(
    limited: Factory, method: str, path: str, rule: str
) -> None:
    async with limited(**{rule: "2/minute"}) as h:
        form = {"grant_type": "authorization_code", "code": "x", "client_id": "nobody"}
        answers = [
            await h.client.request(method, path, data=form if method == "POST" else None)
            for _ in range(3)
        ]
    assert [a.status_code == 429 for a in answers] == [False, False, True]
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 60
