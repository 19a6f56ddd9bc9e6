"""The web console for compliance teams and auditors, served by the API's own Flask app.

Server-rendered pages on the same read-side and application calls as the API routes (each
page names the API call it mirrors), so the console can never show more than the API would
to the same token. No build step and nothing from outside the machine: templates, CSS, the
small script and the SVG charts are all rendered or served from this package.
"""

from __future__ import annotations

from flask import Flask, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from application.desk import KaizenDesk
from interfaces.http.api import problem_from_http
from interfaces.http.logs import get_logger
from interfaces.web import (  # noqa: F401 (attach views)
    routes_admin_settings,
    routes_attachments,
    routes_auth,
    routes_automation,
    routes_compliance,
    routes_improvement,
    routes_intake,
    routes_issues,
    routes_links,
    routes_meetings,
    routes_people,
    routes_queue,
    routes_report,
    routes_scorecard,
    routes_suggestions,
    routes_vendor_terms,
    routes_workarounds,
)
from interfaces.web.blueprint import DISABLED_KEY, bp, unrouted_page
from interfaces.web.i18n import install as install_languages
from interfaces.web.secret import console_secret, derive
from interfaces.web.session import configure_sessions, language

log = get_logger("kaizen.console")


def install_console(app: Flask, desk: KaizenDesk) -> None:
    """Register the console under /console with its signing key (see `interfaces.web.secret`)."""
    choice = console_secret(desk.settings)
    configure_sessions(app, derive(choice.key, "session") if choice.key else None)
    if choice.key is None:
        app.extensions[DISABLED_KEY] = choice.source
        log.warning("console_disabled", reason=choice.source)
    install_languages(app, language)  # Flask-Babel: the console's gettext catalogues
    app.register_blueprint(bp)
    app.register_error_handler(NotFound, _unrouted)
    app.register_error_handler(MethodNotAllowed, _unrouted)


def _unrouted(exc: HTTPException) -> ResponseReturnValue:
    """A URL no route matched: under /console a person typed it, so the answer is a console page;
    anywhere else it stays the API's problem+json, exactly as before."""
    if request.path == "/console" or request.path.startswith("/console/"):
        return unrouted_page(exc)
    return problem_from_http(exc).response()


__all__ = ["install_console"]
