"""Sign in with an API token, sign out, and the console's front door.

Sign-in mirrors what every API call does with `Authorization: Bearer <token>`
(`desk.authenticate`), once, and keeps only the token's id in the session.
"""

from __future__ import annotations

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue

from interfaces.http.problems import Problem
from interfaces.web.blueprint import bp, page
from interfaces.web.parameters import reads
from interfaces.web.session import current_viewer, safe_next, sign_in, sign_out

HOME = {"reporter": "console.issues", "vendor": "console.own_vendor"}


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
    return page("sign_in.html", next=safe_next(request.args.get("next")), error=None)


@bp.post("/sign-in")
def sign_in_submit() -> ResponseReturnValue:
    """POST /console/sign-in (form: token, csrf): the token is checked, then forgotten."""
    target = safe_next(request.form.get("next"))
    try:
        viewer = sign_in(request.form.get("token", ""))
    except Problem as refused:
        return page("sign_in.html", next=target, error=refused.detail), refused.status
    if viewer is None:
        return page("sign_in.html", next=target, error="That token is unknown, malformed or revoked."), 401
    return redirect(target or url_for("console.home"), code=303)


@bp.post("/sign-out", endpoint="sign_out")
def sign_out_now() -> ResponseReturnValue:
    sign_out()
    return redirect(url_for("console.sign_in"), code=303)
