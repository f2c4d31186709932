"""The organization flow over the native API, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

from regflow.core.model import OutboxKind
from support.harness import PASSWORD, Harness, make_settings, started_app
from support.orgs import (
    ORG,
    PREFERENCES,
    claims,
    complete,
    confirm,
    indian_mobile,
    login,
    organization_until_complete,
    register_organization,
    step,
    unique_email,
)

JOIN_CODE = re.compile(r"IN-TES-\d{4}-[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}")


async def test_walks_the_organization_flow(harness: Harness) -> None:
    c = harness.client
    email = unique_email("owner")
    start = await c.post("/v1/registrations", json={"flow": "organization"})
    assert start.status_code == 201
    body = start.json()
    assert body["step"] == "organization" and body["progress"] == {"current": 1, "total": 3}
    assert [s["name"] for s in body["steps"]] == ["organization", "admin", "preferences"]
    assert body["steps"][1]["verifications"] == ["email", "phone"]
    rid, auth = body["id"], {"Authorization": f"Bearer {body['token']}"}

    state = await step(harness, rid, auth, "organization", ORG)
    assert state["step"] == "admin"
    national, e164 = indian_mobile()
    admin = {
        "name": "Asha Rao",
        "email": email,
        "phone": national,  # written nationally: read as a number of the organization's country
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    }
    state = await step(harness, rid, auth, "admin", admin)
    assert state["step"] == "admin"
    assert [p["channel"] for p in state["pending_verifications"]] == ["email", "phone"]
    assert state["pending_verifications"][1]["target"].startswith("+91")
    sms = [m for m in await harness.outbox() if m.recipient == e164]
    assert sms and sms[0].kind is OutboxKind.SMS and sms[0].template == "verification_code"

    r = await c.post(f"/v1/registrations/{rid}/steps/preferences", json=PREFERENCES, headers=auth)
    assert r.status_code == 409 and r.json()["code"] == "STEP_ORDER"
    await confirm(harness, rid, auth, "email", email)
    state = (await c.get(f"/v1/registrations/{rid}", headers=auth)).json()
    assert state["step"] == "admin" and state["pending_verification"]["channel"] == "phone"
    await confirm(harness, rid, auth, "phone", e164)
    state = await step(harness, rid, auth, "preferences", PREFERENCES)
    assert state["step"] == "complete" and state["verified"] == {"email": True, "phone": True}

    out = await complete(harness, rid, auth)
    account, organization = out["account"], out["organization"]
    assert account["email"] == email and account["phone"] == e164
    assert account["email_verified"] is True and account["phone_verified"] is True
    assert (account["first_name"], account["last_name"]) == ("Asha", "Rao")
    assert organization["name"] == "Test University"
    assert organization["slug"].startswith("test-university")
    assert JOIN_CODE.fullmatch(organization["join_code"]), organization["join_code"]
    assert organization["join_policy"] == "open"
    assert organization["settings"]["departments"] == ["Physics", "Mathematics"]
    assert organization["settings"]["timezone"] == "Asia/Kolkata"
    assert organization["settings"]["country"] == "IN"
    assert out["membership"] == {"role": "owner", "status": "active"}
    assert [s["id"] for s in out["next_steps"]] == [
        "complete_profile",
        "add_teachers",
        "configure_settings",
    ]
    token = claims(out["access_token"])
    assert token["org"] == organization["id"] and token["role"] == "owner"

    logged_in = await login(harness, email)
    assert logged_in["org"] == organization["id"] and logged_in["role"] == "owner"
    found = await c.get(f"/v1/organizations/by-code/{organization['join_code'].lower()}")
    assert found.status_code == 200 and found.json() == {"name": "Test University"}


async def test_field_rules(harness: Harness) -> None:
    rid, auth = await harness.start("organization")
    bad = {
        **ORG,
        "name": "Admin",
        "country": "XX",
        "postal_code": "#12",
        "type": "castle",
        "state": "\u200b",
    }
    r = await harness.client.post(
        f"/v1/registrations/{rid}/steps/organization", json=bad, headers=auth
    )
    assert r.status_code == 422
    codes = {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert codes == {
        ("name", "RESERVED_SLUG"),
        ("country", "COUNTRY_INVALID"),
        ("postal_code", "POSTAL_CODE_INVALID"),
        ("type", "INVALID_CHOICE"),
        ("state", "STATE_INVALID"),
    }
    r = await harness.client.post(
        f"/v1/registrations/{rid}/steps/organization",
        json={**ORG, "postal_code": "ABCDE", "owner_id": "x"},
        headers=auth,
    )
    codes = {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert codes == {("postal_code", "POSTAL_CODE_INVALID"), ("owner_id", "UNKNOWN_FIELD")}


async def test_preferences_rules(harness: Harness) -> None:
    rid, auth = await organization_until_complete(harness, unique_email("owner"))
    r = await harness.client.post(
        f"/v1/registrations/{rid}/steps/preferences",
        json={**PREFERENCES, "departments": [], "timezone": "Mars/Olympus", "join_policy": "x"},
        headers=auth,
    )
    assert r.status_code == 422
    codes = {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert codes == {
        ("departments", "REQUIRED"),
        ("timezone", "TIMEZONE_INVALID"),
        ("join_policy", "INVALID_CHOICE"),
    }
    r = await harness.client.post(
        f"/v1/registrations/{rid}/steps/preferences",
        json={**PREFERENCES, "logo": "A" * 32},
        headers=auth,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "LOGO_INVALID"


async def test_same_name_gets_another_slug_and_code(harness: Harness) -> None:
    first = await register_organization(harness, org={**ORG, "name": "Same Name Academy"})
    second = await register_organization(harness, org={**ORG, "name": "same name academy"})
    one, two = first["organization"], second["organization"]
    assert one["slug"] != two["slug"]  # the database is shared: the first may be suffixed too
    assert one["slug"].startswith("same-name-academy")
    assert re.fullmatch(r"same-name-academy-[a-z2-9]{4}", two["slug"]), two["slug"]
    assert one["join_code"] != two["join_code"]


async def test_transliterated_slug(harness: Harness) -> None:
    out = await register_organization(harness, org={**ORG, "name": "Московский университет"})
    assert out["organization"]["slug"].startswith("moskovskii-universitet")
    assert out["organization"]["join_code"].startswith("IN-MOS-")


async def test_lookup_by_code(harness: Harness) -> None:
    c = harness.client
    for code in ("IN-ZZZ-2025-AAAAAA", "not a code", "x" * 64):
        r = await c.get(f"/v1/organizations/by-code/{code}")
        assert r.status_code == 404 and r.json()["code"] == "ORG_CODE_INVALID"
    assert (await c.get(f"/v1/organizations/by-code/{'x' * 65}")).status_code == 422


async def test_lookup_is_throttled_per_client(sqlite_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        sqlite_url, tmp_path, org_lookup_per_minute=3, rate_limits_enabled=True
    )
    async with started_app(settings) as h:
        answers = [
            (await h.client.get("/v1/organizations/by-code/IN-ABC-2025-ABCDEF")) for _ in range(4)
        ]
    assert [r.status_code for r in answers] == [404, 404, 404, 429]
    assert answers[-1].json()["code"] == "RATE_LIMITED"
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
