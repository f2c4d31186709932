"""Does the email step take longer for an address that has an account? (``make bench``)

Starts the service on a free port (SQLite, rate limits off, dev mailbox on) in the
production shape (``regflow serve --no-worker`` and a ``regflow worker`` beside it),
registers a few accounts, then measures the email step of the member flow for
existing and new addresses, interleaved in random order, and prints the
median of each and their difference. Each sample is a fresh registration (its
start is not timed). The answer must be the same for both (status, body
shape, headers): the benchmark checks that too.

It then does the same for ``POST /v1/password-resets``: 1,000 pairs (an
address with an account, one without), each pair in random order, and reports
in how many pairs the existing address was the slower one; 40-60 % means the
two cannot be told apart by timing. The resend cooldown is off for this run, so
every request issues a new code (the full work) for both kinds of address.

Then every email-keyed call that answers alike (``bench/email_keyed.py``: the
native email step, phased ``initiate-registration``, oneshot ``register``,
verify_first ``send-verification-code``), 1,000 pairs each: the share of pairs
in which the existing address was the slower (40-60 %) and the paired median
difference (under 0.2 ms).

    python -m bench.enumeration [--samples 500] [--reset-pairs 1000] [--pairs 1000]
                                [--only signup|reset|calls] [--call oneshot]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import httpx

from bench import email_keyed
from bench.run import start_service, stop_service

PASSWORD = "correct horse battery staple"  # noqa: S105 - a benchmark account
ACCOUNTS = 10
LIMIT_MS = 1.0
RESET_SHARE = (40.0, 60.0)  # % of pairs in which the existing address was the slower


def _register(client: httpx.Client, email: str) -> None:
    """A complete member registration (the code read from the dev mailbox)."""
    start = client.post("/v1/registrations", json={"flow": "member"}).json()
    rid, auth = start["id"], {"Authorization": f"Bearer {start['token']}"}
    url = f"/v1/registrations/{rid}"
    client.post(f"{url}/steps/email", json={"email": email}, headers=auth).raise_for_status()
    mails = client.get("/dev/mailbox.json", params={"limit": 20}).json()
    code = next(m["code"] for m in mails if m["recipient"] == email and m["code"])
    confirm = client.post(f"{url}/verifications/email/confirm", json={"code": code}, headers=auth)
    confirm.raise_for_status()
    identity = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "username": "u" + uuid.uuid4().hex[:12],
    }
    client.post(f"{url}/steps/identity", json=identity, headers=auth).raise_for_status()
    secret = {"password": PASSWORD, "password_confirmation": PASSWORD}
    client.post(f"{url}/steps/credentials", json=secret, headers=auth).raise_for_status()
    client.post(f"{url}/complete", headers=auth).raise_for_status()


def _shape(response: httpx.Response) -> tuple[int, tuple[str, ...], tuple[str, ...]]:
    body = response.json()
    return response.status_code, tuple(sorted(body)), tuple(sorted(response.headers.keys()))


def _sample(client: httpx.Client, email: str) -> tuple[float, httpx.Response]:
    start = client.post("/v1/registrations", json={"flow": "member"}).json()
    auth = {"Authorization": f"Bearer {start['token']}"}
    url = f"/v1/registrations/{start['id']}/steps/email"
    began = time.perf_counter()
    response = client.post(url, json={"email": email}, headers=auth)
    elapsed = (time.perf_counter() - began) * 1000
    response.raise_for_status()
    return elapsed, response


def measure(base_url: str, samples: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    existing = [f"owner-{uuid.uuid4().hex[:10]}@example.com" for _ in range(ACCOUNTS)]
    times: dict[str, list[float]] = {"existing": [], "new": []}
    shapes: dict[str, set[tuple[int, tuple[str, ...], tuple[str, ...]]]] = {
        "existing": set(),
        "new": set(),
    }
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for email in existing:
            _register(client, email)
        for i in range(20):  # warm up both paths
            _sample(client, existing[i % ACCOUNTS])
            _sample(client, f"warm-{uuid.uuid4().hex[:12]}@example.com")
        for i in range(samples):
            pair = [
                ("existing", existing[i % ACCOUNTS]),
                ("new", f"new-{uuid.uuid4().hex}@example.com"),
            ]
            rng.shuffle(pair)
            for kind, email in pair:
                elapsed, response = _sample(client, email)
                times[kind].append(elapsed)
                shapes[kind].add(_shape(response))
    if shapes["existing"] != shapes["new"]:
        raise AssertionError(f"the answers differ: {shapes}")
    existing_ms = statistics.median(times["existing"])
    new_ms = statistics.median(times["new"])
    return {"existing_ms": existing_ms, "new_ms": new_ms, "difference_ms": existing_ms - new_ms}


def _reset(client: httpx.Client, email: str) -> tuple[float, httpx.Response]:
    began = time.perf_counter()
    response = client.post("/v1/password-resets", json={"email": email})
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code != 202:
        raise AssertionError(f"reset answered {response.status_code}: {response.text}")
    return elapsed, response


def measure_reset(base_url: str, pairs: int, seed: int) -> dict[str, float]:
    """Pairs of reset requests (existing, unknown) in random order: how often is the existing
    address the slower one? Both kinds rotate over ten addresses that already have a reset
    challenge, so every request does the same statements."""
    rng = random.Random(seed)
    existing = [f"reset-{uuid.uuid4().hex[:10]}@example.com" for _ in range(ACCOUNTS)]
    unknown = [f"unknown-{uuid.uuid4().hex[:10]}@example.com" for _ in range(ACCOUNTS)]
    slower = 0
    times: dict[str, list[float]] = {"existing": [], "unknown": []}
    shapes: dict[str, set[tuple[int, tuple[str, ...], tuple[str, ...]]]] = {
        "existing": set(),
        "unknown": set(),
    }
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for email in existing:
            _register(client, email)
        for i in range(40):  # warm up both paths; every address gets its challenge row
            _reset(client, existing[i % ACCOUNTS])
            _reset(client, unknown[i % ACCOUNTS])
        for i in range(pairs):
            pair = [("existing", existing[i % ACCOUNTS]), ("unknown", unknown[i % ACCOUNTS])]
            rng.shuffle(pair)
            took: dict[str, float] = {}
            for kind, email in pair:
                took[kind], response = _reset(client, email)
                times[kind].append(took[kind])
                shapes[kind].add(_shape(response))
            slower += took["existing"] > took["unknown"]
    if shapes["existing"] != shapes["unknown"]:
        raise AssertionError(f"the answers differ: {shapes}")
    return {
        "existing_slower_pct": 100.0 * slower / pairs,
        "existing_ms": statistics.median(times["existing"]),
        "unknown_ms": statistics.median(times["unknown"]),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=500, help="pairs (existing, new)")
    parser.add_argument("--reset-pairs", type=int, default=1000, help="password reset pairs")
    parser.add_argument("--pairs", type=int, default=1000, help="pairs per email-keyed call")
    parser.add_argument("--only", choices=["signup", "reset", "calls"], default=None)
    parser.add_argument("--call", default=None, help="only the calls whose name has this")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory(prefix="regflow-enum-") as tmp:
        database = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        # no resend cooldown: every reset request does the full work (bench/run.py turns
        # the rate limits off)
        env = {
            "REGFLOW_RESEND_COOLDOWN_SECONDS": "0",
            "REGFLOW_ADMIN_TOKEN": email_keyed.ADMIN_TOKEN,  # imports the accounts it needs
        }
        # the production shape (as bench.run): the API process delivers nothing itself, a
        # `regflow worker` beside it drains the outbox, so no delivery runs inside a
        # measured request
        service = start_service(Path(tmp), database, env, ["--no-worker"], worker=True)
        try:
            if args.only in (None, "calls"):
                results = email_keyed.run(service.base_url, args.pairs, args.seed, args.call)
                print("enumeration: email-keyed calls, existing vs unknown address, paired")
                print(email_keyed.table(results))
                ok = ok and all(r.ok for r in results)
            if args.only in (None, "signup"):
                result = measure(service.base_url, args.samples, args.seed)
                print(
                    f"enumeration: email step median, {args.samples} interleaved samples each: "
                    f"existing {result['existing_ms']:.3f} ms, new {result['new_ms']:.3f} ms, "
                    f"difference {result['difference_ms']:+.3f} ms (limit {LIMIT_MS:.1f} ms)"
                )
                ok = ok and abs(result["difference_ms"]) < LIMIT_MS
            if args.only in (None, "reset"):
                reset = measure_reset(service.base_url, args.reset_pairs, args.seed)
                share = reset["existing_slower_pct"]
                print(
                    f"enumeration: password reset, {args.reset_pairs} pairs: existing slower in "
                    f"{share:.1f} % (limits {RESET_SHARE[0]:.0f}-{RESET_SHARE[1]:.0f} %); "
                    f"medians existing {reset['existing_ms']:.3f} ms, "
                    f"unknown {reset['unknown_ms']:.3f} ms"
                )
                ok = ok and RESET_SHARE[0] <= share <= RESET_SHARE[1]
        finally:
            stop_service(service)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
