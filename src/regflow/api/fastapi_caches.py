"""FastAPI's per-request questions about a parameter, answered once per parameter.

For every header, query, path and cookie parameter of every request, FastAPI
(``fastapi.dependencies.utils``) asks again what the route's declaration
already decided: whether the annotation is a sequence (walking ``str | None``
through ``typing.get_origin``), whether the parameter is a Pydantic model, and
its aliases. The answers depend on the declaration alone, so :func:`install`
keeps each one: per annotation, or per parameter object (by ``id``, checked
through a weak reference that drops the entry with its object). The same
answers, without the walk: a route with two headers (the registration token)
asked about forty ``typing`` questions per request. Without the helpers
(another FastAPI), it does nothing.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import fastapi.dependencies.utils as solving

_INSTALLED = "_regflow_cached"
NAMES = ("field_annotation_is_sequence", "_get_param_model", "_get_param_aliases")
ORIGINALS: dict[str, Callable[..., Any]] = {}  # FastAPI's own, once installed


def _per_annotation(original: Callable[[Any], bool]) -> Callable[[Any], bool]:
    answers: dict[Any, bool] = {}

    def cached(annotation: Any) -> bool:
        try:
            return answers[annotation]
        except KeyError:
            answer = answers[annotation] = original(annotation)
            return answer
        except TypeError:  # an annotation that cannot be a key
            return original(annotation)

    return cached


def _per_field(original: Callable[..., Any]) -> Callable[..., Any]:
    answers: dict[tuple[int, bool], tuple[weakref.ref[Any], Any]] = {}

    def cached(field: object, **options: bool) -> Any:
        if options and set(options) != {"convert_underscores"}:
            return original(field, **options)
        key = (id(field), options.get("convert_underscores", False))
        found = answers.get(key)
        if found is not None and found[0]() is field:
            return found[1]
        answer = original(field, **options)
        try:  # the entry goes with its parameter (apps come and go in one process)
            held = weakref.ref(field, lambda _, key=key: answers.pop(key, None))  # type: ignore[misc]
        except TypeError:
            return answer
        answers[key] = (held, answer)
        return answer

    return cached


def install() -> None:
    """Wrap the helpers once per process (idempotent)."""
    helpers = [getattr(solving, name, None) for name in NAMES]
    if any(h is None or getattr(h, _INSTALLED, False) for h in helpers):
        return
    wrapped = (
        _per_annotation(helpers[0]),  # type: ignore[arg-type]
        _per_field(helpers[1]),  # type: ignore[arg-type]
        _per_field(helpers[2]),  # type: ignore[arg-type]
    )
    for name, original, helper in zip(NAMES, helpers, wrapped, strict=True):
        setattr(helper, _INSTALLED, True)
        ORIGINALS[name] = original  # type: ignore[assignment]
        setattr(solving, name, helper)
