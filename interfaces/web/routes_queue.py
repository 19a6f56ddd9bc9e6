"""The administrators' work queue, and a vendor consultant's own queue.

Pages and the API calls they mirror:

- GET /console/queue?tab=unassigned|mine|groups|at-risk|open&sort=due|priority|updated: the open
  issues (GET /issues with `assignee=` / `group=`, narrowed to open ones) with each one's next
  SLA due time (the SLA view's running clocks, as GET /issues/{key}/sla shows them) and whether
  it is at risk or breached (the SLA alerts' threshold, `KAIZEN_SLA_AT_RISK`). "Mine" is
  assigned to the viewer; "My groups" to one of the viewer's groups or one of their members.
- POST /console/queue/triage (`keys` + the fields of POST /issues/{key}/triage, validated by its
  `TriageSchema`): **Triage selected** (`data-action="triage"`) runs `desk.triage` once per
  selected key, as the API route does.
- POST /console/queue/assign (`keys` + `assignee`, `AssignSchema`): **Assign selected**
  (`data-action="assign"`) runs `desk.assign` once per key.

The answer page lists every selected key: done, or refused with the problem's detail (the API's
words and status). A form the schema refuses writes nothing and is shown again with its detail
and what was typed (422). Only administrators may open the queue or post to it; a vendor
consultant gets their own read-only queue (the issues escalated to their vendor, by due time);
everyone else gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Response, request
from flask.typing import ResponseReturnValue

from application.context import Context, Receipt
from application.errors import NotFound
from domain.keys import KEY_PATTERN
from domain.vocabulary import ImpactScope, Urgency
from interfaces.http import metrics
from interfaces.http.logs import get_logger
from interfaces.http.problems import Problem
from interfaces.http.reading import read_side, wait_for_views
from interfaces.http.schemas.issues import AssignSchema, TriageSchema
from interfaces.http.services import desk
from interfaces.web.blueprint import bp, now, page
from interfaces.web.forms import FormRefused, form_data, refusal
from interfaces.web.parameters import reads
from interfaces.web.session import Viewer, require_viewer

log = get_logger("kaizen.console")
TABS = (
    ("unassigned", "Unassigned"),
    ("mine", "Mine"),
    ("groups", "My groups"),
    ("at-risk", "At risk"),
    ("open", "All open"),
)
SORTS = (("due", "Next due"), ("priority", "Priority"), ("updated", "Recently updated"))
DEFAULT_TAB, DEFAULT_SORT = "unassigned", "due"
QUEUE_LIMIT = 100
MAX_SELECTED = 200
SHORTCUTS = (  # static/console.js, with JavaScript on
    ("j / k", "Next / previous issue"),
    ("x", "Select or unselect the issue"),
    ("o", "Open the issue"),
    ("a", "Assign selected (or choose the assignee first)"),
    ("t", "Triage selected (or choose impact scope and urgency first)"),
    ("/", "Go to the tabs"),
    ("?", "Go to this list"),
)
Command = Callable[[Context, str, dict[str, Any]], Receipt]


def _chosen(values: Any) -> tuple[str, str]:
    tab = values.get("tab", DEFAULT_TAB)
    sort = values.get("sort", DEFAULT_SORT)
    return (tab if tab in dict(TABS) else DEFAULT_TAB), (sort if sort in dict(SORTS) else DEFAULT_SORT)


def _zone(viewer: Viewer) -> tuple[Any, str]:
    """The viewer's own time zone (and its name), or UTC when they have none or it is unknown."""
    if viewer.time_zone:
        try:
            return ZoneInfo(viewer.time_zone), viewer.time_zone
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC, "UTC"


def due_text(value: datetime | None, zone: Any, zone_name: str) -> str:
    """A due time in the viewer's zone, with the zone named ("2026-06-30 14:00 Asia/Hong_Kong")."""
    if value is None:
        return "—"
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") + " " + zone_name


def _group_names(viewer: Viewer) -> list[str | None]:
    """The viewer's groups and their members: who an issue of "My groups" is assigned to."""
    names: set[str] = set()
    for group_id in viewer.groups:
        try:
            group = desk().get_group(group_id)
        except NotFound:  # a group that no longer exists holds nobody
            continue
        names.update((group.group_id, *group.members))
    found: list[str | None] = [*sorted(names)]
    return found


def _assignees(viewer: Viewer, tab: str) -> list[str | None] | None:
    if tab == "unassigned":
        return [None]
    if tab == "mine":
        return [viewer.person or viewer.subject]
    if tab == "groups":
        return _group_names(viewer)
    return None


def _assignee_choices(viewer: Viewer) -> dict[str, list[tuple[str, str]]]:
    """Active groups and active people, as (value, label): what `assignee` may name."""
    groups = [(g.group_id, g.name) for g in desk().list_groups() if getattr(g, "status", "active") == "active"]
    people = [(p.person_id, p.name or p.person_id) for p in desk().list_people(viewer.actor) if p.active]
    return {"Groups": groups, "People": people}


