"""Improvement meetings, the workaround registry and the change-freeze windows.

Administrators do everything here; auditors read everything; vendors may read the freeze
windows (they plan changes around them); reporters have no business here (403). Rights for
commands are enforced by the application (`domain.meeting.authorise_*`), so the CLI and the
importer obey the same table.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response, g, url_for

from application.context import Context, Receipt
from domain.access import role_family
from domain.freeze import ANY_SITE
from domain.meeting import ImprovementMeeting
from interfaces.http import metrics
from interfaces.http.api import errors
from interfaces.http.auth import reader
from interfaces.http.blueprint import Blueprint
from interfaces.http.commands import command_context, receipt_headers
from interfaces.http.improvement_common import csv_answer, internal_reader, negotiated, now, views, wants
from interfaces.http.improvement_schemas import (
    CloseMeetingSchema,
    FreezeCheckQuerySchema,
    FreezeDocumentSchema,
    MeetingDecisionSchema,
    MeetingListQuerySchema,
    MinPositionSchema,
    OccurrencesQuerySchema,
    ScheduleMeetingSchema,
    WorkaroundQuerySchema,
)
from interfaces.http.presenters import history_page, json_safe
from interfaces.http.problems import Problem
from interfaces.http.schemas.common import HistoryQuerySchema
from interfaces.http.services import desk, services

blp = Blueprint(
    "improvement",
    __name__,
    url_prefix="/api/v1",
    description="Improvement meetings, workarounds and change-freeze windows",
)
Answer = tuple[Any, int, dict[str, str]]
COMMAND_ERRORS = (400, 401, 403, 404, 409, 412, 413, 415, 422, 503)
FREEZE_READERS = frozenset({"admin", "auditor", "system", "vendor"})
MAX_OCCURRENCE_DAYS = 800


def meeting_view(meeting: ImprovementMeeting) -> dict[str, Any]:
    return {
        "key": meeting.key,
        "title": meeting.title,
        "cadence": meeting.cadence,
        "date": meeting.meeting_date,
        "status": meeting.status,
        "attendees": meeting.attendees,
        "departments": meeting.departments,
        "decisions": meeting.decisions,
        "minutes": meeting.minutes,
        "closed_at": meeting.closed_at,
        "version": meeting.version,
    }


def _meeting_command(
    name: str,
    call: Callable[[Context], Receipt],
    key: str | None = None,
    shape: Callable[[ImprovementMeeting], dict[str, Any]] = meeting_view,
) -> Answer:
    """Idempotency-Key, If-Match (the meeting's version) and the answer, as for every command."""
    ctx = command_context()
    if key is not None:  # a 409 shows the meeting as it is now
        g.render_current_state = lambda: json_safe(meeting_view(desk().get_meeting(key)))
    receipt = call(ctx)
    if not receipt.replayed:
        metrics.command_accepted(receipt.kind, name)
    meeting = receipt.aggregate if not receipt.replayed else desk().get_meeting(receipt.key, receipt.version)
    body = {**shape(meeting), **receipt.extra}
    headers = receipt_headers(receipt, meeting.version)
    if receipt.created:
        headers["Location"] = url_for("improvement.meeting", key=receipt.key)
    return json_safe(body), 201 if receipt.created else 200, headers


# -- meetings ---------------------------------------------------------------------------------
@blp.route("/meetings", methods=["POST"])
@blp.arguments(ScheduleMeetingSchema)
@blp.response(201)
@errors(blp, 400, 401, 403, 413, 415, 422, 503)
def schedule_meeting(body: dict[str, Any]) -> Answer:
    """Schedule an improvement meeting (monthly or quarterly) with attendees by department"""
    return _meeting_command("schedule-meeting", lambda ctx: desk().schedule_meeting(ctx, **body))


@blp.route("/meetings", methods=["GET"])
@blp.arguments(MeetingListQuerySchema, location="query")
@blp.response(200)
@errors(blp, 401, 403, 422, 503)
def list_meetings(query: dict[str, Any]) -> dict[str, Any]:
    """Meetings, newest first"""
    internal_reader("improvement meetings")
    items, cursor = views(query.get("min_position")).improvement.meetings(query["limit"], query.get("cursor"))
    return {"items": json_safe(items), "next_cursor": str(cursor) if cursor else None}


@blp.route("/meetings/<key>", methods=["GET"])
@blp.response(200)
@errors(blp, 401, 403, 404, 503)
def meeting(key: str) -> Answer:
    """One meeting: attendees, decisions so far, minutes once closed"""
    internal_reader("improvement meetings")
    found = desk().get_meeting(key)
    return json_safe(meeting_view(found)), 200, {"ETag": f'"{found.version}"'}


@blp.route("/meetings/<key>/history", methods=["GET"])
@blp.arguments(HistoryQuerySchema, location="query")
@blp.response(200)
@errors(blp, 401, 403, 404, 422, 503)
def meeting_history(query: dict[str, Any], key: str) -> dict[str, Any]:
    """Every event of the meeting, paged

    Oldest first, `?limit=` (default 50, max 500) events a page; pass `next_cursor` back as
    `?cursor=` for the next page (null on the last one).
    """
    internal_reader("improvement meetings")
    found = desk().get_meeting(key)
    return history_page(desk().events_page(found.id, query["limit"], query["after"]))


def _agenda_of(found: ImprovementMeeting, min_position: int | None) -> dict[str, Any]:
    meeting_row = {"key": found.key, "cadence": found.cadence, "date": found.meeting_date, "status": found.status}
    agenda: dict[str, Any] = views(min_position).improvement.agenda(meeting_row, now())
    return agenda


def _closing_agenda(found: ImprovementMeeting) -> dict[str, Any] | None:
    """The agenda as it stands once the views have every event so far (the meeting's decisions
    included); None when this process has no read side (the minutes then carry no snapshot)."""
    if found.status != "closed" and services().read is not None:
        head = int(desk().recorder.max_notification_id() or 0)
        return dict(json_safe(_agenda_of(found, head)))
    return None


@blp.route("/meetings/<key>/agenda", methods=["GET"])
@blp.arguments(MinPositionSchema, location="query")
@blp.response(200)
@errors(blp, 401, 403, 404, 422, 503)
def agenda(query: dict[str, Any], key: str) -> dict[str, Any]:
    """The agenda, built from the data now; for a closed meeting, the agenda as it stood at closing"""
    internal_reader("meeting agendas")
    found = desk().get_meeting(key)
    if found.agenda is not None:
        return {**found.agenda, "snapshot": True}
    return {**json_safe(_agenda_of(found, query.get("min_position"))), "snapshot": False}


@blp.route("/meetings/<key>/decisions", methods=["POST"])
@blp.arguments(MeetingDecisionSchema)
@blp.response(200)
@errors(blp, *COMMAND_ERRORS)
def decide(body: dict[str, Any], key: str) -> Answer:
    """Take a decision: plan, decline or review a suggestion, change an issue's priority, reschedule a
    workaround, or note something. The subject and the meeting are saved together, atomically."""
    fields = {k: v for k, v in body.items() if v is not None}
    return _meeting_command("meeting-decision", lambda ctx: desk().take_decision(ctx, key, **fields), key)


@blp.route("/meetings/<key>/close", methods=["POST"])
@blp.arguments(CloseMeetingSchema)
@blp.response(200)
@errors(blp, *COMMAND_ERRORS)
def close(body: dict[str, Any], key: str) -> Answer:
    """Close with minutes; the answer is the minutes (attendees, decisions, notes, the agenda as discussed)"""
    snapshot = _closing_agenda(desk().get_meeting(key))
    return _meeting_command(
        "close-meeting",
        lambda ctx: desk().close_meeting(ctx, key, minutes=body["minutes"], agenda=snapshot),
        key,
        shape=lambda m: m.minutes_document(),
    )


@blp.route("/meetings/<key>/minutes", methods=["GET"])
@blp.response(200)
@errors(blp, 401, 403, 404, 503)
def minutes(key: str) -> dict[str, Any]:
    """The minutes of a meeting (`minutes` is null until it is closed)"""
    internal_reader("improvement meetings")
    return dict(json_safe(desk().get_meeting(key).minutes_document()))


# -- workarounds ------------------------------------------------------------------------------
@blp.route("/reports/workarounds", methods=["GET"])
@blp.arguments(WorkaroundQuerySchema, location="query")
@blp.response(200)
@blp.doc(**negotiated("csv"))
@errors(blp, 401, 403, 422, 503)
def workarounds(query: dict[str, Any]) -> Any:
    """The workaround registry (open ones by default); `?overdue=true` lists those past retire-by. CSV too"""
    internal_reader("workarounds")
    read = views(query.get("min_position"))
    filters = {k: str(query[k]) for k in ("owner", "kind", "module") if query.get(k)}
    items = read.improvement.workarounds(now(), query["overdue"], query["state"], filters, query["limit"])
    if wants(query.get("format"), "json", "csv") == "csv":
        return csv_answer(items, "workarounds")
    return {"items": json_safe(items), "next_cursor": None}


# -- freeze windows -----------------------------------------------------------------------------
def _freeze_reader() -> None:
    actor = reader()
    if role_family(actor) not in FREEZE_READERS:
        raise Problem(403, f"role {actor.role} may not read the freeze windows")


def _freeze_answer(receipt: Receipt | None = None) -> Response:
    view = desk().get_freeze_windows()
    body = {"version": view.version, **view.document, "published_at": view.published_at}
    response = Response(json.dumps(json_safe(body), ensure_ascii=False), mimetype="application/json")
    response.headers.update(receipt_headers(receipt, view.version) if receipt else {"ETag": f'"{view.version}"'})
    return response


@blp.route("/freeze-windows", methods=["GET"])
@blp.response(200)
@errors(blp, 401, 403, 503)
def get_freeze_windows() -> Response:
    """The freeze document: time zone, month-end close rule (working days on a business calendar), ad-hoc windows"""
    _freeze_reader()
    return _freeze_answer()


@blp.route("/freeze-windows", methods=["PUT"])
@blp.arguments(FreezeDocumentSchema)
@blp.response(200)
@errors(blp, 400, 401, 403, 412, 413, 415, 422, 503)
def put_freeze_windows(document: dict[str, Any]) -> Response:
    """Replace the freeze document (admin); `If-Match` names the document version"""
    ctx = command_context()
    receipt = desk().put_freeze_windows(ctx, document)
    if not receipt.replayed:
        metrics.command_accepted(receipt.kind, "put-freeze-windows")
    return _freeze_answer(receipt)


@blp.route("/freeze-windows/occurrences", methods=["GET"])
@blp.arguments(OccurrencesQuerySchema, location="query")
@blp.response(200)
@errors(blp, 401, 403, 422, 503)
def occurrences(query: dict[str, Any]) -> dict[str, Any]:
    """The concrete windows between `from` and `to` (at most 800 days), month-end and ad-hoc"""
    _freeze_reader()
    start, end = query["from_"], query["to"]
    if end <= start or (end - start).days > MAX_OCCURRENCE_DAYS:
        raise Problem(
            422,
            f"to must be after from, at most {MAX_OCCURRENCE_DAYS} days later",
            errors={"to": ["must be after from and within 800 days"]},
        )
    site = query.get("site")
    windows = desk().freeze_schedule().windows_between(start, end, ANY_SITE if site is None else site)
    return {"items": [w.to_dict() for w in windows], "next_cursor": None}


@blp.route("/freeze-windows/check", methods=["GET"])
@blp.arguments(FreezeCheckQuerySchema, location="query")
@blp.response(200)
@errors(blp, 401, 403, 422, 503)
def check(query: dict[str, Any]) -> dict[str, Any]:
    """Whether a change at `at` (on an issue at `site`, if given) would fall inside a freeze window (and which)"""
    _freeze_reader()
    site = query.get("site")
    window = desk().freeze_schedule().window_at(query["at"], "at", ANY_SITE if site is None else site)
    return {"at": json_safe(query["at"]), "window": window.to_dict() if window else None}
