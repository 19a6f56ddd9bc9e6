"""Who is looking at the console: an API token exchanged for a signed session cookie.

The cookie (Flask's signed session) holds the token's id, role and subject, a random session
id, a CSRF token and the language, never the token itself. Every request re-reads the token
aggregate, so revoking a token (`kaizen token revoke`) signs its console sessions out at once,
exactly as it stops the API. Signing out records, on that same token, that this session ended
(a SHA-256 digest of its id, never the id): a copy of the cookie replayed afterwards is refused
by every worker, on either store, without another read. Roles and scoping are the API's: the
same `domain.access` rules get the same Actor.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface

from application.context import Context
from application.errors import NotFound
from domain.access import role_family
from domain.actor import Actor
from interfaces.http.auth import READ_ONLY_ROLES
from interfaces.http.problems import Problem
from interfaces.http.services import desk, services
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
    token_id, session_id = session.get("tid"), session.get("sid")
    if isinstance(token_id, str):
        viewer = _still_valid(token_id, session.get("role"), session.get("sub"), session_id)
        if viewer is None:
            _forget()
    g.console_viewer = viewer
    return viewer


def session_digest(session_id: str) -> str:
    """What the store keeps of a session id: enough to refuse it, nothing to forge one with."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _still_valid(token_id: str, role: Any, subject: Any, session_id: Any) -> Viewer | None:
    if not isinstance(session_id, str):
        return None  # a cookie from before sessions had ids cannot be signed out: sign in again
    try:
        token = desk().token_status(token_id)
    except NotFound:
        return None
    if token.revoked_at is not None or token.role != role or token.subject != subject:
        return None
    if session_digest(session_id) in token.ended_sessions:
        return None  # signed out: this is a replay of the old cookie
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
    session.update(
        tid=viewer.token_id,
        role=viewer.role,
        sub=viewer.subject,
        sid=secrets.token_urlsafe(32),
        csrf=secrets.token_urlsafe(32),
    )
    if language in LANGUAGES:
        session["lang"] = language
    g.console_viewer = viewer
    return viewer


def sign_out() -> None:
    """End the session on the server, not only in this browser: the cookie's copies stop working.

    The end is kept until the cookie would have expired by itself (Flask refuses a cookie
    signed more than LIFETIME ago), so the token's list of ended sessions stays short."""
    viewer, session_id = current_viewer(), session.get("sid")
    if viewer is not None and isinstance(session_id, str):
        ended_at = services().settings.clock()
        desk().end_console_session(
            Context(viewer.actor), viewer.token_id, session_digest(session_id), until=ended_at + LIFETIME
        )
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
    if not same_origin(request.headers.get("Origin"), request.headers.get("Sec-Fetch-Site")):
        raise Problem(403, "cross-site form posts are refused")


def same_origin(origin: str | None, fetch_site: str | None) -> bool:
    """Whether a POST may come from the console's own pages, by what the browser says of it.

    A browser sends `Origin` on every form post; `null` (a sandboxed frame, a `data:` page, a
    redirect from elsewhere) is a page that is not ours, so it is refused like any other origin.
    Only the scheme (http or https) may differ from what Flask sees, because behind a
    TLS-terminating proxy the browser says https while Flask sees http; the host and port must
    be this console's. No Origin at all (old clients, scripts) leaves the CSRF token to decide.
    `Sec-Fetch-Site`, when sent, must say the post came from this very origin."""
    if fetch_site is not None and fetch_site.strip().lower() not in ("same-origin", "none"):
        return False
    if origin is None:
        return True
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.netloc == urlsplit(request.host_url).netloc


def remember_language() -> None:
    """`?lang=zh|en` on any page switches the language and keeps it for the session."""
    wanted = request.args.get("lang")
    if wanted in LANGUAGES and session.get("lang") != wanted:
        session["lang"] = wanted


def language() -> str:
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "en"


NEXT_LIMIT = 2000


def safe_next(target: str | None) -> str | None:
    """Only a path inside the console, else None (the caller goes to the console home).

    An open redirect after sign-in would help phishing, and the target becomes a `Location`
    header: so printable ASCII only (a CR or LF would split the header; browsers drop tabs and
    newlines inside URLs, so `/<TAB>/evil.example` would become `//evil.example`), no scheme, no host,
    no backslash (browsers read it as a slash), and a path that is `/console` or under it."""
    if not target or len(target) > NEXT_LIMIT or not all("!" <= c <= "~" for c in target) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not (parts.path == "/console" or parts.path.startswith("/console/")):
        return None
    return target
