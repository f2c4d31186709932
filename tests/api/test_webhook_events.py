"""Webhook events written with the change, delivered signed; the outbox for the operator.

The app runs in-process on each backend with two webhook subscribers; events
are read from the real outbox, then delivered by the real worker to a local
HTTP receiver and verified with the ``standardwebhooks`` reference library.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook
from typer.testing import CliRunner, Result

from regflow.cli.main import cli
from regflow.core.model import OutboxKind, OutboxMessage, OutboxStatus
from support.harness import PASSWORD, Harness, make_settings, started_app
from support.http_sink import HttpSink
from support.orgs import complete, person_until_complete, register_organization, unique_email

ADMIN_TOKEN = "operator-token-0123456789abcdef"
SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
APPROVALS = "http://127.0.0.1:9/approvals-only"  # never reached: only counted


@pytest.fixture
async def hooks() -> AsyncIterator[HttpSink]:
    with HttpSink() as sink:
        yield sink


@pytest.fixture
async def h(db_url: str, tmp_path: Path, hooks: HttpSink) -> AsyncIterator[Harness]:
    webhooks = [
        {"url": hooks.url("/hooks"), "secret": SECRET},
        {
            "url": APPROVALS,
            "secret": SECRET,
            "events": ["membership.approved", "membership.rejected"],
        },
    ]
    settings = make_settings(
        db_url, tmp_path, webhooks=webhooks, admin_token=ADMIN_TOKEN, outbox_max_attempts=1
    )
    async with started_app(settings) as harness:
        yield harness


async def events(h: Harness, url: str, **data: Any) -> list[OutboxMessage]:
    """Webhook rows to ``url`` whose data contains ``data``, oldest first."""
    rows = [m for m in await h.outbox() if m.kind is OutboxKind.WEBHOOK and m.recipient == url]
    found = [m for m in rows if all(m.context["data"].get(k) == v for k, v in data.items())]
    return sorted(found, key=lambda m: (m.created_at, m.template))


async def test_events_are_written_with_the_change_and_verify_when_delivered(
    h: Harness, hooks: HttpSink
) -> None:
    owner_email = unique_email("owner")
    owner = await register_organization(
        h,
        owner_email,
        preferences={"structure": "single", "timezone": "UTC", "join_policy": "approval"},
    )
    org_id = owner["organization"]["id"]
    url = hooks.url("/hooks")
    created = await events(h, url, owner_account_id=owner["account"]["id"])
    assert [m.template for m in created] == ["organization.created"]
    assert created[0].context["data"]["organization"]["id"] == org_id
    [completed] = [
        m
        for m in await events(h, url, flow="organization")
        if m.context["data"]["account"]["id"] == owner["account"]["id"]
    ]
    assert completed.context["data"]["membership"]["role"] == "owner"
    assert completed.context["data"]["account"]["email"] == owner_email

    student_email = unique_email("student")
    rid, auth = await person_until_complete(
        h, "student", student_email, org_code=owner["organization"]["join_code"]
    )
    student = await complete(h, rid, auth)
    [requested] = await events(h, url, account_id=student["account"]["id"])
    assert requested.template == "membership.requested"
    assert requested.context["data"]["status"] == "pending"
    assert requested.context["data"]["email"] == student_email

    admin = {"Authorization": f"Bearer {owner['access_token']}"}
    members = await h.client.get(
        f"/v1/organizations/{org_id}/members?status=pending", headers=admin
    )
    [member] = members.json()["members"]
    r = await h.client.post(
        f"/v1/organizations/{org_id}/members/{member['id']}/approve", headers=admin
    )
    assert r.status_code == 200
    [_, approved] = await events(h, url, account_id=student["account"]["id"])
    assert approved.template == "membership.approved"
    assert approved.context["data"]["status"] == "active"
    assert approved.context["data"]["decided_by"] == owner["account"]["id"]
    # the second subscriber asked for decisions only
    assert [m.template for m in await events(h, APPROVALS)] == ["membership.approved"]
    everything = json.dumps([m.context for m in await h.outbox() if m.kind is OutboxKind.WEBHOOK])
    assert "password" not in everything and "$argon2" not in everything

    # a refused step writes nothing: webhooks only follow committed changes
    before = len(await h.outbox())
    r = await h.client.post(
        f"/v1/organizations/{org_id}/members/{member['id']}/reject", headers=admin
    )
    assert r.status_code == 409 and len(await h.outbox()) == before

    # delivery: the worker signs; the reference library verifies every request
    await drain(h)
    ours = [m for m in await h.outbox() if m.recipient == url]
    received = hooks.wait(len(ours))
    verified = [Webhook(SECRET).verify(req.body, req.headers) for req in received]
    assert sorted(p["type"] for p in verified) == sorted(m.template for m in ours)
    assert {req.headers["webhook-id"] for req in received} == {m.id for m in ours}
    rows = {m.id: m for m in await h.outbox()}
    assert all(rows[m.id].status is OutboxStatus.SENT for m in ours)
    [dead] = [m for m in rows.values() if m.recipient == APPROVALS]
    assert dead.status is OutboxStatus.DEAD and "unavailable" in (dead.last_error or "")


async def test_an_account_accepting_an_invitation_is_an_approved_membership(
    h: Harness, hooks: HttpSink
) -> None:
    owner = await register_organization(h, unique_email("owner"))
    org_id = owner["organization"]["id"]
    email = unique_email("member")
    rid, auth = await h.member_until_complete(email)
    member = await complete(h, rid, auth)
    admin = {"Authorization": f"Bearer {owner['access_token']}"}
    r = await h.client.post(
        f"/v1/organizations/{org_id}/invitations",
        json={"email": email, "role": "admin"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    invitation_id = r.json()["id"]
    [mail] = [m for m in await h.outbox() if m.recipient == email and m.template == "invitation"]
    link = str(mail.context["link"]).rsplit("/", 1)[1]
    login = await h.client.post("/v1/sessions", json={"email": email, "password": PASSWORD})
    access = {"Authorization": f"Bearer {login.json()['access_token']}"}
    r = await h.client.post(f"/v1/invitations/{link}", headers=access)
    assert r.status_code == 201, r.text
    for url in (hooks.url("/hooks"), APPROVALS):
        [approved] = await events(h, url, invitation_id=invitation_id)
        assert approved.template == "membership.approved"
        assert approved.context["data"] == {
            "membership_id": r.json()["membership"]["id"],
            "organization_id": org_id,
            "account_id": member["account"]["id"],
            "role": "admin",
            "status": "active",
            "email": email,
            "decided_by": owner["account"]["id"],
            "invitation_id": invitation_id,
        }


async def drain(h: Harness) -> None:
    while await h.runtime.worker.run_once():
        pass


async def test_the_operator_lists_and_requeues_the_outbox(h: Harness, db_url: str) -> None:
    await register_organization(h, unique_email("owner"))
    await drain(h)  # the subscriber at APPROVALS never answers: with one attempt, dead
    r = await h.client.get("/v1/admin/outbox")
    assert r.status_code == 401 and r.json()["code"] == "INVALID_TOKEN"
    operator = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    r = await h.client.get("/v1/admin/outbox?status=sent&limit=5", headers=operator)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["statuses"] == ["sent"] and 1 <= len(body["messages"]) <= 5
    assert body["counts"]["sent"] >= 3  # two codes and the webhooks at least
    listed = json.dumps(body)
    assert "@example.com" in listed and "owner-" not in listed  # addresses masked
    assert "code" not in {k for m in body["messages"] for k in m}  # never the content
    codes = [m.context.get("code") for m in await h.outbox() if m.context.get("code")]
    assert all(str(code) not in listed for code in codes)
    r = await h.client.get("/v1/admin/outbox?status=lost", headers=operator)
    assert r.status_code == 422

    # a dead message, requeued through the API, is delivered again
    async with h.runtime.uow() as uow:
        dead = OutboxMessage(
            id="msg_" + secrets.token_hex(16),
            kind=OutboxKind.WEBHOOK,
            recipient="http://127.0.0.1:9/gone",
            template="registration.completed",
            context={"type": "registration.completed", "data": {}},
            created_at=h.runtime.services.ctx.clock(),
            available_at=h.runtime.services.ctx.clock(),
        )
        await uow.outbox.add(dead)
        await uow.commit()
    await drain(h)
    r = await h.client.get("/v1/admin/outbox?status=dead", headers=operator)
    dead_ids = [m["id"] for m in r.json()["messages"]]
    assert dead.id in dead_ids
    [row] = [m for m in r.json()["messages"] if m["id"] == dead.id]
    assert row["last_error"] == "no webhook endpoint is configured for this URL"
    r = await h.client.post(f"/v1/admin/outbox/{dead.id}/requeue", headers=operator)
    assert r.status_code == 200 and r.json() == {"requeued": 1}
    r = await h.client.post(f"/v1/admin/outbox/{dead.id}/requeue", headers=operator)
    assert r.status_code == 404 and r.json()["code"] == "MESSAGE_NOT_FOUND"
    assert {m.id: m for m in await h.outbox()}[dead.id].status is OutboxStatus.PENDING

    # the CLI reads the same database
    env = {"REGFLOW_DATABASE_URL": db_url, "REGFLOW_SECRET_KEY": "test-secret-key-0123456789"}
    runner = CliRunner()

    async def invoke(*args: str) -> Result:  # the CLI runs its own event loop
        return await asyncio.to_thread(runner.invoke, cli, list(args), env=env)

    shown = await invoke("outbox")
    assert shown.exit_code == 0, shown.output
    assert "pending" in shown.output and dead.id in shown.output
    assert all(str(code) not in shown.output for code in codes)
    await drain(h)  # dead again
    moved = await invoke("outbox", "requeue", "--all-dead")
    assert moved.exit_code == 0 and moved.output.startswith("requeued ")
    assert {m.id: m for m in await h.outbox()}[dead.id].status is OutboxStatus.PENDING
    missing = await invoke("outbox", "requeue", "msg_nope")
    assert missing.exit_code == 1
    as_json = await invoke("outbox", "--json", "--status", "sent")
    assert json.loads(as_json.output)["statuses"] == ["sent"]

    # the Prometheus counters count what the worker did
    metrics = (await h.client.get("/metrics")).text
    assert 'regflow_outbox_deliveries_total{kind="webhook",outcome="sent"}' in metrics
    assert 'regflow_outbox_deliveries_total{kind="webhook",outcome="dead"}' in metrics
    assert 'regflow_outbox_deliveries_total{kind="email",outcome="sent"}' in metrics
