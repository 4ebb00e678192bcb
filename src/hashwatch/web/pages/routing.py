"""The route class of the pages: an expected failure becomes an error page, not JSON."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from hashwatch.errors import HashwatchError
from hashwatch.web.errors import status_for
from hashwatch.web.pages.common import error_page


class PageRoute(APIRoute):
    """Renders :class:`HashwatchError` as a page in the request's language."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except HashwatchError as exc:
                return error_page(request, status_for(exc), exc.message)

        return handler
