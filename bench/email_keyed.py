"""Equal work for existing and unknown addresses in every email-keyed call that answers alike.

For each call, ``pairs`` pairs of requests: one for an address that has an account,
one for an address never seen, in random order within the pair. Reported: the share
of pairs in which the existing address was the slower (40-60 % means timing cannot
tell them apart), the median of the paired differences (existing - unknown; it must
stay under 0.2 ms) and the medians of each kind. The answers must be the same too
(status, body keys, header names).

Calls whose contract keeps one pending registration per address (seed 003's
``register``, seed 004's ``send-verification-code``) get a fresh account for every
pair, imported before the run through seed 002's internal ``POST /api/users``, so
that both kinds of address meet the same state: no registration yet.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import bcrypt
import httpx

ADMIN_TOKEN = "bench-admin-token-0123456789abcdef"  # noqa: S105 - the benchmark's own
SHARE = (40.0, 60.0)  # % of pairs in which the existing address was the slower
PAIRED_LIMIT_MS = 0.2
ROTATING = 10  # accounts for the calls that keep no state per address
WARMUP = 20

Sample = Callable[[httpx.Client, str], tuple[float, httpx.Response]]
Shape = tuple[int, tuple[str, ...], tuple[str, ...]]


def _timed(send: Callable[[], httpx.Response]) -> tuple[float, httpx.Response]:
    began = time.perf_counter()
    response = send()
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code >= 300:
        raise AssertionError(f"{response.request.url.path}: {response.status_code} {response.text}")
    return elapsed, response


def native_email_step(client: httpx.Client, email: str) -> tuple[float, httpx.Response]:
    start = client.post("/v1/registrations", json={"flow": "member"}).json()  # not timed
    auth = {"Authorization": f"Bearer {start['token']}"}
    url = f"/v1/registrations/{start['id']}/steps/email"
    return _timed(lambda: client.post(url, json={"email": email}, headers=auth))


def phased_initiate(client: httpx.Client, email: str) -> tuple[float, httpx.Response]:
    return _timed(lambda: client.post("/auth/initiate-registration", json={"email": email}))


def oneshot_register(client: httpx.Client, email: str) -> tuple[float, httpx.Response]:
    form = {
        "email": email,
        "password": "SecureP@ss123",
        "firstName": "John",
        "lastName": "Doe",
        "organizationName": "Acme Insurance Co",
    }
    return _timed(lambda: client.post("/api/v1/auth/register", json=form))


def verify_first_send(client: httpx.Client, email: str) -> tuple[float, httpx.Response]:
    return _timed(lambda: client.post("/auth/send-verification-code", json={"email": email}))


@dataclass(frozen=True)
class Call:
    name: str
    sample: Sample
    fresh_accounts: bool  # one pending registration per address: a new account per pair


CALLS = (
    Call("native email step", native_email_step, fresh_accounts=False),
    Call("phased initiate-registration", phased_initiate, fresh_accounts=False),
    Call("oneshot register", oneshot_register, fresh_accounts=True),
    Call("verify_first send-verification-code", verify_first_send, fresh_accounts=True),
)


@dataclass(frozen=True)
class Result:
    call: str
    pairs: int
    existing_slower_pct: float
    paired_median_ms: float
    existing_ms: float
    unknown_ms: float

    @property
    def ok(self) -> bool:
        share_ok = SHARE[0] <= self.existing_slower_pct <= SHARE[1]
        return share_ok and abs(self.paired_median_ms) < PAIRED_LIMIT_MS


def accounts(client: httpx.Client, count: int) -> list[str]:
    """``count`` verified accounts, imported (a bcrypt hash, so no argon2 work here)."""
    hashed = bcrypt.hashpw(b"Bench#Pass123", bcrypt.gensalt(rounds=4)).decode()
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    made = []
    for _ in range(count):
        email = f"owner-{uuid.uuid4().hex[:12]}@example.com"
        r = client.post("/api/users", json={"email": email, "passwordHash": hashed}, headers=auth)
        if r.status_code != 201:
            raise AssertionError(f"import answered {r.status_code}: {r.text}")
        made.append(email)
    return made


def _shape(response: httpx.Response) -> Shape:
    return response.status_code, tuple(sorted(response.json())), tuple(sorted(response.headers))


def measure(client: httpx.Client, call: Call, pairs: int, seed: int) -> Result:
    rng = random.Random(seed)
    pool = accounts(client, pairs + WARMUP if call.fresh_accounts else ROTATING)

    def existing(i: int) -> str:
        return pool[i] if call.fresh_accounts else pool[i % ROTATING]

    def unknown() -> str:
        return f"new-{uuid.uuid4().hex}@example.com"

    for i in range(WARMUP):
        call.sample(client, existing(pairs + i if call.fresh_accounts else i))
        call.sample(client, unknown())
    times: dict[str, list[float]] = {"existing": [], "unknown": []}
    shapes: dict[str, set[Shape]] = {"existing": set(), "unknown": set()}
    differences, slower = [], 0
    for i in range(pairs):
        pair = [("existing", existing(i)), ("unknown", unknown())]
        rng.shuffle(pair)
        took: dict[str, float] = {}
        for kind, email in pair:
            took[kind], response = call.sample(client, email)
            times[kind].append(took[kind])
            shapes[kind].add(_shape(response))
        slower += took["existing"] > took["unknown"]
        differences.append(took["existing"] - took["unknown"])
    if shapes["existing"] != shapes["unknown"]:
        raise AssertionError(f"{call.name}: the answers differ: {shapes}")
    return Result(
        call.name,
        pairs,
        100.0 * slower / pairs,
        statistics.median(differences),
        statistics.median(times["existing"]),
        statistics.median(times["unknown"]),
    )


def table(results: list[Result]) -> str:
    head = (
        f"{'call':38} {'pairs':>5} {'existing slower':>15} {'paired median':>13} "
        f"{'existing':>9} {'unknown':>9}"
    )
    lines = [head]
    for r in results:
        lines.append(
            f"{r.call:38} {r.pairs:>5} {r.existing_slower_pct:>13.1f} % "
            f"{r.paired_median_ms:>+10.3f} ms {r.existing_ms:>6.2f} ms {r.unknown_ms:>6.2f} ms"
            + ("" if r.ok else "  <- outside 40-60 % or 0.2 ms")
        )
    return "\n".join(lines)


def run(base_url: str, pairs: int, seed: int, only: str | None = None) -> list[Result]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        return [
            measure(client, call, pairs, seed)
            for call in CALLS
            if only is None or only in call.name
        ]
