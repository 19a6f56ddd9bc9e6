"""The console's blueprint: request hooks, HTML error pages, security headers, page rendering.

Pages answer HTML, so errors do too: the API's exception table (`problem_for`) decides the
status, and this module only changes how the answer looks. A missing session is a redirect to
the sign-in page rather than a 401, because a person, not a client library, is reading.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, has_request_context, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_translations
from werkzeug.exceptions import HTTPException

from interfaces.http.logs import get_logger
from interfaces.http.problems import problem_for
from interfaces.http.services import services
from interfaces.web import i18n, times
from interfaces.web.session import (
    SignInRequired,
    check_csrf,
    csrf_token,
    current_viewer,
    language,
    remember_language,
)

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
log = get_logger("kaizen.console")
# Everything is served by this app; inline scripts and styles are refused outright.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
DISABLED_KEY = "console_disabled_reason"


@bp.before_request
def _before() -> Response | None:
    reason = current_app.extensions.get(DISABLED_KEY)
    if reason:
        return _error_page(503, f"The console is switched off: {reason}.")
    remember_language()
    if request.method == "POST":
        check_csrf()
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Referrer-Policy", "same-origin")  # invitation pages: no-referrer
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"  # pages show scoped data: never from a shared cache
        response.vary.add("Cookie")
    return response


@bp.errorhandler(Exception)
def _failure(exc: Exception) -> ResponseReturnValue:
    if isinstance(exc, SignInRequired):
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        query = {"next": target} if target else {}
        return redirect(url_for("console.sign_in") + ("?" + urlencode(query) if query else ""))
    if isinstance(exc, HTTPException):
        return _error_page(exc.code or 500, exc.description or "")
    problem = problem_for(exc)
    if problem is None:
        log.error("console_unhandled_exception", method=request.method, path=request.path, exc_info=exc)
        return _error_page(500, "The console could not show this page; quote the request id when reporting this.")
    return _error_page(problem.status, problem.detail or problem.title)


def _error_page(status: int, detail: str, **context: Any) -> Response:
    body = render_template(
        "console/error.html", status=status, detail=detail, request_id=g.get("request_id"), **context
    )
    response = Response(body, status=status, mimetype="text/html")
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


def unrouted_page(exc: HTTPException) -> Response:
    """The error page for a URL under /console that no console route matched (a 404, or a 405
    for another method): Flask runs neither this blueprint's error handler nor its context
    processor for such a request, so the page's common context is passed by hand."""
    return _error_page(exc.code or 404, exc.description or "", **_common())


def page(template: str, **context: Any) -> str:
    """Render a console page; the common context (viewer, language, helpers) comes from below."""
    return render_template(f"console/{template}", **context)


def now() -> datetime:
    return services().settings.clock()


def viewer_zone() -> tuple[tzinfo, str]:
    """The signed-in person's time zone and its name (interfaces.web.times: theirs, the site's, UTC)."""
    viewer = current_viewer() if has_request_context() else None
    return times.zone_for(viewer.time_zone if viewer is not None else None)


@bp.app_template_filter("when")
def _when(value: Any, zone: bool = True) -> str:
    """A time in the viewer's time zone, minutes precision, with the zone named
    ("2026-06-30 22:00 Asia/Ho_Chi_Minh"; interfaces.web.times says why this form).
    `zone=False` drops the zone's name where a table's caption already says it."""
    where, name = viewer_zone()
    return times.shown(value, where, name, with_zone=zone)


@bp.app_template_filter("iso")
def _iso(value: Any) -> str:
    """RFC 3339 in UTC, for `<time datetime>` and scripts: the instant, whatever the viewer's zone."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return "" if value is None else str(value)


@bp.app_template_filter("local_input")
def _local_input(value: Any) -> str:
    """A time as a `datetime-local` input's value, in the viewer's time zone."""
    return times.local_input(value, viewer_zone()[0])


@bp.context_processor
def _common() -> dict[str, Any]:
    lang = language()
    zone_name = viewer_zone()[1]

    gettext = get_translations().gettext  # once per page, not per string (see bench/work_desk.py)

    def t(text: str, **values: Any) -> str:
        """gettext through Flask-Babel (the locale is `lang`), placeholders filled after."""
        return i18n.fill(gettext(text), values)

    def with_query(**changes: Any) -> str:
        """This page's URL with some query parameters changed (None removes one)."""
        args = {k: v for k, v in request.args.items() if k not in changes}
        args.update({k: v for k, v in changes.items() if v is not None})
        return request.path + ("?" + urlencode(args) if args else "")

    return {
        "viewer": current_viewer(),
        "lang": lang,
        "html_lang": i18n.HTML_LANG.get(lang, "en"),
        "console_languages": [(code, i18n.NAMES[code]) for code in i18n.LANGUAGES],
        "zone_name": zone_name,
        "t": t,
        "csrf_token": csrf_token,
        "with_query": with_query,
        "nav": _navigation(),
    }


def _navigation() -> list[tuple[str, str]]:
    """(endpoint, label) of the pages this viewer may open: no link leads to a 403."""
    viewer = current_viewer()
    if viewer is None:
        return []
    items = []
    if viewer.is_one_of("admin", "auditor", "vendor"):
        items.append(("console.compliance", "Compliance"))
    if viewer.family == "vendor":
        items.append(("console.own_vendor", "Vendor"))
    if viewer.is_one_of("admin", "vendor"):  # interfaces.web.routes_queue: a vendor sees their own queue
        items.append(("console.queue", "Queue"))
    items.append(("console.issues", "Issues"))
    if viewer.family != "vendor":  # no suggestion is a vendor's (domain.access.can_see_suggestion)
        items.append(("console.suggestions", "Suggestions"))
    if viewer.is_one_of("admin", "auditor"):
        items += [("console.agenda", "Agenda"), ("console.health_check", "Health check")]
        items.append(("console.meetings", "Meetings"))  # interfaces.web.routes_meetings: auditors read
        items.append(("console.workarounds", "Workarounds"))  # interfaces.web.routes_workarounds
        items += [("console.admin_people", "People"), ("console.admin_groups", "Groups")]
    if viewer.family == "admin":  # interfaces.web.routes_admin_settings: SLA policies, freeze windows, subscriptions
        items.append(("console.admin_settings", "Settings"))
    return items
