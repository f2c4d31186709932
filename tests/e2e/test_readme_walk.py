"""The README's curl walk, pasted as one block into bash, twice, against a real port.

The service runs as ``make run`` runs it (dev mailbox on, no ``REGFLOW_PUBLIC_URL``),
so this also checks that mail links follow the port ``serve`` listens on.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from support.server import running_service

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
JWT = re.compile(r"^[\w-]+\.[\w-]+\.[\w-]+$")


def walk_block() -> str:
    """The first ``sh`` block under the README's "Walk the member flow with curl"."""
    text = README.read_text()
    section = text[text.index("## Walk the member flow with curl") :]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, "the README has no sh block under its curl walk"
    return match.group(1)


@pytest.mark.skipif(
    not (shutil.which("bash") and shutil.which("curl") and shutil.which("python3")),
    reason="the README's walk needs bash, curl and python3 on PATH",
)
def test_the_readme_walk_pastes_twice_and_ends_with_a_login_token(tmp_path: Path) -> None:
    block = walk_block()
    env = {"REGFLOW_DEV_MAILBOX": "true"}
    with running_service(tmp_path, env, public_url=False) as base_url:
        port = base_url.rsplit(":", 1)[1]
        tokens = []
        for _ in range(2):
            pasted = subprocess.run(
                ["bash", "-i"],  # interactive, like a terminal the block is pasted into
                input=block,
                env={"PATH": "/usr/bin:/bin:/usr/local/bin", "PORT": port, "HOME": str(tmp_path)},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            lines = pasted.stdout.strip().splitlines()
            assert lines and JWT.match(lines[-1]), pasted.stdout + pasted.stderr
            assert '"account":{' in pasted.stdout, pasted.stdout  # step 5 completed
            tokens.append(lines[-1])
        assert tokens[0] != tokens[1]
        mails = httpx.get(f"{base_url}/dev/mailbox.json").json()
    codes = [m for m in mails if m["template"] == "verification_code"]
    assert len({m["recipient"] for m in codes}) == 2  # a fresh address each run
    assert all(m["link"].startswith(f"{base_url}/") for m in codes), codes
