"""People and groups in the console: one's own settings, and the administrators' pages.

Pages and the API calls they mirror:

- /console/me: GET /me; the form (language, time_zone) is PATCH /people/{id} by the person
- /console/admin/people: GET /people; **Invite** is POST /people (the invitation URL is shown
  once, in the answer to that post); **Deactivate** and **Reset** are
  POST /people/{id}/deactivate and POST /people/{id}/reset
- /console/admin/groups: GET /groups (with members); **Add group** is POST /groups,
  **Change members** is PATCH /groups/{id} (members as lines `person[:duty]`)

Administrators change; auditors read the same lists without any form. Forms post the API's
field names and are checked by the API's own schemas, then by the desk, so the console refuses
the same values with the same words; a refusal is shown beside its form with what was typed.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from flask import Response, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from application.context import Context
from domain.access import AccessDenied
from domain.group import GROUP_KINDS
from domain.person import LANGUAGES
from domain.sla_defaults import DEFAULT_POLICIES
from interfaces.http import metrics
from interfaces.http.problems import Problem, problem_for
from interfaces.http.schemas.people import CreateGroupSchema, CreatePersonSchema, UpdateGroupSchema
from interfaces.http.services import desk
from interfaces.web.blueprint import bp, page
from interfaces.web.parameters import reads
from interfaces.web.session import Viewer, follow_person_language, require_viewer

READERS = ("admin", "auditor")
LANGUAGE_NAMES = {
    "en": "English",
    "zh-Hans": "简体中文",
    "zh-Hant": "繁體中文",
    "id": "Bahasa Indonesia",
    "vi": "Tiếng Việt",
}
PROFILE_INPUTS = ("id", "name", "email", "site", "language", "time_zone")
BASE_ROLES = ("reporter", "admin", "auditor")
Errors = dict[str, list[str]]


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA names the domain accepts, for the time-zone field's suggestions."""
    return tuple(sorted(available_timezones() | {"UTC"}))


def role_choices() -> list[str]:
    """reporter, admin, auditor, then `vendor:<slug>` for every vendor with a shipped SLA policy."""
    return [*BASE_ROLES, *(f"vendor:{slug}" for slug in sorted(DEFAULT_POLICIES))]


def refusal(exc: Exception) -> Problem:
    """What a refused command says beside its form; not-allowed and unknown errors propagate
    (the blueprint answers them with its error page, as for every page)."""
    if isinstance(exc, AccessDenied):
        raise exc
    problem = problem_for(exc)
    if problem is None or problem.status >= 500 or problem.status in (403, 404):
        raise exc
    return problem


def schema_errors(exc: ValidationError) -> Errors:
    """marshmallow's messages as {field: [sentence]}; nested ones (members[2].person) flattened."""
    found: Errors = {}

    def walk(field: str, value: Any) -> None:
        if isinstance(value, dict):
            for inner in value.values():
                walk(field, inner)
        elif isinstance(value, list):
            for inner in value:
                walk(field, inner)
        else:
            found.setdefault(field, []).append(str(value))

    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    for field, value in messages.items():
        walk(str(field), value)
    return found


def field_errors(problem: Problem) -> Errors:
    return {k: list(v) for k, v in (problem.errors or {"_schema": [problem.detail or problem.title]}).items()}


def invitation_url(path: str) -> str:
    """The link on this console's own address (the one the administrator is using)."""
    return request.host_url.rstrip("/") + path


# -- one's own settings ---------------------------------------------------------------------------
@bp.get("/me", endpoint="me")
@reads()
def me() -> str:
    """Who is signed in, and the form for their own language and time zone."""
    viewer = require_viewer()
    return _me_page(viewer)


def _me_page(viewer: Viewer, errors: Errors | None = None, typed: dict[str, str] | None = None) -> str:
    person = desk().get_person(viewer.actor, viewer.person) if viewer.person else None
    chosen = typed or ({"language": person.language, "time_zone": person.time_zone} if person else {})
    return page(
        "me.html",
        section="console.me",
        person=person,
        chosen=chosen,
        errors=errors or {},
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        zones=time_zones(),
    )


