"""regflow as an OpenID Provider, in-process on SQLite and PostgreSQL: the happy path and
every refusal (redirect mismatch, unknown client, code replay, refresh replay, PKCE
mismatch, expired session, token-version bump)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest

from support import oidc
from support.harness import Harness, make_settings, started_app
from support.orgs import (
    complete,
    organization_until_complete,
    register_organization,
    unique_email,
)


@pytest.fixture
async def op(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    settings = make_settings(
        db_url,
        tmp_path,
        public_url="https://id.test",
        oidc_clients=oidc.clients(),
        session_idle_seconds=600,
    )
    async with started_app(settings) as h:
        h.client.base_url = httpx.URL("https://id.test")
        yield h


async def owner(h: Harness) -> tuple[str, dict[str, object]]:
    email = unique_email("owner")
    body = await register_organization(h, email)
    await oidc.sign_in(h, email)
    return email, body


def move_clock(h: Harness, by: timedelta) -> None:
    moment = datetime.now(UTC) + by
    h.runtime.services.ctx.clock = lambda: moment


async def test_discovery_names_every_endpoint(op: Harness) -> None:
    r = await op.client.get("/.well-known/openid-configuration")
    meta = r.json()
    assert meta["issuer"] == "https://id.test"
    for name, path in (
        ("authorization_endpoint", "/oauth2/authorize"),
        ("token_endpoint", "/oauth2/token"),
        ("userinfo_endpoint", "/oauth2/userinfo"),
        ("revocation_endpoint", "/oauth2/revoke"),
        ("end_session_endpoint", "/oauth2/logout"),
        ("jwks_uri", "/.well-known/jwks.json"),
    ):
        assert meta[name] == "https://id.test" + path
    assert meta["code_challenge_methods_supported"] == ["S256"]
    # OpenID Connect Discovery: RS256 must be there; the access tokens' EdDSA may be chosen
    assert meta["id_token_signing_alg_values_supported"] == ["RS256", "EdDSA"]
    jwks = (await op.client.get("/.well-known/jwks.json")).json()
    assert sorted((k["kty"], k["alg"]) for k in jwks["keys"]) == [
        ("OKP", "EdDSA"),
        ("RSA", "RS256"),
    ]
    assert not any("d" in k or "p" in k for k in jwks["keys"])  # public halves only
    assert "create" in meta["prompt_values_supported"]


async def test_code_pkce_tokens_userinfo_and_rotation(op: Harness) -> None:
    email, body = await owner(op)
    verifier, challenge = oidc.pkce()
    code = await oidc.code_for(op, challenge)
    r = await oidc.exchange(op, code, verifier)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    tokens = r.json()
    jwks = (await op.client.get("/.well-known/jwks.json")).json()
    header = jwt.get_unverified_header(tokens["id_token"])
    assert header["alg"] == "RS256"  # the client registered no algorithm: the default
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == header["kid"]))
    assert key.key_type == "RSA"
    id_token = jwt.decode(
        tokens["id_token"],
        key,
        algorithms=["RS256"],
        audience="app",
        issuer="https://id.test",
    )
    organization = body["organization"]
    assert isinstance(organization, dict)
    assert id_token["email"] == email and id_token["email_verified"] is True
    assert id_token["org"] == organization["id"] and id_token["org_slug"] == organization["slug"]
    assert id_token["role"] == "owner" and id_token["amr"] == ["pwd"]
    access = oidc.payload(tokens["access_token"])
    assert (access["sub"], access["org_slug"], access["role"]) == (
        id_token["sub"],
        organization["slug"],
        "owner",
    )
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    info = (await op.client.get("/oauth2/userinfo", headers=auth)).json()
    assert info["sub"] == id_token["sub"] and info["org_slug"] == organization["slug"]
    rotated = await oidc.refresh(op, tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["refresh_token"] != tokens["refresh_token"]
    again = await oidc.refresh(op, rotated.json()["refresh_token"])
    assert again.status_code == 200


async def test_a_replayed_refresh_token_ends_the_whole_family(op: Harness) -> None:
    await owner(op)
    verifier, challenge = oidc.pkce()
    tokens = (await oidc.exchange(op, await oidc.code_for(op, challenge), verifier)).json()
    rotated = (await oidc.refresh(op, tokens["refresh_token"])).json()
    replay = await oidc.refresh(op, tokens["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    later = await oidc.refresh(op, rotated["refresh_token"])  # the thief's or the owner's
    assert later.status_code == 400
    auth = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert (await op.client.get("/oauth2/userinfo", headers=auth)).status_code == 401


async def test_a_replayed_code_is_refused_and_revokes_what_it_issued(op: Harness) -> None:
    await owner(op)
    verifier, challenge = oidc.pkce()
    code = await oidc.code_for(op, challenge)
    first = await oidc.exchange(op, code, verifier)
    assert first.status_code == 200
    second = await oidc.exchange(op, code, verifier)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert (await oidc.refresh(op, first.json()["refresh_token"])).status_code == 400


async def test_a_code_expires_within_a_minute(op: Harness) -> None:
    await owner(op)
    verifier, challenge = oidc.pkce()
    code = await oidc.code_for(op, challenge)
    move_clock(op, timedelta(seconds=61))
    r = await oidc.exchange(op, code, verifier)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


async def test_pkce_mismatch_missing_and_plain_are_refused(op: Harness) -> None:
    await owner(op)
    _, challenge = oidc.pkce()
    code = await oidc.code_for(op, challenge)
    wrong, _ = oidc.pkce()
    r = await oidc.exchange(op, code, wrong)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    without = oidc.params(challenge)
    del without["code_challenge"], without["code_challenge_method"]
    r = await op.client.get("/oauth2/authorize", params=without)
    answer = oidc.query(r.headers["location"])
    assert answer["error"] == "invalid_request" and "code" not in answer
    plain = oidc.params(challenge, code_challenge_method="plain")
    r = await op.client.get("/oauth2/authorize", params=plain)
    assert oidc.query(r.headers["location"])["error"] == "invalid_request"


@pytest.mark.parametrize(
    "change",
    [
        {"redirect_uri": oidc.APP + "/"},
        {"redirect_uri": "https://evil.test/callback"},
        {"redirect_uri": oidc.APP.upper()},
        {"client_id": "nobody"},
        {"redirect_uri": ""},
    ],
)
async def test_an_unknown_client_or_redirect_uri_gets_a_page_never_a_redirect(
    op: Harness, change: dict[str, str]
) -> None:
    await owner(op)
    _, challenge = oidc.pkce()
    r = await op.client.get("/oauth2/authorize", params=oidc.params(challenge, **change))
    assert r.status_code == 400 and "location" not in r.headers
    assert "not valid" in r.text


async def test_without_a_session_authorize_asks_to_sign_in_then_continues(op: Harness) -> None:
    email = unique_email("owner")
    await register_organization(op, email)
    _, challenge = oidc.pkce()
    r = await op.client.get("/oauth2/authorize", params=oidc.params(challenge))
    assert r.status_code == 303 and r.headers["location"].startswith("/sign-in?next=")
    page = await op.client.get(r.headers["location"])
    assert "prompt=create" in page.text  # "Create an account" goes into the flow
    token = oidc.CSRF.search(page.text)
    assert token
    nxt = oidc.query("/x?" + r.headers["location"].split("?", 1)[1])["next"]
    signed = await op.client.post(
        "/sign-in",
        data={"email": email, "password": oidc.PASSWORD, "csrf": token.group(1), "next": nxt},
    )
    assert signed.status_code == 303 and signed.headers["location"] == nxt
    back = await op.client.get(nxt)
    assert back.headers["location"].startswith(oidc.APP + "?code=")


async def test_an_expired_session_asks_again(op: Harness) -> None:
    await owner(op)
    move_clock(op, timedelta(minutes=11))  # idle lifetime 10 minutes
    _, challenge = oidc.pkce()
    r = await op.client.get("/oauth2/authorize", params=oidc.params(challenge))
    assert r.headers["location"].startswith("/sign-in?next=")
    none = await op.client.get("/oauth2/authorize", params=oidc.params(challenge, prompt="none"))
    assert oidc.query(none.headers["location"])["error"] == "login_required"


async def test_prompt_login_and_max_age_ask_again_despite_a_session(op: Harness) -> None:
    await owner(op)
    _, challenge = oidc.pkce()
    r = await op.client.get("/oauth2/authorize", params=oidc.params(challenge, prompt="login"))
    assert r.headers["location"].startswith("/sign-in?next=")
    assert "prompt%3Dlogin" not in r.headers["location"]  # no loop after signing in
    move_clock(op, timedelta(seconds=120))
    r = await op.client.get("/oauth2/authorize", params=oidc.params(challenge, max_age="60"))
    assert r.headers["location"].startswith("/sign-in?next=")


async def test_prompt_create_opens_sign_up_and_its_end_returns_to_the_app(op: Harness) -> None:
    _, challenge = oidc.pkce()
    wanted = oidc.params(challenge, prompt="create")
    r = await op.client.get("/oauth2/authorize", params=wanted)
    assert r.status_code == 303 and r.headers["location"] == "/register/organization"
    email = unique_email("owner")
    rid, auth = await organization_until_complete(op, email)
    token = auth["Authorization"].removeprefix("Bearer ")
    op.client.cookies.set("__Host-regflow-reg-organization", f"{rid}.{token}")
    done = await op.client.post(
        "/register/organization/complete", data={"csrf": await oidc.csrf(op)}
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/oauth2/authorize?")
    back = await op.client.get(done.headers["location"])
    answer = oidc.query(back.headers["location"])
    assert back.headers["location"].startswith(oidc.APP) and answer["state"] == wanted["state"]


async def test_a_third_party_client_asks_for_consent(op: Harness) -> None:
    await owner(op)
    wanted = {
        "response_type": "code",
        "client_id": "partner",
        "redirect_uri": oidc.PARTNER,
        "scope": "openid email",
        "state": "s1",
    }
    silent = await op.client.get("/oauth2/authorize", params={**wanted, "prompt": "none"})
    assert oidc.query(silent.headers["location"])["error"] == "consent_required"
    page = await op.client.get("/oauth2/authorize", params=wanted)
    assert page.status_code == 200 and "Allow" in page.text
    token = oidc.CSRF.search(page.text)
    assert token
    deny = await op.client.post(
        "/oauth2/authorize", data={**wanted, "csrf": token.group(1), "decision": "deny"}
    )
    assert oidc.query(deny.headers["location"])["error"] == "access_denied"
    allow = await op.client.post(
        "/oauth2/authorize", data={**wanted, "csrf": token.group(1), "decision": "allow"}
    )
    code = oidc.query(allow.headers["location"])["code"]
    base = {"grant_type": "authorization_code", "code": code, "redirect_uri": oidc.PARTNER}
    wrong = await op.client.post("/oauth2/token", data=base, auth=("partner", "not the secret"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    right = await op.client.post("/oauth2/token", data=base, auth=("partner", oidc.PARTNER_SECRET))
    assert right.status_code == 200 and "id_token" in right.json()
    # this client registered EdDSA for its ID tokens: signed so, verifiable with the JWKS
    id_token = right.json()["id_token"]
    header = jwt.get_unverified_header(id_token)
    jwks = (await op.client.get("/.well-known/jwks.json")).json()
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == header["kid"]))
    assert header["alg"] == "EdDSA"
    claims = jwt.decode(id_token, key, algorithms=["EdDSA"], audience="partner")
    assert claims["iss"] == "https://id.test"


async def test_a_token_version_bump_ends_refresh_tokens_and_userinfo(op: Harness) -> None:
    await owner(op)
    verifier, challenge = oidc.pkce()
    tokens = (await oidc.exchange(op, await oidc.code_for(op, challenge), verifier)).json()
    sub = oidc.payload(tokens["access_token"])["sub"]
    async with op.runtime.uow() as uow:
        await uow.accounts.bump_token_version(sub)
        await uow.commit()
    assert (await oidc.refresh(op, tokens["refresh_token"])).status_code == 400
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await op.client.get("/oauth2/userinfo", headers=auth)).status_code == 401


async def test_revocation_and_logout(op: Harness) -> None:
    await owner(op)
    verifier, challenge = oidc.pkce()
    tokens = (await oidc.exchange(op, await oidc.code_for(op, challenge), verifier)).json()
    r = await op.client.post(
        "/oauth2/revoke", data={"token": tokens["refresh_token"], "client_id": "app"}
    )
    assert r.status_code == 200
    assert (await oidc.refresh(op, tokens["refresh_token"])).status_code == 400
    tokens = (await oidc.exchange(op, await oidc.code_for(op, challenge), verifier)).json()
    bye = await op.client.get(
        "/oauth2/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": oidc.APP_BYE,
            "state": "bye",
        },
    )
    assert bye.headers["location"] == oidc.APP_BYE + "?state=bye"
    assert (await oidc.refresh(op, tokens["refresh_token"])).status_code == 400
    r = await op.client.get("/oauth2/authorize", params=oidc.params(challenge))
    assert r.headers["location"].startswith("/sign-in?")  # the login session ended too
    elsewhere = await op.client.get(
        "/oauth2/logout", params={"post_logout_redirect_uri": "https://evil.test/"}
    )
    assert elsewhere.status_code == 200 and "location" not in elsewhere.headers


async def test_hostile_token_requests_are_4xx(op: Harness) -> None:
    for data in (
        {"grant_type": "authorization_code", "code": "x" * 5000, "client_id": "app"},
        {"grant_type": "password", "username": "a", "password": "b", "client_id": "app"},
        {"grant_type": "refresh_token", "refresh_token": "\x00", "client_id": "app"},
        {},
    ):
        r = await op.client.post("/oauth2/token", data=data)
        assert 400 <= r.status_code < 500, (data, r.text)
    r = await op.client.post("/oauth2/token", json={"grant_type": "authorization_code"})
    assert r.status_code == 400


async def test_a_member_without_an_organization_gets_null_org_claims(op: Harness) -> None:
    email = unique_email("member")
    await complete(op, *await op.member_until_complete(email))
    await oidc.sign_in(op, email)
    verifier, challenge = oidc.pkce()
    tokens = (await oidc.exchange(op, await oidc.code_for(op, challenge), verifier)).json()
    claims = oidc.payload(tokens["id_token"])
    assert claims["org"] is None and claims["role"] is None and claims["email"] == email


async def test_an_organization_requiring_two_factor_is_withheld_without_otp(
    op: Harness,
) -> None:
    _, body = await owner(op)  # a hosted session signed in with the password only
    organization = body["organization"]
    assert isinstance(organization, dict)
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    r = await op.client.patch(
        f"/v1/organizations/{organization['id']}", json={"two_factor": True}, headers=auth
    )
    assert r.status_code == 200, r.text
    verifier, challenge = oidc.pkce()
    tokens = (await oidc.exchange(op, await oidc.code_for(op, challenge), verifier)).json()
    for token in (tokens["id_token"], tokens["access_token"]):
        claims = oidc.payload(token)
        assert claims["org"] is None and claims["role"] is None and claims["amr"] == ["pwd"]


async def test_forms_may_end_at_the_clients_origins_and_nowhere_else(op: Harness) -> None:
    csp = (await op.client.get("/sign-in")).headers["content-security-policy"]
    action = next(p for p in csp.split("; ") if p.startswith("form-action"))
    assert action.split() == [
        "form-action",
        "'self'",
        "https://app.test",
        "https://partner.test",
    ]
