"""Access tokens: the round trip, and every way a forged or stale token is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from regflow.core.claims import AccessClaims
from regflow.errors import AuthenticationFailed
from regflow.keys.keyring import KeyRing
from regflow.keys.signing import public_jwk
from regflow.keys.tokens import TokenService

from .conftest import AUDIENCE, ISSUER, Clock, MakeRing

CLAIMS = AccessClaims(
    sub="acc_123", email="jo@example.com", email_verified=True, org="org_1", role="owner", ver=3
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: dict[str, Any]) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def good_payload(clock: Clock, **changes: Any) -> dict[str, Any]:
    now = int(clock().timestamp())
    payload = {
        **CLAIMS.to_payload(),
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "jti": "j1",
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not ...}


def sign_with_ring(ring: KeyRing, payload: dict[str, Any], **headers: Any) -> str:
    """A token signed by the ring's real active key: only the rule under test refuses it."""
    kid, key = ring.active()
    alg = "EdDSA" if isinstance(key, Ed25519PrivateKey) else "ES256"
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid, **headers})


@pytest.fixture
async def ring(make_ring: MakeRing) -> KeyRing:
    return await make_ring()


@pytest.fixture
def service(ring: KeyRing, make_service: Callable[..., TokenService]) -> TokenService:
    return make_service(ring)


async def refused(service: TokenService, token: str) -> AuthenticationFailed:
    with pytest.raises(AuthenticationFailed) as caught:
        await service.verify(token)
    assert caught.value.code == "INVALID_TOKEN"
    return caught.value


# --- the round trip ---------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256"])
async def test_issued_token_verifies_to_the_same_claims(
    algorithm: str, make_ring: MakeRing, make_service: Callable[..., TokenService], clock: Clock
) -> None:
    ring = await make_ring(algorithm)
    service = make_service(ring)
    token = service.issue(CLAIMS)

    assert await service.verify(token) == CLAIMS
    header = jwt.get_unverified_header(token)
    assert header == {"alg": algorithm, "kid": ring.active()[0], "typ": "JWT"}
    payload = jwt.decode(token, options={"verify_signature": False})
    now = int(clock().timestamp())
    assert payload["iss"] == ISSUER and payload["aud"] == AUDIENCE
    assert payload["iat"] == payload["nbf"] == now and payload["exp"] == now + 900
    assert len(payload["jti"]) >= 22


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256"])
async def test_issued_tokens_are_what_pyjwt_makes_byte_for_byte(
    algorithm: str, make_ring: MakeRing, make_service: Callable[..., TokenService]
) -> None:
    """The header is encoded once per key; each token is still ``jwt.encode``'s own
    (Ed25519 signatures are deterministic; ECDSA's are not, so ES256 compares the
    signed part and checks the signature)."""
    ring = await make_ring(algorithm)
    service = make_service(ring)
    for claims in (CLAIMS, CLAIMS.model_copy(update={"org": None, "role": None})):
        for _ in range(2):  # the second token is signed by the signer the first one made
            token = service.issue(claims, {"sid": "s1"})
            kid, key = ring.active()
            payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
            headers = {"kid": kid, "typ": "JWT"}
            expected = jwt.encode(payload, key, algorithm=algorithm, headers=headers)
            if algorithm == "ES256":
                assert token.rsplit(".", 1)[0] == expected.rsplit(".", 1)[0]
                assert await service.verify(token) == claims
            else:
                assert token == expected


async def test_each_token_has_its_own_jti(service: TokenService) -> None:
    first, second = (
        jwt.decode(service.issue(CLAIMS), options={"verify_signature": False}) for _ in range(2)
    )
    assert first["jti"] != second["jti"]


async def test_claims_without_organization_round_trip(service: TokenService) -> None:
    claims = AccessClaims(sub="acc_9", email="a@b.example", email_verified=False, ver=0)
    assert await service.verify(service.issue(claims)) == claims


