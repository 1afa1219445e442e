"""How the web UI answers when a page cannot be shown: redirects and HTML error pages.

The API's handlers answer problem+json; a person in a browser gets a page instead. ``WebRoute``
wraps every web endpoint: a missing sign-in becomes a redirect to /login, a bad CSRF token a 403
page, a domain error (404, 403, 422...) a small HTML page. The request's database work is rolled
back first, so the unit of work's commit at the end of the request writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from amity.core.errors import DomainError
from amity.web.auth import CsrfFailed, LoginRequired, login_url
from amity.web.templating import is_htmx, render


def _rollback(request: Request) -> None:
    session = getattr(request.state, "db_session", None)
    if session is not None:
        session.rollback()


def _login_redirect(request: Request, exc: LoginRequired) -> Response:
    target = login_url(exc.next_path if request.method == "GET" else "/contacts")
    if is_htmx(request):  # a fragment request: make htmx load the sign-in page as a whole page
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"title": title, "message": message},
                  status_code=status)


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def web_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                _rollback(request)
                return _login_redirect(request, exc)
            except CsrfFailed:
                _rollback(request)
                return _error_page(request, 403, "Form expired",
                                   "This form could not be accepted (its security token is "
                                   "missing or out of date). Reload the page and try again.")
            except RequestValidationError as exc:
                _rollback(request)
                if any(tuple(e.get("loc", ()))[:1] == ("path",) for e in exc.errors()):
                    return _error_page(request, 404, "Not found", "There is no such page.")
                return _error_page(request, 422, "Cannot do that",
                                   "The request was not understood; go back and try again.")
            except DomainError as exc:
                _rollback(request)
                title = {404: "Not found", 403: "Not allowed"}.get(exc.status, "Cannot do that")
                return _error_page(request, exc.status, title, exc.message)

        return web_handler
