"""The signing keys a process holds: the active one, and the ones it still publishes.

Keys live in a ``SigningKeyStore`` (the database in production), so every
server process sees a rotation done elsewhere (``regflow keys rotate``):
the ring re-reads the store when its copy is older than ``refresh_seconds``
(checked on use) and, once per miss, when asked for a ``kid`` it does not know.
Retired keys stay published (newest ``max_published``) so that tokens signed
just before a rotation still verify until they expire.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from regflow.core.model import SigningKey
from regflow.core.ports import UnitOfWorkFactory
from regflow.keys.signing import (
    PrivateKey,
    PublicKey,
    generate_signing_key,
    load_private_key,
    load_public_key,
)

log = logging.getLogger(__name__)

MAX_PUBLISHED = 5
"""How many keys (newest first) stay published for verification."""


class SigningKeyStore(Protocol):
    """Where signing keys are kept; shared by every process of a deployment."""

    async def all(self) -> list[SigningKey]:
        """Every stored key, active or retired, in any order."""
        ...

    async def add_active(self, key: SigningKey) -> None:
        """Store ``key`` and make it the only active one (the others are retired)."""
        ...


class UnitOfWorkKeyStore:
    """``SigningKeyStore`` over the persistence unit of work, one transaction per call."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def all(self) -> list[SigningKey]:
        async with self._uow_factory() as uow:
            return await uow.signing_keys.all()

    async def add_active(self, key: SigningKey) -> None:
        async with self._uow_factory() as uow:
            await uow.signing_keys.add(key)
            await uow.signing_keys.retire_all_but(key.kid)
            await uow.commit()


class KeyRing:
    """The active signing key and the published verification keys of one process.

    ``algorithm`` applies to keys this ring creates; a stored key is always used
    with its own algorithm. Call ``load()`` once at start-up.
    """

    def __init__(
        self,
        store: SigningKeyStore,
        secret: bytes,
        clock: Callable[[], datetime],
        algorithm: str = "EdDSA",
        refresh_seconds: float = 300,
        *,
        max_published: int = MAX_PUBLISHED,
        miss_reload_seconds: float = 1.0,
    ) -> None:
        if not secret:
            raise ValueError("a non-empty secret is required to decrypt signing keys")
        if max_published < 1:
            raise ValueError("max_published must be at least 1")
        self._store = store
        self._secret = secret
        self._clock = clock
        self._algorithm = algorithm
        self._refresh_seconds = refresh_seconds
        self._max_published = max_published
        # An unknown kid costs a store read; bogus kids must not turn into one read each.
        self._miss_reload_seconds = miss_reload_seconds
        self._published: list[SigningKey] = []
        self._public: dict[str, PublicKey] = {}
        self._active: tuple[str, PrivateKey] | None = None
        self._checked_at: datetime | None = None
        self._missed_at: datetime | None = None
        self._pending: asyncio.Task[None] | None = None

    async def load(self) -> None:
        """Read the keys; create, store and activate the first one if none is active."""
        keys = await self._store.all()
        if not any(k.active for k in keys):
            key = generate_signing_key(self._clock(), self._secret, self._algorithm)
            await self._store.add_active(key)
            log.info("created the first signing key", extra={"kid": key.kid})
            keys = await self._store.all()
        self._install(keys)

    async def rotate(self) -> SigningKey:
        """Create and activate a new key; older keys stay published for verification."""
        key = generate_signing_key(self._clock(), self._secret, self._algorithm)
        await self._store.add_active(key)
        log.info("rotated the signing key", extra={"kid": key.kid})
        await self.refresh()
        return key

    async def refresh(self) -> None:
        """Re-read the store now (and wait for a background refresh under way)."""
        if self._pending is not None and not self._pending.done():
            await self._pending
        self._checked_at = self._clock()
        self._install(await self._store.all())

    def active(self) -> tuple[str, PrivateKey]:
        """``(kid, private key)`` to sign with; schedules a refresh when the copy is stale."""
        if self._active is None:
            raise RuntimeError("KeyRing.load() must run before signing")
        self._refresh_in_background()
        return self._active

    async def public_key(self, kid: str) -> PublicKey | None:
        """The published key ``kid``, re-reading the store once if it is unknown here."""
        if self._active is None:
            raise RuntimeError("KeyRing.load() must run before verifying")
        if self._is_stale():
            await self._safe_refresh()
        key = self._public.get(kid)
        if key is None and self._may_reload_on_miss():
            self._missed_at = self._clock()
            await self._safe_refresh()
            key = self._public.get(kid)
        return key

    def jwks(self) -> dict[str, Any]:
        """``{"keys": [...]}``: the public JWKs of all published keys, newest first."""
        self._refresh_in_background()
        return {"keys": [dict(k.public_jwk) for k in self._published]}

    def _install(self, keys: list[SigningKey]) -> None:
        # The active key first (it is the newest, unless clocks disagree), then newest first.
        ordered = sorted(keys, key=lambda k: (k.active, k.created_at), reverse=True)
        if not ordered or not ordered[0].active:
            raise RuntimeError("the signing key store has no active key")
        active = ordered[0]
        published = ordered[: self._max_published]
        public: dict[str, PublicKey] = {}
        for key in published:
            if key.kid in self._public:
                public[key.kid] = self._public[key.kid]
                continue
            try:
                public[key.kid] = load_public_key(key)
            except ValueError:
                log.warning("skipping an unusable signing key", extra={"kid": key.kid})
        if self._active is not None and self._active[0] == active.kid:
            private = self._active[1]
        else:
            private = load_private_key(active, self._secret)
        self._published = [k for k in published if k.kid in public]
        self._public = public
        self._active = (active.kid, private)
        self._checked_at = self._clock()

    def _is_stale(self) -> bool:
        if self._checked_at is None:
            return True
        age = (self._clock() - self._checked_at).total_seconds()
        return age >= self._refresh_seconds

    def _may_reload_on_miss(self) -> bool:
        if self._missed_at is None:
            return True
        age = (self._clock() - self._missed_at).total_seconds()
        return age >= self._miss_reload_seconds

    def _refresh_in_background(self) -> None:
        if not self._is_stale() or (self._pending is not None and not self._pending.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside an event loop: nothing can run the refresh
            return
        self._checked_at = self._clock()
        self._pending = loop.create_task(self._safe_refresh())

    async def _safe_refresh(self) -> None:
        # Mark the attempt first: concurrent callers must not each hit the store,
        # and a failing store is retried after refresh_seconds, not on every request.
        self._checked_at = self._clock()
        try:
            self._install(await self._store.all())
        except Exception:
            log.exception("could not refresh signing keys; keeping the ones loaded")
