"""The e-mail intake's quarantine, for administrators: read each message, accept it or discard it.

Pages and the API calls they mirror:

- GET /console/admin/intake?state=quarantined|accepted|discarded|all: GET /intake/quarantine
  (sender, subject, reason, received, an excerpt; newest first).
- POST /console/admin/intake/{id}/accept (`person`, `key`): **Accept** (`data-action="accept"`),
  POST /intake/quarantine/{id}/accept: applied as that person, as a comment on `key` or as a new
  issue they report.
- POST /console/admin/intake/{id}/discard: **Discard** (`data-action="discard"`),
  POST /intake/quarantine/{id}/discard.

A refusal re-renders the page with the problem's detail beside that message's form, what was
typed kept, and the API's status. Administrators decide; auditors read the page without forms.
"""

from __future__ import annotations

from typing import Final

from flask import Response, redirect, request, url_for
from flask.typing import ResponseReturnValue

from application.context import Context
from application.mail_intake import MailIntake
from interfaces.http import metrics
from interfaces.http.intake import AcceptSchema
from interfaces.http.reading import read_side, wait_for_views
from interfaces.http.services import desk
from interfaces.web.blueprint import bp, page
from interfaces.web.forms import FormRefused, form_data, refusal
from interfaces.web.parameters import reads, tab_state
from interfaces.web.session import Viewer, require_viewer, require_writer
from projections.mail_intake import list_quarantine

READERS: Final = ("admin", "auditor", "system")
FILTERS: Final = (
    ("quarantined", "Waiting"),
    ("accepted", "Accepted"),
    ("discarded", "Discarded"),
    ("all", "All"),
)
DEFAULT_STATE: Final = "quarantined"
SECTION: Final = "console.admin_settings"


def _state(value: str | None) -> str:
    return tab_state(value, FILTERS, DEFAULT_STATE)


def _intake_page(
    viewer: Viewer,
    state: str,
    *,
    status: int = 200,
    form: str | None = None,
    typed: dict[str, str] | None = None,
    refused: FormRefused | None = None,
    min_position: int | None = None,
) -> tuple[str, int]:
    read = read_side()
    wait_for_views(read, min_position)
    rows, _ = list_quarantine(read.store, state, 200)
    body = page(
        "admin_intake.html",
        section=SECTION,
        rows=rows,
        state=state,
        filters=FILTERS,
        may_decide=viewer.may_change and viewer.family in ("admin", "system"),
        form=form,
        typed=typed or {},
        refused=refused,
    )
    return body, status


@bp.get("/admin/intake", endpoint="admin_intake")
@reads("state", "at")
def admin_intake() -> ResponseReturnValue:
    """The quarantine (GET /api/v1/intake/quarantine)."""
    viewer = require_viewer(*READERS)
    at = request.args.get("at", "")
    return _intake_page(
        viewer, _state(request.args.get("state")), min_position=int(at) if at.isdigit() and len(at) <= 18 else None
    )


def _decider() -> Viewer:
    viewer = require_writer()
    require_viewer("admin", "system")
    return viewer


@bp.post("/admin/intake/<quarantine_id>/accept", endpoint="accept_mail")
def accept_mail(quarantine_id: str) -> ResponseReturnValue:
    """**Accept**, as POST /api/v1/intake/quarantine/{id}/accept."""
    viewer = _decider()
    state = _state(request.form.get("state"))
    typed = {name: value for name, value in request.form.items() if name != "csrf"}
    try:
        body = form_data(AcceptSchema)
        receipt = MailIntake(desk()).accept(
            Context(viewer.actor), quarantine_id, person=body["person"], key=body.get("key")
        )
    except Exception as exc:  # refusal() re-raises what is not a refusal
        shown = refusal(exc)
        return _intake_page(
            viewer, state, status=shown.status, form=f"decide-{quarantine_id}", typed=typed, refused=shown
        )
    if not receipt.replayed:
        metrics.command_accepted("mail", "accept-mail")
    return redirect(url_for("console.admin_intake", state=state, at=receipt.position), code=303)


@bp.post("/admin/intake/<quarantine_id>/discard", endpoint="discard_mail")
def discard_mail(quarantine_id: str) -> ResponseReturnValue:
    """**Discard**, as POST /api/v1/intake/quarantine/{id}/discard."""
    viewer = _decider()
    state = _state(request.form.get("state"))
    try:
        receipt = MailIntake(desk()).discard(Context(viewer.actor), quarantine_id)
    except Exception as exc:
        shown = refusal(exc)
        return _intake_page(viewer, state, status=shown.status, form=f"decide-{quarantine_id}", refused=shown)
    if not receipt.replayed:
        metrics.command_accepted("mail", "discard-mail")
    return redirect(url_for("console.admin_intake", state=state, at=receipt.position), code=303)


@bp.get("/admin/intake/<quarantine_id>/raw", endpoint="raw_mail")
@reads()
def raw_mail(quarantine_id: str) -> ResponseReturnValue:
    """The whole message as it arrived (GET /api/v1/intake/quarantine/{id}/raw), as plain text to
    read in the browser: never rendered as HTML, whatever the sender put in it."""
    viewer = require_viewer(*READERS)
    data = MailIntake(desk()).raw_message(viewer.actor, quarantine_id)
    response = Response(data, mimetype="text/plain")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
