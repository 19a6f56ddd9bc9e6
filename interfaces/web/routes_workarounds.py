"""The workaround register: every workaround kept beside the system, overdue first.

Pages and the API calls they mirror:

- GET /console/workarounds?state=open|overdue|retired|all: GET /workarounds (the register:
  issue workarounds and go-live compromises, overdue first, then by retire-by date).
- POST /console/workarounds: **Register workaround** (`data-action="workarounds"`), the fields of
  POST /workarounds read by its own schema; with an `issue_key` it is that issue's workaround,
  without one a go-live compromise (`desk.register_workaround` decides, as for the API).
- POST /console/workarounds/retire (`workaround_id`, `issue_key` when it is an issue's, `note`):
  **Retire** (`data-action="retire"`), `desk.retire_registered_workaround`, as
  POST /workarounds/{key}/retire or POST /issues/{key}/workarounds/{id}/retire.

A refusal re-renders the page with the problem's detail beside the form, what was typed kept,
and the API's status; nothing is written. Administrators write; auditors read; reporters and
vendors get 403 (as the API's `internal_reader`).
"""

from __future__ import annotations

from typing import Any, Final

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue

from application.context import Context
from domain.vocabulary import WorkaroundKind
from interfaces.http import metrics
from interfaces.http.reading import read_side, wait_for_views
from interfaces.http.schemas.workarounds import RegisterWorkaroundSchema, RetireRegisteredSchema
from interfaces.http.services import desk
from interfaces.web.blueprint import bp, now, page
from interfaces.web.forms import FormRefused, form_data, refusal
from interfaces.web.parameters import reads, tab_state
from interfaces.web.session import Viewer, require_viewer, require_writer

READERS: Final = ("admin", "auditor", "system")
FILTERS: Final = (("open", "Open"), ("overdue", "Overdue"), ("retired", "Retired"), ("all", "All"))
DEFAULT_STATE: Final = "open"


def _state(value: str | None) -> str:
    return tab_state(value, FILTERS, DEFAULT_STATE)


def _register_page(
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
    rows = read.improvement.workarounds(now(), None, state, None, 500)
    body = page(
        "workarounds.html",
        rows=rows,
        state=state,
        filters=FILTERS,
        kinds=[k.value for k in WorkaroundKind],
        may_write=viewer.may_change and viewer.family in ("admin", "system"),
        form=form,
        typed=typed or {},
        refused=refused,
    )
    return body, status


@bp.get("/workarounds")
@reads("state", "at")
def workarounds() -> ResponseReturnValue:
    """The register (GET /api/v1/workarounds)."""
    viewer = require_viewer(*READERS)
    at = request.args.get("at", "")
    return _register_page(
        viewer, _state(request.args.get("state")), min_position=int(at) if at.isdigit() and len(at) <= 18 else None
    )


def _typed() -> dict[str, str]:
    return {name: value for name, value in request.form.items() if name != "csrf"}


@bp.post("/workarounds")
def register_workaround() -> ResponseReturnValue:
    """**Register workaround**, as POST /api/v1/workarounds."""
    viewer = require_writer()
    require_viewer(*READERS)
    try:
        receipt = desk().register_workaround(Context(viewer.actor), **form_data(RegisterWorkaroundSchema))
    except Exception as exc:  # refusal() re-raises what is not a refusal
        shown = refusal(exc)
        return _register_page(
            viewer, DEFAULT_STATE, status=shown.status, form="workarounds", typed=_typed(), refused=shown
        )
    if not receipt.replayed:
        metrics.command_accepted(receipt.kind, "register-workaround")
    return redirect(url_for("console.workarounds", state=DEFAULT_STATE, at=receipt.position), code=303)


@bp.post("/workarounds/retire")
def retire_registered() -> ResponseReturnValue:
    """**Retire** one row, as POST /api/v1/workarounds/{key}/retire (or the issue's retire)."""
    viewer = require_writer()
    require_viewer(*READERS)
    state = _state(request.form.get("state"))
    wid = request.form.get("workaround_id", "").strip()
    issue_key = request.form.get("issue_key", "").strip() or None
    try:
        body: dict[str, Any] = form_data(RetireRegisteredSchema)
        if not wid:
            raise FormRefused("the request is not valid", {"workaround_id": ["Missing data for required field."]})
        receipt = desk().retire_registered_workaround(Context(viewer.actor), wid, issue_key=issue_key, **body)
    except Exception as exc:
        shown = refusal(exc)
        return _register_page(viewer, state, status=shown.status, form=f"retire-{wid}", typed=_typed(), refused=shown)
    if not receipt.replayed:
        metrics.command_accepted(receipt.kind, "retire")
    return redirect(url_for("console.workarounds", state=state, at=receipt.position), code=303)
