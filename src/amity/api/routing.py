"""Route matching that rules out whole routers by path prefix before trying their routes.

FastAPI (0.16x) matches a request by trying every route of every included router in turn, with
some bookkeeping per route. With several hundred API routes that cost about 1.4 ms per request
before the endpoint ran, and web pages paid it too because the API router is tried first.

`IndexedRouter` is a drop-in `APIRouter` for routers that aggregate others. Each router it
includes is wrapped in a `_Guard` that knows the literal prefixes of the wrapped routes (the
part of each path before its first `{`): a route can only match a path that starts with its
literal prefix, so a guard whose prefixes do not fit the path answers "no match" at once and
the routes behind it are never tried. The aggregate answers the same way for its own union of
prefixes. Matching results, route order, OpenAPI output and `url_for` are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import Scope


def _literal(path: str) -> str:
    return path.split("{", 1)[0]


def literal_prefixes(routes: Iterable[BaseRoute], prefix: str) -> tuple[str, ...]:
    """The shortest set of literal path prefixes covering every route (nested inclusions too).
    An empty string (matches everything) when a route's path cannot be known."""
    found: set[str] = set()
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:  # a router included into this one
            context = getattr(route, "include_context", None)
            inner = prefix + str(getattr(context, "prefix", "") or "")
            found.update(literal_prefixes(original.routes, inner))
            continue
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            return ("",)
        found.add(_literal(prefix + path))
    kept: list[str] = []
    for p in sorted(found):  # sorted: a prefix comes right before what it covers
        if not kept or not p.startswith(kept[-1]):
            kept.append(p)
    return tuple(kept)


def _fits(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path.startswith(p) for p in prefixes)


class _Guard(APIRouter):
    """Holds one included router and rejects paths none of its routes can match.

    The prefixes are worked out at the first request, when every route is registered; routes
    added after that are not served."""

    def __init__(self, *, base: str) -> None:
        super().__init__()
        self.base = base
        self._prefixes: tuple[str, ...] | None = None
        self._version: int | None = None

    def guard_prefixes(self) -> tuple[str, ...]:
        if self._prefixes is None:
            self._prefixes = literal_prefixes(self.routes, self.base)
            self._version = super()._get_routes_version()
        return self._prefixes

    def _get_routes_version(self, seen: set[int] | None = None) -> int:
        # FastAPI re-walks the whole tree of included routers on every match to see whether a
        # route was added (about 150 calls a request here). Once serving, the tree is fixed.
        if self._version is not None:
            return self._version
        return super()._get_routes_version(seen)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not _fits(get_route_path(scope), self.guard_prefixes()):
            return Match.NONE, {}
        return super().matches(scope)


class IndexedRouter(_Guard):
    """An `APIRouter` whose included routers are guarded by their paths' literal prefixes.

    `mount` is the prefix this router itself is included under (e.g. "/api/v1"), so the guards
    compare against the full request path."""

    def __init__(self, *, mount: str = "", **kwargs: Any) -> None:
        APIRouter.__init__(self, **kwargs)
        self.base = mount + self.prefix
        self._prefixes = None
        self._version = None

    def include_router(self, router: APIRouter, *args: Any, **kwargs: Any) -> None:
        guard = _Guard(base=self.base)
        guard.include_router(router, *args, **kwargs)
        super().include_router(guard)
