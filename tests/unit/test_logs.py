"""The log redaction: what it removes, and that its shortcuts change no line."""

from __future__ import annotations

import json
import logging
import re

import pytest

from regflow import logs

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXBhcnQ"
SECRET = "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA"
ID = "e892b2e6-c579-48e6-bf93-bc77ce631302"

CASES = [
    ("request", "request"),
    ("POST", "POST"),
    ("", ""),
    ("12345", "12345"),
    ("/v1/registrations/{registration_id}/steps/{step}", None),
    (ID, ID),
    (f"id {ID} sent", f"id {ID} sent"),
    ("your code is 123456.", "your code is [code]."),
    ("123456", "[code]"),
    ("order-123456 and 1234567", "order-123456 and 1234567"),
    ("email sent to jane@example.com", "email sent to j***@example.com"),
    ("a@b.cd", "a***@b.cd"),
    (f"token {JWT}", "token [jwt]"),
    ("Authorization: Bearer abc.def", "Authorization: Bearer [redacted]"),
    ("BEARER\tsecret-value", "BEARER\t[redacted]"),
    ("bearer", "bearer"),
    (f"link /v1/verify/{SECRET}", "link /v1/verify/[secret]"),
    ("a" * 31, "a" * 31),
    ("a" * 32, "[secret]"),
    ("x" * 200, "[secret]"),
]


def _reference(text: str) -> str:
    """The redaction spelled out without shortcuts (every pattern, every time)."""
    uuids = logs._UUID.findall(text)
    text = logs._JWT.sub("[jwt]", text)
    text = logs._BEARER.sub(r"\1[redacted]", text)
    text = logs._EMAIL.sub(r"\1***@\2", text)
    text = logs._LONG_SECRET.sub(lambda m: m.group(0) if m.group(0) in uuids else "[secret]", text)
    return logs._CODE.sub("[code]", text)


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_redact_removes_secrets_and_keeps_the_rest(text: str, expected: str | None) -> None:
    want = text if expected is None else expected
    assert logs.redact(text) == want
    assert logs.redact(text) == want  # again: a remembered clean text stays right
    assert _reference(text) == want


def test_redact_shortcuts_agree_with_every_pattern() -> None:
    pieces = ["a", "Z", "0", "7", "-", "_", "@", ".", " ", "\t", "/", "é", "٣", "eyJ", "earer"]
    pieces += ["Bearer ", "123456", "example.com", ID, "x" * 31, JWT[:20]]
    texts = [a + b + c for a in pieces for b in pieces for c in pieces[:8]]
    for text in texts:
        assert logs.redact(text) == _reference(text), text


def test_access_line_is_json_with_its_fields() -> None:
    record = logging.makeLogRecord(
        {
            "name": "regflow.access",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "request",
            "request_id": ID,
            "method": "POST",
            "route": "/v1/registrations/{registration_id}",
            "status": 200,
            "ms": 1.25,
            "token": "abc",
        }
    )
    line = logs.JsonFormatter().format(record)
    entry = json.loads(line)
    assert list(entry)[:4] == ["ts", "level", "logger", "msg"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", entry["ts"])
    assert {k: v for k, v in entry.items() if k != "ts"} == {
        "level": "info",
        "logger": "regflow.access",
        "msg": "request",
        "request_id": ID,
        "method": "POST",
        "route": "/v1/registrations/{registration_id}",
        "status": 200,
        "ms": 1.25,
        "token": "[redacted]",
    }
    assert line == json.dumps(entry, default=str)  # json.dumps' own separators


class _Opaque:
    def __str__(self) -> str:
        return "opaque é"


def test_a_line_is_json_dumps_of_its_entry_whatever_it_holds() -> None:
    """The encoder made once writes what ``json.dumps(entry, default=str)`` writes."""
    extra = {
        "ms": 0.1 + 0.2,
        "big": 10**30,
        "nan": float("nan"),
        "inf": float("-inf"),
        "flag": True,
        "none": None,
        "words": 'été \u2028 \x01 "quoted" \\ 中文 😀',
        "nested": {"a": [1, 2.5, {"b": (3, "x")}], 4: "int key"},
        "thing": _Opaque(),
        "when": {1.5: "float key", None: "none key", True: "bool key"},
    }
    record = logging.makeLogRecord({"name": "regflow", "msg": "m", **extra})
    line = logs.JsonFormatter().format(record)
    entry = json.loads(line)
    cleaned = {k: logs._clean(v, k) for k, v in extra.items()}
    assert line == json.dumps(
        {**{k: entry[k] for k in ("ts", "level", "logger", "msg")}, **cleaned}, default=str
    )