@bp.post("/me")
def change_me() -> ResponseReturnValue:
    """PATCH /people/{me} with `language` and `time_zone`; the console then speaks that language."""
    viewer = require_viewer()
    if viewer.person is None:
        raise Problem(403, "a token session belongs to no person: there are no settings to change")
    typed = {k: request.form.get(k, "").strip() for k in ("language", "time_zone")}
    try:
        receipt = desk().update_person(Context(viewer.actor), viewer.person, typed)
    except Exception as exc:
        problem = refusal(exc)
        return Response(_me_page(viewer, field_errors(problem), typed), status=problem.status)
    metrics.command_accepted(receipt.kind, "update")
    follow_person_language()
    flash("Your settings were saved.", "ok")
    return redirect(url_for("console.me"), code=303)


# -- people (administrators; auditors read) -------------------------------------------------------
@bp.get("/admin/people", endpoint="admin_people")
@reads()
def admin_people() -> str:
    viewer = require_viewer(*READERS)
    return _people_page(viewer)


def _people_page(viewer: Viewer, **shown: Any) -> str:
    """The list, and for administrators the Invite form (`shown`: typed values, errors, a link)."""
    people = desk().list_people(viewer.actor)
    may_change = viewer.family == "admin" and viewer.may_change
    return page(
        "people.html",
        section="console.admin_people",
        people=people,
        may_change=may_change,
        groups=[g.group_id for g in desk().list_groups()] if may_change else [],
        roles=role_choices(),
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        zones=time_zones(),
        typed=shown.pop("typed", {"roles": [], "groups": [], "language": "en", "time_zone": "UTC"}),
        errors=shown.pop("errors", {}),
        **shown,
    )


def _admin() -> Viewer:
    """Administrators only; an auditor's post is refused as the API refuses it."""
    viewer = require_viewer(*READERS)
    if viewer.family != "admin" or not viewer.may_change:
        raise Problem(403, f"role {viewer.role} may read but not change people or groups")
    return viewer


@bp.post("/admin/people")
def invite() -> ResponseReturnValue:
    """POST /people: the invitation URL is shown on the answer page, once."""
    viewer = _admin()
    form = request.form
    typed: dict[str, Any] = {k: form.get(k, "").strip() for k in PROFILE_INPUTS}
    typed["roles"], typed["groups"] = form.getlist("roles"), form.getlist("groups")
    body = {k: v for k, v in typed.items() if v not in ("", None) or k in ("roles", "groups")}
    try:
        loaded = CreatePersonSchema().load(body)
    except ValidationError as exc:
        return Response(_people_page(viewer, typed=typed, errors=schema_errors(exc)), status=422)
    person = loaded.pop("id")
    try:
        enrolment = desk().create_person(Context(viewer.actor), person, **loaded)
    except Exception as exc:
        problem = refusal(exc)
        return Response(_people_page(viewer, typed=typed, errors=field_errors(problem)), status=problem.status)
    metrics.command_accepted("person", "create")
    link = {"person": person, "url": invitation_url(enrolment.invitation_path), "kind": "invitation"}
    return Response(_people_page(viewer, link=link), status=201)


@bp.post("/admin/people/<person>/deactivate", endpoint="deactivate_person")
def deactivate(person: str) -> ResponseReturnValue:
    """POST /people/{id}/deactivate: their sessions end at their next request."""
    viewer = _admin()
    try:
        desk().deactivate_person(Context(viewer.actor), person)
    except Exception as exc:
        problem = refusal(exc)
        return Response(_people_page(viewer, row_error=(person, problem.detail)), status=problem.status)
    metrics.command_accepted("person", "deactivate")
    flash("Deactivated: their sessions and tokens no longer work.", "ok")
    return redirect(url_for("console.admin_people"), code=303)


