"""Structured JSON logs with a redaction layer.

Whatever a record carries, emails are masked and anything that looks like a
secret (codes, tokens, passwords, JWTs) is dropped before it is written.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_CODE = re.compile(r"(?<![\w-])\d{6}(?![\w-])")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"']+")
_LONG_SECRET = re.compile(r"(?<![\w-])[A-Za-z0-9_-]{32,}(?![\w-])")
_SECRET_KEYS = {
    "password",
    "password_confirmation",
    "code",
    "token",
    "access_token",
    "authorization",
    "secret",
    "link",
    "password_hash",
    "cookie",
}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# what any of the patterns above needs to match: text without it is returned as it is (most
# log values: messages, methods, route templates, numbers)
_SUSPECT = re.compile(r"@|eyJ|(?i:bearer)\s|\d{6}|[A-Za-z0-9_-]{32}")
_SHORTEST = 6  # the shortest text any pattern matches (a code, "a@b.cd")
# short texts seen to hold nothing to remove (messages, methods, route templates), bounded
_CLEAN: dict[str, None] = {}
_CLEAN_MAX, _CLEAN_LONGEST = 2048, 160


def redact(text: str) -> str:
    """Mask emails and remove secrets from free text."""
    if text in _CLEAN or len(text) < _SHORTEST or _UUID.fullmatch(text):
        return text  # a bare id (a request id) holds nothing to remove either
    if _SUSPECT.search(text) is None:
        if len(text) <= _CLEAN_LONGEST and len(_CLEAN) < _CLEAN_MAX:
            _CLEAN[text] = None
        return text
    uuids = _UUID.findall(text)
    text = _JWT.sub("[jwt]", text)
    text = _BEARER.sub(r"\1[redacted]", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    text = _LONG_SECRET.sub(lambda m: m.group(0) if m.group(0) in uuids else "[secret]", text)
    return _CODE.sub("[code]", text)


def _clean(value: Any, key: str = "") -> Any:
    if key.lower() in _SECRET_KEYS:
        return "[redacted]"
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _clean(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}
_ENCODER = json.JSONEncoder(default=str)  # json.dumps(entry, default=str) without a new encoder
# its C encoder, made once (``JSONEncoder.encode`` makes one per call): the same text, without
# the circular-reference bookkeeping, which a cleaned entry (new dicts and lists) never needs
_C_ENCODER = (
    c_make_encoder(None, str, encode_basestring_ascii, None, ": ", ", ", False, False, True)
    if c_make_encoder is not None
    else None
)


def _encode(entry: dict[str, Any]) -> str:
    if _C_ENCODER is None:
        return _ENCODER.encode(entry)
    return "".join(_C_ENCODER(entry, 0))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _clean(value, key)
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return _encode(entry)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: str = "INFO", *, json_format: bool = True) -> None:
    """Route every logger (uvicorn's included) through one redacting handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if json_format else TextFormatter("%(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our middleware logs route templates