async def test_token_verifies_within_its_lifetime_and_leeway(
    service: TokenService, clock: Clock
) -> None:
    token = service.issue(CLAIMS)
    clock.advance(900 + 4)
    assert await service.verify(token) == CLAIMS


# --- refusals ---------------------------------------------------------------------------


async def test_expired_token_is_refused(service: TokenService, clock: Clock) -> None:
    token = service.issue(CLAIMS)
    clock.advance(900 + 5)
    error = await refused(service, token)
    assert "expired" in error.message


async def test_token_not_yet_valid_is_refused(
    ring: KeyRing, service: TokenService, clock: Clock
) -> None:
    now = int(clock().timestamp())
    await refused(service, sign_with_ring(ring, good_payload(clock, nbf=now + 60)))


async def test_token_issued_in_the_future_is_refused(
    ring: KeyRing, service: TokenService, clock: Clock
) -> None:
    now = int(clock().timestamp())
    await refused(service, sign_with_ring(ring, good_payload(clock, iat=now + 60, nbf=now)))


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "iss", "aud"])
async def test_token_missing_a_required_claim_is_refused(
    claim: str, ring: KeyRing, service: TokenService, clock: Clock
) -> None:
    assert await service.verify(sign_with_ring(ring, good_payload(clock))) == CLAIMS
    await refused(service, sign_with_ring(ring, good_payload(clock, **{claim: ...})))


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400", '"2099-01-01"', "true"])
async def test_token_with_a_nonsense_expiry_is_refused(
    value: str, ring: KeyRing, service: TokenService, clock: Clock
) -> None:
    kid, key = ring.active()
    body = json.dumps(good_payload(clock, exp=...))[:-1] + f', "exp": {value}}}'
    token = jwt.PyJWS().encode(body.encode(), key, algorithm="EdDSA", headers={"kid": kid})
    await refused(service, token)


async def test_wrong_issuer_is_refused(
    ring: KeyRing, make_service: Callable[..., TokenService], service: TokenService
) -> None:
    token = make_service(ring, issuer="https://evil.example").issue(CLAIMS)
    await refused(service, token)


async def test_wrong_audience_is_refused(
    ring: KeyRing, make_service: Callable[..., TokenService], service: TokenService
) -> None:
    token = make_service(ring, audience="another-service").issue(CLAIMS)
    await refused(service, token)


async def test_tampered_payload_is_refused(service: TokenService) -> None:
    header, payload, signature = service.issue(CLAIMS).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"], claims["sub"] = "owner", "acc_someone_else"
    await refused(service, f"{header}.{b64json(claims)}.{signature}")


async def test_tampered_signature_is_refused(service: TokenService) -> None:
    header, payload, signature = service.issue(CLAIMS).split(".")
    flipped = b64(bytes(b ^ 1 for b in base64.urlsafe_b64decode(signature + "==")))
    await refused(service, f"{header}.{payload}.{flipped}")


async def test_alg_none_is_refused(ring: KeyRing, service: TokenService, clock: Clock) -> None:
    header = {"alg": "none", "kid": ring.active()[0], "typ": "JWT"}
    unsigned = f"{b64json(header)}.{b64json(good_payload(clock))}."
    await refused(service, unsigned)
    await refused(service, unsigned + "c2ln")


@pytest.mark.parametrize(
    ("alg", "digest"),
    [("HS256", hashlib.sha256), ("HS384", hashlib.sha384), ("HS512", hashlib.sha512)],
)
@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256"])
async def test_hmac_signed_with_the_public_key_is_refused(
    alg: str,
    digest: Any,
    algorithm: str,
    make_ring: MakeRing,
    make_service: Callable[..., TokenService],
    clock: Clock,
) -> None:
    ring = await make_ring(algorithm)
    service = make_service(ring)
    kid, private = ring.active()
    public = private.public_key()
    secrets_tried = [
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        json.dumps(public_jwk(public, kid=kid, algorithm=algorithm)).encode(),
    ]
    for secret in secrets_tried:
        # PyJWT refuses a PEM as an HMAC secret, so the confused token is built by hand.
        signing_input = f"{b64json({'alg': alg, 'kid': kid, 'typ': 'JWT'})}."
        signing_input += b64json(good_payload(clock))
        mac = hmac.new(secret, signing_input.encode(), digest).digest()
        await refused(service, f"{signing_input}.{b64(mac)}")


