"""Abuse over a real port: limits shared by two processes through Redis; code brute force."""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from pathlib import Path

import httpx
import pytest

from support.harness import SECRET_KEY
from support.server import SmtpSink, running_service, text_body

pytestmark = pytest.mark.e2e

REDIS_URL = os.environ.get("REGFLOW_TEST_REDIS_URL")
CODE = re.compile(r"^\s*(\d{6})\s*$", re.MULTILINE)


@pytest.mark.redis
@pytest.mark.postgres
def test_two_processes_share_the_limits_through_redis(pg_url: str, tmp_path: Path) -> None:
    if not REDIS_URL:
        pytest.skip("Redis not configured: set REGFLOW_TEST_REDIS_URL")
    env = {
        "REGFLOW_DATABASE_URL": pg_url,
        "REGFLOW_SECRET_KEY": SECRET_KEY,  # the shared database's signing keys need it
        "REGFLOW_REDIS_URL": REDIS_URL,
        "REGFLOW_RATE_LIMIT_PREFIX": f"e2e-{uuid.uuid4().hex}",
        "REGFLOW_RATE_LIMITS": json.dumps({"start": "5/minute"}),
    }
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        running_service(tmp_path / "a", env) as first,
        running_service(tmp_path / "b", env) as second,
        httpx.Client(timeout=30) as client,
    ):
        answers = [
            client.post(f"{base}/v1/registrations", json={"flow": "member"})
            for base in (first, second) * 3
        ]
    assert [r.status_code for r in answers] == [201] * 5 + [429]
    assert answers[5].json()["code"] == "RATE_LIMITED" and int(answers[5].headers["Retry-After"])


def _code(sink: SmtpSink, address: str, seen: set[str]) -> str:
    """The newest code mailed to ``address`` that was not seen before."""
    sink.wait_for(address)
    for _ in range(200):
        for recipients, mail in reversed(sink.messages):
            found = CODE.search(text_body(mail)) if address in recipients else None
            if found and found.group(1) not in seen:
                seen.add(found.group(1))
                return found.group(1)
        time.sleep(0.05)
    raise AssertionError("no new code arrived")


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_code_brute_force_stops_after_five_and_resend_keeps_the_count(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    env = {"REGFLOW_RESEND_COOLDOWN_SECONDS": "0"}
    if backend == "postgresql":
        env["REGFLOW_DATABASE_URL"] = str(request.getfixturevalue("pg_url"))
        env["REGFLOW_SECRET_KEY"] = SECRET_KEY
    email = f"brute-{uuid.uuid4().hex[:10]}@example.com"
    seen: set[str] = set()
    with SmtpSink() as sink:
        env["REGFLOW_SMTP_URL"] = sink.url
        # one code per address per minute is the default: allow the one resend of this test
        env["REGFLOW_RATE_LIMITS"] = json.dumps({"code_send": "3/minute"})
        with running_service(tmp_path, env) as base, httpx.Client(base_url=base) as c:
            start = c.post("/v1/registrations", json={"flow": "member"}).json()
            rid, auth = start["id"], {"Authorization": f"Bearer {start['token']}"}
            url = f"/v1/registrations/{rid}/verifications/email"
            assert c.post(
                f"/v1/registrations/{rid}/steps/email", json={"email": email}, headers=auth
            ).is_success
            first = _code(sink, email, seen)
            tries = [
                c.post(f"{url}/confirm", json={"code": _wrong(first)}, headers=auth)
                for _ in range(4)
            ]
            assert [r.json()["code"] for r in tries] == ["INVALID_CODE"] * 4
            resent = c.post(url, headers=auth)
            assert resent.status_code == 202, resent.text
            second = _code(sink, email, seen)
            fifth = c.post(f"{url}/confirm", json={"code": _wrong(second)}, headers=auth)
            assert fifth.json()["code"] == "INVALID_CODE"
            # the right, fresh code after five wrong ones in all: refused
            right = c.post(f"{url}/confirm", json={"code": second}, headers=auth)
            assert right.status_code == 400 and right.json()["code"] == "ATTEMPTS_EXCEEDED"
            again = c.post(url, headers=auth)
            assert again.json()["code"] == "ATTEMPTS_EXCEEDED"
            state = c.get(f"/v1/registrations/{rid}", headers=auth).json()
    assert state["verified"]["email"] is False
