"""``regflow users import``: every refusal by line, resume, dry run, and bcrypt users logging in.

The command runs as an operator runs it (``CliRunner`` over the real command, settings from
``REGFLOW_*``) against both databases; logins go through the real API afterwards.
"""

from __future__ import annotations

import asyncio
import csv
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import bcrypt
import pytest
from typer.testing import CliRunner, Result

from regflow.cli.main import cli
from regflow.core.model import Organization
from support.harness import SECRET_KEY, make_settings, started_app

PASSWORD = "correct horse battery staple"
HEADER = [
    "email",
    "first_name",
    "last_name",
    "username",
    "email_verified",
    "organization",
    "role",
    "password",
    "password_hash",
]


def tag() -> str:
    return uuid.uuid4().hex[:10]


def bcrypt_hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("REGFLOW_DATABASE_URL", db_url)
    monkeypatch.setenv("REGFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REGFLOW_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("REGFLOW_ARGON2_MEMORY_KIB", "8192")
    monkeypatch.setenv("REGFLOW_ARGON2_TIME_COST", "1")
    return db_url


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["users", "import", *args], prog_name="regflow")


def login_status(db_url: str, tmp_path: Path, email: str, password: str) -> tuple[int, str]:
    """The status of a real login, and the stored hash afterwards."""

    async def go() -> tuple[int, str]:
        async with started_app(make_settings(db_url, tmp_path)) as h:
            r = await h.client.post("/v1/sessions", json={"email": email, "password": password})
            async with h.runtime.uow(read_only=True) as uow:
                account = await uow.accounts.get_by_email(email)
            assert account is not None
            return r.status_code, account.password_hash

    return asyncio.run(go())


def add_organization(db_url: str, tmp_path: Path, slug: str) -> str:
    async def go() -> str:
        async with started_app(make_settings(db_url, tmp_path)) as h:
            org = Organization(
                id=str(uuid.uuid4()),
                name=f"Org {slug}",
                slug=slug,
                join_code=f"IN-ORG-2025-{slug[:6].upper()}",
                created_at=datetime.now(UTC),
            )
            async with h.runtime.uow() as uow:
                await uow.organizations.add(org)
                await uow.commit()
            return org.id

    return asyncio.run(go())


def test_bcrypt_users_log_in_and_their_hash_becomes_argon2id(env: str, tmp_path: Path) -> None:
    t = tag()
    email = f"grace-{t}@example.com"
    legacy = bcrypt_hash("legacy pass phrase 1906")
    path = write_csv(
        tmp_path / "users.csv",
        [
            {
                "email": email,
                "first_name": "Grace",
                "last_name": "Hopper",
                "username": f"grace{t}",
                "email_verified": "true",
                "password_hash": legacy,
            },
            {"email": f"alan-{t}@example.com", "email_verified": "yes", "password": PASSWORD},
        ],
    )
    result = run(str(path))
    assert result.exit_code == 0, result.output
    assert "imported 2, skipped 0 (already imported), refused 0 rows" in result.output
    status, stored = login_status(env, tmp_path, email, "legacy pass phrase 1906")
    assert status == 200
    assert stored.startswith("$argon2id$")  # upgraded at the first login
    assert login_status(env, tmp_path, email, "legacy pass phrase 1906")[0] == 200
    assert login_status(env, tmp_path, email, "wrong pass phrase 1906")[0] == 401
    status, stored = login_status(env, tmp_path, f"alan-{t}@example.com", PASSWORD)
    assert status == 200 and stored.startswith("$argon2id$")


