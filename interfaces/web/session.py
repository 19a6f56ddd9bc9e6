"""Who is looking at the console: a person signed in (password, single sign-on or, for
administrators, a pasted token), held in a signed session cookie.

The cookie (Flask's signed session) holds the person's id, a random session id, when the
session began, a CSRF token and the language, never a password or token. Every request
re-reads the person, so deactivating them or resetting their password ends their sessions at
the next request in every process, and a role change applies at once. Signing out records, on
the person, that this session ended (a SHA-256 digest of its id, never the id): a copy of the
cookie replayed afterwards is refused by every worker, on either store, without another read.

A pasted token (the administrators' fallback) gives a token session as before: the token is
re-read on every request and signing out is recorded on the token. Roles and scoping are the
API's: the same `domain.access` rules get the same Actor.
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
from domain.person import Person
from interfaces.http.auth import READ_ONLY_ROLES
from interfaces.http.problems import Problem
from interfaces.http.services import desk, services
from interfaces.web.i18n import code_for, for_person

COOKIE = "kaizen_console"
LIFETIME = timedelta(hours=8)  # the signed cookie's maximum age, counted from sign-in


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
    """The signed-in person (or pasted token), as the API would see the same caller."""

    token_id: str | None
    role: str
    subject: str
    person: str | None = None
    name: str | None = None
    language: str | None = None
    time_zone: str | None = None
    groups: tuple[str, ...] = ()

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


def person_viewer(person: Person) -> Viewer:
    return Viewer(
        token_id=None,
        role=person.role,
        subject=person.person_id,
        person=person.person_id,
        name=person.name,
        language=person.language,
        time_zone=person.time_zone,
        groups=tuple(person.groups),
    )


def current_viewer() -> Viewer | None:
    """The session's viewer, if its person (or token) still allows it."""
    if "console_viewer" in g:
        found: Viewer | None = g.console_viewer
        return found
    viewer = None
    person, token_id, session_id = session.get("pid"), session.get("tid"), session.get("sid")
    if isinstance(person, str):
        viewer = _person_still_valid(person, session_id, session.get("gen"))
    elif isinstance(token_id, str):
        viewer = _still_valid(token_id, session.get("role"), session.get("sub"), session_id)
    if viewer is None and (person is not None or token_id is not None):
        _forget()
    g.console_viewer = viewer
    return viewer


def session_digest(session_id: str) -> str:
    """What the store keeps of a session id: enough to refuse it, nothing to forge one with."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _person_still_valid(person_id: str, session_id: Any, generation: Any) -> Viewer | None:
    if not isinstance(session_id, str) or not isinstance(generation, int):
        return None
    person = desk().person_now(person_id)
    if person is None or not person.session_valid(session_digest(session_id), generation):
        return None
    return person_viewer(person)


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


def _fresh_session(**identity: str | int) -> None:
    """A new session id and CSRF token at every sign-in (no fixation); the language stays."""
    language = code_for(session.get("lang"))
    session.clear()
    session.update(identity, sid=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32))
    if language is not None:
        session["lang"] = language


def start_person_session(person: Person, method: str = "password") -> Viewer:
    """The console session of a person whose sign-in the desk has just recorded (with its
    `method`, on the person: `sign_in_with_password`, `sign_in_with_sso`, `sign_in_with_token`)."""
    _fresh_session(pid=person.person_id, gen=person.sessions_generation, via=method, sub=person.person_id)
    viewer = person_viewer(person)
    g.console_viewer = viewer
    return viewer


def sign_in(token: str) -> Viewer | None:
    """Exchange a pasted API token for a fresh session: the administrators' fallback.

    Everyone else signs in with a login and password or single sign-on; a token of another
    role is refused here (it still works on the API)."""
    principal = desk().authenticate(token.strip())
    if principal is None:
        return None
    person = desk().person_now(principal.person) if principal.person is not None else None
    if (person.role if person is not None else principal.role) != "admin":
        raise Problem(403, "pasting a token is for administrators; sign in with your login and password")
    if person is not None:  # a person's token: their session, with their roles at each request
        return start_person_session(desk().sign_in_with_token(person.person_id), method="token")
    viewer = Viewer(principal.token_id, principal.role, principal.subject)
    _fresh_session(tid=principal.token_id, role=viewer.role, sub=viewer.subject)
    g.console_viewer = viewer
    return viewer


def sign_out() -> None:
    """End the session on the server, not only in this browser: the cookie's copies stop working.

    The end is kept until the cookie would have expired by itself (Flask refuses a cookie
    signed more than LIFETIME ago), so the list of ended sessions stays short."""
    viewer, session_id = current_viewer(), session.get("sid")
    if viewer is not None and isinstance(session_id, str):
        ended_at = services().settings.clock()
        digest, until = session_digest(session_id), ended_at + LIFETIME
        if viewer.person is not None:
            desk().end_person_session(Context(viewer.actor), viewer.person, digest, until=until)
        elif viewer.token_id is not None:
            desk().end_console_session(Context(viewer.actor), viewer.token_id, digest, until=until)
    _forget()
    g.console_viewer = None


def _forget() -> None:
    """Drop the identity but keep the language the person chose."""
    language = code_for(session.get("lang"))
    session.clear()
    if language is not None:
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
    `Sec-Fetch-Site`, when sent, must say the post came from this very origin.

    One `null` is ours: a page served with `Referrer-Policy: no-referrer` (the invitation page,
    whose URL holds a secret) makes the browser send `Origin: null` with its own form. The
    browser then also says `Sec-Fetch-Site: same-origin`, which no other site's page can make it
    say, so that pair is accepted; `null` without it stays refused."""
    site = fetch_site.strip().lower() if fetch_site is not None else None
    if site is not None and site not in ("same-origin", "none"):
        return False
    if origin is None:
        return True
    if origin.strip() == "null" and site == "same-origin":
        return True
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.netloc == urlsplit(request.host_url).netloc


def remember_language() -> None:
    """`?lang=en|zh-Hans|zh-Hant|id|vi` on any page switches the language and keeps it for the
    session (`?lang=zh`, from older links, is Simplified Chinese)."""
    wanted = code_for(request.args.get("lang"))
    if wanted is not None and session.get("lang") != wanted:
        session["lang"] = wanted


def language() -> str:
    """`?lang=` chosen in this session, else the signed-in person's own language, else English."""
    chosen = code_for(session.get("lang"))
    if chosen is not None:
        return chosen
    viewer = current_viewer()
    return for_person(viewer.language) if viewer is not None else "en"


def follow_person_language() -> None:
    """Forget this session's `?lang=` choice, so the person's own language (just changed) applies."""
    session.pop("lang", None)


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
