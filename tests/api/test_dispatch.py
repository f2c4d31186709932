"""The indexed route table picks the route the linear scan picks, for every route and method."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import _IncludedRouter
from starlette.routing import BaseRoute, Match

from regflow.api.dispatch import Dispatch, warm
from regflow.app import create_app
from support.harness import Harness, make_settings

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
SAMPLES = {
    "str": "x1",
    "path": "a/b.css",
    "int": "7",
    "float": "1.5",
    "uuid": "0" * 8 + "-0000-4000-8000-" + "0" * 12,
}


def _templates(router: Any) -> list[str]:
    found: list[str] = []
    for candidate in router.effective_candidates():
        if isinstance(candidate, _IncludedRouter):
            found += _templates(candidate)
        else:
            route = candidate.starlette_route or candidate
            found.append(str(getattr(route, "path_format", None) or getattr(route, "path", "")))
    return found


def _paths(app: FastAPI) -> list[str]:
    templates: list[str] = []
    for route in app.router.routes:
        if isinstance(route, _IncludedRouter):
            templates += _templates(route)
        else:
            templates.append(str(getattr(route, "path_format", None) or getattr(route, "path", "")))

    def fill(template: str) -> str:
        return re.sub(r"{(\w+)(?::(\w+))?}", lambda m: SAMPLES[m.group(2) or "str"], template)

    paths = {fill(t) for t in templates if t}
    # near misses: a trailing slash (the scan's redirect), a newline ($ allows one), unknown
    paths |= {p + "/" for p in list(paths)} | {p + "\n" for p in list(paths)}
    return sorted(paths | {"/nowhere", "/v1/registrations/x/steps", "/", ""})


def _scope(method: str, path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "headers": [],
        "query_string": b"",
    }


def _scanned(routes: list[BaseRoute], method: str, path: str) -> BaseRoute | None:
    for route in routes:
        if route.matches(_scope(method, path))[0] is Match.FULL:
            return route
    return None


@pytest.fixture
def app(sqlite_url: str, tmp_path: Path) -> FastAPI:
    return create_app(make_settings(sqlite_url, tmp_path, admin_token="t" * 40), run_worker=False)


def test_the_index_picks_the_scans_route_or_leaves_it_to_the_scan(app: FastAPI) -> None:
    dispatch = Dispatch(app.router)
    routes = list(app.router.routes)
    picked = 0
    for path in _paths(app):
        for method in METHODS:
            chosen = dispatch.index().select(_scope(method, path))
            if chosen is not None:
                picked += 1
                assert chosen is _scanned(routes, method, path), (method, path)
    assert picked > 100  # the index answers for the routes it can read


def test_the_hot_routes_are_answered_by_the_index(app: FastAPI) -> None:
    index = Dispatch(app.router).index()
    for method, path in (
        ("POST", "/v1/registrations"),
        ("POST", "/v1/registrations/r1/steps/email"),
        ("POST", "/v1/registrations/r1/verifications/email/confirm"),
        ("POST", "/v1/registrations/r1/complete"),
        ("POST", "/v1/sessions"),
        ("POST", "/auth/send-verification-code"),
        ("POST", "/auth/verify-email"),
        ("POST", "/auth/register"),
    ):
        chosen = index.select(_scope(method, path))
        assert chosen is not None and chosen is _scanned(list(app.router.routes), method, path)


def test_a_route_added_later_is_seen() -> None:
    app = FastAPI()
    first = APIRouter()

    @first.get("/a/{name}")
    async def a(name: str) -> str:
        return name

    app.include_router(first)
    dispatch = Dispatch(app.router)
    assert dispatch.index().select(_scope("GET", "/b")) is None
    second = APIRouter()

    @second.get("/b")
    async def b() -> str:
        return "b"

    first.include_router(second)  # into the router already included: only its counter moves
    chosen = dispatch.index().select(_scope("GET", "/b"))
    assert chosen is not None and chosen is _scanned(list(app.router.routes), "GET", "/b")


async def test_answers_and_route_templates_are_those_of_the_scan(sqlite_harness: Harness) -> None:
    """Through the app: the route template the access log and metrics read is the same."""
    seen: list[str] = []
    app = sqlite_harness.app

    async def spy(scope: Any, receive: Any, send: Any) -> None:
        await inner(scope, receive, send)
        seen.append(getattr(scope.get("route"), "path", "unmatched"))

    inner = app.router.middleware_stack
    app.router.middleware_stack = spy
    try:
        ok = await sqlite_harness.client.post(
            "/auth/send-verification-code", json={"email": "someone@example.com"}
        )
        wrong = await sqlite_harness.client.get("/auth/send-verification-code")
        missing = await sqlite_harness.client.post("/auth/nowhere", json={})
    finally:
        app.router.middleware_stack = inner
    assert ok.status_code == 200 and wrong.status_code == 405 and missing.status_code == 404
    assert seen[0] == "/auth/send-verification-code"


def test_overlapping_routes_go_to_the_first_full_match() -> None:
    app = FastAPI()
    mine, anyone, inside = APIRouter(), APIRouter(), APIRouter()

    @mine.get("/u/me")
    async def me() -> str:
        return "me"

    @anyone.api_route("/u/{user}", methods=["GET", "POST"])
    async def user(user: str) -> str:
        return user

    @inside.get("/files/{name}")
    async def file(name: str) -> str:
        return name

    app.include_router(mine)
    app.mount("/files", FastAPI())  # read only by its own matches(): asked first
    app.include_router(anyone)
    app.include_router(inside)
    index = Dispatch(app.router).index()
    routes = list(app.router.routes)
    for method, path in (("GET", "/u/me"), ("POST", "/u/me"), ("GET", "/u/you")):
        chosen = index.select(_scope(method, path))
        assert chosen is not None and chosen is _scanned(routes, method, path), (method, path)
    me_route, user_route = _scanned(routes, "GET", "/u/me"), _scanned(routes, "GET", "/u/you")
    assert me_route is not user_route and _scanned(routes, "POST", "/u/me") is user_route
    assert not isinstance(_scanned(routes, "GET", "/files/x.css"), _IncludedRouter)
    assert index.select(_scope("GET", "/files/x.css")) is None  # the mount's: the scan's


def test_warming_builds_the_index_and_every_routes_handler(app: FastAPI) -> None:
    dispatch = app.router.middleware_stack
    assert isinstance(dispatch, Dispatch) and dispatch._index is None
    warm(app.router)
    built = dispatch._index
    assert built is not None and dispatch.index() is built  # kept until a route is added
    branches = [r for r in app.router.routes if isinstance(r, _IncludedRouter)]
    assert all(b._effective_candidates_version is not None for b in branches)
