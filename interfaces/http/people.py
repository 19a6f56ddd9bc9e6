"""People, groups and `/me`: parse, authorise, one application call, shape the answer.

Rights come from `domain.access` (the application enforces them); the checks that need no
stored state run before the body is parsed (`_authorise`), so a caller who may not act learns
nothing from validation errors. A person's answer never carries their password hash or the
digests of their links and sessions; an invitation URL is shown in the answer that made it and
nowhere else (a replayed Idempotency-Key answers `invitation_url: null`: the link's secret is
never stored, so the first answer's link cannot be shown again).
"""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for

from application.context import Context, Receipt
from domain.access import (
    READ_ALL,
    authorise_people_admin,
    authorise_people_list,
    authorise_person_read,
    role_family,
)
from domain.actor import Actor
from domain.group import Group
from domain.person import Person
from interfaces.http import metrics
from interfaces.http.api import AGGREGATE_HEADERS, COMMAND_HEADERS, CREATED_HEADERS, errors
from interfaces.http.auth import caller, reader
from interfaces.http.blueprint import Blueprint
from interfaces.http.commands import command_context, receipt_headers
from interfaces.http.problems import Problem, validation_problem
from interfaces.http.schemas.people import (
    CommandBodySchema,
    CreateGroupSchema,
    CreatePersonSchema,
    DirectoryPageQuerySchema,
    EnrolmentSchema,
    GroupPageSchema,
    GroupSchema,
    MeSchema,
    PersonPageSchema,
    PersonQuerySchema,
    PersonSchema,
    UpdateGroupSchema,
    UpdatePersonSchema,
)
from interfaces.http.services import desk
from projections import cursors

blp = Blueprint(
    "people",
    __name__,
    url_prefix="/api/v1",
    description="People who sign in, their roles and groups, and who the caller is",
)
Answer = tuple[dict[str, Any], int, dict[str, str]]
COMMAND_ERRORS = (400, 401, 403, 404, 409, 412, 413, 415, 422, 503)
ADMIN_ENDPOINTS = {
    "people.create_person": "add people",
    "people.deactivate_person": "deactivate people",
    "people.reset_person": "reset passwords",
    "people.create_group": "add groups",
    "people.update_group": "change groups",
}


@blp.before_request
def _authorise() -> None:
    """403 (or 404 for another person's record) before any argument is parsed."""
    if request.url_rule is None:
        return
    actor = reader()
    action = ADMIN_ENDPOINTS.get(request.endpoint or "")
    if action is not None:
        authorise_people_admin(actor, action)
    elif request.endpoint == "people.list_people":
        authorise_people_list(actor)
    elif request.endpoint == "people.update_person":
        authorise_person_read(actor, (request.view_args or {}).get("person_id", ""))


# -- shaping ------------------------------------------------------------------------------------
def person_view(person: Person) -> dict[str, Any]:
    """The person as the API shows them: never a secret's hash or digest."""
    return {
        "id": person.person_id,
        "name": person.name,
        "email": person.email,
        "roles": list(person.roles),
        "groups": list(person.groups),
        "site": person.site,
        "language": person.language,
        "time_zone": person.time_zone,
        "active": person.active,
        "version": person.version,
    }


def group_view(group: Group, viewer: Actor) -> dict[str, Any]:
    """Everyone signed in reads a group's name; who is in it, administrators and auditors."""
    shown = {**group.as_dict(), "version": group.version}
    if role_family(viewer) not in READ_ALL:
        del shown["members"]
    return shown


def _page(items: list[Any], key: str, query: dict[str, Any], tag: str) -> tuple[list[Any], str | None]:
    """A page of a list ordered by id: the cursor is the last id shown."""
    after = _after(query.get("cursor"), tag)
    remaining = [item for item in items if after is None or getattr(item, key) > after]
    page = remaining[: query["limit"]]
    more = len(remaining) > len(page)
    return page, cursors.encode_text(f"{tag}:{getattr(page[-1], key)}") if more and page else None


def _after(cursor: str | None, tag: str) -> str | None:
    if not cursor:
        return None
    try:
        found, _, last = cursors.decode_text(cursor).partition(":")
    except cursors.ForgedCursor as exc:
        raise validation_problem({"cursor": [str(exc)]}) from None
    if found != tag or not last:
        raise validation_problem({"cursor": ["cursor is not one this server issued"]})
    return last


