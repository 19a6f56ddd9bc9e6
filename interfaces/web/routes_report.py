"""The reporter's day: report an issue, see one's own issues (and what is awaited), suggest.

Pages and the API calls they mirror:

- GET/POST /console/issues/new (form: the fields of POST /issues, validated by its own
  `ReportSchema`): **Report issue** (`data-action="report"`) calls `desk.report` as the API
  route does, then 303 to the new issue's page. **Preview** (`name="preview"`) re-renders the
  form with the priority and impact class the domain's matrix gives (`domain.priority_matrix`)
  and the possible duplicates; nothing is written. The same matrix, as the server computed it,
  rides in a data attribute so the script can show it live.
- GET /console/issues/similar?title=: the possible duplicates among the open issues the viewer
  may see, as an HTML fragment (the script asks for it while the title is typed).
- GET /console/my-issues: the viewer's own issues with their status, those waiting on them first
  (GET /issues?reporter=me, and GET /issues/{key} for a waiting one's reason).
- GET/POST /console/suggestions/new (form: the fields of POST /suggestions, `SubmitSchema`):
  **Submit suggestion** (`data-action="suggest"`) calls `desk.submit_suggestion`.

A refusal (the schema's or the desk's) shows the problem's detail beside the form with what was
typed kept, and answers the API's status (422 for a bad field, 403 for a role that may not).
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from application.context import Context
from domain.access import ISSUE_ACTIONS, SUGGESTION_ACTIONS
from domain.attachment_types import AttachmentRefused
from domain.priority_matrix import impact_class_for, priority_for
from domain.vocabulary import KNOWN_VENDORS, ImpactScope, IssueStatus, Module, Urgency
from interfaces.http import metrics
from interfaces.http.reading import read_side
from interfaces.http.schemas.issues import ReportSchema
from interfaces.http.schemas.suggestions import SubmitSchema
from interfaces.http.services import desk
from interfaces.http.uploads import takes_upload, upload_from_request
from interfaces.web.blueprint import bp, now, page
from interfaces.web.forms import FormRefused, form_data, refusal
from interfaces.web.i18n import t
from interfaces.web.parameters import reads
from interfaces.web.session import Viewer, require_viewer, require_writer
from projections.issue_duplicates import similar_open_issues as shared_similar_open_issues

REPORT_FIELDS = ("title", "description", "module", "impact_scope", "urgency", "vendor", "site", "scenario")
SUGGESTION_FIELDS = ("title", "description", "module")
MY_ISSUES_PAGE = 50
TITLE_LIMIT = 300  # ReportSchema's title length; a longer query is cut, not refused
# Plain-language choices; the value is the API's, the label what a clerk would say.
SCOPES = (
    ("user", "Only me"),
    ("team", "My team"),
    ("department", "My whole department"),
    ("company", "The whole company"),
)
URGENCIES = (
    ("minor", "Annoying, but I can still do my work"),
    ("degraded", "I can work, but slowly or with a workaround"),
    ("blocking", "I cannot do my work at all"),
)
IMPACT_CLASSES = {"business_blocking": "Business blocking", "experience": "Experience"}


def _may(viewer: Viewer, families: frozenset[str]) -> bool:
    return viewer.may_change and viewer.family in families


def may_report(viewer: Viewer) -> bool:
    """Whether the page offers the form: the domain's table for `report` (the desk checks again)."""
    return _may(viewer, ISSUE_ACTIONS["report"])


def may_suggest(viewer: Viewer) -> bool:
    return _may(viewer, SUGGESTION_ACTIONS["suggest"])


def matrix() -> dict[str, Any]:
    """The domain's matrix for the script: {"priority": {scope: {urgency: P}}, "impact_class": {urgency: c}}."""
    return {
        "priority": {s.value: {u.value: priority_for(s, u).value for u in Urgency} for s in ImpactScope},
        "impact_class": {u.value: impact_class_for(u).value for u in Urgency},
    }


def outcome(typed: dict[str, str]) -> dict[str, str] | None:
    """The priority and impact class the typed scope and urgency give, or None until both are chosen."""
    scope, urgency = typed.get("impact_scope", ""), typed.get("urgency", "")
    if scope not in {s.value for s in ImpactScope} or urgency not in {u.value for u in Urgency}:
        return None
    return {"priority": priority_for(scope, urgency).value, "impact_class": impact_class_for(urgency).value}


def similar_open_issues(title: str, viewer: Viewer) -> list[dict[str, Any]]:
    """Open issues whose titles resemble `title`, best first: the API's `possible_duplicates`
    rule (`projections.issue_duplicates`), so the form and POST /issues never disagree."""
    return shared_similar_open_issues(read_side().issues, title, viewer.actor, now())


def _typed(names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.form.get(name, "") for name in names}


def _person_site(viewer: Viewer) -> str:
    if viewer.person is None:
        return ""
    person = desk().person_now(viewer.person)
    return (person.site or "") if person is not None else ""


