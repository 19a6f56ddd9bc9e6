"""The role matrix: every route × every role, against the contract's allow/deny table.

`MATRIX` is the data: one row per route, one expected status per role in `ROLES` order
(2xx allowed, 403 not allowed, 404 another party's resource). Its size is
len(MATRIX) × len(ROLES). Allowed cells run on a resource prepared in a state where the
command is valid, so a 2xx means "allowed", never "allowed but refused for another reason".

The matrix runs twice: with plain tokens (`--role R --subject S`) and with tokens that belong
to people (`--person ID`, each person holding the party's role), which must be refused and
allowed exactly alike. App tokens are never a person's, so they stay plain in both runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from conftest import ISSUE, PARTIES, SUGGESTION, Api

from application.context import Context
from application.desk import KaizenDesk
from domain.actor import SYSTEM, Actor

ROLES = ("reporter-own", "reporter-other", "admin", "auditor", "app", "vendor:sap", "vendor:oracle")
PARTY = {
    "reporter-own": "reporter",
    "reporter-other": "reporter2",
    "admin": "admin",
    "auditor": "auditor",
    "app": "app",
    "vendor:sap": "sap",
    "vendor:oracle": "oracle",
}
ADMIN_ONLY = (403, 404, 200, 403, 403, 403, 404)  # on an issue reported by reporter-own, escalated to sap
SUGGESTION_ADMIN_ONLY = (403, 403, 200, 403, 403, 403, 403)
STAFF = (200, 200, 200, 403, 200, 403, 403)  # suggestions: reporters (and apps for them) and admins
READ_ALL = (200,) * 7
NOT_VENDORS = (200, 200, 200, 200, 200, 404, 404)  # suggestions: no vendor link, so no vendor's
OWN_VENDOR = (200, 200, 200, 200, 200, 200, 404)  # sap's SLA policy: not oracle's to read
COMPLIANCE = (403, 403, 200, 200, 403, 200, 200)  # admins, auditors, vendors (their own rows)
AUDIT = (403, 403, 200, 200, 403, 403, 403)

MATRIX: dict[str, tuple[int, ...]] = {
    "POST /api/v1/issues": (201, 201, 201, 403, 201, 403, 403),
    "GET /api/v1/issues": READ_ALL,
    "GET /api/v1/issues/{key}": (200, 404, 200, 200, 200, 200, 404),
    "GET /api/v1/issues/{key}/history": (200, 404, 200, 200, 200, 200, 404),
    "POST /api/v1/issues/{key}/triage": ADMIN_ONLY,
    "POST /api/v1/issues/{key}/assign": ADMIN_ONLY,
    "POST /api/v1/issues/{key}/respond": ADMIN_ONLY,
    "POST /api/v1/issues/{key}/comments": (200, 404, 200, 403, 200, 200, 404),
    "POST /api/v1/issues/{key}/escalate": ADMIN_ONLY,
    "POST /api/v1/issues/{key}/vendor-updates": (403, 404, 200, 403, 403, 200, 404),
    # The vendor asks the customer for information (on=customer); never on the reporter.
    "POST /api/v1/issues/{key}/wait": (403, 404, 200, 403, 403, 200, 404),
    "POST /api/v1/issues/{key}/resume": ADMIN_ONLY,
    "POST /api/v1/issues/{key}/workarounds": ADMIN_ONLY,
    "POST /api/v1/issues/{key}/workarounds/w1/retire": ADMIN_ONLY,
    "POST /api/v1/issues/{key}/changes": ADMIN_ONLY,
    "POST /api/v1/issues/{key}/resolve": ADMIN_ONLY,
    "POST /api/v1/issues/{key}/reopen": ADMIN_ONLY,
    "POST /api/v1/issues/{key}/close": ADMIN_ONLY,
    "POST /api/v1/suggestions": (201, 201, 201, 403, 201, 403, 403),
    "GET /api/v1/suggestions": READ_ALL,
    "GET /api/v1/suggestions/{key}": NOT_VENDORS,
    "GET /api/v1/suggestions/{key}/history": NOT_VENDORS,
    "POST /api/v1/suggestions/{key}/votes": STAFF,
    "DELETE /api/v1/suggestions/{key}/votes": STAFF,
    "POST /api/v1/suggestions/{key}/comments": STAFF,
    "POST /api/v1/suggestions/{key}/merge": SUGGESTION_ADMIN_ONLY,
    "POST /api/v1/suggestions/{key}/review": SUGGESTION_ADMIN_ONLY,
    "POST /api/v1/suggestions/{key}/decision": SUGGESTION_ADMIN_ONLY,
    "POST /api/v1/suggestions/{key}/implemented": SUGGESTION_ADMIN_ONLY,
    "POST /api/v1/suggestions/{key}/reward": SUGGESTION_ADMIN_ONLY,
    "GET /api/v1/issues/{key}/sla": (200, 404, 200, 200, 200, 200, 404),
    "GET /api/v1/vendors/sap/sla-policy": OWN_VENDOR,
    "GET /api/v1/vendors/sap/sla-policy/history": OWN_VENDOR,
    "GET /api/v1/reports/sla-compliance": COMPLIANCE,
    "GET /api/v1/reports/vendor-response-times": COMPLIANCE,
    "GET /api/v1/reports/sla-at-risk": COMPLIANCE,
    "GET /api/v1/audit/events": AUDIT,
    "GET /api/v1/audit/verify": AUDIT,
    "GET /api/v1/audit/export": AUDIT,
    "GET /healthz": READ_ALL,
    "GET /readyz": READ_ALL,
    "GET /metrics": READ_ALL,
    "GET /api/v1/people": AUDIT,
    "GET /api/v1/groups": READ_ALL,
    "GET /api/v1/me": READ_ALL,
}

OWNER = Actor("lina", "reporter")
ADMIN = Actor("admin-wong", "admin")
BODIES: dict[str, Any] = {
    "issues": ISSUE,
    "triage": {"assignee": "admin-wong"},
    "assign": {"assignee": "admin-chan"},
    "respond": {"message": "On it"},
    "comments": {"body": "a public note"},
    "escalate": {"vendor": "oracle", "vendor_ticket": "SR 3-123"},
    "vendor-updates": {"message": "patch coming"},
    "wait": {"on": "customer", "reason": "need a trace"},
    "resume": {},
    "workarounds": {"kind": "manual_report", "description": "Excel", "retire_by": "2026-06-30"},
    "retire": {"note": "done"},
    "changes": {"scheduled_for": "2026-03-20T10:00:00+08:00", "description": "transport"},
    "resolve": {"resolution": "patched"},
    "reopen": {"reason": "came back"},
    "close": {},
    "suggestions": SUGGESTION,
    "review": {"impact": 3, "effort": 2},
    "decision": {"outcome": "declined", "reason": "not now"},
    "merge": {"into": "SG-999"},
    "implemented": {},
    "reward": {"amount": {"amount": "50.00", "currency": "SGD"}, "note": "thanks"},
}


def ctx(actor: Actor = ADMIN) -> Context:
    return Context(actor)


def escalated_issue(desk: KaizenDesk) -> str:
    key = desk.report(ctx(OWNER), **ISSUE).key
    desk.escalate(ctx(), key, vendor="sap", vendor_ticket="INC-1")
    return key


def prepared_issue(desk: KaizenDesk, command: str) -> str:
    """An issue of reporter-own, escalated to sap, in a state where `command` is valid."""
    if command == "escalate":
        return desk.report(ctx(OWNER), **ISSUE).key
    key = escalated_issue(desk)
    if command == "resume":
        desk.wait(ctx(), key, on="customer", reason="trace")
    elif command == "retire":
        desk.record_workaround(ctx(), key, kind="other", description="d", retire_by=date(2026, 5, 1))
    elif command in ("reopen", "close"):
        desk.resolve(ctx(), key, resolution="fixed")
    return key


def prepared_suggestion(desk: KaizenDesk, command: str, voter: Actor) -> tuple[str, Any]:
    """A suggestion (and the body for `command`) in a state where `command` is valid."""
    key = desk.submit_suggestion(ctx(OWNER), **SUGGESTION).key
    body = BODIES.get(command)
    if command == "withdraw":
        desk.vote(ctx(voter), key)
    elif command == "merge":
        body = {"into": desk.submit_suggestion(ctx(OWNER), **SUGGESTION).key}
    elif command in ("implemented", "reward"):
        desk.decide(ctx(), key, outcome="planned", target_release="2026.3")
        if command == "reward":
            desk.mark_implemented(ctx(), key)
    return key, body


def acting_as(role: str) -> Actor:
    """The Actor a party's commands are recorded as (the app acts for reporter-own)."""
    subjects = {
        "reporter-own": OWNER,
        "reporter-other": Actor("minh", "reporter"),
        "admin": ADMIN,
        "app": Actor("lina", "app", via="expense-app"),
    }
    return subjects.get(role, ADMIN)


