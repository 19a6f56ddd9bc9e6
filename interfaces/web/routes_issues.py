"""The issue list and the auditor's issue page.

Pages and the API calls they mirror:

- /console/issues: GET /issues (the same filters, validated by the API's own schema)
- /console/issues/<key>?version=n (or ?as_of=&axis=): GET /issues/{key}?version= (or ?as_of=),
  GET /issues/{key}/history, GET /issues/{key}/sla, and GET /audit/verify for this issue's chain

Visibility is the API's: reporters see their own issues, vendors those escalated to them, and
another party's issue is a 404. The chain check is for those who may read `/audit/verify`.

The issue page also carries a form for every issue command the viewer's role may perform (the
domain's table, `domain.access.ISSUE_ACTIONS`; auditors none), each posting the API's fields to
POST /console/issues/<key>/<command> (retire: /workarounds/<id>/retire), the API's command name.
A post is read by the API's own schema (`forms.form_data`), runs the one desk method the API
route runs (interfaces/http/issues.py), and answers 303 back to the issue page. A refusal
re-renders the page with the problem's detail beside that form, what was typed kept, and the
API's status (422, 409, ...); a command the role may not perform at all is the 403 page. The
blueprint checks the CSRF token of every POST before any route runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError

from application.context import Context, Receipt
from application.desk import KaizenDesk
from application.errors import NotFound
from domain.access import ADMIN_ONLY, ISSUE_ACTIONS
from domain.errors import InvalidCommand
from domain.keys import KEY_PATTERN
from domain.vocabulary import (
    KNOWN_VENDORS,
    ImpactClass,
    ImpactScope,
    IssueStatus,
    Module,
    Priority,
    Urgency,
    Visibility,
    WaitingOn,
    WorkaroundKind,
)
from interfaces.http.presenters import history_view, issue_view, json_safe
from interfaces.http.problems import Problem
from interfaces.http.reading import as_of_version, read_side, visible_issue, wait_for_views
from interfaces.http.schemas.common import NoBodySchema, VersionQuerySchema, query_time
from interfaces.http.schemas.issues import (
    AssignSchema,
    ChangeSchema,
    CloseSchema,
    CommentSchema,
    EscalateSchema,
    IssueListQuerySchema,
    LinkSchema,
    ReopenSchema,
    ResolveSchema,
    RespondSchema,
    ResumeSchema,
    RetireSchema,
    TriageSchema,
    VendorUpdateSchema,
    WaitSchema,
    WorkaroundSchema,
)
from interfaces.http.services import desk
from interfaces.web.blueprint import bp, now, page, viewer_zone
from interfaces.web.chain import verify_chain
from interfaces.web.charts import clock_timeline
from interfaces.web.checkpoint import issue_checkpoint
from interfaces.web.command_forms import FormState, run_command, typed_form
from interfaces.web.forms import form_data
from interfaces.web.parameters import reads
from interfaces.web.session import Viewer, require_viewer, require_writer

LIST_FIELDS = ("status", "vendor", "priority", "module", "site", "breached", "text", "cursor")
PAGE_SIZE = 50
AUDIT_READERS = ("admin", "auditor")
AXES = ("recorded", "occurred")


@bp.get("/issues")
@reads(*LIST_FIELDS)
def issues() -> str:
    """Newest first, filtered, one page at a time (the API's cursor)."""
    viewer = require_viewer()
    raw = {k: v for k in LIST_FIELDS if (v := request.args.get(k, "").strip())}
    errors: dict[str, Any] = {}
    try:
        query = IssueListQuerySchema().load({**raw, "limit": PAGE_SIZE})
    except ValidationError as exc:
        errors = dict(exc.messages)  # type: ignore[arg-type]
        query = {"limit": PAGE_SIZE}
    filters = {
        k: str(v).lower() if isinstance(v, bool) else v
        for k, v in query.items()
        if k not in ("limit", "cursor", "min_position") and v is not None
    }
    try:
        items, next_cursor = read_side().issues.list(filters, PAGE_SIZE, query.get("cursor"), viewer.actor, now())
    except ValueError as exc:
        errors, items, next_cursor = {"cursor": [str(exc)]}, [], None
    return page(
        "issues.html",
        items=items,
        next_cursor=next_cursor,
        chosen=raw,
        errors=errors,
        statuses=[s.value for s in IssueStatus],
        priorities=("P1", "P2", "P3", "P4"),
        modules=[m.value for m in Module],
        vendors=[viewer.vendor] if viewer.vendor else list(KNOWN_VENDORS),
    )


@bp.get("/issues/<key>")
@reads("version", "as_of", "axis", "min_position")
def issue(key: str) -> str:
    """The issue as it stood at a version, its SLA clocks, its events and its chain; after a
    command the page waits (bounded) for the views to hold it, so its clocks are not stale."""
    viewer = require_viewer()
    _check_key(key)
    wait_for_views(read_side(), request.args.get("min_position", type=int))
    return _issue_page(viewer, key, past=True)


def _check_key(key: str) -> None:
    if not KEY_PATTERN.match(key) or not key.startswith("KZ-"):
        raise Problem(404, "no such issue")


def _issue_page(viewer: Viewer, key: str, *, past: bool = False, form: FormState | None = None) -> str:
    """The page; `past`: the version chosen in the query; `form`: the refused form, as typed."""
    current = visible_issue(key, viewer.actor)
    version, as_of, axis, notice = _chosen_version(key, current.version) if past else (None, "", "recorded", None)
    shown = as_of_version(current, version, desk().get_issue)
    clocks = read_side().reports.issue_clocks(key, now())
    if viewer.family == "vendor":
        clocks = [c for c in clocks if c.vendor == viewer.vendor]
    events = history_view(desk().history(key), viewer.actor)
    view = json_safe(issue_view(shown, viewer.actor))
    return page(
        "issue.html",
        issue=view,
        latest=current.version,
        as_of=as_of,
        axis=axis,
        axes=AXES,
        notice=notice,
        events=[json_safe(e) for e in events],
        clocks=clocks,
        timeline=clock_timeline(clocks, now()),
        chain=verify_chain(desk(), key) if viewer.is_one_of(*AUDIT_READERS) else None,
        checkpoint=issue_checkpoint(desk(), key, current.version),
        conversation=conversation(view),
        commands=offered(viewer) if shown.version == current.version else (),
        form=form or FormState(),
        choices=_choices(viewer),
    )


def _chosen_version(key: str, latest: int) -> tuple[int | None, str, str, str | None]:
    """`?version=n`, or the version in force at `?as_of=` on `?axis=`: the API's time field,
    where a time without an offset (the console's input has none) is in the viewer's zone.

    Returns (version, as_of as typed, axis, a notice for the page); a time before the issue
    existed is a notice on the current version, not an error page.
    """
    axis = request.args.get("axis", "recorded")
    if axis not in AXES:
        axis = "recorded"
    as_of_text = request.args.get("as_of", "").strip()
    if as_of_text:
        try:
            when = query_time(default_timezone=viewer_zone()[0]).deserialize(as_of_text)
        except ValidationError:
            return None, as_of_text[:40], axis, "Write the time as YYYY-MM-DDTHH:MM, between 1970 and 2200."
        try:
            return desk().version_as_of(key, when, axis), as_of_text, axis, None
        except NotFound:
            return None, as_of_text, axis, "The issue did not exist yet at that time; showing the latest version."
    raw = request.args.get("version", "").strip()
    if not raw:
        return None, "", axis, None
    try:
        version = int(VersionQuerySchema().load({"version": raw})["version"])
    except ValidationError:
        version = 0
    if not 1 <= version <= latest:
        raise Problem(404, f"{key} has no version {raw[:12]}")
    return version, "", axis, None


# -- the issue's commands ---------------------------------------------------------------------
Call = Callable[[KaizenDesk, Context, str, dict[str, Any]], Receipt]
COMMANDS: dict[str, tuple[type[Schema], Call]] = {
    "triage": (TriageSchema, lambda d, ctx, key, body: d.triage(ctx, key, **body)),
    "assign": (AssignSchema, lambda d, ctx, key, body: d.assign(ctx, key, **body)),
    "respond": (RespondSchema, lambda d, ctx, key, body: d.respond(ctx, key, **body)),
    "comments": (CommentSchema, lambda d, ctx, key, body: d.comment_on_issue(ctx, key, **body)),
    "escalate": (EscalateSchema, lambda d, ctx, key, body: d.escalate(ctx, key, **body)),
    "vendor-updates": (VendorUpdateSchema, lambda d, ctx, key, body: d.record_vendor_update(ctx, key, **body)),
    "wait": (WaitSchema, lambda d, ctx, key, body: d.wait(ctx, key, **body)),
    "resume": (ResumeSchema, lambda d, ctx, key, body: d.resume(ctx, key, **body)),
    "workarounds": (WorkaroundSchema, lambda d, ctx, key, body: d.record_workaround(ctx, key, **body)),
    "changes": (ChangeSchema, lambda d, ctx, key, body: d.schedule_change(ctx, key, **body)),
    "resolve": (ResolveSchema, lambda d, ctx, key, body: d.resolve(ctx, key, **body)),
    "reopen": (ReopenSchema, lambda d, ctx, key, body: d.reopen(ctx, key, **body)),
    "close": (CloseSchema, lambda d, ctx, key, body: d.close_issue(ctx, key, **body)),
    "affected": (NoBodySchema, lambda d, ctx, key, body: d.mark_affected(ctx, key)),
    "links": (LinkSchema, lambda d, ctx, key, body: d.link_issue(ctx, key, **body)),
}
ORDER = (*COMMANDS, "retire", "attachments")
"""The page's commands in the API's order; `retire` is a form on each workaround, `attachments`
(**Attach file**) a multipart form of its own (routes_attachments)."""


def may(viewer: Viewer, command: str) -> bool:
    """Whether this role may perform `command` at all: the domain's table (the desk checks again)."""
    return viewer.may_change and viewer.family in ISSUE_ACTIONS.get(command, ADMIN_ONLY)


def offered(viewer: Viewer) -> tuple[str, ...]:
    return tuple(c for c in ORDER if may(viewer, c))


def _choices(viewer: Viewer) -> dict[str, Any]:
    """The options of the forms' selects; assignees (active people, groups) only for admins."""
    people: list[tuple[str, str]] = []
    groups: list[tuple[str, str]] = []
    if may(viewer, "assign"):
        people = [(p.person_id, p.name) for p in desk().list_people(viewer.actor) if p.active]
        groups = [(g.group_id, g.name) for g in desk().list_groups() if g.status == "active"]
    return {
        "people": people,
        "groups": groups,
        "priorities": [p.value for p in Priority],
        "scopes": [s.value for s in ImpactScope],
        "urgencies": [u.value for u in Urgency],
        "impact_classes": [c.value for c in ImpactClass],
        "visibilities": [v.value for v in Visibility],
        "waiting_on": [w.value for w in WaitingOn],
        "workaround_kinds": [k.value for k in WorkaroundKind],
        "vendors": [v for v in KNOWN_VENDORS if v != "internal"],
    }


def conversation(view: dict[str, Any]) -> list[dict[str, Any]]:
    """Comments, responses and vendor updates as one thread, oldest first (`view`: the API's
    issue shape, so internal comments are already left out for those who may not see them)."""
    said: list[dict[str, Any]] = []
    for c in view.get("comments") or ():
        kind = "response" if c.get("response") else "comment"
        said.append(
            {
                "kind": kind,
                "author": c["author"],
                "role": c.get("role"),
                "at": c["at"],
                "text": c["body"],
                "visibility": c.get("visibility", "public"),
            }
        )
    for u in view.get("vendor_updates") or ():
        said.append(
            {
                "kind": "vendor_update",
                "author": u["author"],
                "role": None,
                "at": u["at"],
                "text": u["message"],
                "visibility": "public",
            }
        )
    names: dict[str, str] = {}
    for item in said:
        author = item["author"]
        if author not in names:
            person = desk().person_now(author)
            names[author] = person.name if person is not None else author
        item["name"] = names[author]
    return sorted(said, key=lambda item: str(item["at"] or ""))


@bp.post("/issues/<key>/<command>")
def issue_command(key: str, command: str) -> ResponseReturnValue:
    """One issue command, as POST /api/v1/issues/<key>/<command> runs it."""
    if command not in COMMANDS:
        raise Problem(404, f"the issue page has no command {command[:40]}")
    schema, call = COMMANDS[command]
    return _run(key, command, schema, lambda ctx, body: call(desk(), ctx, key, body))


@bp.post("/issues/<key>/workarounds/<workaround_id>/retire")
def retire_workaround(key: str, workaround_id: str) -> ResponseReturnValue:
    """**Retire** one workaround, as POST /api/v1/issues/<key>/workarounds/<id>/retire."""

    def call(ctx: Context, body: dict[str, Any]) -> Receipt:
        try:
            return desk().retire_workaround(ctx, key, workaround_id, **body)
        except InvalidCommand as exc:
            if exc.field == "workaround_id":  # as the API: an unknown workaround is a 404
                raise Problem(404, str(exc)) from None
            raise

    return _run(key, "retire", RetireSchema, call, typed_extra={"workaround_id": workaround_id})


def _run(
    key: str,
    command: str,
    schema: type[Schema],
    call: Callable[[Context, dict[str, Any]], Receipt],
    typed_extra: dict[str, str] | None = None,
) -> ResponseReturnValue:
    viewer = require_writer()
    _check_key(key)
    return run_command(
        viewer,
        command,
        lambda: form_data(schema),
        call,
        permitted=may(viewer, command),
        refused_page=lambda state: _issue_page(viewer, key, form=state),
        done_url=lambda receipt: url_for("console.issue", key=key, min_position=receipt.position or None),
        check_visible=lambda: visible_issue(key, viewer.actor),  # a hidden issue stays a 404 page
        typed=typed_form(typed_extra),
    )
