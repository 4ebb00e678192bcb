"""Request limits and response headers applied to every request (pure ASGI middleware).

HSTS is sent when the deployment is served over HTTPS (``Settings.serves_https``: its public
URL is ``https://`` or ``HASHWATCH_SECURE_COOKIES`` says so), never from the request's own
scheme, which behind a TLS proxy is plain HTTP.
"""

from __future__ import annotations

import logging
import re
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hashwatch.web.errors import body_too_large

CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: Final = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # not no-referrer: under it browsers send "Origin: null" on same-origin form posts,
    # which the same-origin check of the sign-in form must refuse (tests/e2e found it)
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


_TOKEN_LINK: Final = re.compile(r"/r/[^/?#\s\"]+")


def redact_token_links(text: str) -> str:
    """``/r/<token>`` with the token masked, for anything that is logged."""
    return _TOKEN_LINK.sub("/r/[token]", text)


class TokenLinkLogFilter(logging.Filter):
    """Masks notice-link tokens in the arguments of log records (uvicorn's access log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_token_links(a) if isinstance(a, str) else a for a in record.args
            )
        return True


def install_token_log_filter(logger_name: str = "uvicorn.access") -> None:
    """Add :class:`TokenLinkLogFilter` to a logger once (each worker process builds an app)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, TokenLinkLogFilter) for f in logger.filters):
        logger.addFilter(TokenLinkLogFilter())


class SecurityHeadersMiddleware:
    """Adds CSP (no inline scripts), nosniff, frame-ancestors and friends to every response."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        private = not scope.get("path", "").startswith("/static/") and any(
            name == b"authorization" or (name == b"cookie" and b"hashwatch_session" in value)
            for name, value in scope.get("headers", [])
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if private:  # a signed-in answer (report, receipt, export) is never cached
                    headers["cache-control"] = "no-store"
                if self.hsts:
                    headers.setdefault("strict-transport-security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimitMiddleware:
    """Refuses request bodies above ``max_body_bytes`` with 413, whether declared or streamed:
    an error page for a browser's form post, JSON for the API (as every other error)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = body_too_large(Request(scope), self.max_body_bytes)
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_body_bytes or declared < 0:
                    await self._too_large(scope, receive, send)
                    return
        received = 0
        started = exceeded = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    exceeded = True
                    raise _BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if exceeded:  # the app answered a body it could not read (FastAPI's 400): 413
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._too_large(scope, receive, send)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLargeError:
            if not started:
                await self._too_large(scope, receive, send)


class _BodyTooLargeError(Exception):
    pass
