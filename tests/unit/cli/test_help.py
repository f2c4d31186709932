"""The command line: ``--version`` and help text a person can read."""

from __future__ import annotations

import re
from importlib.metadata import version

import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from regflow.cli.main import cli


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
    assert ("db", "upgrade") in paths and ("serve",) in paths
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
