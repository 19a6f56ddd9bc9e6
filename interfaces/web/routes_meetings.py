"""The meeting chair's desk: schedule improvement meetings, take decisions, close with minutes.

Pages and the API calls they mirror:

- GET /console/meetings: GET /meetings (upcoming ones soonest first, past ones newest first,
  each past one linking to its minutes), and the **Schedule meeting** form
  (`data-action="meetings"`), POST /console/meetings → POST /meetings.
- GET /console/meetings/<key>: GET /meetings/{key} and GET /meetings/{key}/agenda (the same
  agenda tables as /console/agenda), with **Record decision** (`decisions`) → POST
  /meetings/{key}/decisions and **Close meeting** (`close`) → POST /meetings/{key}/close.
- GET /console/meetings/<key>/minutes: GET /meetings/{key}/minutes, a page made for printing.

Attendees without JavaScript: the form has numbered rows, `attendees-0-name` and
`attendees-0-department`, `attendees-1-…`, and so on; a row left blank is not an attendee.
**More attendee rows** (`name="more_rows"`) posts the form back with what was typed and three
more empty rows, writing nothing. The rows become the API's `attendees` list, and the whole body
is loaded by the API's own `ScheduleMeetingSchema`, so the form is valid exactly when the JSON is.

Who may: administrators and auditors read (the API's `internal_reader`); only administrators
see and post the forms (`domain.meeting.authorise_meeting`, which the desk checks again);
reporters and vendors get the 403 page. A refusal re-renders the page with the problem's
detail beside the form it came from, what was typed kept, and the API's status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from application.context import Context, Receipt
from domain.access import ADMIN_ONLY
from domain.meeting import CADENCES, CLOSED, DECISION_KINDS, DEPARTMENTS, MAX_ATTENDEES, ImprovementMeeting
from domain.vocabulary import Priority
from interfaces.http import metrics
from interfaces.http.improvement import _closing_agenda
from interfaces.http.improvement_schemas import CloseMeetingSchema, MeetingDecisionSchema, ScheduleMeetingSchema
from interfaces.http.presenters import json_safe
from interfaces.http.problems import flatten_errors
from interfaces.http.reading import read_side, wait_for_views
from interfaces.http.services import desk
from interfaces.web.blueprint import bp, now, page
from interfaces.web.forms import INVALID, FormRefused, form_data, raw_form, refusal
from interfaces.web.parameters import reads
from interfaces.web.session import Viewer, require_viewer, require_writer

READERS = ("admin", "auditor")
LISTED = 500  # GET /meetings' largest page: years of monthly meetings
EMPTY_ROWS = 2  # blank attendee rows offered below what was typed
FIRST_ROWS = 4
MORE_ROWS = 3
MINUTES_SHOWN = 24  # past meetings whose minutes the list quotes (each one an aggregate load)
MINUTES_EXCERPT = 240
SCHEDULE_FIELDS = ("title", "cadence", "date")
DECISION_FIELDS = tuple(MeetingDecisionSchema().load_fields)
KIND_LABELS = {
    "plan_suggestion": "Plan a suggestion",
    "decline_suggestion": "Decline a suggestion",
    "review_suggestion": "Review a suggestion (impact and effort)",
    "change_priority": "Change an issue's priority",
    "reschedule_workaround": "Reschedule a workaround",
    "note": "Note for the minutes",
}


def may_chair(viewer: Viewer) -> bool:
    """Whether the forms are offered: the domain's rule for meetings (the desk checks again)."""
    return viewer.may_change and viewer.family in ADMIN_ONLY


# -- the list and scheduling ------------------------------------------------------------------
def attendee_rows() -> list[dict[str, str]]:
    """The numbered rows that have anything typed in them, in order; blank rows are dropped, so
    the n-th row shown again is `attendees[n]` of the body and its errors land beside it."""
    rows: list[dict[str, str]] = []
    for i in range(MAX_ATTENDEES + MORE_ROWS * 20):
        name = request.form.get(f"attendees-{i}-name", "").strip()
        department = request.form.get(f"attendees-{i}-department", "").strip()
        if name or department:
            rows.append({"name": name, "department": department})
    return rows


