"""Signing in (login and password, or a pasted token for administrators), invitations, sign-out,
and the console's front door.

- POST /console/sign-in (form: login, password, csrf, next): `desk.sign_in_with_password`, then a
  fresh person session (`session.start_person_session`). A refusal shows the desk's sentence
  beside the form with the login kept (never the password): 401, or 429 with `Retry-After` while
  the account is locked, so a script can tell "wrong" from "wait" without reading the page.
- POST /console/sign-in (form: token, csrf): the administrators' fallback, "Other ways to sign
  in"; the field keeps its old name so existing scripts keep working.
- GET/POST /console/invitations/<person>/<secret> (form: password, password_confirm): the
  one-time link an administrator handed out; setting the password signs the person in.
"""

from __future__ import annotations

from flask import Response, redirect, request, url_for
from flask.typing import ResponseReturnValue

from application.errors import SignInRefused
from domain.errors import InvalidCommand
from domain.passwords import MIN_LENGTH
from domain.person import LOCKOUT_DURATION
from interfaces.http.problems import Problem
from interfaces.http.services import desk
from interfaces.web import sso  # noqa: F401 (attach the single sign-on views)
from interfaces.web.blueprint import bp, page
from interfaces.web.parameters import reads
from interfaces.web.session import current_viewer, safe_next, sign_in, sign_out, start_person_session

HOME = {"reporter": "console.issues", "vendor": "console.own_vendor"}
LOGIN_LIMIT = 254  # the longest e-mail address; a longer login names nobody
CLOSED_LINK = "This link is unknown, was already used or has expired. Ask an administrator for a new one."


@bp.get("/")
@reads()
def home() -> ResponseReturnValue:
    """Each role lands on the page it most needs; a stranger on the sign-in page."""
    viewer = current_viewer()
    if viewer is None:
        return redirect(url_for("console.sign_in"))
    return redirect(url_for(HOME.get(viewer.family, "console.compliance")))


@bp.get("/sign-in", endpoint="sign_in")
@reads("next")
def sign_in_form() -> ResponseReturnValue:
    if current_viewer() is not None and safe_next(request.args.get("next")) is None:
        return redirect(url_for("console.home"))
    return _sign_in_page(safe_next(request.args.get("next")))


def _sign_in_page(target: str | None, error: str | None = None, login: str = "", token_error: str | None = None) -> str:
    return page("sign_in.html", next=target, error=error, login=login, token_error=token_error)


@bp.post("/sign-in")
def sign_in_submit() -> ResponseReturnValue:
    """A login and password, or (the old form's field) a pasted administrator's token."""
    target = safe_next(request.form.get("next"))
    if "token" in request.form and "password" not in request.form:
        return _token_sign_in(request.form.get("token", ""), target)
    login = request.form.get("login", "").strip()[:LOGIN_LIMIT]
    try:
        person = desk().sign_in_with_password(login, request.form.get("password", ""))
    except SignInRefused as refused:
        response = Response(_sign_in_page(target, str(refused), login), status=429 if refused.locked else 401)
        if refused.locked:
            response.headers["Retry-After"] = str(int(LOCKOUT_DURATION.total_seconds()))
        return response
    start_person_session(person, "password")
    return redirect(target or url_for("console.home"), code=303)


def _token_sign_in(token: str, target: str | None) -> ResponseReturnValue:
    """The token is checked, then forgotten; only an administrator's token opens a session."""
    try:
        viewer = sign_in(token)
    except Problem as refused:
        return _sign_in_page(target, token_error=refused.detail), refused.status
    if viewer is None:
        return _sign_in_page(target, token_error="That token is unknown, malformed or revoked."), 401
    return redirect(target or url_for("console.home"), code=303)


@bp.post("/sign-out", endpoint="sign_out")
def sign_out_now() -> ResponseReturnValue:
    sign_out()
    return redirect(url_for("console.sign_in"), code=303)


# -- invitations ------------------------------------------------------------------------------
@bp.get("/invitations/<person>/<secret>", endpoint="invitation")
@reads()
def invitation(person: str, secret: str) -> ResponseReturnValue:
    """The page behind an invitation (or reset) link: choose a password, once."""
    found = desk().open_invitation(person, secret)
    if found is None:
        return _closed_link()
    return _invitation_page(person, secret, found.name)


@bp.post("/invitations/<person>/<secret>")
def accept_invitation(person: str, secret: str) -> ResponseReturnValue:
    """Set the password, then sign in with it (recorded on the person like any password sign-in).

    Two desk calls on purpose: the first consumes the link, the second is the person's first
    sign-in, so "last sign-in" and the sign-in history say what happened."""
    password, confirm = request.form.get("password", ""), request.form.get("password_confirm", "")
    try:
        found = desk().accept_invitation(person, secret, password, confirm)
    except InvalidCommand as refused:
        if refused.field is None:  # the link itself: unknown, used or expired meanwhile
            return _closed_link()
        still = desk().open_invitation(person, secret)
        if still is None:
            return _closed_link()
        return _invitation_page(person, secret, still.name, str(refused), refused.field), 422
    try:
        signed_in = desk().sign_in_with_password(found.person_id, password)
    except SignInRefused:  # cannot happen for a password just set; sign in by hand then
        return redirect(url_for("console.sign_in"), code=303)
    start_person_session(signed_in, "password")
    return redirect(url_for("console.home"), code=303)


def _invitation_page(
    person: str, secret: str, name: str, error: str | None = None, field: str | None = None
) -> Response:
    body = page(
        "invitation.html",
        person=person,
        secret=secret,
        name=name,
        error=error,
        field=field,
        min_length=MIN_LENGTH,
    )
    return _no_referrer(Response(body, mimetype="text/html"))


def _closed_link() -> Response:
    return _no_referrer(Response(page("invitation_closed.html", detail=CLOSED_LINK), status=404, mimetype="text/html"))


def _no_referrer(response: Response) -> Response:
    """The link's secret is in this page's URL: no request from it may carry it elsewhere."""
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
