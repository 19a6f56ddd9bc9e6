"""Issue routes: parse, authorise, one application call, shape the answer.

Rights come from `domain.access` (enforced by the application); this module adds only the
HTTP-level checks (`auth.writer`: auditors change nothing, apps name an employee).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema

from application.errors import NotFound
from domain.errors import InvalidCommand
from interfaces.http.api import AGGREGATE_HEADERS, COMMAND_HEADERS, CREATED_HEADERS, errors
from interfaces.http.auth import reader
from interfaces.http.blueprint import Blueprint
from interfaces.http.commands import Answer, glimpse_command, issue_command
from interfaces.http.logs import get_logger
from interfaces.http.presenters import history_page, issue_view
from interfaces.http.problems import Problem, validation_problem
from interfaces.http.reading import (
    as_of_version,
    asks_for_past,
    chosen_version,
    read_side,
    seen_issue,
    visible_issue,
    wait_for_views,
)
from interfaces.http.schemas.common import HistoryQuerySchema, HistorySchema, NoBodySchema, VersionQuerySchema
from interfaces.http.schemas.issues import (
    AffectedSchema,
    AssignSchema,
    ChangeSchema,
    CloseSchema,
    CommentSchema,
    EscalateSchema,
    IssueListQuerySchema,
    IssuePageSchema,
    IssueSchema,
    LinkSchema,
    ReopenSchema,
    ReportedIssueSchema,
    ReportSchema,
    ResolveSchema,
    RespondSchema,
    ResumeSchema,
    RetireSchema,
    TriageSchema,
    VendorUpdateSchema,
    WaitSchema,
    WorkaroundSchema,
)
from interfaces.http.services import desk, services
from projections.issue_duplicates import similar_open_issues

blp = Blueprint(
    "issues", __name__, url_prefix="/api/v1/issues", description="Problems people hit in the ERP, from report to close"
)
F = Callable[..., Any]
LIST_FILTERS = ("status", "vendor", "priority", "impact_class", "module", "site", "reporter", "breached", "text")
COMMAND_ERRORS = (400, 401, 403, 404, 409, 412, 413, 415, 422, 503)
log = get_logger("kaizen.http.issues")


def command_route(rule: str, schema: type[Schema]) -> Callable[[F], F]:
    """POST `/issues/{key}/<rule>` taking `schema`, answering the issue (the shape of every command)."""

    def decorate(func: F) -> F:
        func = errors(blp, *COMMAND_ERRORS)(func)
        func = blp.response(200, IssueSchema, headers=COMMAND_HEADERS)(func)
        func = blp.arguments(schema)(func)
        routed: F = blp.route(f"/<issue_key:key>/{rule}", methods=["POST"])(func)
        return routed

    return decorate


# -- collection -------------------------------------------------------------------------------
@blp.route("", methods=["POST"])
@blp.arguments(ReportSchema)
@blp.response(201, ReportedIssueSchema, headers=CREATED_HEADERS)
@errors(blp, 400, 401, 403, 413, 415, 422, 503)
def report(body: dict[str, Any]) -> Answer:
    """Report an issue; the answer lists possible duplicates (open issues with a similar title)

    The first priority comes from the priority matrix (impact scope × urgency), not from the
    reporter; an administrator may override it at triage, with a reason. A possible duplicate
    can be answered with "me too" (`POST /issues/{key}/affected`) by whoever reported this one.
    """
    view, status, headers = issue_command("report", lambda ctx: desk().report(ctx, **body))
    return {**view, "possible_duplicates": possible_duplicates(view["title"], view["key"])}, status, headers


def possible_duplicates(title: str, own_key: str) -> list[dict[str, Any]]:
    """Advisory, as a suggestion's: a read side that fails here is logged, and the report stands."""
    try:
        return similar_open_issues(read_side().issues, title, reader(), services().settings.clock(), exclude=own_key)
    except Exception:
        log.warning("possible_duplicates_unavailable", exc_info=True)
        return []


