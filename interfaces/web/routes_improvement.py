"""Suggestion board (with voting), the next meeting's agenda, the quarterly health check.

Pages and the API calls they mirror:

- /console/suggestions?sort=votes|trending|score|recent: GET /suggestions?sort= (and
  GET /suggestions/{key}, whose `voted` says whether the viewer voted)
- POST /console/suggestions/<key>/vote: POST or DELETE /suggestions/{key}/votes, from the board
  (each row links to the suggestion's own page, routes_suggestions, which has every command)
- /console/agenda: GET /meetings, GET /meetings/{key}/agenda
- /console/health-check?quarter=2026Q3: GET /reports/health-check?quarter=

Every role but vendors reads suggestions (a vendor's board is empty, as its API list is);
reporters and administrators vote (the application's rule).
Meetings and health checks are for administrators and auditors, as in the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from application.context import Context
from domain.access import SUGGESTION_ACTIONS, AccessDenied
from domain.errors import DomainError, InvalidCommand
from domain.health import Quarter
from interfaces.http import metrics
from interfaces.http.presenters import json_safe
from interfaces.http.reading import read_side, wait_for_views
from interfaces.http.schemas.suggestions import SuggestionListQuerySchema
from interfaces.http.services import desk
from interfaces.web.blueprint import bp, now, page
from interfaces.web.parameters import reads
from interfaces.web.session import Viewer, require_viewer, require_writer

INTERNAL_READERS = ("admin", "auditor")
SORTS = ("votes", "trending", "score", "recent")
BOARD_SIZE = 50
QUARTERS_BACK = 4


def may_vote(viewer: Viewer) -> bool:
    return viewer.may_change and viewer.family in SUGGESTION_ACTIONS["votes"]


def may_suggest(viewer: Viewer) -> bool:
    """Whether the board links to /console/suggestions/new (the domain's `suggest` right)."""
    return viewer.may_change and viewer.family in SUGGESTION_ACTIONS["suggest"]


@bp.get("/suggestions")
@reads("sort", "status", "min_position")
def suggestions() -> str:
    """The board, ranked as the API ranks it; read-your-writes after a vote via `min_position`."""
    viewer = require_viewer()
    errors: dict[str, Any] = {}
    try:
        query = SuggestionListQuerySchema().load(
            {k: v for k in ("sort", "status", "min_position") if (v := request.args.get(k, "").strip())}
        )
    except ValidationError as exc:  # the API's rules; the board then shows its default order
        errors = dict(exc.messages)  # type: ignore[arg-type]
        query = {"sort": "votes"}
    read = read_side()
    wait_for_views(read, query.get("min_position"))
    items, _ = read.suggestions.list(query["sort"], query.get("status"), BOARD_SIZE, None, viewer.actor, now())
    voted: set[str] = set()
    if may_vote(viewer):
        # The list does not say who voted; the suggestion resource does (`voted`), as over the API.
        voted = {i["key"] for i in items if viewer.subject in desk().get_suggestion(i["key"]).voters}
    return page(
        "suggestions.html",
        items=json_safe(items),
        sort=query["sort"],
        sorts=SORTS,
        voted=voted,
        may_vote=may_vote(viewer),
        may_suggest=may_suggest(viewer),
        errors=errors,
    )


@bp.post("/suggestions/<key>/vote")
def vote(key: str) -> ResponseReturnValue:
    """Vote for a suggestion or withdraw the vote, then back to the board where it was."""
    viewer = require_writer()
    withdraw = request.form.get("action") == "withdraw"
    sort = request.form.get("sort") if request.form.get("sort") in SORTS else "votes"
    ctx = Context(viewer.actor)
    try:
        receipt = desk().withdraw_vote(ctx, key) if withdraw else desk().vote(ctx, key)
    except AccessDenied:
        raise  # 403 (or 404): the same answer the API gives
    except DomainError as refused:  # voting twice, a merged suggestion: say so on the board
        flash(str(refused), "error")
        return redirect(url_for("console.suggestions", sort=sort), code=303)
    metrics.command_accepted(receipt.kind, "votes")
    flash("Your vote was withdrawn." if withdraw else "Your vote was counted.", "ok")
    return redirect(url_for("console.suggestions", sort=sort, min_position=receipt.position or None), code=303)


@bp.get("/agenda")
@reads()
def agenda() -> str:
    """The next scheduled meeting's agenda, built from the data now (a closed one: as discussed)."""
    require_viewer(*INTERNAL_READERS)
    read = read_side()
    meetings, _ = read.improvement.meetings(100)
    chosen = next_meeting(meetings, now())
    built: dict[str, Any] | None = None
    if chosen is not None:
        found = desk().get_meeting(chosen["key"])
        if found.agenda is not None:
            built = {**found.agenda, "snapshot": True}
        else:
            row = {"key": found.key, "cadence": found.cadence, "date": found.meeting_date, "status": found.status}
            built = {**json_safe(read.improvement.agenda(row, now())), "snapshot": False}
    return page("agenda.html", meeting=json_safe(chosen), agenda=built, meetings=json_safe(meetings))


def next_meeting(meetings: list[dict[str, Any]], current: datetime) -> dict[str, Any] | None:
    """The earliest scheduled meeting from today on; else the latest scheduled; else the latest."""
    today = current.date()
    scheduled = [m for m in meetings if m["status"] != "closed"]
    upcoming = sorted((m for m in scheduled if m["date"] >= today), key=lambda m: m["date"])
    if upcoming:
        return upcoming[0]
    if scheduled:
        return max(scheduled, key=lambda m: m["date"])
    return max(meetings, key=lambda m: m["date"]) if meetings else None


@bp.get("/health-check")
@reads("quarter")
def health_check() -> str:
    """The quarterly health check, printable (the print stylesheet drops navigation and forms)."""
    viewer = require_viewer(*INTERNAL_READERS)
    current = now()
    this_quarter = Quarter.containing(current)
    text = request.args.get("quarter", "").strip()
    refused = None
    try:
        quarter = Quarter.parse(text) if text else this_quarter
    except InvalidCommand:  # the API's `?quarter=` rule (2000Q1 to 2100Q4); show this quarter instead
        quarter, refused = this_quarter, text[:20]
    report = read_side().improvement.health_check(str(quarter), viewer.actor, current)
    choices = [this_quarter]
    for _ in range(QUARTERS_BACK - 1):
        choices.append(choices[-1].previous)
    return page(
        "health_check.html",
        report=json_safe(report),
        quarter=str(quarter),
        quarters=[str(q) for q in choices],
        refused=refused,
    )
