"""The issue list and the auditor's issue page.

Pages and the API calls they mirror:

- /console/issues: GET /issues (the same filters, validated by the API's own schema)
- /console/issues/<key>?version=n (or ?as_of=&axis=): GET /issues/{key}?version= (or ?as_of=),
  GET /issues/{key}/history, GET /issues/{key}/sla, and GET /audit/verify for this issue's chain

Visibility is the API's: reporters see their own issues, vendors those escalated to them, and
another party's issue is a 404. The chain check is for those who may read `/audit/verify`.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import request
from marshmallow import ValidationError

from application.errors import NotFound
from domain.keys import KEY_PATTERN
from domain.vocabulary import KNOWN_VENDORS, IssueStatus, Module
from interfaces.http.presenters import history_view, issue_view, json_safe
from interfaces.http.problems import Problem
from interfaces.http.reading import as_of_version, read_side, visible_issue
from interfaces.http.schemas.common import VersionQuerySchema, query_time
from interfaces.http.schemas.issues import IssueListQuerySchema
from interfaces.http.services import desk
from interfaces.web.blueprint import bp, now, page
from interfaces.web.chain import verify_chain
from interfaces.web.charts import clock_timeline
from interfaces.web.parameters import reads
from interfaces.web.session import require_viewer

LIST_FIELDS = ("status", "vendor", "priority", "module", "site", "breached", "text", "cursor")
PAGE_SIZE = 50
AUDIT_READERS = ("admin", "auditor")
AXES = ("recorded", "occurred")
AS_OF = query_time(default_timezone=UTC)
"""The API's `?as_of=` field; the console's time input has no offset, so it means UTC."""


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
@reads("version", "as_of", "axis")
def issue(key: str) -> str:
    """The issue as it stood at a version, its SLA clocks, its events and its chain."""
    viewer = require_viewer()
    if not KEY_PATTERN.match(key) or not key.startswith("KZ-"):
        raise Problem(404, "no such issue")
    current = visible_issue(key, viewer.actor)
    version, as_of, axis, notice = _chosen_version(key, current.version)
    shown = as_of_version(current, version, desk().get_issue)
    clocks = read_side().reports.issue_clocks(key, now())
    if viewer.family == "vendor":
        clocks = [c for c in clocks if c.vendor == viewer.vendor]
    events = history_view(desk().history(key), viewer.actor)
    return page(
        "issue.html",
        issue=json_safe(issue_view(shown, viewer.actor)),
        latest=current.version,
        as_of=as_of,
        axis=axis,
        axes=AXES,
        notice=notice,
        events=[json_safe(e) for e in events],
        clocks=clocks,
        timeline=clock_timeline(clocks, now()),
        chain=verify_chain(desk(), key) if viewer.is_one_of(*AUDIT_READERS) else None,
    )


def _chosen_version(key: str, latest: int) -> tuple[int | None, str, str, str | None]:
    """`?version=n`, or the version in force at `?as_of=` (a UTC date-time) on `?axis=`.

    Returns (version, as_of as typed, axis, a notice for the page); a time before the issue
    existed is a notice on the current version, not an error page.
    """
    axis = request.args.get("axis", "recorded")
    if axis not in AXES:
        axis = "recorded"
    as_of_text = request.args.get("as_of", "").strip()
    if as_of_text:
        try:
            when = AS_OF.deserialize(as_of_text)
        except ValidationError:
            return None, as_of_text[:40], axis, "Write the time as YYYY-MM-DDTHH:MM (UTC), between 1970 and 2200."
        try:
            return desk().version_as_of(key, when, axis), as_of_text, axis, None
        except NotFound:
            return None, as_of_text, axis, f"{key} did not exist yet at {as_of_text} UTC; showing the latest version."
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