@blp.route("", methods=["GET"])
@blp.arguments(IssueListQuerySchema, location="query")
@blp.response(200, IssuePageSchema)
@errors(blp, 401, 422, 503)
def list_issues(query: dict[str, Any]) -> dict[str, Any]:
    """List issues (newest first), filtered; each caller sees only the issues they may see"""
    actor = reader()
    read = read_side()
    wait_for_views(read, query.get("min_position"))
    filters = {
        name: str(query[name]).lower() if isinstance(query[name], bool) else query[name]
        for name in LIST_FILTERS
        if query.get(name) is not None
    }
    assignees = assignee_names(query.get("assignee"), query.get("group"))
    try:
        items, next_cursor = read.issues.list(
            filters, query["limit"], query.get("cursor"), actor, services().settings.clock(), assignees
        )
    except ValueError as exc:
        raise validation_problem({"cursor": [str(exc)]}) from None
    return {"items": items, "next_cursor": next_cursor}


UNASSIGNED = "unassigned"


def assignee_names(assignee: str | None, group: str | None) -> list[str | None] | None:
    """`?assignee=` and `?group=` as the names an issue's assignee may have (None: nobody), or
    None for no such filter. A group stands for itself and its members; both together keep
    what both allow. An unknown group is the caller's mistake (422 on `group`)."""
    chosen: list[set[str | None]] = []
    if assignee is not None:
        chosen.append({None} if assignee == UNASSIGNED else {assignee})
    if group is not None:
        if group == UNASSIGNED:
            chosen.append({None})
        else:
            try:
                found = desk().get_group(group)
            except NotFound:
                raise validation_problem({"group": [f"there is no group {group}"]}) from None
            chosen.append({found.group_id, *found.members})
    if not chosen:
        return None
    allowed = set.intersection(*chosen)
    return sorted(allowed, key=lambda name: (name is not None, name or ""))


# -- one issue --------------------------------------------------------------------------------
@blp.route("/<issue_key:key>", methods=["GET"])
@blp.arguments(VersionQuerySchema, location="query")
@blp.response(200, IssueSchema, headers=AGGREGATE_HEADERS)
@errors(blp, 401, 404, 422, 503)
def issue(query: dict[str, Any], key: str) -> Answer:
    """The issue now, or as it was (`?version=n`, or `?as_of=<time>` on the recorded or occurred axis)"""
    actor = reader()
    if asks_for_past(query):
        shown = as_of_version(seen_issue(key, actor), chosen_version(key, query), desk().get_issue)
    else:
        shown = visible_issue(key, actor)
    return issue_view(shown, actor), 200, {"ETag": f'"{shown.version}"'}


@blp.route("/<issue_key:key>/history", methods=["GET"])
@blp.arguments(HistoryQuerySchema, location="query")
@blp.response(200, HistorySchema)
@errors(blp, 401, 404, 422, 503)
def history(query: dict[str, Any], key: str) -> dict[str, Any]:
    """Every event of the issue (type, version, actor, via, occurred_at, recorded_at, data, hash), paged

    Oldest first, `?limit=` (default 50, max 500) events a page; pass `next_cursor` back as
    `?cursor=` for the next page (null on the last one).
    """
    actor = reader()
    seen_issue(key, actor)
    return history_page(desk().history_page(key, query["limit"], query["after"]), actor)


# -- commands ---------------------------------------------------------------------------------
@command_route("triage", TriageSchema)
def triage(body: dict[str, Any], key: str) -> Answer:
    """Triage: priority (or impact scope and urgency), impact class, assignee"""
    return issue_command("triage", lambda ctx: desk().triage(ctx, key, **body), key)


@command_route("assign", AssignSchema)
def assign(body: dict[str, Any], key: str) -> Answer:
    """Assign the issue to an administrator"""
    return issue_command("assign", lambda ctx: desk().assign(ctx, key, **body), key)


@command_route("respond", RespondSchema)
def respond(body: dict[str, Any], key: str) -> Answer:
    """Respond to the reporter (the first response stops the internal_response clock)"""
    return issue_command("respond", lambda ctx: desk().respond(ctx, key, **body), key)


@command_route("comments", CommentSchema)
def comment(body: dict[str, Any], key: str) -> Answer:
    """Comment publicly, or internally (administrators only; never shown to reporters or vendors)"""
    return issue_command("comments", lambda ctx: desk().comment_on_issue(ctx, key, **body), key)