def schedule_body(rows: list[dict[str, str]]) -> dict[str, Any]:
    """The form as POST /meetings' body, loaded by its schema; blank rows are no attendees."""
    schema = ScheduleMeetingSchema()
    body = raw_form(schema)
    attendees = [{k: v for k, v in row.items() if v} for row in rows]
    if attendees:
        body["attendees"] = attendees
    try:
        loaded: dict[str, Any] = schema.load(body)
    except ValidationError as exc:
        raise FormRefused(INVALID, flatten_errors(exc.messages), 422) from None
    return loaded


def split_meetings(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Upcoming (not closed yet) soonest first; past (closed) most recent first."""
    upcoming = sorted((m for m in items if m["status"] != CLOSED), key=lambda m: (m["date"], m["key"]))
    past = sorted((m for m in items if m["status"] == CLOSED), key=lambda m: (m["date"], m["key"]), reverse=True)
    return upcoming, past


def _meetings_page(
    viewer: Viewer,
    typed: dict[str, str] | None = None,
    rows: list[dict[str, str]] | None = None,
    *,
    refused: FormRefused | None = None,
    status: int = 200,
    extra_rows: int = 0,
) -> tuple[str, int]:
    read = read_side()
    wait_for_views(read, request.args.get("min_position", type=int))
    items, _ = read.improvement.meetings(LISTED)
    upcoming, past = split_meetings(json_safe(items))
    for shown in past[:MINUTES_SHOWN]:  # GET /meetings/{key}/minutes: what the list quotes
        shown["minutes"] = desk().get_meeting(shown["key"]).minutes
    rows = list(rows or [])
    blank = max(FIRST_ROWS - len(rows), EMPTY_ROWS) + extra_rows
    rows += [{"name": "", "department": ""} for _ in range(blank)]
    body = page(
        "meetings.html",
        upcoming=upcoming,
        past=past,
        may_chair=may_chair(viewer),
        typed=typed or {"cadence": "monthly"},
        rows=rows,
        refused=refused,
        errors=refused.errors if refused else {},
        cadences=CADENCES,
        departments=DEPARTMENTS,
        minutes_excerpt=MINUTES_EXCERPT,
    )
    return body, status


@bp.get("/meetings")
@reads("min_position")
def meetings() -> ResponseReturnValue:
    viewer = require_viewer(*READERS)
    return _meetings_page(viewer)


@bp.post("/meetings")
def schedule_meeting() -> ResponseReturnValue:
    """**Schedule meeting**, as POST /meetings; **More attendee rows** only re-renders the form."""
    viewer = require_writer()
    require_viewer(*READERS)
    typed = {name: request.form.get(name, "") for name in SCHEDULE_FIELDS}
    rows = attendee_rows()
    if "more_rows" in request.form:
        return _meetings_page(viewer, typed, rows, extra_rows=MORE_ROWS)
    try:
        receipt = desk().schedule_meeting(Context(viewer.actor), **schedule_body(rows))
    except Exception as exc:  # refusal() re-raises what the API would not answer with a 4xx
        shown = refusal(exc)
        return _meetings_page(viewer, typed, rows, refused=shown, status=shown.status)
    metrics.command_accepted(receipt.kind, "schedule-meeting")
    return redirect(url_for("console.meeting", key=receipt.key), code=303)


# -- one meeting --------------------------------------------------------------------------------
def meeting_agenda(found: ImprovementMeeting) -> dict[str, Any]:
    """As GET /meetings/{key}/agenda: the snapshot kept at closing, else built from the views now."""
    if found.agenda is not None:
        return {**found.agenda, "snapshot": True}
    row = {"key": found.key, "cadence": found.cadence, "date": found.meeting_date, "status": found.status}
    return {**json_safe(read_side().improvement.agenda(row, now())), "snapshot": False}


def owner_choices(viewer: Viewer) -> dict[str, list[tuple[str, str]]]:
    """Who may own a decision: what the desk accepts (`is_assignable`), active people and groups."""
    if not may_chair(viewer):
        return {"people": [], "groups": []}
    return {
        "people": [(p.person_id, p.name) for p in desk().list_people(viewer.actor) if p.active],
        "groups": [(g.group_id, g.name) for g in desk().list_groups() if g.status == "active"],
    }


def _meeting_page(
    viewer: Viewer,
    key: str,
    *,
    form: str | None = None,
    typed: dict[str, str] | None = None,
    refused: FormRefused | None = None,
    status: int = 200,
) -> tuple[str, int]:
    found = desk().get_meeting(key)  # NotFound: the 404 page, as the API answers
    wait_for_views(read_side(), request.args.get("min_position", type=int))
    body = page(
        "meeting.html",
        meeting=json_safe(found.minutes_document()),
        agenda=meeting_agenda(found),
        may_chair=may_chair(viewer) and found.status != CLOSED,
        form=form,
        typed=typed or {},
        refused=refused,
        errors=refused.errors if refused else {},
        kinds=[(k, KIND_LABELS[k]) for k in DECISION_KINDS],
        priorities=[p.value for p in Priority],
        owners=owner_choices(viewer),
    )
    return body, status


@bp.get("/meetings/<key>")
@reads("min_position")
def meeting(key: str) -> ResponseReturnValue:
    viewer = require_viewer(*READERS)
    return _meeting_page(viewer, key)


def _command(
    key: str, form: str, names: tuple[str, ...], call: Callable[[Context], Receipt], command: str
) -> ResponseReturnValue:
    """Run one meeting command; 303 back to the meeting, or the page with the refusal by its form."""
    viewer = require_writer()
    require_viewer(*READERS)
    typed = {name: request.form.get(name, "") for name in names}
    try:
        receipt = call(Context(viewer.actor))
    except Exception as exc:  # refusal() re-raises what the API would not answer with a 4xx
        shown = refusal(exc)
        return _meeting_page(viewer, key, form=form, typed=typed, refused=shown, status=shown.status)
    metrics.command_accepted(receipt.kind, command)
    target = url_for("console.meeting", key=key, min_position=receipt.position or None)
    return redirect(f"{target}#{'minutes' if form == 'close' else 'decisions'}", code=303)


@bp.post("/meetings/<key>/decisions")
def record_decision(key: str) -> ResponseReturnValue:
    """**Record decision**, as POST /meetings/{key}/decisions (the subject changes in the same save)."""

    def call(ctx: Context) -> Receipt:
        fields = {k: v for k, v in form_data(MeetingDecisionSchema).items() if v is not None}
        return desk().take_decision(ctx, key, **fields)

    return _command(key, "decisions", DECISION_FIELDS, call, "meeting-decision")


@bp.post("/meetings/<key>/close")
def close_meeting(key: str) -> ResponseReturnValue:
    """**Close meeting** with minutes, as POST /meetings/{key}/close (the agenda kept as it stood)."""

    def call(ctx: Context) -> Receipt:
        minutes = form_data(CloseMeetingSchema)["minutes"]
        return desk().close_meeting(ctx, key, minutes=minutes, agenda=_closing_agenda(desk().get_meeting(key)))

    return _command(key, "close", ("minutes",), call, "close-meeting")


@bp.get("/meetings/<key>/minutes")
@reads()
def meeting_minutes(key: str) -> ResponseReturnValue:
    """The minutes as a document to print or save as PDF (GET /meetings/{key}/minutes)."""
    require_viewer(*READERS)
    found = desk().get_meeting(key)
    return page("meeting_minutes.html", meeting=json_safe(found.minutes_document()), kinds=KIND_LABELS)
