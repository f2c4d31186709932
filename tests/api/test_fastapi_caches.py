"""FastAPI's questions about a parameter, kept per parameter, get FastAPI's own answers."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastapi.dependencies.utils as solving
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, _IncludedRouter

from regflow.api import fastapi_caches
from regflow.app import create_app
from support.harness import make_settings


def _dependants(app: FastAPI) -> Iterator[Dependant]:
    for route in app.router.routes:
        if isinstance(route, _IncludedRouter):
            for context in route.effective_route_contexts():
                if context.dependant is not None:
                    yield context.dependant
        elif isinstance(route, APIRoute):
            yield route.dependant


def _fields(dependant: Dependant) -> Iterator[Any]:
    for kind in ("path_params", "query_params", "header_params", "cookie_params", "body_params"):
        yield from getattr(dependant, kind)
    for sub in dependant.dependencies:
        yield from _fields(sub)


def test_every_parameter_of_the_app_gets_fastapis_own_answers(
    sqlite_url: str, tmp_path: Path
) -> None:
    app = create_app(make_settings(sqlite_url, tmp_path, admin_token="t" * 40), run_worker=False)
    assert set(fastapi_caches.ORIGINALS) == set(fastapi_caches.NAMES)
    original = fastapi_caches.ORIGINALS
    fields = [f for d in _dependants(app) for f in _fields(d)]
    assert len(fields) > 100
    sequence = getattr(solving, "field_annotation_is_sequence")  # noqa: B009
    for field in fields * 2:  # the second round is answered from the cache
        annotation = field.field_info.annotation
        assert sequence(annotation) == original["field_annotation_is_sequence"](annotation)
        assert solving._get_param_model(field) == original["_get_param_model"](field)
        for convert in (False, True):
            assert solving._get_param_aliases(field, convert_underscores=convert) == original[
                "_get_param_aliases"
            ](field, convert_underscores=convert)
        assert solving._get_param_aliases(field) == original["_get_param_aliases"](field)


def test_an_answer_goes_with_its_parameter() -> None:
    class Field:
        def __init__(self, name: str) -> None:
            self.name = name

    seen: list[str] = []

    def ask(field: Field, **options: bool) -> str:
        seen.append(field.name)
        return field.name

    cached = fastapi_caches._per_field(ask)
    first = Field("a")
    assert cached(first) == "a" and cached(first) == "a" and seen == ["a"]
    del first
    gc.collect()
    for n in range(50):  # a new object often takes a dead one's id: never its answer
        assert cached(Field(f"f{n}")) == f"f{n}"
    assert len(seen) == 51
    helper = solving._get_param_model
    fastapi_caches.install()  # again: nothing changes
    assert solving._get_param_model is helper
