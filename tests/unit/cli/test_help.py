"""The command line: ``--version`` and help text a person can read."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from regflow.cli.main import cli, event_loop, is_loopback, local_public_url


def _paths(command: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            found += _paths(sub, (*prefix, name))
    return found


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"regflow {version('regflow')}"


def test_no_help_text_shows_a_type_marker() -> None:
    paths = _paths(typer.main.get_command(cli))
    assert ("users", "import") in paths and ("serve",) in paths
    runner = CliRunner()
    for path in paths:
        result = runner.invoke(cli, [*path, "--help"], prog_name="regflow")
        assert result.exit_code == 0, (path, result.output)
        assert "Usage: regflow" in result.output
        assert not re.search(r"<(bool|str|int|float|path|list\[str\])>", result.output), (
            path,
            result.output,
        )
        assert "╭" not in result.output  # plain text, no boxes


def test_mail_links_follow_the_port_serve_listens_on() -> None:
    assert local_public_url("127.0.0.1", 8420) == "http://127.0.0.1:8420"
    assert local_public_url("0.0.0.0", 8420) == "http://127.0.0.1:8420"  # noqa: S104
    assert local_public_url("::1", 9000) == "http://[::1]:9000"
    assert is_loopback("localhost") and is_loopback("::1") and not is_loopback("10.0.0.2")


def test_serve_refuses_several_processes_without_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGFLOW_REDIS_URL", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--workers", "3", "--port", "1"])
    assert result.exit_code == 2
    assert "REGFLOW_REDIS_URL" in result.output and "--workers 3" in result.output


def test_sweep_runs_one_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGFLOW_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("REGFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REGFLOW_SECRET_KEY", "k" * 40)
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(cli, ["sweep"])
    assert result.exit_code == 0, result.output
    assert "expired 0 registrations, pruned 0 events, removed 0 rows" in result.output


@pytest.mark.parametrize(("workers", "loop"), [(1, "asyncio"), (2, "auto")])
def test_serve_picks_the_loop_for_its_process_count(
    workers: int, loop: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One process: asyncio's loop (it accepts a burst of connections at once); several
    sharing a socket: uvloop, whose one accept per turn spreads them across processes."""
    seen: dict[str, object] = {}
    monkeypatch.setattr("regflow.cli.main.uvicorn.run", lambda *a, **k: seen.update(k))
    monkeypatch.setenv("REGFLOW_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("REGFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REGFLOW_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("REGFLOW_REDIS_URL", "redis://127.0.0.1:6379/0")
    # serve writes these for its server processes: restored after the test
    monkeypatch.setenv("REGFLOW_PUBLIC_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("REGFLOW_EMBEDDED_WORKER", "true")
    result = CliRunner().invoke(cli, ["serve", "--workers", str(workers), "--port", "1"])
    assert result.exit_code == 0, result.output
    assert seen["loop"] == loop == event_loop(workers)
    assert seen["workers"] == workers
