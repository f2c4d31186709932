"""``regflow users import`` of 100,000 rows with bcrypt hashes: rows per second.

``python -m bench.imports`` (``make bench``) writes a CSV of ``--rows`` people (every
column filled, a bcrypt hash each: the importer checks a hash's form, it does not
recompute it, so a pool of 64 real hashes stands in for 100,000 distinct ones), runs
the real command against a fresh SQLite database (or, with ``--database-url``, a
private database on that PostgreSQL server), checks that every row became an account,
and prints the rate. The temp dir is deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import bcrypt
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from regflow.persistence.tables import accounts

HEADER = ["email", "first_name", "last_name", "username", "email_verified", "password_hash"]


def write_rows(path: Path, rows: int) -> None:
    hashes = [
        bcrypt.hashpw(f"pw-{i}".encode(), bcrypt.gensalt(rounds=10)).decode() for i in range(64)
    ]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow(
                [
                    f"person{i}@bench.example.com",
                    "Ada",
                    "Lovelace",
                    f"person{i}",
                    "true",
                    hashes[i % 64],
                ]
            )


async def count_accounts(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(accounts)) or 0)
    finally:
        await engine.dispose()


async def pg_admin(server_url: str, sql: str) -> None:
    url = make_url(server_url).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--database-url", help="a PostgreSQL server (a private database is made)")
    args = parser.parse_args()
    command = str(Path(sys.executable).parent / "regflow")
    workdir = Path(tempfile.mkdtemp(prefix="regflow-import-bench-"))
    pg_name = None
    try:
        if args.database_url:
            pg_name = f"regflow_import_bench_{uuid.uuid4().hex[:8]}"
            asyncio.run(pg_admin(args.database_url, f'CREATE DATABASE "{pg_name}"'))
            url = make_url(args.database_url).set(database=pg_name).render_as_string(False)
        else:
            url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGFLOW_")}
        env |= {
            "REGFLOW_DATABASE_URL": url,
            "REGFLOW_DATA_DIR": str(workdir / "data"),
            "REGFLOW_LOG_LEVEL": "WARNING",
        }
        subprocess.run([command, "db", "upgrade"], env=env, check=True, capture_output=True)
        source = workdir / "people.csv"
        write_rows(source, args.rows)
        started = time.monotonic()
        done = subprocess.run(
            [command, "users", "import", str(source), "--batch-size", str(args.batch_size)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.monotonic() - started
        if done.returncode != 0:
            raise SystemExit(f"regflow users import failed:\n{done.stdout}\n{done.stderr}")
        imported = asyncio.run(count_accounts(url))
        assert imported == args.rows, (imported, done.stdout)
        backend = make_url(url).get_backend_name()
        print(f"users import ({backend}): {args.rows:,} rows with bcrypt hashes in {elapsed:.1f}s")
        print(f"  {args.rows / elapsed:,.0f} rows/s, process start included; {done.stdout.strip()}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if pg_name and args.database_url:
            asyncio.run(pg_admin(args.database_url, f'DROP DATABASE IF EXISTS "{pg_name}"'))


if __name__ == "__main__":
    main()
