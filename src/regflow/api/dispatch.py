"""The app router's route scan, indexed: one regular expression per method finds the route.

FastAPI tries the app's routes one by one (each included router trying its own
routes in turn), about two microseconds a route: a path near the end of the
table (seed 004's) paid a hundred microseconds before its handler ran. The
scan's answer is the first route, in table order, whose path and method both
match. :class:`Dispatch` asks one expression per method, the alternation of
every route's own path expression in table order, for that first route, and
hands the request to it exactly as the scan would. It answers only where it is
sure: the routes it reads are FastAPI routes (path and method decide) in
included routers; a route it cannot read (a mount, a plain route) that comes
first is asked in order as the scan asks it; anything else (no full match, a
405, a redirect, the lifespan) goes to the scan itself. The index is rebuilt
whenever a route is added.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from operator import attrgetter
from typing import Any, TypeGuard

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

try:  # FastAPI >= 0.16x: included routers are kept as branches of the app's table
    from fastapi.routing import _IncludedRouter
except ImportError:  # pragma: no cover - other FastAPI versions: the scan alone
    _IncludedRouter = None  # type: ignore[assignment,misc]

_VERSION = attrgetter("_routes_version")  # APIRouter's change counter
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


class _Index:
    """Per method, one expression whose ``lastgroup`` names the first top-level route
    (``r<position>``) with a route of that method matching the path."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.routes = routes
        self.routers: list[APIRouter] = []  # the routers it was built from
        self.version = 0  # the sum of their change counters then
        self.unread: list[int] = []  # positions of routes only their own matches() can read
        alternatives: dict[str, list[str]] = {}
        for position, route in enumerate(routes):
            leaves = _leaves(route)
            if leaves is None:
                self.unread.append(position)
                continue
            by_method: dict[str, list[str]] = {}
            for pattern, methods in leaves:
                for method in methods:
                    by_method.setdefault(method, []).append(pattern)
            for method, patterns in by_method.items():
                body = "|".join(f"(?:{p})" for p in patterns)
                alternatives.setdefault(method, []).append(f"(?P<r{position}>{body})")
        self.tables = {
            method: re.compile("^(?:" + "|".join(parts) + ")$")
            for method, parts in alternatives.items()
        }

    def select(self, scope: Scope) -> BaseRoute | None:
        """The included router the scan would hand ``scope`` to, or None (ask the scan)."""
        table = self.tables.get(scope["method"])
        if table is None:
            return None
        found = table.match(get_route_path(scope))
        if found is None or found.lastgroup is None:
            return None
        position = int(found.lastgroup[1:])
        for earlier in self.unread:
            if earlier > position:
                break
            if self.routes[earlier].matches(scope)[0] is Match.FULL:
                return None  # the scan stops there: let it
        route = self.routes[position]
        return route if isinstance(route, _IncludedRouter) else None


def _leaves(route: Any) -> list[tuple[str, set[str]]] | None:
    """``(path expression, methods)`` of every route ``route`` holds, each expression
    without its anchors and named groups; None when one of them is not a FastAPI route.
    A plain route with methods (``/openapi.json``) is read too: the scan takes it itself."""
    if _IncludedRouter is not None and isinstance(route, _IncludedRouter):
        found: list[tuple[str, set[str]]] = []
        for candidate in _candidates(route):
            if candidate is None:
                return None
            found.append(candidate)
        return found
    if _plain(route) or (type(route).matches is Route.matches and route.methods):
        return [(_bare(route.path_regex.pattern), set(route.methods or ()))]
    return None


def _candidates(router: object) -> Iterator[tuple[str, set[str]] | None]:
    for candidate in router.effective_candidates():  # type: ignore[attr-defined]
        if isinstance(candidate, _IncludedRouter):
            yield from _candidates(candidate)
        elif _plain(candidate.original_route) and candidate.path_regex is not None:
            yield _bare(candidate.path_regex.pattern), set(candidate.methods or ())
        else:
            yield None


def _routers(router: APIRouter) -> Iterator[APIRouter]:
    yield router
    for route in router.routes:
        if _IncludedRouter is not None and isinstance(route, _IncludedRouter):
            yield from _routers(route.original_router)


def _plain(route: object) -> TypeGuard[APIRoute]:
    """A FastAPI route matched by its path expression and methods alone."""
    return isinstance(route, APIRoute) and type(route).matches is APIRoute.matches


def _bare(pattern: str) -> str:
    if not (pattern.startswith("^") and pattern.endswith("$")):
        raise ValueError(f"unexpected route expression {pattern!r}")
    return _NAMED_GROUP.sub("(?:", pattern[1:-1])


class Dispatch:
    """The app router's entry point (``router.middleware_stack``): the index, else the scan."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.scan = router.app
        self._index: _Index | None = None

    def index(self) -> _Index:
        # FastAPI's own version (_get_routes_version) walks every router on each call; the
        # sum of the counters of the routers the index was built from is the same test
        # (counters only grow, and reaching a new router means changing one of them)
        index = self._index
        if index is None or sum(map(_VERSION, index.routers)) != index.version:
            routers = list(_routers(self.router))
            index = self._index = _Index(list(self.router.routes))
            index.routers, index.version = routers, sum(map(_VERSION, routers))
        return index

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.router.form_limits:
            route = self.index().select(scope)
            if route is not None:
                if "router" not in scope:
                    scope["router"] = self.router
                await route.handle(scope, receive, send)
                return
        await self.scan(scope, receive, send)


def warm(router: APIRouter) -> None:
    """Build the index now (and with it every route's handler, which FastAPI otherwise
    builds on the first request that reaches it): a serving process does it at start-up,
    so its first requests do not pay and the handlers settle with the start-up heap."""
    if isinstance(router.middleware_stack, Dispatch):
        router.middleware_stack.index()


def install(router: APIRouter) -> None:
    """Put the index in front of ``router``'s scan (a no-op where FastAPI has no branches)."""
    if _IncludedRouter is not None:
        router.middleware_stack = Dispatch(router)
