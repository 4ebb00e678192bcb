"""What every API route shares: the route class and the documented error answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any, Final

from fastapi import Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from hashwatch.errors import InputError
from hashwatch.web.api.models import ErrorBody


def _json_problem(request_body: bytes) -> InputError | None:
    """The InputError naming line and column of a body that is not JSON, if it is not."""
    try:
        json.loads(request_body)
    except UnicodeDecodeError as exc:
        return InputError(f"the body is not UTF-8 (byte offset {exc.start})", field="body")
    except json.JSONDecodeError as exc:
        return InputError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", field="body"
        )
    return None


async def _body_problem(request: Request, errors: Sequence[Any]) -> InputError | None:
    """A clearer InputError for a body that is not JSON, or missing."""
    for error in errors:
        if error.get("type") == "json_invalid":
            return _json_problem(await request.body())
        if error.get("type") == "missing" and tuple(error.get("loc", ())) == ("body",):
            return InputError("the request needs a JSON body", field="body")
    return None


class ApiRoute(APIRoute):
    """An API route whose malformed-JSON answer names the line and column."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                problem = await _body_problem(request, exc.errors())
                if problem is not None:
                    raise problem from None
                raise
            except HTTPException as exc:  # FastAPI's "error parsing the body"
                problem = _json_problem(await request.body()) if exc.status_code == 400 else None
                if problem is not None:
                    raise problem from None
                raise

        return handle


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error status codes, all with the :class:`ErrorBody`."""
    described = {
        400: "Bad request",
        401: "Not signed in: no session cookie and no Bearer token",
        403: "Not allowed: wrong token, another entity's data, regulator or admin only, CSRF",
        404: "Not found (or not yours)",
        409: "Conflicts with the current state",
        413: "The body is too large",
        422: "Bad input: the field, row or JSON position at fault",
        429: "Too many attempts: wait Retry-After seconds",
    }
    return {code: {"model": ErrorBody, "description": described[code]} for code in codes}


#: The errors any authenticated route may answer.
COMMON: Final = errors(401, 403, 404, 409, 413, 422)

#: Text without NUL or other control characters (PostgreSQL refuses NUL in text).
PLAIN_TEXT: Final = r"^[^\x00-\x1f\x7f]*$"
RefPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=PLAIN_TEXT, description="Notice reference.")
]
CodePath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=PLAIN_TEXT, description="Facility code.")
]
