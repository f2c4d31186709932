"""Refusals that hold for every route, native and contract, before any field is looked at.

- A route that takes JSON (a native route with a body model, or a seed contract
  route that reads its own body) given another content type answers 415
  ``UNSUPPORTED_MEDIA_TYPE`` (a missing content type is read as JSON, as
  FastAPI does).
- A JSON body nested deeper than :data:`MAX_DEPTH` is refused as a whole
  (``body``: ``TOO_DEEP``) before anything walks it; the size cap is the
  request middleware's (413).
- NUL and the other C0 controls except tab, CR and LF, DEL, and lone surrogates
  (JSON ``"\\ud800"``, which no database stores) are refused wherever they
  appear: path, query, the registration-handle and idempotency headers, and
  every key and string value of a JSON body, with a field error naming where
  (``INVALID_CHARACTERS``). Per-field rules then refuse CR/LF, invisible and
  bidi characters in emails, names and usernames.

Errors are raised as :class:`~regflow.errors.RegflowError` so that each front
end answers them in its own shape: native routes as problem details, each
seed contract through its own mapper.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request

from regflow.errors import ErrorCode, FieldProblem, UnsupportedMediaType, ValidationFailed

_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
MAX_PROBLEMS = 20
MAX_DEPTH = 32
HEADERS = ("x-registration-token", "idempotency-key")
MALFORMED = object()
# what a JSON text must contain to hold a forbidden character once decoded: a raw NUL (UTF-16
# and UTF-32 bodies have them) or DEL, a raw surrogate (``json.loads`` decodes bytes with
# "surrogatepass"), or a \u escape of a control or a surrogate; most bodies have none and
# skip the walk
_SUSPECT = re.compile(rb"[\x00\x7f]|\xed[\xa0-\xbf]|\\u00[01]|\\u007[fF]|\\u[dD][89a-fA-F]")


def takes_json(route: object) -> bool:
    """Whether ``route`` reads a JSON body: a native body model, or a contract's flag."""
    if not isinstance(route, APIRoute):
        return False
    return route.body_field is not None or bool(getattr(route, "json_body", False))


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def parse(raw: bytes, found: list[str] | None = None) -> Any:
    """The JSON value of ``raw`` (``MALFORMED`` when it is not JSON); too deep is refused.

    With ``found``, the paths of keys and strings holding forbidden characters are added.
    """
    try:
        value = json.loads(raw)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:
        return MALFORMED
    nested = raw.count(b"[") + raw.count(b"{") > MAX_DEPTH
    if nested or (found is not None and _SUSPECT.search(raw)):
        _walk(value, found)
    return value


def _refuse_in_body(raw: bytes, found: list[str]) -> None:
    """What ``parse(raw, found)`` refuses, without decoding a body that cannot hold any of
    it: at most :data:`MAX_DEPTH` brackets (so no recursion limit and nothing too deep) and
    nothing :data:`_SUSPECT` (so no forbidden character); the value itself is not needed."""
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH or _SUSPECT.search(raw):
        parse(raw, found)


def _too_deep() -> ValidationFailed:
    return ValidationFailed.single(
        "body", ErrorCode.TOO_DEEP, f"The body nests deeper than {MAX_DEPTH} levels."
    )


Where = tuple[Any, Any] | None  # (parent, key) links: a field's path, built only when needed


def _name(where: Where) -> str:
    parts: list[str] = []
    while where is not None:
        where, key = where
        parts.append(str(key))
    return ".".join(reversed(parts))


def _walk(value: Any, found: list[str] | None) -> None:
    """Refuse nesting past :data:`MAX_DEPTH`; with ``found``, collect the bad strings' paths."""
    stack: list[tuple[Any, int, Where]] = [(value, 0, None)]
    while stack:
        item, level, where = stack.pop()
        if isinstance(item, str):
            if found is not None and _BAD.search(item):
                found.append(_name(where))
                if len(found) >= MAX_PROBLEMS:
                    return
            continue
        if level >= MAX_DEPTH:
            raise _too_deep()
        if isinstance(item, dict):
            for key, child in item.items():
                if found is not None and _BAD.search(key):
                    found.append(_name(where) or "body")
                elif isinstance(child, str | dict | list):
                    stack.append((child, level + 1, (where, key)))
        elif isinstance(item, list):
            stack.extend(
                (child, level + 1, (where, index))
                for index, child in enumerate(item)
                if isinstance(child, str | dict | list)
            )


def _check(value: str, where: str, found: list[str]) -> None:
    if _BAD.search(value):
        found.append(where)


async def refuse_bad_input(request: Request) -> None:
    """The app-wide input dependency (415, depth, then forbidden characters)."""
    json_route = takes_json(request.scope.get("route")) and request.method in _WITH_BODY
    content_type = request.headers.get("content-type")
    if json_route and content_type is not None and not is_json(content_type):
        if await request.body():
            raise UnsupportedMediaType()
    found: list[str] = []
    for name, value in request.path_params.items():
        _check(str(value), str(name), found)
    for name, value in request.query_params.multi_items():
        _check(value, name, found)
        _check(name, name, found)
    for header in HEADERS:
        for value in request.headers.getlist(header):
            _check(value, header, found)
    if json_route:
        raw = await request.body()
        if raw:
            _refuse_in_body(raw, found)  # malformed JSON is answered by the route itself
    if found:
        message = "Remove control characters and broken Unicode."
        raise ValidationFailed(
            [
                FieldProblem(field or "body", ErrorCode.INVALID_CHARACTERS, message)
                for field in found
            ]
        )
