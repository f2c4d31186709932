"""The signing keys a process holds: the active one, and the ones it still publishes.

Keys live in a ``SigningKeyStore`` (the database in production), so every
server process sees a rotation done elsewhere (``regflow keys rotate``):
the ring re-reads the store when its copy is older than ``refresh_seconds``
(checked on use) and, once per miss, when asked for a ``kid`` it does not know.
Retired keys stay published (newest ``max_published`` of each lane) so that
tokens signed just before a rotation still verify until they expire.

A ring has one active key per *lane* (``regflow.keys.signing.lane_of``): the
access-token key (EdDSA or ES256, ``algorithm``) and, when ``also`` names it,
an RS256 key for OpenID Connect ID tokens. ``active()`` is the first,
``active("RS256")`` the second; the JWKS publishes both.
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
    lane_of,
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
        """Store ``key`` and make it the only active one of its lane (the lane's others
        are retired)."""
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
            await uow.signing_keys.retire_all_but(key.kid, lane_of(key.algorithm))
            await uow.commit()


class KeyRing:
    """The active signing key and the published verification keys of one process.

    ``algorithm`` applies to the access-token keys this ring creates; a stored key
    is always used with its own algorithm. ``also`` names algorithms of other lanes
    (``RS256``) the ring keeps an active key for. Call ``load()`` once at start-up.
    """

    def __init__(
        self,
        store: SigningKeyStore,
        secret: bytes,
        clock: Callable[[], datetime],
        algorithm: str = "EdDSA",
        refresh_seconds: float = 300,
        *,
        also: tuple[str, ...] = (),
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
        lane = lane_of(algorithm)
        self._algorithms = (algorithm, *(a for a in dict.fromkeys(also) if a not in lane))
        self._refresh_seconds = refresh_seconds
        self._max_published = max_published
        # An unknown kid costs a store read; bogus kids must not turn into one read each.
        self._miss_reload_seconds = miss_reload_seconds
        self._published: list[SigningKey] = []
        self._public: dict[str, PublicKey] = {}
        self._active: dict[frozenset[str], tuple[str, PrivateKey]] = {}
        self._checked_at: datetime | None = None
        self._missed_at: datetime | None = None
        self._pending: asyncio.Task[None] | None = None

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The algorithms this ring signs with: the access tokens' first, then ``also``."""
        return self._algorithms

    async def load(self) -> None:
        """Read the keys; create, store and activate the first one of each lane that has
        no active key."""
        keys = await self._store.all()
        created = False
        for algorithm in self._algorithms:
            lane = lane_of(algorithm)
            if not any(k.active and k.algorithm in lane for k in keys):
                key = generate_signing_key(self._clock(), self._secret, algorithm)
                await self._store.add_active(key)
                log.info("created the first signing key", extra={"kid": key.kid})
                created = True
        if created:
            keys = await self._store.all()
        self._install(keys)

    async def rotate(self) -> SigningKey:
        """Create and activate a new key in every lane; older keys stay published for
        verification. Returns the new access-token key."""
        keys = [generate_signing_key(self._clock(), self._secret, a) for a in self._algorithms]
        for key in keys:
            await self._store.add_active(key)
            log.info("rotated the signing key", extra={"kid": key.kid})
        await self.refresh()
        return keys[0]

    async def refresh(self) -> None:
        """Re-read the store now (and wait for a background refresh under way)."""
        if self._pending is not None and not self._pending.done():
            await self._pending
        self._checked_at = self._clock()
        self._install(await self._store.all())

    def active(self, algorithm: str | None = None) -> tuple[str, PrivateKey]:
        """``(kid, private key)`` to sign with: the access-token key, or the active key of
        ``algorithm``'s lane; schedules a refresh when the copy is stale."""
        if not self._active:
            raise RuntimeError("KeyRing.load() must run before signing")
        found = self._active.get(lane_of(algorithm or self._algorithm))
        if found is None:
            raise RuntimeError(f"this key ring holds no {algorithm} key")
        self._refresh_in_background()
        return found

    async def public_key(self, kid: str) -> PublicKey | None:
        """The published key ``kid``, re-reading the store once if it is unknown here."""
        if not self._active:
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
        # Per lane: the active key first (it is the newest, unless clocks disagree), then
        # newest first; the access tokens' lane leads the JWKS.
        published: list[SigningKey] = []
        active: dict[frozenset[str], SigningKey] = {}
        for algorithm in self._algorithms:
            lane = lane_of(algorithm)
            ordered = sorted(
                (k for k in keys if k.algorithm in lane),
                key=lambda k: (k.active, k.created_at),
                reverse=True,
            )
            if not ordered or not ordered[0].active:
                raise RuntimeError(f"the signing key store has no active {algorithm} key")
            active[lane] = ordered[0]
            published.extend(ordered[: self._max_published])
        public: dict[str, PublicKey] = {}
        for key in published:
            if key.kid in self._public:
                public[key.kid] = self._public[key.kid]
                continue
            try:
                public[key.kid] = load_public_key(key)
            except ValueError:
                log.warning("skipping an unusable signing key", extra={"kid": key.kid})
        signing: dict[frozenset[str], tuple[str, PrivateKey]] = {}
        for lane, key in active.items():
            held = self._active.get(lane)
            if held is not None and held[0] == key.kid:
                signing[lane] = held
            else:
                signing[lane] = (key.kid, load_private_key(key, self._secret))
        self._published = [k for k in published if k.kid in public]
        self._public = public
        self._active = signing
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
