"""The JSON columns' serializer: json.dumps's text and errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from regflow.persistence.database import create_engine, json_text

VALUES: list[Any] = [
    {},
    [],
    {"email": "ana@example.com", "name": "Ana Nüñez 😀", "n": 1, "ok": True, "none": None},
    {"nested": {"list": [1, 2.5, -0.0, 1e300, "x\u2028y", "\x00\x1f"], "z": {"a": [{}]}}},
    {1: "int key", 2.5: "float key", False: "bool key", None: "none key"},
    [float("nan"), float("inf"), float("-inf")],
    "a bare string \u00e9",
    "",
    12,
    3.25,
    None,
    False,
    ("a", "tuple"),
]


@pytest.mark.parametrize("value", VALUES)
def test_the_same_text_as_json_dumps(value: Any) -> None:
    assert json_text(value) == json.dumps(value)


def test_the_same_errors_as_json_dumps() -> None:
    circular: list[Any] = []
    circular.append(circular)
    for bad, error in (
        (circular, ValueError),
        ({"x": object()}, TypeError),
        ({(1,): 2}, TypeError),
    ):
        with pytest.raises(error) as ours:
            json_text(bad)
        with pytest.raises(error) as theirs:
            json.dumps(bad)
        assert str(ours.value) == str(theirs.value)
    assert json_text({"after": "errors"}) == '{"after": "errors"}'  # nothing left behind


@pytest.mark.parametrize(
    "url", ["sqlite+aiosqlite:///:memory:", "postgresql+asyncpg://u@127.0.0.1:1/x"]
)
def test_both_engines_use_it(url: str) -> None:
    engine = create_engine(url)
    assert engine.sync_engine.dialect._json_serializer is json_text