def cell(api: Api, route: str, role: str, allowed: bool, shared: dict[str, str]) -> tuple[str, str, Any]:
    """(method, path, body) for one cell: allowed cells get a fresh resource in a valid state."""
    method, template = route.split(" ", 1)
    segment = template.rstrip("/").split("/")[-1]
    command = "retire" if segment == "retire" else ("withdraw" if method == "DELETE" else segment)
    if "/issues/{key}" in template:
        key = prepared_issue(api.desk, command) if allowed and method == "POST" else shared["issue"]
        return method, template.replace("{key}", key), BODIES.get(command)
    if "/suggestions/{key}" in template:
        if allowed and method != "GET":
            key, body = prepared_suggestion(api.desk, command, acting_as(role))
        else:
            key, body = shared["suggestion"], BODIES.get(command)
        return method, template.replace("{key}", key), body
    return method, template, BODIES.get(segment) if method == "POST" else None


def enrol_parties(api: Api, tokens: str) -> None:
    """The assignees the matrix names must be people; with `tokens="person"` every party but
    the app is a person too, and calls with a token of their own (`--person`)."""
    system = Context(SYSTEM)
    for person in ("admin-wong", "admin-chan"):
        api.desk.create_person(system, person, name=person, email=f"{person}@example.com", roles=["admin"])
    if tokens != "person":
        return
    for party, (role, subject) in PARTIES.items():
        if role == "app":
            continue
        if api.desk.person_now(subject) is None:
            api.desk.create_person(system, subject, name=subject, email=f"{subject}@example.com", roles=[role])
        api.tokens[party] = api.desk.issue_person_token(system, subject)[1]


@pytest.mark.parametrize("tokens", ["plain", "person"])
def test_role_matrix(api: Api, tokens: str) -> None:
    assert len(MATRIX) * len(ROLES) == 45 * 7  # the matrix's size, routes × roles
    enrol_parties(api, tokens)
    if tokens == "person":
        assert api.get("/api/v1/me", as_="sap").get_json()["person"] == "sap-support"
    shared = {
        "issue": escalated_issue(api.desk),
        "suggestion": api.desk.submit_suggestion(ctx(OWNER), **SUGGESTION).key,
    }
    calls: dict[str, Callable[..., Any]] = {"GET": api.get, "POST": api.post, "DELETE": api.delete}
    mismatches = []
    for route, expected_row in MATRIX.items():
        assert len(expected_row) == len(ROLES), route
        for role, expected in zip(ROLES, expected_row, strict=True):
            method, path, body = cell(api, route, role, expected < 400, shared)
            if method == "POST":
                answer = api.post(path, body if body is not None else {}, as_=PARTY[role])
            else:
                answer = calls[method](path, as_=PARTY[role])
            if answer.status_code != expected:
                mismatches.append(f"{route} as {role}: {answer.status_code} (expected {expected})")
    assert not mismatches, "\n".join(mismatches)