def _invitation_url(path: str, receipt: Receipt) -> str | None:
    """The link on this server's own address (the one the administrator called)."""
    return None if receipt.replayed else request.host_url.rstrip("/") + path


def _person_after(receipt: Receipt, actor: Actor) -> Person:
    """The person as the command left them (a replay: as they were then)."""
    found = receipt.aggregate
    if receipt.replayed or not isinstance(found, Person):
        found = desk().get_person(actor, receipt.key, version=receipt.version)
    return found


def _group_after(receipt: Receipt) -> Group:
    found = receipt.aggregate
    if receipt.replayed or not isinstance(found, Group):
        found = desk().get_group(receipt.key)
    return found


def _person_command(person_id: str, self_service: bool = False) -> Context:
    """The command's context; a 409 shows the person as they are now."""
    ctx = command_context(self_service)
    g.render_current_state = lambda: dict(PersonSchema().dump(person_view(desk().get_person(ctx.actor, person_id))))
    return ctx


def _accepted(receipt: Receipt, kind: str, name: str) -> None:
    if not receipt.replayed:
        metrics.command_accepted(kind, name)


# -- people -------------------------------------------------------------------------------------
@blp.route("/people", methods=["POST"])
@blp.arguments(CreatePersonSchema)
@blp.response(201, EnrolmentSchema, headers=CREATED_HEADERS)
@errors(blp, 400, 401, 403, 409, 413, 415, 422, 503)
def create_person(body: dict[str, Any]) -> Answer:
    """Add a person (administrators); the answer carries their one-time invitation URL (72 hours)"""
    ctx = command_context()
    person_id = body.pop("id")
    enrolment = desk().create_person(ctx, person_id, **body)
    _accepted(enrolment.receipt, "person", "create")
    person = _person_after(enrolment.receipt, ctx.actor)
    headers = receipt_headers(enrolment.receipt, person.version)
    headers["Location"] = url_for("people.person", person_id=person.person_id)
    shown = {**person_view(person), "invitation_url": _invitation_url(enrolment.invitation_path, enrolment.receipt)}
    return shown, 201, headers


@blp.route("/people", methods=["GET"])
@blp.arguments(DirectoryPageQuerySchema, location="query")
@blp.response(200, PersonPageSchema)
@errors(blp, 401, 403, 422, 503)
def list_people(query: dict[str, Any]) -> dict[str, Any]:
    """Every person, by id (administrators and auditors)"""
    people, next_cursor = _page(desk().list_people(reader()), "person_id", query, "p")
    return {"items": [person_view(p) for p in people], "next_cursor": next_cursor}


@blp.route("/people/<person_id>", methods=["GET"])
@blp.arguments(PersonQuerySchema, location="query")
@blp.response(200, PersonSchema, headers=AGGREGATE_HEADERS)
@errors(blp, 401, 404, 422, 503)
def person(query: dict[str, Any], person_id: str) -> Answer:
    """One person (administrators, auditors, and the person themself); `?version=n` or `?as_of=` as they were"""
    version = query.get("version")
    found = desk().get_person(
        reader(), person_id, version=version, as_of=query.get("as_of"), axis=query.get("axis") or "recorded"
    )
    if version is not None and found.version != version:
        raise Problem(404, f"person {person_id} has no version {version}")
    return person_view(found), 200, {"ETag": f'"{found.version}"'}


def _person_answer(receipt: Receipt, ctx: Context, action: str) -> Answer:
    """The person after a command, with the command's headers."""
    _accepted(receipt, "person", action)
    found = _person_after(receipt, ctx.actor)
    return person_view(found), 200, receipt_headers(receipt, found.version)


@blp.route("/people/<person_id>", methods=["PATCH"])
@blp.arguments(UpdatePersonSchema)
@blp.response(200, PersonSchema, headers=COMMAND_HEADERS)
@errors(blp, *COMMAND_ERRORS)
def update_person(body: dict[str, Any], person_id: str) -> Answer:
    """Change a person: administrators anything; a person their own name, language and time zone"""
    ctx = _person_command(person_id, self_service=True)
    receipt = desk().update_person(ctx, person_id, body)
    return _person_answer(receipt, ctx, "update")