@command_route("escalate", EscalateSchema)
def escalate(body: dict[str, Any], key: str) -> Answer:
    """Escalate to a vendor with its ticket number (starts the vendor's SLA clocks)"""
    return issue_command("escalate", lambda ctx: desk().escalate(ctx, key, **body), key)


@command_route("vendor-updates", VendorUpdateSchema)
def vendor_update(body: dict[str, Any], key: str) -> Answer:
    """Record the vendor's response or update (the first one stops vendor_response)"""
    return issue_command("vendor-updates", lambda ctx: desk().record_vendor_update(ctx, key, **body), key)


@command_route("wait", WaitSchema)
def wait(body: dict[str, Any], key: str) -> Answer:
    """Wait on the reporter (pauses internal clocks) or the customer (pauses vendor clocks)"""
    return issue_command("wait", lambda ctx: desk().wait(ctx, key, **body), key)


@command_route("resume", ResumeSchema)
def resume(body: dict[str, Any], key: str) -> Answer:
    """Resume work after waiting"""
    return issue_command("resume", lambda ctx: desk().resume(ctx, key, **body), key)


@command_route("workarounds", WorkaroundSchema)
def record_workaround(body: dict[str, Any], key: str) -> Answer:
    """Record a workaround with the date it must be retired by"""
    return issue_command("workarounds", lambda ctx: desk().record_workaround(ctx, key, **body), key)


@command_route("workarounds/<workaround_id:workaround_id>/retire", RetireSchema)
def retire_workaround(body: dict[str, Any], key: str, workaround_id: str) -> Answer:
    """Retire a workaround (an unknown workaround id is a 404)"""

    def call(ctx: Any) -> Any:
        try:
            return desk().retire_workaround(ctx, key, workaround_id, **body)
        except InvalidCommand as exc:
            if exc.field == "workaround_id":
                raise Problem(404, str(exc)) from None
            raise

    return issue_command("retire", call, key)


@command_route("changes", ChangeSchema)
def schedule_change(body: dict[str, Any], key: str) -> Answer:
    """Schedule a vendor change; inside a change-freeze window only with override_reason (else 409)"""
    return issue_command("changes", lambda ctx: desk().schedule_change(ctx, key, **body), key)


@command_route("resolve", ResolveSchema)
def resolve(body: dict[str, Any], key: str) -> Answer:
    """Resolve with the resolution and, when known, the root cause"""
    return issue_command("resolve", lambda ctx: desk().resolve(ctx, key, **body), key)


@command_route("reopen", ReopenSchema)
def reopen(body: dict[str, Any], key: str) -> Answer:
    """Reopen a resolved issue (resolution clocks restart)"""
    return issue_command("reopen", lambda ctx: desk().reopen(ctx, key, **body), key)


@command_route("close", CloseSchema)
def close(body: dict[str, Any], key: str) -> Answer:
    """Close a resolved issue"""
    return issue_command("close", lambda ctx: desk().close_issue(ctx, key, **body), key)


@command_route("links", LinkSchema)
def link(body: dict[str, Any], key: str) -> Answer:
    """Link to another issue: `duplicate_of` (the duplicate's reporter then follows the original
    and hears of its resolution), `relates_to` or `caused_by`. Administrators only; a link to the
    issue itself or to an issue that does not exist is a 422, the same link twice a 409"""
    return issue_command("links", lambda ctx: desk().link_issue(ctx, key, **body), key)


@blp.route("/<issue_key:key>/affected", methods=["POST"])
@blp.arguments(NoBodySchema, required=False)
@blp.response(200, AffectedSchema, headers=COMMAND_HEADERS)
@errors(blp, *COMMAND_ERRORS)
def affected(body: dict[str, Any], key: str) -> Answer:
    """Me too: the caller is affected by this issue as well (once per person; a second time is a 409)

    Reporters may say so on any open issue (they find them among a report's possible duplicates),
    and the answer shows only the issue's key, title, status and affected count; the reporter of
    the issue is affected already (409)."""
    return glimpse_command("affected", lambda ctx: desk().mark_affected(ctx, key), key)
