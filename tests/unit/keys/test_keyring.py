"""Signing keys and the key ring: encrypted storage, rotation, JWKS, cross-process reloads."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime
from types import TracebackType

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from regflow.core.claims import AccessClaims
from regflow.core.model import SigningKey
from regflow.keys.keyring import KeyRing, UnitOfWorkKeyStore
from regflow.keys.signing import generate_signing_key, load_private_key, load_public_key
from regflow.keys.tokens import TokenService

from .conftest import SECRET, Clock, MakeRing, MemoryKeyStore

CLAIMS = AccessClaims(sub="acc_1", email="jo@example.com", email_verified=True, ver=0)


def kid_of(token: str) -> str:
    kid = jwt.get_unverified_header(token)["kid"]
    assert isinstance(kid, str)
    return kid


# --- signing keys -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("EdDSA", {"kty": "OKP", "crv": "Ed25519"}),
        ("ES256", {"kty": "EC", "crv": "P-256"}),
        ("RS256", {"kty": "RSA", "e": "AQAB"}),
    ],
)
def test_generated_key_publishes_a_public_jwk(
    algorithm: str, expected: dict[str, str], clock: Clock
) -> None:
    key = generate_signing_key(clock(), SECRET, algorithm)
    assert key.algorithm == algorithm and key.active and key.created_at == clock()
    assert len(key.kid) >= 22
    assert key.public_jwk.items() >= {**expected, "kid": key.kid, "alg": algorithm}.items()
    assert key.public_jwk["use"] == "sig"
    assert "d" not in key.public_jwk
    private = load_private_key(key, SECRET)
    assert private.public_key() == load_public_key(key)


def test_private_pem_is_encrypted_with_the_secret(clock: Clock) -> None:
    key = generate_signing_key(clock(), SECRET)
    assert key.private_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(key.private_pem, password=None)
    with pytest.raises(ValueError, match="wrong secret"):
        load_private_key(key, b"another-secret")


@pytest.mark.parametrize("algorithm", ["HS256", "RS384", "PS256", "none", "ES384"])
def test_only_allow_listed_algorithms_are_generated(algorithm: str, clock: Clock) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        generate_signing_key(clock(), SECRET, algorithm)


def test_key_generation_needs_a_secret_and_an_aware_time(clock: Clock) -> None:
    with pytest.raises(ValueError, match="secret"):
        generate_signing_key(clock(), b"")
    with pytest.raises(ValueError, match="timezone"):
        generate_signing_key(datetime(2026, 1, 1), SECRET)  # noqa: DTZ001


def test_public_jwk_that_does_not_match_the_key_is_refused(clock: Clock) -> None:
    key = generate_signing_key(clock(), SECRET)
    key.public_jwk["alg"] = "ES256"
    with pytest.raises(ValueError, match="inconsistent"):
        load_public_key(key)


# --- the ring ---------------------------------------------------------------------------


async def test_load_creates_the_first_key_once(make_ring: MakeRing, store: MemoryKeyStore) -> None:
    ring = await make_ring()
    assert [k.active for k in store.keys] == [True]
    assert ring.active()[0] == store.keys[0].kid
    await make_ring()
    assert len(store.keys) == 1


async def test_a_ring_needs_load_before_use(store: MemoryKeyStore, clock: Clock) -> None:
    ring = KeyRing(store, SECRET, clock)
    with pytest.raises(RuntimeError):
        ring.active()
    with pytest.raises(RuntimeError):
        await ring.public_key("any")


async def test_load_with_the_wrong_secret_fails_loudly(
    make_ring: MakeRing, store: MemoryKeyStore, clock: Clock
) -> None:
    await make_ring()
    with pytest.raises(ValueError, match="wrong secret"):
        await KeyRing(store, b"not-the-secret", clock).load()


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256"])
async def test_rotation_keeps_old_tokens_valid_and_signs_with_the_new_key(
    algorithm: str,
    make_ring: MakeRing,
    make_service: Callable[..., TokenService],
    store: MemoryKeyStore,
    clock: Clock,
) -> None:
    ring = await make_ring(algorithm)
    service = make_service(ring)
    old_kid = ring.active()[0]
    old_token = service.issue(CLAIMS)

    clock.advance(60)
    new = await ring.rotate()

    assert new.kid != old_kid and ring.active()[0] == new.kid
    assert [k.kid for k in store.keys if k.active] == [new.kid]
    new_token = service.issue(CLAIMS)
    assert kid_of(new_token) == new.kid
    assert await service.verify(old_token) == CLAIMS
    assert await service.verify(new_token) == CLAIMS
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new.kid, old_kid]


async def test_jwks_holds_public_parts_only(make_ring: MakeRing) -> None:
    ring = await make_ring()
    (jwk,) = ring.jwks()["keys"]
    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}


async def test_jwks_publishes_the_newest_keys_only(make_ring: MakeRing, clock: Clock) -> None:
    ring = await make_ring()
    kids = [ring.active()[0]]
    for _ in range(6):
        clock.advance(1)
        kids.append((await ring.rotate()).kid)
    assert [k["kid"] for k in ring.jwks()["keys"]] == kids[::-1][:5]
    assert await ring.public_key(kids[0]) is None


async def test_another_process_rotation_is_seen_on_an_unknown_kid(
    make_ring: MakeRing, make_service: Callable[..., TokenService], store: MemoryKeyStore
) -> None:
    signer, verifier = await make_ring(), await make_ring()
    await signer.rotate()
    token = make_service(signer).issue(CLAIMS)

    reads = store.reads
    assert await make_service(verifier).verify(token) == CLAIMS
    assert store.reads == reads + 1
    assert verifier.jwks() == signer.jwks()


async def test_unknown_kids_do_not_each_cost_a_store_read(
    make_ring: MakeRing, store: MemoryKeyStore, clock: Clock
) -> None:
    ring = await make_ring()
    reads = store.reads
    assert await ring.public_key("bogus-1") is None
    assert await ring.public_key("bogus-2") is None
    assert store.reads == reads + 1
    clock.advance(1)
    assert await ring.public_key("bogus-3") is None
    assert store.reads == reads + 2


async def test_a_stale_ring_reloads_on_use(
    make_ring: MakeRing, store: MemoryKeyStore, clock: Clock
) -> None:
    ring, other = await make_ring(), await make_ring()
    new = await other.rotate()
    clock.advance(299)
    assert ring.active()[0] != new.kid

    clock.advance(1)
    ring.active()  # stale: the refresh runs in the background, signing does not wait
    await ring.refresh()
    assert ring.active()[0] == new.kid
    assert ring.jwks()["keys"][0]["kid"] == new.kid


async def test_a_stale_ring_reloads_before_verifying(
    make_ring: MakeRing, store: MemoryKeyStore, clock: Clock
) -> None:
    ring = await make_ring(refresh_seconds=10)
    kid, reads = ring.active()[0], store.reads
    clock.advance(10)
    assert await ring.public_key(kid) is not None
    assert store.reads == reads + 1


async def test_a_failing_store_keeps_the_loaded_keys(
    make_ring: MakeRing,
    make_service: Callable[..., TokenService],
    store: MemoryKeyStore,
    clock: Clock,
) -> None:
    ring = await make_ring()
    service = make_service(ring)
    token = service.issue(CLAIMS)
    store.fail = True
    clock.advance(301)
    assert await service.verify(token) == CLAIMS
    reads = store.reads
    assert await service.verify(token) == CLAIMS
    assert store.reads == reads  # the failed attempt is not retried on every request


async def test_an_rs256_lane_sits_beside_the_access_token_key(
    make_ring: MakeRing,
    make_service: Callable[..., TokenService],
    store: MemoryKeyStore,
    clock: Clock,
) -> None:
    ring = await make_ring("EdDSA", also=("RS256",))
    assert ring.algorithms == ("EdDSA", "RS256")
    assert sorted((k.algorithm, k.active) for k in store.keys) == [
        ("EdDSA", True),
        ("RS256", True),
    ]
    access_kid, rsa_kid = ring.active()[0], ring.active("RS256")[0]
    assert access_kid != rsa_kid
    assert [(k["kid"], k["alg"]) for k in ring.jwks()["keys"]] == [
        (access_kid, "EdDSA"),
        (rsa_kid, "RS256"),
    ]
    assert set(ring.jwks()["keys"][1]) == {"kty", "n", "e", "kid", "alg", "use"}
    # an ID token signed with the RSA key verifies with the published JWK alone
    signed = jwt.encode({"sub": "acc_1"}, ring.active("RS256")[1], "RS256", {"kid": rsa_kid})
    public = jwt.PyJWK(ring.jwks()["keys"][1]).key
    assert jwt.decode(signed, public, algorithms=["RS256"]) == {"sub": "acc_1"}
    # a second process finds both and creates nothing
    await make_ring("EdDSA", also=("RS256",))
    assert len(store.keys) == 2

    clock.advance(60)
    new = await ring.rotate()  # every lane gets its new key, the old ones stay published
    assert new.algorithm == "EdDSA" and ring.active()[0] == new.kid
    assert ring.active("RS256")[0] != rsa_kid
    assert sum(k.active for k in store.keys) == 2
    assert {k["kid"] for k in ring.jwks()["keys"]} >= {access_kid, rsa_kid}
    token = make_service(ring).issue(CLAIMS)  # access tokens keep their own algorithm
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"


async def test_a_ring_without_an_rs256_lane_refuses_to_sign_with_it(make_ring: MakeRing) -> None:
    ring = await make_ring("ES256")
    with pytest.raises(RuntimeError, match="RS256"):
        ring.active("RS256")
    assert ring.active("EdDSA") == ring.active()  # EdDSA and ES256 share one lane


async def test_a_short_rsa_key_is_refused(clock: Clock) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from regflow.keys.signing import algorithm_of

    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - refused
    with pytest.raises(ValueError, match="unsupported"):
        algorithm_of(short.public_key())


# --- the unit-of-work adapter -----------------------------------------------------------


class FakeSigningKeys:
    def __init__(self) -> None:
        self.keys: list[SigningKey] = []

    async def all(self) -> list[SigningKey]:
        return list(self.keys)

    async def add(self, key: SigningKey) -> None:
        self.keys.append(key)

    async def retire_all_but(self, kid: str, algorithms: Collection[str]) -> None:
        self.keys = [
            replace(k, active=k.kid == kid or (k.active and k.algorithm not in algorithms))
            for k in self.keys
        ]


class FakeUnitOfWork:
    def __init__(self, signing_keys: FakeSigningKeys) -> None:
        self.signing_keys = signing_keys
        self.commits = 0

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1


async def test_unit_of_work_store_adds_and_retires_in_one_commit(clock: Clock) -> None:
    uow = FakeUnitOfWork(FakeSigningKeys())
    store = UnitOfWorkKeyStore(lambda: uow)  # type: ignore[arg-type]
    ring = KeyRing(store, SECRET, clock)
    await ring.load()
    new = await ring.rotate()
    assert [(k.kid, k.active) for k in await store.all()][-1] == (new.kid, True)
    assert sum(k.active for k in uow.signing_keys.keys) == 1
    assert uow.commits == 2
    rsa_ring = KeyRing(store, SECRET, clock, also=("RS256",))
    await rsa_ring.load()  # the RS256 lane's first key retires nothing of the other lane
    assert sorted(k.algorithm for k in uow.signing_keys.keys if k.active) == ["EdDSA", "RS256"]