@blp.route("/people/<person_id>/deactivate", methods=["POST"])
@blp.arguments(CommandBodySchema, required=False)
@blp.response(200, PersonSchema, headers=COMMAND_HEADERS)
@errors(blp, *COMMAND_ERRORS)
def deactivate_person(body: dict[str, Any], person_id: str) -> Answer:
    """Deactivate a person: their console sessions and API tokens stop working at once"""
    ctx = _person_command(person_id)
    receipt = desk().deactivate_person(ctx, person_id)
    return _person_answer(receipt, ctx, "deactivate")


@blp.route("/people/<person_id>/reset", methods=["POST"])
@blp.arguments(CommandBodySchema, required=False)
@blp.response(200, EnrolmentSchema, headers=COMMAND_HEADERS)
@errors(blp, *COMMAND_ERRORS)
def reset_person(body: dict[str, Any], person_id: str) -> Answer:
    """A new one-time invitation URL; the old password and every session stop working"""
    ctx = _person_command(person_id)
    enrolment = desk().reset_person(ctx, person_id)
    _accepted(enrolment.receipt, "person", "reset")
    found = _person_after(enrolment.receipt, ctx.actor)
    shown = {**person_view(found), "invitation_url": _invitation_url(enrolment.invitation_path, enrolment.receipt)}
    return shown, 200, receipt_headers(enrolment.receipt, found.version)


@blp.route("/me", methods=["GET"])
@blp.response(200, MeSchema)
@errors(blp, 401, 503)
def me() -> dict[str, Any]:
    """Who the caller is: a person's record, roles, groups, language and time zone; else subject and role"""
    principal = caller().principal
    shown: dict[str, Any] = {"subject": principal.subject, "role": principal.role, "person": principal.person}
    if principal.person is not None:
        shown.update(person_view(desk().get_person(caller().actor, principal.person)))
        shown.pop("version")
    return shown


# -- groups -------------------------------------------------------------------------------------
@blp.route("/groups", methods=["GET"])
@blp.arguments(DirectoryPageQuerySchema, location="query")
@blp.response(200, GroupPageSchema)
@errors(blp, 401, 422, 503)
def list_groups(query: dict[str, Any]) -> dict[str, Any]:
    """Every group, by id (everyone signed in; members for administrators and auditors)"""
    viewer = reader()
    groups, next_cursor = _page(desk().list_groups(), "group_id", query, "g")
    return {"items": [group_view(group, viewer) for group in groups], "next_cursor": next_cursor}


@blp.route("/groups/<group_id>", methods=["GET"])
@blp.response(200, GroupSchema, headers=AGGREGATE_HEADERS)
@errors(blp, 401, 404, 503)
def group(group_id: str) -> Answer:
    """One group (everyone signed in; members for administrators and auditors)"""
    found = desk().get_group(group_id)
    return group_view(found, reader()), 200, {"ETag": f'"{found.version}"'}


@blp.route("/groups", methods=["POST"])
@blp.arguments(CreateGroupSchema)
@blp.response(201, GroupSchema, headers=CREATED_HEADERS)
@errors(blp, 400, 401, 403, 409, 413, 415, 422, 503)
def create_group(body: dict[str, Any]) -> Answer:
    """Form a group (administrators): a department, a vendor's team, the admin team"""
    ctx = command_context()
    receipt = desk().create_group(ctx, body.pop("id"), **body)
    _accepted(receipt, "group", "create")
    found = _group_after(receipt)
    headers = receipt_headers(receipt, found.version)
    headers["Location"] = url_for("people.group", group_id=found.group_id)
    return group_view(found, ctx.actor), 201, headers


@blp.route("/groups/<group_id>", methods=["PATCH"])
@blp.arguments(UpdateGroupSchema)
@blp.response(200, GroupSchema, headers=COMMAND_HEADERS)
@errors(blp, *COMMAND_ERRORS)
def update_group(body: dict[str, Any], group_id: str) -> Answer:
    """Rename a group, or give its whole list of members (with duties)"""
    ctx = command_context()
    receipt = desk().update_group(ctx, group_id, body)
    _accepted(receipt, "group", "update")
    found = _group_after(receipt)
    return group_view(found, ctx.actor), 200, receipt_headers(receipt, found.version)