def _queue_page(
    viewer: Viewer,
    tab: str,
    sort: str,
    *,
    status: int = 200,
    results: dict[str, Any] | None = None,
    refused: FormRefused | None = None,
    form: str | None = None,
    typed: dict[str, Any] | None = None,
    selected: tuple[str, ...] = (),
) -> Response:
    zone, zone_name = _zone(viewer)
    vendor = viewer.family == "vendor"
    rows, more = read_side().issues.queue(
        viewer.actor,
        now(),
        assignees=None if vendor else _assignees(viewer, tab),
        at_risk_only=tab == "at-risk" and not vendor,
        sort="due" if vendor else sort,
        limit=QUEUE_LIMIT,
    )
    for row in rows:
        row["due_text"] = due_text(row["next_due"], zone, zone_name)
    body = page(
        "queue.html",
        section="console.queue",
        vendor_view=vendor,
        tabs=TABS,
        sorts=SORTS,
        tab=tab,
        sort=sort,
        rows=rows,
        more=more,
        limit=QUEUE_LIMIT,
        zone_name=zone_name,
        no_groups=tab == "groups" and not viewer.groups,
        choices={} if vendor else _assignee_choices(viewer),
        scopes=[s.value for s in ImpactScope],
        urgencies=[u.value for u in Urgency],
        shortcuts=SHORTCUTS,
        results=results,
        refused=refused,
        form=form,
        typed=typed or {},
        selected=set(selected),
    )
    return Response(body, status=status, mimetype="text/html")


@bp.get("/queue")
@reads("tab", "sort")
def queue() -> Response:
    """The admin's queue by tab and sort; a vendor consultant's own queue by due time."""
    viewer = require_viewer("admin", "vendor")
    tab, sort = _chosen(request.args)
    return _queue_page(viewer, tab, sort)


@bp.post("/queue/triage")
def queue_triage() -> ResponseReturnValue:
    """**Triage selected**: POST /issues/{key}/triage for each selected key."""
    return _for_each("triage", TriageSchema, lambda ctx, key, body: desk().triage(ctx, key, **body))


@bp.post("/queue/assign")
def queue_assign() -> ResponseReturnValue:
    """**Assign selected**: POST /issues/{key}/assign for each selected key."""
    return _for_each("assign", AssignSchema, lambda ctx, key, body: desk().assign(ctx, key, **body))


def _selected_keys() -> tuple[str, ...]:
    """The ticked `keys`, in page order, each once; a value that is not an issue key is refused."""
    keys: list[str] = []
    for raw in request.form.getlist("keys"):
        key = raw.strip()
        if not KEY_PATTERN.match(key) or not key.startswith("KZ-"):
            raise FormRefused(f"{key[:40]!r} is not an issue key", {"keys": ["not an issue key"]}, 422)
        if key not in keys:
            keys.append(key)
    if not keys:
        raise FormRefused("select at least one issue", {"keys": ["select at least one issue"]}, 422)
    if len(keys) > MAX_SELECTED:
        raise FormRefused(f"select at most {MAX_SELECTED} issues at once", {"keys": ["too many"]}, 422)
    return tuple(keys)


def _for_each(command: str, schema: Any, call: Command) -> ResponseReturnValue:
    viewer = require_viewer("admin")
    if not viewer.may_change:
        raise Problem(403, f"role {viewer.role} may read but not change anything")
    tab, sort = _chosen(request.form)
    typed = {k: request.form.get(k, "").strip() for k in ("impact_scope", "urgency", "assignee")}
    picked = tuple(k.strip() for k in request.form.getlist("keys"))
    try:
        keys = _selected_keys()
        body = form_data(schema)
    except FormRefused as refused:
        return _queue_page(
            viewer, tab, sort, status=refused.status, refused=refused, form=command, typed=typed, selected=picked
        )
    done: list[str] = []
    refusals: list[dict[str, Any]] = []
    untried: list[str] = []
    position = None
    for index, key in enumerate(keys):
        try:
            receipt = call(Context(viewer.actor), key, body)
        except Exception as exc:
            try:
                answer = refusal(exc)
            except Exception:
                log.error("queue_command_failed", command=command, key=key, exc_info=exc)
                refusals.append({"key": key, "detail": "the console could not run this command", "status": 500})
                untried = list(keys[index + 1 :])
                break
            refusals.append({"key": key, "detail": answer.detail, "status": answer.status})
            continue
        if not receipt.replayed:
            metrics.command_accepted(receipt.kind, command)
        done.append(key)
        position = receipt.position or position
    if position:
        wait_for_views(read_side(), position)
    statuses = [r["status"] for r in refusals]
    # All done: 200. Some refused: 200 with each refusal listed; none done: the refusals' 4xx.
    status = max(statuses) if not done or any(s >= 500 for s in statuses) else 200
    results = {"command": command, "done": done, "refused": refusals, "untried": untried}
    still_selected = tuple(r["key"] for r in refusals) + tuple(untried)
    return _queue_page(viewer, tab, sort, status=status, results=results, typed=typed, selected=still_selected)
