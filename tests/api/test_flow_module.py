"""A flow added as one module (``support.volunteer_flow``) walks end to end over the native API.

The flow is registered by the tests through ``regflow.core.flows.register`` and
enabled by configuration; its completion hooks (profile, join by code) run with
no service naming it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from support import volunteer_flow
from support.harness import PASSWORD, Harness, make_settings, started_app
from support.orgs import claims, complete, confirm, register_organization, step, unique_email

FLOWS = ["member", "organization", volunteer_flow.FLOW.name]


@pytest.fixture
async def volunteers(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with started_app(make_settings(db_url, tmp_path, flows=FLOWS)) as h:
        yield h


async def walk(h: Harness, email: str, *, code: str | None) -> tuple[str, dict[str, str]]:
    rid, auth = await h.start("volunteer")
    contact: dict[str, Any] = {"full_name": "Grace Brewster Hopper", "email": email}
    state = await step(h, rid, auth, "contact", {**contact, "solo": code is None})
    assert state["step"] == "contact" and state["pending_verification"]["channel"] == "email"
    await confirm(h, rid, auth, "email", email)
    if code is not None:
        # the field its JoinByCode hook names is checked as any join code is, at the step
        r = await h.client.post(
            f"/v1/registrations/{rid}/steps/team",
            json={"team_code": "IN-NOP-2025-AAAA"},
            headers=auth,
        )
        assert r.status_code == 422, r.text
        assert [(p["field"], p["code"]) for p in r.json()["errors"]] == [
            ("team_code", "ORG_CODE_INVALID")
        ]
        state = await step(h, rid, auth, "team", {"team_code": code})
    r = await h.client.post(
        f"/v1/registrations/{rid}/steps/password",
        json={"password": "Grace Hopper " + PASSWORD, "password_confirmation": "x"},
        headers=auth,
    )
    assert r.status_code == 422, r.text  # the flow's names count as personal, like any flow's
    assert {p["code"] for p in r.json()["errors"]} >= {"PASSWORD_CONTEXT"}
    passwords = {"password": PASSWORD, "password_confirmation": PASSWORD}
    state = await step(h, rid, auth, "password", passwords)
    assert state["step"] == "complete", state
    return rid, auth


async def test_a_registered_flow_joins_its_organization_by_code(volunteers: Harness) -> None:
    h = volunteers
    owner = await register_organization(h)
    email = unique_email("volunteer")
    started = await h.client.post("/v1/registrations", json={"flow": "volunteer"})
    assert started.status_code == 201, started.text
    assert [s["name"] for s in started.json()["steps"]] == ["contact", "team", "password"]

    rid, auth = await walk(h, email, code=owner["organization"]["join_code"].lower())
    done = await complete(h, rid, auth)

    assert done["account"]["email"] == email and done["account"]["email_verified"] is True
    assert (done["account"]["first_name"], done["account"]["last_name"]) == (
        "Grace",
        "Brewster Hopper",
    )
    assert done["membership"] == {"role": "member", "status": "active"}
    assert done["organization"]["id"] == owner["organization"]["id"]
    r = await h.client.get(
        f"/v1/organizations/{owner['organization']['id']}/members",
        headers={"Authorization": f"Bearer {owner['access_token']}"},
    )
    assert r.status_code == 200, r.text
    assert (email, "member", "active") in {
        (m["email"], m["role"], m["status"]) for m in r.json()["members"]
    }
    r = await h.client.post("/v1/sessions", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert claims(r.json()["access_token"])["sub"] == done["account"]["id"]


async def test_a_solo_volunteer_skips_the_team_and_joins_nothing(volunteers: Harness) -> None:
    h = volunteers
    email = unique_email("solo")
    rid, auth = await walk(h, email, code=None)
    state = (await h.client.get(f"/v1/registrations/{rid}", headers=auth)).json()
    assert [s["name"] for s in state["steps"]] == ["contact", "password"]

    done = await complete(h, rid, auth)
    assert done["membership"] is None and done["organization"] is None
    assert done["account"]["first_name"] == "Grace"


async def test_the_flow_is_off_unless_configured(harness: Harness) -> None:
    r = await harness.client.post("/v1/registrations", json={"flow": "volunteer"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "FLOW_UNKNOWN", r.text
