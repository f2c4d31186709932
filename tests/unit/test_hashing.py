from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import AsyncIterator, Callable

import bcrypt
import pytest

from regflow.errors import Overloaded, RegflowError
from regflow.hashing import Argon2PasswordHasher

# Small parameters keep the suite fast; the format test checks the real defaults.
FAST = {"memory_kib": 1024, "time_cost": 1, "parallelism": 1}
MakeHasher = Callable[..., Argon2PasswordHasher]


@pytest.fixture
async def make_hasher() -> AsyncIterator[MakeHasher]:
    made: list[Argon2PasswordHasher] = []

    def make(**overrides: int | None) -> Argon2PasswordHasher:
        hasher = Argon2PasswordHasher(**{**FAST, **overrides})  # type: ignore[arg-type]
        made.append(hasher)
        return hasher

    yield make
    for hasher in made:
        hasher.close()


async def test_default_hash_is_argon2id_with_owasp_parameters() -> None:
    hasher = Argon2PasswordHasher()
    try:
        hashed = await hasher.hash("correct horse battery staple")
    finally:
        hasher.close()
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_hash_and_verify(make_hasher: MakeHasher) -> None:
    hasher = make_hasher()
    hashed = await hasher.hash("s3cret-enough")
    assert re.fullmatch(r"\$argon2id\$v=19\$m=1024,t=1,p=1\$[^$]+\$[^$]+", hashed)
    assert await hasher.verify("s3cret-enough", hashed) == (True, None)
    assert await hasher.verify("s3cret-enougH", hashed) == (False, None)
    assert await hasher.verify("", hashed) == (False, None)


async def test_hashes_are_salted(make_hasher: MakeHasher) -> None:
    hasher = make_hasher()
    assert await hasher.hash("same") != await hasher.hash("same")


async def test_passwords_are_nfkc_normalized(make_hasher: MakeHasher) -> None:
    hasher = make_hasher()
    hashed = await hasher.hash("caf\u00e9-ｌａｔｔｅ")
    assert (await hasher.verify("cafe\u0301-latte", hashed))[0]


async def test_legacy_bcrypt_verifies_and_is_upgraded(make_hasher: MakeHasher) -> None:
    hasher = make_hasher()
    legacy = bcrypt.hashpw(b"old-password", bcrypt.gensalt(rounds=4)).decode()
    valid, upgraded = await hasher.verify("old-password", legacy)
    assert valid
    assert upgraded is not None and upgraded.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert await hasher.verify("old-password", upgraded) == (True, None)


async def test_legacy_bcrypt_wrong_password_gets_no_upgrade(make_hasher: MakeHasher) -> None:
    hasher = make_hasher()
    legacy = bcrypt.hashpw(b"old-password", bcrypt.gensalt(rounds=4)).decode()
    assert await hasher.verify("old-passwordX", legacy) == (False, None)


async def test_legacy_bcrypt_over_72_bytes_verifies_as_its_issuer_did(
    make_hasher: MakeHasher,
) -> None:
    # Old bcrypt libraries silently used only the first 72 bytes.
    long_password = "x" * 80
    legacy = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(rounds=4)).decode()
    valid, upgraded = await make_hasher().verify(long_password, legacy)
    assert valid and upgraded is not None


async def test_changed_argon2_parameters_trigger_an_upgrade(make_hasher: MakeHasher) -> None:
    old = await make_hasher(memory_kib=512).hash("s3cret-enough")
    valid, upgraded = await make_hasher().verify("s3cret-enough", old)
    assert valid
    assert upgraded is not None and "m=1024,t=1,p=1" in upgraded


@pytest.mark.parametrize("stored", ["", "plain-text", "$argon2id$broken", "$2b$12$short"])
async def test_unknown_or_corrupt_hash_is_refused(make_hasher: MakeHasher, stored: str) -> None:
    assert await make_hasher().verify("anything", stored) == (False, None)


async def test_lone_surrogate_never_matches(make_hasher: MakeHasher) -> None:
    hasher = make_hasher()
    hashed = await hasher.hash("abc")
    assert await hasher.verify("ab\ud800", hashed) == (False, None)


async def test_dummy_verify_does_the_work_and_returns_nothing(make_hasher: MakeHasher) -> None:
    hasher = make_hasher()
    await hasher.dummy_verify()  # first call also makes the dummy hash
    await hasher.dummy_verify()
    assert (hasher.in_flight, hasher.waiting) == (0, 0)


