"""Who is looking at the console: an API token exchanged for a signed session cookie.

The cookie (Flask's signed session) holds the token's id, role and subject, a CSRF token and
the language, never the token itself. Every request re-reads the token aggregate, so revoking
a token (`kaizen token revoke`) signs its console sessions out at once, exactly as it stops
the API. Roles and scoping are the API's: the same `domain.access` rules get the same Actor.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface

from application.errors import NotFound
from domain.access import role_family
from domain.actor import Actor
from interfaces.http.auth import READ_ONLY_ROLES
from interfaces.http.problems import Problem
from interfaces.http.services import desk
from interfaces.web.i18n import LANGUAGES

COOKIE = "kaizen_console"
LIFETIME = timedelta(hours=8)  # the signed cookie's maximum age, counted from sign-in
CONSOLE_ROLES = frozenset({"admin", "auditor", "reporter", "vendor"})


class SignInRequired(Exception):
    """No valid session: the blueprint answers with a redirect to the sign-in page."""


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, with `Secure` decided per request (HTTPS or not).

    `X-Forwarded-Proto: https` from a TLS-terminating proxy counts too: believing it can only
    make the cookie stricter, so it needs no list of trusted proxies.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        return bool(request.is_secure or forwarded == "https" or super().get_cookie_secure(app))


def configure_sessions(app: Flask, key: bytes | None) -> None:
    """Cookie rules for the console; the path keeps the cookie away from the bearer-only API."""
    app.secret_key = key
    app.session_interface = ConsoleSessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE,
        SESSION_COOKIE_PATH="/console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=LIFETIME,
    )


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as the API would see the same token."""

    token_id: str
    role: str
    subject: str

    @property
    def actor(self) -> Actor:
        return Actor(id=self.subject, role=self.role, via=None)

    @property
    def family(self) -> str:
        return role_family(self.actor)

    @property
    def vendor(self) -> str | None:
        return self.actor.vendor

    @property
    def may_change(self) -> bool:
        return self.role not in READ_ONLY_ROLES

    def is_one_of(self, *families: str) -> bool:
        return self.family in families


def current_viewer() -> Viewer | None:
    """The session's viewer, if its token still exists, is not revoked and has not changed."""
    if "console_viewer" in g:
        found: Viewer | None = g.console_viewer
        return found
    viewer = None
    token_id = session.get("tid")
    if isinstance(token_id, str):
        viewer = _still_valid(token_id, session.get("role"), session.get("sub"))
        if viewer is None:
            _forget()
    g.console_viewer = viewer
    return viewer


def _still_valid(token_id: str, role: Any, subject: Any) -> Viewer | None:
    try:
        token = desk().token_status(token_id)
    except NotFound:
        return None
    if token.revoked_at is not None or token.role != role or token.subject != subject:
        return None
    return Viewer(token.token_id, token.role, token.subject)


def require_viewer(*families: str) -> Viewer:
    """The viewer (or a redirect to sign in); 403 when their role may not read this page."""
    viewer = current_viewer()
    if viewer is None:
        raise SignInRequired()
    if families and not viewer.is_one_of(*families):
        raise Problem(403, f"role {viewer.role} may not open this page")
    return viewer


def require_writer() -> Viewer:
    """As the API's `writer()`: auditors change nothing, whatever the form says."""
    viewer = require_viewer()
    if not viewer.may_change:
        raise Problem(403, f"role {viewer.role} may read but not change anything")
    return viewer


def sign_in(token: str) -> Viewer | None:
    """Exchange a bearer token for a fresh session (a new CSRF token too: no fixation)."""
    principal = desk().authenticate(token.strip())
    if principal is None:
        return None
    viewer = Viewer(principal.token_id, principal.role, principal.subject)
    if viewer.family not in CONSOLE_ROLES or viewer.role == "app":
        raise Problem(403, "app tokens act for other people; sign in with a token of your own")
    language = session.get("lang")
    session.clear()
    session.update(tid=viewer.token_id, role=viewer.role, sub=viewer.subject, csrf=secrets.token_urlsafe(32))
    if language in LANGUAGES:
        session["lang"] = language
    g.console_viewer = viewer
    return viewer


def sign_out() -> None:
    _forget()
    g.console_viewer = None


def _forget() -> None:
    """Drop the identity but keep the language the person chose."""
    language = session.get("lang")
    session.clear()
    if language in LANGUAGES:
        session["lang"] = language


def csrf_token() -> str:
    """The per-session token every form carries (created on first use, even before sign-in)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf() -> None:
    """A POST must carry the session's token and, when the browser says, come from this origin."""
    expected = session.get("csrf")
    sent = request.form.get("csrf", "")
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Problem(400, "the form has expired or did not come from this console; reload the page and try again")
    origin = request.headers.get("Origin")
    # The host only: behind a TLS-terminating proxy the browser says https while Flask sees http.
    if origin and origin != "null" and urlsplit(origin).netloc != urlsplit(request.host_url).netloc:
        raise Problem(403, "cross-site form posts are refused")


def remember_language() -> None:
    """`?lang=zh|en` on any page switches the language and keeps it for the session."""
    wanted = request.args.get("lang")
    if wanted in LANGUAGES and session.get("lang") != wanted:
        session["lang"] = wanted


def language() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "en"


def safe_next(target: str | None) -> str | None:
    """Only a path inside the console: an open redirect after sign-in would help phishing."""
    if not target or not target.startswith("/console") or target.startswith("//") or "\\" in target:
        return None
    return target
