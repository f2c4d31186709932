"""Password hashing adapter: argon2id for new hashes, legacy bcrypt verified and upgraded.

Implements ``regflow.core.ports.PasswordHasher``. Hashing is CPU- and memory-heavy (19 MiB
per argon2id call by default), so it runs in a bounded thread pool (argon2-cffi and bcrypt
release the GIL) and a burst beyond the pool plus ``max_waiting`` queued jobs is refused
with :class:`regflow.errors.Overloaded` instead of queueing without bound.

Passwords are NFKC-normalized before hashing and verifying, so the same password typed on
two keyboards (composed or decomposed accents, full-width digits) matches. Nothing here
logs, and no exception message carries a password.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher

from regflow.errors import Overloaded

T = TypeVar("T")
_BCRYPT_MAX_BYTES = 72


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity mask (a container's cpuset or
    ``taskset`` narrows it), else ``os.cpu_count()``. The pool gets one thread per CPU:
    argon2 releases the GIL, so that many hashes run at once and every CPU hashes; more
    threads would only take turns on the same CPUs with the event loop."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 2


class _LegacyBcryptHasher(BcryptHasher):
    """Verifies legacy bcrypt hashes the way their issuers computed them.

    bcrypt only ever used the first 72 bytes of a password; older libraries truncated
    silently, bcrypt >= 5 raises instead. Truncating here lets those users log in once,
    after which their hash is upgraded to argon2id over the full password.
    """

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:
        raw = password.encode("utf-8") if isinstance(password, str) else password
        try:
            return super().verify(raw[:_BCRYPT_MAX_BYTES], hash)
        except ValueError:  # a malformed hash that still looked like bcrypt
            return False


class Argon2PasswordHasher:
    """argon2id hasher (OWASP minimum by default: m=19 MiB, t=2, p=1), off the event loop."""

    def __init__(
        self,
        memory_kib: int = 19456,
        time_cost: int = 2,
        parallelism: int = 1,
        max_workers: int | None = None,
        max_waiting: int = 256,
    ) -> None:
        self._hash = PasswordHash(
            (
                Argon2Hasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism),
                _LegacyBcryptHasher(),
            )
        )
        self._max_workers = max_workers or usable_cpus()
        self._max_waiting = max(0, max_waiting)
        self._pool = ThreadPoolExecutor(self._max_workers, thread_name_prefix="regflow-hash")
        # Counters are touched from the event loop and from pool threads, hence the lock.
        self._lock = threading.Lock()
        self._waiting = 0
        self._in_flight = 0
        self._dummy_hash: str | None = None

    @property
    def in_flight(self) -> int:
        """Jobs running in the pool right now."""
        return self._in_flight

    @property
    def waiting(self) -> int:
        """Jobs queued for a free worker."""
        return self._waiting

    async def hash(self, password: str) -> str:
        """Hash a new password with argon2id and the configured parameters."""
        value = unicodedata.normalize("NFKC", password)
        return await self._run(lambda: self._hash.hash(value))

    async def verify(self, password: str, hashed: str) -> tuple[bool, str | None]:
        """Return ``(valid, new_hash)``; ``new_hash`` is set when the stored hash is bcrypt
        or argon2 with other parameters and must be replaced."""
        value = unicodedata.normalize("NFKC", password)
        return await self._run(lambda: self._verify_sync(value, hashed))

    async def dummy_verify(self) -> None:
        """Spend the time of a real verification, for requests naming no account."""
        await self._run(self._dummy_sync)

    def close(self) -> None:
        """Stop the pool; queued jobs are cancelled, running ones finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _verify_sync(self, password: str, hashed: str) -> tuple[bool, str | None]:
        try:
            return self._hash.verify_and_update(password, hashed)
        except UnknownHashError:
            # A corrupt or foreign stored value: refuse, but take the usual time.
            self._dummy_sync()
            return False, None
        except UnicodeEncodeError:  # lone surrogates cannot be encoded, so cannot match
            self._dummy_sync()
            return False, None

    def _dummy_sync(self) -> None:
        if self._dummy_hash is None:
            # Lazily made once; a race makes two, which is harmless.
            self._dummy_hash = self._hash.hash(secrets.token_urlsafe(16))
        self._hash.verify(secrets.token_urlsafe(16), self._dummy_hash)

    async def _run(self, fn: Callable[[], T]) -> T:
        with self._lock:
            if self._waiting + self._in_flight >= self._max_workers + self._max_waiting:
                raise Overloaded("Password hashing is saturated; try again shortly.")
            self._waiting += 1
        # the job settles this future from its thread with one call into the loop (no
        # concurrent future chained to an asyncio one: fewer callbacks on the loop per job)
        loop = asyncio.get_running_loop()
        settled: asyncio.Future[T] = loop.create_future()
        try:
            job = self._pool.submit(self._job, fn, loop, settled)
        except RuntimeError:  # the pool is shut down
            with self._lock:
                self._waiting -= 1
            raise
        job.add_done_callback(partial(self._forget_cancelled, loop, settled))
        try:
            return await settled
        except asyncio.CancelledError:
            job.cancel()  # not started yet: it never runs (and is no longer counted)
            raise

    def _job(
        self, fn: Callable[[], T], loop: asyncio.AbstractEventLoop, settled: asyncio.Future[T]
    ) -> None:
        with self._lock:
            self._waiting -= 1
            self._in_flight += 1
        try:
            outcome: tuple[T | None, BaseException | None] = (fn(), None)
        except BaseException as error:  # the waiter gets it, whatever it is
            outcome = (None, error)
        finally:
            with self._lock:
                self._in_flight -= 1
        _call_soon(loop, _settle, settled, *outcome)

    def _forget_cancelled(
        self, loop: asyncio.AbstractEventLoop, settled: asyncio.Future[Any], future: Future[Any]
    ) -> None:
        # A job cancelled before it started never ran _job, so it is still counted waiting;
        # its waiter (cancelled already, or waiting on a pool shut down) is cancelled.
        if future.cancelled():
            with self._lock:
                self._waiting -= 1
            _call_soon(loop, settled.cancel)


def _call_soon(loop: asyncio.AbstractEventLoop, fn: Callable[..., object], *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(fn, *args)
    except RuntimeError:  # the loop is closed: nobody waits any more
        pass


def _settle(settled: asyncio.Future[T], result: T, error: BaseException | None) -> None:
    if settled.done():  # cancelled meanwhile
        return
    if error is not None:
        settled.set_exception(error)
    else:
        settled.set_result(result)