async def test_alg_other_than_the_keys_own_is_refused(ring: KeyRing, service: TokenService) -> None:
    _, payload, signature = service.issue(CLAIMS).split(".")
    forged = {"alg": "ES256", "kid": ring.active()[0], "typ": "JWT"}
    await refused(service, f"{b64json(forged)}.{payload}.{signature}")


@pytest.mark.parametrize(
    "extra",
    [
        {"jku": "https://evil.example/jwks.json"},
        {"x5u": "https://evil.example/cert.pem"},
        {"x5c": ["MIIBszCCAVmgAwIBAgIU"]},
        {
            "jwk": {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            }
        },
    ],
    ids=["jku", "x5u", "x5c", "jwk"],
)
async def test_header_naming_its_own_key_is_refused(
    extra: dict[str, Any], ring: KeyRing, service: TokenService, clock: Clock
) -> None:
    # Signed by the real key: the header parameter alone is the reason for refusal.
    await refused(service, sign_with_ring(ring, good_payload(clock), **extra))


async def test_unknown_kid_is_refused(service: TokenService, clock: Clock) -> None:
    attacker = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(good_payload(clock), attacker, algorithm="ES256", headers={"kid": "mine"})
    await refused(service, token)


async def test_foreign_key_under_a_known_kid_is_refused(
    ring: KeyRing, service: TokenService, clock: Clock
) -> None:
    attacker = Ed25519PrivateKey.generate()
    headers = {"kid": ring.active()[0]}
    token = jwt.encode(good_payload(clock), attacker, algorithm="EdDSA", headers=headers)
    await refused(service, token)


@pytest.mark.parametrize("kid", [None, 7, "", "k" * 129, ["a"]])
async def test_missing_or_malformed_kid_is_refused(
    kid: Any, ring: KeyRing, service: TokenService, clock: Clock
) -> None:
    _, key = ring.active()
    assert isinstance(key, Ed25519PrivateKey)
    # PyJWT will not encode a non-string kid, so the token is signed by hand.
    header = {"alg": "EdDSA", "typ": "JWT"} | ({} if kid is None else {"kid": kid})
    signing_input = f"{b64json(header)}.{b64json(good_payload(clock))}"
    await refused(service, f"{signing_input}.{b64(key.sign(signing_input.encode()))}")


@pytest.mark.parametrize(
    "changes",
    [{"role": "superuser"}, {"org": None}, {"ver": "3"}, {"email_verified": 1}, {"sub": ""}],
    ids=["unknown-role", "role-without-org", "ver-string", "verified-int", "empty-sub"],
)
async def test_token_with_invalid_application_claims_is_refused(
    changes: dict[str, Any], ring: KeyRing, service: TokenService, clock: Clock
) -> None:
    await refused(service, sign_with_ring(ring, good_payload(clock, **changes)))


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "..", "e30.e30.", "x" * 9000])
async def test_garbage_is_refused(token: str, service: TokenService) -> None:
    await refused(service, token)


# --- AccessClaims -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"sub": ""},
        {"sub": " acc"},
        {"role": "root"},
        {"org": None},
        {"ver": -1},
        {"org": ""},
        {"amr": "pwd"},
    ],
)
def test_claims_are_validated_on_construction(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        AccessClaims.model_validate({**CLAIMS.to_payload(), **changes})


def test_claims_are_frozen_and_serialise_every_claim() -> None:
    with pytest.raises(ValidationError):
        CLAIMS.role = "admin"  # type: ignore[misc]
    assert CLAIMS.to_payload() == {
        "sub": "acc_123",
        "email": "jo@example.com",
        "email_verified": True,
        "org": "org_1",
        "role": "owner",
        "ver": 3,
        "amr": ["pwd"],
    }