@bp.post("/admin/people/<person>/reset", endpoint="reset_person")
def reset(person: str) -> ResponseReturnValue:
    """POST /people/{id}/reset: a new one-time link, shown once; the old password stops working."""
    viewer = _admin()
    try:
        enrolment = desk().reset_person(Context(viewer.actor), person)
    except Exception as exc:
        problem = refusal(exc)
        return Response(_people_page(viewer, row_error=(person, problem.detail)), status=problem.status)
    metrics.command_accepted("person", "reset")
    link = {"person": person, "url": invitation_url(enrolment.invitation_path), "kind": "reset"}
    return Response(_people_page(viewer, link=link))


# -- groups ---------------------------------------------------------------------------------------
@bp.get("/admin/groups", endpoint="admin_groups")
@reads()
def admin_groups() -> str:
    viewer = require_viewer(*READERS)
    return _groups_page(viewer)


def _groups_page(viewer: Viewer, **shown: Any) -> str:
    return page(
        "groups.html",
        section="console.admin_groups",
        groups=desk().list_groups(),
        may_change=viewer.family == "admin" and viewer.may_change,
        kinds=GROUP_KINDS,
        vendors=sorted(DEFAULT_POLICIES),
        lines_of=lines_of,
        typed=shown.pop("typed", {"kind": "department"}),
        errors=shown.pop("errors", {}),
        **shown,
    )


def member_lines(text: str) -> list[dict[str, Any]]:
    """`person[:duty]`, one per line (blank lines skipped), as the API's member objects."""
    members = []
    for line in text.splitlines():
        who, _, duty = line.strip().partition(":")
        if who.strip():
            members.append({"person": who.strip(), "duty": duty.strip() or None})
    return members


def lines_of(group: Any) -> str:
    """A group's members as the form's lines, to edit in place."""
    return "\n".join(f"{p}:{d}" if d else p for p, d in sorted(group.members.items()))


@bp.post("/admin/groups")
def add_group() -> ResponseReturnValue:
    """POST /groups."""
    viewer = _admin()
    typed = {k: request.form.get(k, "").strip() for k in ("id", "name", "kind", "vendor", "members")}
    body: dict[str, Any] = {k: v for k, v in typed.items() if v and k != "members"}
    body["members"] = member_lines(typed["members"])
    try:
        loaded = CreateGroupSchema().load(body)
        group = loaded.pop("id")
        desk().create_group(Context(viewer.actor), group, **loaded)
    except ValidationError as exc:
        return Response(_groups_page(viewer, typed=typed, errors=schema_errors(exc)), status=422)
    except Exception as exc:
        problem = refusal(exc)
        return Response(_groups_page(viewer, typed=typed, errors=field_errors(problem)), status=problem.status)
    metrics.command_accepted("group", "create")
    flash("Group added.", "ok")
    return redirect(url_for("console.admin_groups"), code=303)


@bp.post("/admin/groups/<group>", endpoint="update_group")
def change_group(group: str) -> ResponseReturnValue:
    """PATCH /groups/{id} with `name` and the whole list of `members`."""
    viewer = _admin()
    typed = {k: request.form.get(k, "") for k in ("name", "members")}
    body: dict[str, Any] = {"members": member_lines(typed["members"])}
    if typed["name"].strip():
        body["name"] = typed["name"].strip()
    try:
        changes = UpdateGroupSchema().load(body)
        desk().update_group(Context(viewer.actor), group, changes)
    except ValidationError as exc:
        shown = {"group": group, "typed": typed, "errors": schema_errors(exc)}
        return Response(_groups_page(viewer, change=shown), status=422)
    except Exception as exc:
        problem = refusal(exc)
        shown = {"group": group, "typed": typed, "errors": field_errors(problem)}
        return Response(_groups_page(viewer, change=shown), status=problem.status)
    metrics.command_accepted("group", "update")
    flash("Members changed.", "ok")
    return redirect(url_for("console.admin_groups"), code=303)
