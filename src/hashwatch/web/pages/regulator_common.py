"""What the regulator's pages share: the regulator-only guard, messages, figures.

Every regulator page depends on :data:`RegulatorPage`: without a session the browser is sent
to ``/login`` (htmx requests get an ``HX-Redirect``); a reporting entity's session gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from hashwatch.accounts.principal import Principal
from hashwatch.charts.notice import energy_unit
from hashwatch.errors import PermissionDeniedError
from hashwatch.i18n import N_, Formatter
from hashwatch.io.registry_files import configured_districts
from hashwatch.reporting.districts import District
from hashwatch.web.deps import SessionDep, SettingsDep
from hashwatch.web.pages.common import PageContext, is_htmx, page_context, render
from hashwatch.web.pages.routing import PageRoute


class LoginRequiredError(Exception):
    """No session: the browser must sign in first and then come back to ``next_path``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login_url(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='/')}"


class RegulatorRoute(PageRoute):
    """Page routes that send a browser without a session to the login page."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response: Response = await original(request)
            except LoginRequiredError as exc:
                target = login_url(exc.next_path)
                if is_htmx(request):
                    return Response(status_code=204, headers={"HX-Redirect": target})
                return RedirectResponse(target, status_code=303)
            return response

        return handler


@dataclass(frozen=True)
class Staff:
    """A regulator page's request: its page context, the user, the deployment's districts."""

    ctx: PageContext
    principal: Principal
    districts: tuple[District, ...]

    @property
    def actor(self) -> str:
        """The name the audit trail records (the same as the API's)."""
        return self.principal.name

    def district_name(self, code: str) -> str:
        for district in self.districts:
            if district.code == code:
                return district.name_zh if self.ctx.locale == "zh" else district.name_pinyin
        return code


def regulator_page(request: Request, session: SessionDep, settings: SettingsDep) -> Staff:
    """The regulator user of a page request; otherwise log in (no session) or 403."""
    if session is None:
        path = request.url.path
        if request.method == "GET" and request.url.query:
            path = f"{path}?{request.url.query}"
        raise LoginRequiredError(path if request.method == "GET" else "/notices")
    ctx = page_context(request, session)
    if not session.principal.is_regulator:
        raise PermissionDeniedError(ctx._("Only the regulator's staff may open this page."))
    return Staff(ctx, session.principal, configured_districts(settings.district_file))


RegulatorPage = Annotated[Staff, Depends(regulator_page)]

#: Messages after a redirect (``?ok=<key>``); only these keys are shown.
DONE: Final = {
    "created": N_("The notice was created. Add its recipients, then issue it."),
    "recipients": N_("Recipients added: %(n)s new."),
    "issued": N_("The notice was issued to %(n)s recipients."),
    "reminded": N_("Reminders sent to %(n)s recipients."),
    "token": N_("A new access token was sent; the old one no longer works."),
    "closed": N_("The notice was closed. Reviews may go on."),
    "returned": N_("The report was returned with your comment."),
    "accepted": N_("The report was accepted."),
    "imported": N_("The registry file was imported."),
}


def done_message(ctx: PageContext) -> str | None:
    """The message of a ``?ok=`` redirect, translated, with its ``n`` if given."""
    key = ctx.request.query_params.get("ok", "")
    if key not in DONE:
        return None
    count = ctx.request.query_params.get("n", "")
    return ctx._(DONE[key]) % {"n": count if count.isdigit() else "?"}


def done(url: str, key: str, n: int | None = None) -> RedirectResponse:
    """Redirect after a successful form (post/redirect/get) with its message key."""
    tail = f"&n={n}" if n is not None else ""
    separator = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{separator}ok={key}{tail}", status_code=303)


def energy(fmt: Formatter, kwh: float | None) -> str:
    """Electricity in the unit that suits it (``380 MWh``, ``1.52 GWh``)."""
    if kwh is None:
        return "—"
    unit, size = energy_unit(kwh)
    return fmt.quantity(kwh / size, unit)


def status_labels(ctx: PageContext) -> dict[str, str]:
    """Translated names of a recipient's statuses and a version's review states."""
    _ = ctx._
    return {
        "not_opened": _("Not opened"),
        "opened": _("Opened"),
        "draft": _("Draft"),
        "overdue": _("Overdue"),
        "submitted": _("Submitted, waiting for review"),
        "returned": _("Returned for correction"),
        "accepted": _("Accepted"),
        "superseded": _("Superseded by a newer version"),
    }


def show(
    staff: Staff, name: str, values: dict[str, Any] | None = None, *, status_code: int = 200
) -> Response:
    """Render a regulator page (or fragment) with what every one of them uses."""
    shared = {
        "staff": staff,
        "done": done_message(staff.ctx),
        "labels": status_labels(staff.ctx),
        "energy": lambda kwh: energy(staff.ctx.fmt, kwh),
        "district_name": staff.district_name,
        "error": None,
    }
    return render(staff.ctx, name, {**shared, **(values or {})}, status_code=status_code)
