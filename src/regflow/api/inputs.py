"""Refusals that hold for every route, before any field is looked at.

- A JSON route given another content type answers 415 ``UNSUPPORTED_MEDIA_TYPE``
  (a missing content type is read as JSON, as FastAPI does).
- NUL and the other C0 controls except tab, CR and LF, DEL, and lone surrogates
  (JSON ``"\\ud800"``, which no database stores) are refused wherever they
  appear: path, query, and every key and string value of a JSON body, with a
  field error naming where (``INVALID_CHARACTERS``). Per-field rules then
  refuse CR/LF, invisible and bidi characters in emails, names and usernames.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request

from regflow.errors import ErrorCode, FieldProblem, ValidationFailed

_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
MAX_PROBLEMS = 20


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _scan(value: Any, where: str, found: list[str]) -> None:
    if len(found) >= MAX_PROBLEMS:
        return
    if isinstance(value, str):
        if _BAD.search(value):
            found.append(where)
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            if _BAD.search(str(key)):
                found.append(where or "body")
            else:
                _scan(item, name, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _scan(item, f"{where}.{index}" if where else str(index), found)


async def refuse_bad_input(request: Request) -> None:
    """The app-wide input dependency (415, then forbidden characters)."""
    route = request.scope.get("route")
    has_json_body = isinstance(route, APIRoute) and route.body_field is not None
    content_type = request.headers.get("content-type")
    if has_json_body and request.method in _WITH_BODY and content_type is not None:
        if not _is_json(content_type) and await request.body():
            raise HTTPException(415, "Send the body as application/json.")
    found: list[str] = []
    for name, value in request.path_params.items():
        _scan(str(value), str(name), found)
    for name, value in request.query_params.multi_items():
        _scan(value, name, found)
        _scan(name, name, found)
    if has_json_body and (content_type is None or _is_json(content_type)):
        raw = await request.body()
        if raw:
            try:
                _scan(json.loads(raw), "", found)
            except ValueError:
                pass  # malformed JSON is answered by FastAPI (MALFORMED_JSON)
    if found:
        message = "Remove control characters and broken Unicode."
        raise ValidationFailed(
            [
                FieldProblem(field or "body", ErrorCode.INVALID_CHARACTERS, message)
                for field in found
            ]
        )
