"""Who is calling: bearer tokens become a Principal, and a Principal becomes the Actor of events.

Authorisation of individual actions stays in `domain.access` (shared with the CLI and the
importer); this module only adds what is specific to HTTP: the 401 challenge, the
`X-On-Behalf-Of` rule for internal apps, and the blanket "auditors change nothing" (except
their own name, language and time zone: `SELF_SERVICE_ENDPOINTS`, checked by the application).

A token that belongs to a person (`Principal.person`) acts as that person with their role as it
is at this request (`application.tokens`), so the Actor below needs nothing special for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request

from application.tokens import Principal
from domain.access import role_family
from domain.actor import Actor
from domain.errors import InvalidCommand
from domain.values import identifier
from interfaces.http.problems import Problem, unauthenticated, validation_problem
from interfaces.http.services import desk, services

ON_BEHALF_OF = "X-On-Behalf-Of"
READ_ONLY_ROLES = frozenset({"auditor"})
# The resources; the OpenAPI document, the docs and the operations endpoints are open.
PROTECTED_BLUEPRINTS = frozenset(
    {"issues", "suggestions", "compliance", "audit", "improvement", "improvement_reports", "subscriptions", "people"}
)
# Commands any signed-in person may make on their own record, auditors included; the
# application (`domain.access.authorise_person_change`) refuses everything else they might try.
SELF_SERVICE_ENDPOINTS = frozenset({"people.update_person"})
# POSTs that only compute an answer and write nothing (a what-if report), which auditors may
# send; the route checks its own roles.
QUERY_ENDPOINTS = frozenset({"compliance.WhatIfReport"})


@dataclass(frozen=True)
class Caller:
    """The authenticated token and the person it acts as (the employee, for app tokens)."""

    principal: Principal
    employee: str | None

    @property
    def actor(self) -> Actor:
        if self.principal.role == "app" and self.employee:
            return Actor(id=self.employee, role="app", via=self.principal.subject)
        return Actor(id=self.principal.subject, role=self.principal.role, via=None)


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    if not header:
        raise unauthenticated("this API needs an Authorization: Bearer <token> header")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated("the Authorization header must be 'Bearer <token>'", "invalid_request")
    return token.strip()


def _employee(principal: Principal) -> str | None:
    """The employee an app acts for; ignored for every other role (they act as themselves).

    The id becomes the `actor` of events forever, so it is read as what the app sent: HTTP
    header bytes arrive through WSGI decoded as Latin-1, and apps send UTF-8 (`ＡLICE` would
    otherwise be stored as `ï¼¡LICE`). Then it must be a person id like any other
    (`domain.values.identifier`: one line, no controls, no surrounding blanks, bounded)."""
    if principal.role != "app":
        return None
    raw = request.headers.get(ON_BEHALF_OF)
    if raw is None:
        return None
    try:
        value = raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise validation_problem({ON_BEHALF_OF: ["must be UTF-8"]}, f"{ON_BEHALF_OF} is not valid UTF-8") from None
    try:
        return identifier(value, ON_BEHALF_OF)
    except InvalidCommand as refused:
        raise validation_problem({ON_BEHALF_OF: [str(refused)]}, str(refused)) from None


def caller() -> Caller:
    """The authenticated caller of this request (cached); 401 when there is none."""
    found: Caller | None = g.get("caller")
    if found is not None:
        return found
    principal = desk().authenticate(_bearer_token(), fresh_within=services().settings.token_cache_seconds)
    if principal is None:
        raise unauthenticated("the token is unknown, malformed or revoked", "invalid_token")
    found = Caller(principal=principal, employee=_employee(principal))
    g.caller = found
    return found


def reader() -> Actor:
    """The actor for a query: every role reads something; scoping happens per resource."""
    return caller().actor


def writer(self_service: bool = False) -> Actor:
    """The actor for a command, after the checks that do not depend on the resource.

    `self_service`: the command changes only the caller's own profile, which an auditor may do
    too (the application checks that it is their own, and which fields)."""
    current = caller()
    if current.principal.role in READ_ONLY_ROLES and not self_service:
        raise Problem(403, f"role {current.principal.role} may read but not change anything")
    if current.principal.role == "app" and not current.employee:
        raise validation_problem(
            {ON_BEHALF_OF: ["an app must name the employee it acts for"]},
            f"an app token needs the {ON_BEHALF_OF} header on commands",
        )
    return current.actor


def admins_write_auditors_read(what: str) -> None:
    """A `before_request` check for resources only administrators change and auditors read
    (subscriptions, automation rules): 401 and 403 before any argument is parsed, so an
    outsider learns nothing from validation. `what` names the resource in the 403."""
    if request.url_rule is None:
        return
    actor = reader()
    family = role_family(actor)
    if request.method in ("GET", "HEAD"):
        if family not in ("admin", "auditor", "system"):
            raise Problem(403, f"role {actor.role} may not read {what}")
        return
    writer()
    if family not in ("admin", "system"):
        raise Problem(403, f"role {actor.role} may not change {what}")


def authenticate_request() -> None:
    """Before body validation: 401 (no or bad token), then the resource-independent write checks.

    Runs for the resource routes only (not the OpenAPI document, docs or operations), so that
    an anonymous caller learns nothing from validation errors and an auditor is refused
    whatever the body says.
    """
    if request.url_rule is None or request.blueprint not in PROTECTED_BLUEPRINTS:
        return
    caller()
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.endpoint not in QUERY_ENDPOINTS:
        writer(self_service=request.endpoint in SELF_SERVICE_ENDPOINTS)