async def test_concurrent_hashes_complete(make_hasher: MakeHasher) -> None:
    hasher = make_hasher(max_workers=4)
    hashes = await asyncio.gather(*(hasher.hash(f"password-{i}") for i in range(8)))
    assert len(set(hashes)) == 8
    results = await asyncio.gather(
        *(hasher.verify(f"password-{i}", h) for i, h in enumerate(hashes))
    )
    assert all(valid for valid, _ in results)
    assert (hasher.in_flight, hasher.waiting) == (0, 0)


class _Gated:
    """Wraps the pwdlib object so hashing blocks until the test opens the gate."""

    def __init__(self, inner: object, gate: threading.Event) -> None:
        self._inner = inner
        self._gate = gate

    def hash(self, password: str) -> str:
        assert self._gate.wait(10), "the test never opened the gate"
        result: str = self._inner.hash(password)  # type: ignore[attr-defined]
        return result


async def settle() -> None:
    """Run the loop a few times so cancellations reach the executor's futures."""
    for _ in range(10):
        await asyncio.sleep(0)


def gated(hasher: Argon2PasswordHasher, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    gate = threading.Event()
    monkeypatch.setattr(hasher, "_hash", _Gated(hasher._hash, gate))
    return gate


async def test_overload_is_refused_and_counters_recover(
    make_hasher: MakeHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = make_hasher(max_workers=1, max_waiting=1)
    gate = gated(hasher, monkeypatch)
    tasks = [asyncio.ensure_future(hasher.hash("burst")) for _ in range(6)]
    await asyncio.sleep(0)  # every task has now submitted or been refused
    refused = [t.exception() for t in tasks if t.done()]
    assert len(refused) == 4  # one running, one queued, the rest refused at once
    assert all(isinstance(exc, Overloaded) for exc in refused)
    exc = refused[0]
    assert isinstance(exc, RegflowError) and exc.code == "OVERLOADED"
    assert "burst" not in str(exc)
    assert hasher.in_flight + hasher.waiting == 2
    gate.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert (hasher.in_flight, hasher.waiting) == (0, 0)
    assert (await hasher.hash("after")).startswith("$argon2id$")


async def test_counters_while_busy(
    make_hasher: MakeHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = make_hasher(max_workers=1, max_waiting=4)
    gate = gated(hasher, monkeypatch)
    tasks = [asyncio.ensure_future(hasher.hash("busy")) for _ in range(3)]
    await asyncio.sleep(0)  # let every task submit its job
    assert hasher.in_flight + hasher.waiting == 3
    assert hasher.in_flight <= 1 and hasher.waiting >= 2
    gate.set()
    await asyncio.gather(*tasks)
    assert (hasher.in_flight, hasher.waiting) == (0, 0)


async def test_cancelled_waiters_are_forgotten(
    make_hasher: MakeHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = make_hasher(max_workers=1, max_waiting=8)
    gate = gated(hasher, monkeypatch)
    tasks = [asyncio.ensure_future(hasher.hash("cancel-me")) for _ in range(5)]
    await asyncio.sleep(0)
    for task in tasks[1:]:
        task.cancel()
    await settle()
    assert hasher.in_flight + hasher.waiting == 1  # only the first job is still counted
    gate.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert tasks[0].result().startswith("$argon2id$")
    assert (hasher.in_flight, hasher.waiting) == (0, 0)


async def test_closed_hasher_refuses_work() -> None:
    hasher = Argon2PasswordHasher(**FAST)
    hasher.close()
    with pytest.raises(RuntimeError):
        await hasher.hash("late")
    assert hasher.waiting == 0


def test_the_pool_has_one_thread_per_cpu_the_process_may_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a container's cpuset: two CPUs of a bigger machine
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {2, 5}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    for configured, workers in ((None, 2), (3, 3)):  # REGFLOW_HASH_WORKERS wins
        hasher = Argon2PasswordHasher(memory_kib=8192, time_cost=1, max_workers=configured)
        try:
            assert hasher._max_workers == workers
        finally:
            hasher.close()


async def test_a_failing_job_raises_in_its_waiter_and_counters_recover(
    make_hasher: MakeHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = make_hasher(max_workers=1)

    class Broken:
        def hash(self, password: str) -> str:
            raise MemoryError("argon2 could not allocate")

    monkeypatch.setattr(hasher, "_hash", Broken())
    with pytest.raises(MemoryError):
        await hasher.hash("anything")
    assert (hasher.in_flight, hasher.waiting) == (0, 0)