def test_every_refusal_is_reported_by_line_and_nothing_of_that_row_is_written(
    env: str, tmp_path: Path
) -> None:
    t = tag()
    slug = f"org-{t}"
    add_organization(env, tmp_path, slug)
    good = bcrypt_hash("a fine old password")
    taken = f"taken-{t}@example.com"
    earlier = f"earlier-{t}@example.com"  # imported by an earlier run
    before = write_csv(
        tmp_path / "before.csv", [{"email": earlier, "username": f"pre{t}", "password_hash": good}]
    )
    assert run(str(before)).exit_code == 0
    rows = [
        {"email": taken, "username": f"taken{t}", "password_hash": good},  # line 2: imported
        {"email": "not-an-email", "password_hash": good},  # 3
        {"email": f"a-{t}@example.com", "password": "Passw0rd!"},  # 4: guessable
        {"email": f"b-{t}@example.com", "password_hash": "$1$md5$notsupported"},  # 5
        {"email": f"c-{t}@example.com"},  # 6: no password at all
        {"email": f"d-{t}@example.com", "password": PASSWORD, "password_hash": good},  # 7
        {"email": taken.upper(), "password_hash": good},  # 8: the same address again
        {"email": f"e-{t}@example.com", "username": f"TAKEN{t}", "password_hash": good},  # 9
        {"email": f"f-{t}@example.com", "organization": "nowhere", "password_hash": good},  # 10
        {
            "email": f"g-{t}@example.com",
            "organization": slug,
            "role": "king",
            "password_hash": good,
        },
        {"email": f"h-{t}@example.com", "email_verified": "maybe", "password_hash": good},  # 12
        {"email": f"i-{t}@example.com", "username": "a b", "password_hash": good},  # 13
        {
            "email": f"j-{t}@example.com",
            "organization": slug,
            "role": "teacher",
            "password_hash": good,
        },
        {"email": earlier, "password_hash": good},  # 15: taken in the database
        {"email": f"k-{t}@example.com", "username": f"PRE{t}", "password_hash": good},  # 16
    ]
    report = tmp_path / "refused.csv"
    result = run(str(write_csv(tmp_path / "users.csv", rows)), "--report", str(report))
    assert result.exit_code == 1, result.output
    refused = {
        (int(r["line"]), r["field"], r["code"])
        for r in csv.DictReader(report.read_text().splitlines())
    }
    assert refused == {
        (3, "email", "INVALID_EMAIL"),
        (4, "password", "PASSWORD_COMMON"),
        (5, "password_hash", "INVALID_VALUE"),
        (6, "password", "REQUIRED"),
        (7, "password", "INVALID_VALUE"),
        (8, "email", "DUPLICATE"),
        (9, "username", "DUPLICATE"),
        (10, "organization", "NOT_FOUND"),
        (11, "role", "INVALID_VALUE"),
        (12, "email_verified", "INVALID_VALUE"),
        (13, "username", "USERNAME_INVALID"),
        (15, "email", "EMAIL_TAKEN"),
        (16, "username", "USERNAME_TAKEN"),
    }
    assert "line 4: password: PASSWORD_COMMON" in result.output
    assert "line 8: email: DUPLICATE: The same email as line 2." in result.output
    assert "imported 2, skipped 0 (already imported), refused 13 rows" in result.output

    async def check() -> None:
        async with started_app(make_settings(env, tmp_path)) as h, h.runtime.uow() as uow:
            for line, row in enumerate(rows, start=2):
                account = await uow.accounts.get_by_email(row["email"].lower())
                if line in (2, 8, 15):
                    assert account is not None
                elif line == 14:
                    assert account is not None
                    (membership,) = await uow.memberships.for_account(account.id)
                    assert (membership.role, membership.status) == ("teacher", "active")
                elif "@" in row["email"]:
                    assert account is None, line

    asyncio.run(check())


def test_resume_skips_the_rows_imported_before_and_dry_run_writes_nothing(
    env: str, tmp_path: Path
) -> None:
    t = tag()
    hashed = bcrypt_hash("a fine old password")
    rows = [{"email": f"r{i}-{t}@example.com", "password_hash": hashed} for i in range(7)]
    first = write_csv(tmp_path / "first.csv", rows[:4])  # an import interrupted after 4 rows
    assert run(str(first), "--batch-size", "2").exit_code == 0
    whole = write_csv(tmp_path / "whole.csv", rows)
    dry = run(str(whole), "--resume", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would import 3, skipped 4 (already imported), refused 0" in dry.output
    again = run(str(whole), "--dry-run")  # without --resume, the first four are refused
    assert again.exit_code == 1
    assert "refused 4 rows" in again.output
    resumed = run(str(whole), "--resume", "--batch-size", "2")
    assert resumed.exit_code == 0, resumed.output
    assert "imported 3, skipped 4 (already imported), refused 0" in resumed.output
    final = run(str(whole), "--resume")
    assert "imported 0, skipped 7" in final.output


def test_json_lines_count_their_own_lines(env: str, tmp_path: Path) -> None:
    t = tag()
    hashed = bcrypt_hash("a fine old password")
    lines = [
        json.dumps(
            {"email": f"j1-{t}@example.com", "password_hash": hashed, "email_verified": True}
        ),
        "{not json",
        json.dumps({"email": f"j2-{t}@example.com", "password_hash": hashed, "shoe_size": 9}),
        json.dumps(["a list"]),
        json.dumps({"email": f"j3-{t}@example.com", "password": PASSWORD}),
    ]
    path = tmp_path / "users.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run(str(path))
    assert result.exit_code == 1
    assert "line 2: row: INVALID_JSON" in result.output
    assert "line 3: row: UNKNOWN_COLUMN" in result.output
    assert "line 4: row: INVALID_JSON" in result.output
    assert "imported 2, skipped 0 (already imported), refused 3 rows" in result.output


def test_a_header_with_unknown_columns_stops_before_any_row(env: str, tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("email,pasword\nx@example.com,secret\n")
    result = run(str(path))
    assert result.exit_code == 2
    assert "unknown columns ['pasword']" in result.output
