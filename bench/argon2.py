"""The argon2id ceiling: hashes per second with the production parameters, in-process."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pwdlib.hashers.argon2 import Argon2Hasher

from bench.prepare import PASSWORD
from bench.procs import ARGON2_MEMORY_KIB, ARGON2_PARALLELISM, ARGON2_TIME_COST


def measure_argon2(seconds: float) -> dict[str, Any]:
    """argon2id hashes per second as the service hashes: one thread, then a pool of
    ``os.cpu_count()`` threads (argon2-cffi releases the GIL)."""
    hasher = Argon2Hasher(
        memory_cost=ARGON2_MEMORY_KIB, time_cost=ARGON2_TIME_COST, parallelism=ARGON2_PARALLELISM
    )
    hasher.hash(PASSWORD)  # warm-up

    def hash_until(deadline: float) -> int:
        done = 0
        while time.perf_counter() < deadline:
            hasher.hash(PASSWORD)
            done += 1
        return done

    started = time.perf_counter()
    single = hash_until(started + seconds) / (time.perf_counter() - started)
    workers = os.cpu_count() or 1
    with ThreadPoolExecutor(workers) as pool:
        started = time.perf_counter()
        counts = list(pool.map(hash_until, [started + seconds] * workers))
        pooled = sum(counts) / (time.perf_counter() - started)
    return {
        "parameters": {
            "memory_kib": ARGON2_MEMORY_KIB,
            "time_cost": ARGON2_TIME_COST,
            "parallelism": ARGON2_PARALLELISM,
        },
        "single_thread_per_s": round(single, 1),
        "pool_workers": workers,
        "pool_per_s": round(pooled, 1),
        "ms_per_hash": round(1000 / single, 1),
    }
