"""Fixtures for the key and token tests: an in-memory key store and a clock we move."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from regflow.core.model import SigningKey
from regflow.keys.keyring import KeyRing
from regflow.keys.signing import lane_of
from regflow.keys.tokens import TokenService

SECRET = b"test-deployment-secret"
ISSUER = "https://id.example.test"
AUDIENCE = "regflow-test"


class MemoryKeyStore:
    """A ``SigningKeyStore`` in a list; counts reads so tests can see reloads."""

    def __init__(self) -> None:
        self.keys: list[SigningKey] = []
        self.reads = 0
        self.fail = False

    async def all(self) -> list[SigningKey]:
        self.reads += 1
        if self.fail:
            raise ConnectionError("store unavailable")
        # Copies, as a database would hand out: the ring must not share our objects.
        return [copy.deepcopy(k) for k in self.keys]

    async def add_active(self, key: SigningKey) -> None:
        lane = lane_of(key.algorithm)
        self.keys = [replace(k, active=k.active and k.algorithm not in lane) for k in self.keys]
        self.keys.append(copy.deepcopy(key))


class Clock:
    """A controllable UTC clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> MemoryKeyStore:
    return MemoryKeyStore()


MakeRing = Callable[..., Awaitable[KeyRing]]


@pytest.fixture
def make_ring(store: MemoryKeyStore, clock: Clock) -> MakeRing:
    """Build and load a ring on the shared store (pass ``store=`` or options to vary)."""

    async def make(
        algorithm: str = "EdDSA", *, on: MemoryKeyStore | None = None, **options: Any
    ) -> KeyRing:
        ring = KeyRing(on or store, SECRET, clock, algorithm, **options)
        await ring.load()
        return ring

    return make


@pytest.fixture
def make_service(clock: Clock) -> Callable[..., TokenService]:
    def make(
        ring: KeyRing, issuer: str = ISSUER, audience: str = AUDIENCE, ttl_seconds: int = 900
    ) -> TokenService:
        return TokenService(ring, issuer, audience, ttl_seconds, clock=clock)

    return make