def _report_page(
    viewer: Viewer,
    typed: dict[str, str],
    *,
    preview: bool = False,
    refused: FormRefused | None = None,
    status: int = 200,
) -> tuple[str, int]:
    duplicates = similar_open_issues(typed.get("title", ""), viewer) if preview or refused else []
    body = page(
        "report.html",
        typed=typed,
        preview=preview,
        outcome=outcome(typed),
        duplicates=duplicates,
        refused=refused,
        errors=refused.errors if refused else {},
        modules=[m.value for m in Module],
        scopes=SCOPES,
        urgencies=URGENCIES,
        impact_classes=IMPACT_CLASSES,
        vendors=KNOWN_VENDORS,
        matrix=json.dumps(matrix(), separators=(",", ":")),
    )
    return body, status


@bp.get("/issues/new")
@reads()
def report_form() -> ResponseReturnValue:
    viewer = require_writer()
    blank = dict.fromkeys(REPORT_FIELDS, "")
    return _report_page(viewer, {**blank, "vendor": "internal", "site": _person_site(viewer)})


@bp.post("/issues/new")
@takes_upload
def report_submit() -> ResponseReturnValue:
    """**Preview** re-renders with the priority; **Report issue** reports, as POST /issues does;
    with a file chosen, the file is attached right after (`desk.report_with_attachment`: a
    refused file, 413 or 415, reports nothing)."""
    viewer = require_writer()
    typed = _typed(REPORT_FIELDS)
    if "preview" in request.form:
        return _report_page(viewer, typed, preview=True)
    try:
        body = form_data(ReportSchema)
        chosen = request.files.get("file")
        if chosen is not None and chosen.filename:
            receipt = desk().report_with_attachment(Context(viewer.actor), upload_from_request(), **body)
        else:
            receipt = desk().report(Context(viewer.actor), **body)
    except AttachmentRefused as exc:
        shown = FormRefused(str(exc), {"file": [str(exc)]}, exc.status)
        return _report_page(viewer, typed, refused=shown, status=shown.status)
    except Exception as exc:  # refusal() re-raises what the API would not answer with a 4xx
        shown = refusal(exc)
        return _report_page(viewer, typed, refused=shown, status=shown.status)
    metrics.command_accepted(receipt.kind, "report")
    return redirect(url_for("console.issue", key=receipt.key), code=303)


@bp.get("/issues/similar")
@reads("title")
def similar_issues() -> ResponseReturnValue:
    """The possible duplicates of a title being typed, as the fragment the report form shows."""
    viewer = require_viewer()
    title = request.args.get("title", "")[:TITLE_LIMIT]
    return page("_similar_issues.html", duplicates=similar_open_issues(title, viewer), asked=bool(title.strip()))


@bp.get("/my-issues")
@reads()
def my_issues() -> ResponseReturnValue:
    """The viewer's own issues, newest first, and above them the ones waiting on the viewer."""
    viewer = require_viewer()
    read = read_side()
    mine = {"reporter": viewer.subject}
    items, more = read.issues.list(mine, MY_ISSUES_PAGE, None, viewer.actor, now())
    waiting, _ = read.issues.list(
        {**mine, "status": IssueStatus.WAITING_ON_REPORTER.value}, MY_ISSUES_PAGE, None, viewer.actor, now()
    )
    awaited = [{**item, "waiting_reason": desk().get_issue(item["key"]).waiting_reason} for item in waiting]
    return page(
        "my_issues.html",
        items=items,
        more=more is not None,
        awaited=awaited,
        may_report=may_report(viewer),
        may_suggest=may_suggest(viewer),
    )


@bp.get("/suggestions/new")
@reads()
def suggestion_form() -> ResponseReturnValue:
    require_writer()
    return _suggestion_page(dict.fromkeys(SUGGESTION_FIELDS, ""))


def _suggestion_page(typed: dict[str, str], refused: FormRefused | None = None, status: int = 200) -> tuple[str, int]:
    body = page(
        "suggestion_new.html",
        typed=typed,
        refused=refused,
        errors=refused.errors if refused else {},
        modules=[m.value for m in Module],
    )
    return body, status


@bp.post("/suggestions/new")
def suggestion_submit() -> ResponseReturnValue:
    """**Submit suggestion**, as POST /suggestions does; then the suggestion (or the board)."""
    viewer = require_writer()
    typed = _typed(SUGGESTION_FIELDS)
    try:
        body = form_data(SubmitSchema)
        receipt = desk().submit_suggestion(Context(viewer.actor), **body)
    except Exception as exc:  # refusal() re-raises what the API would not answer with a 4xx
        shown = refusal(exc)
        return _suggestion_page(typed, shown, shown.status)
    metrics.command_accepted(receipt.kind, "suggest")
    flash(t("Suggestion {key} was submitted.", key=receipt.key), "ok")
    if "console.suggestion" in current_app.view_functions:
        return redirect(url_for("console.suggestion", key=receipt.key), code=303)
    return redirect(url_for("console.suggestions", sort="recent", min_position=receipt.position or None), code=303)
