"""The TypeScript client (clients/typescript): its types match the API, its tests pass.

1. The committed ``src/schema.d.ts`` is what ``make client`` generates from the native
   API's OpenAPI today: a change to the API without ``make client`` fails here.
2. ``npm ci && npm test`` (Node's test runner) walks the member flow against the service
   on a real port, the code read from the dev mailbox.

Skips, with the reason, where Node.js or npm is missing.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from support.server import regflow_command, running_service

pytestmark = pytest.mark.e2e

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "typescript"
GENERATE = ["--default-non-nullable", "false"]  # as package.json's "generate" script
NPM = shutil.which("npm")
NODE = shutil.which("node")


def npm(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    done = subprocess.run(
        [str(NPM), *args],
        cwd=CLIENT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"npm {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed() -> None:
    if not (NPM and NODE):
        pytest.skip("Node.js and npm are not installed: the TypeScript client is not tested")
    npm("ci", "--prefer-offline", "--no-audit", "--no-fund")


def openapi_document(tmp_path: Path) -> Path:
    """The native API's OpenAPI as ``make client`` makes it: defaults, no seed contracts."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "REGFLOW_CONTRACTS": "",
        "REGFLOW_DATA_DIR": str(tmp_path / "data"),
        "REGFLOW_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'openapi.db'}",
        "REGFLOW_SECRET_KEY": "openapi-generation-only-0123456789",
    }
    done = subprocess.run(
        [regflow_command(), "openapi"], env=env, capture_output=True, timeout=300, check=True
    )
    path = tmp_path / "openapi.json"
    path.write_bytes(done.stdout)
    return path


def test_the_committed_types_match_the_api(installed: None, tmp_path: Path) -> None:
    script = json.loads((CLIENT / "package.json").read_text())["scripts"]["generate"]
    assert " ".join(GENERATE) in script
    fresh = tmp_path / "schema.d.ts"
    npm("exec", "--", "openapi-typescript", str(openapi_document(tmp_path)), *GENERATE,
        "--output", str(fresh))  # fmt: skip
    committed = (CLIENT / "src" / "schema.d.ts").read_text()
    if fresh.read_text() != committed:
        diff = difflib.unified_diff(
            committed.splitlines(), fresh.read_text().splitlines(), "committed", "API", n=1
        )
        pytest.fail(
            "clients/typescript/src/schema.d.ts is stale: run `make client` and commit it\n"
            + "\n".join(list(diff)[:60])
        )


def test_npm_test_walks_the_member_flow_on_a_real_port(installed: None, tmp_path: Path) -> None:
    with running_service(tmp_path, {"REGFLOW_DEV_MAILBOX": "true"}) as base_url:
        output = npm("test", env={"REGFLOW_URL": base_url})
    assert "# pass 1" in output and "# fail 0" in output, output
    assert "# skipped 0" in output, output
