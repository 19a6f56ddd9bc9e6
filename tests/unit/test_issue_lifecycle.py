"""Every Issue transition, allowed and refused, without a store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.actor import Actor
from domain.errors import InvalidCommand, TransitionRefused
from domain.issue import Issue

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ADMIN = Actor("wong", "admin")
REPORTER = Actor("lina", "reporter")
VENDOR = Actor("sap-support", "vendor:sap")


def new_issue(**overrides: str) -> Issue:
    fields = dict(
        title="GL posting fails",
        description="stops at batch 14",
        module="finance",
        impact_scope="company",
        urgency="blocking",
        vendor="sap",
    )
    fields.update(overrides)
    return Issue.report("KZ-1", actor=REPORTER, occurred_at=T0, **fields)  # type: ignore[arg-type]


Step = Callable[[Issue], object]
STEPS: dict[str, Step] = {
    "triage": lambda i: i.triage(ADMIN, T0, assignee="wong"),
    "assign": lambda i: i.assign("wong", ADMIN, T0),
    "respond": lambda i: i.respond("looking", ADMIN, T0),
    "comment": lambda i: i.comment("note", "internal", ADMIN, T0),
    "escalate": lambda i: i.escalate_to_vendor("sap", "INC-1", "Very High", ADMIN, T0),
    "vendor_update": lambda i: i.record_vendor_update("on it", VENDOR, T0),
    "wait_reporter": lambda i: i.wait("reporter", "need a screenshot", ADMIN, T0),
    "wait_customer": lambda i: i.wait("customer", "SAP needs a trace", ADMIN, T0),
    "resume": lambda i: i.resume(ADMIN, T0),
    "workaround": lambda i: i.record_workaround("manual_ledger", "Excel ledger", date(2026, 4, 1), None, ADMIN, T0),
    "change": lambda i: i.schedule_change(T0 + timedelta(days=3), "apply note", None, None, ADMIN, T0),
    "resolve": lambda i: i.resolve("note applied", "missing note", ADMIN, T0),
    "reopen": lambda i: i.reopen("still failing", ADMIN, T0),
    "close": lambda i: i.close(ADMIN, T0),
    "override": lambda i: i.override_priority("P2", "only one plant", ADMIN, T0),
}
PATHS = {
    "new": [],
    "triaged": ["triage"],
    "in_progress": ["assign"],
    "escalated": ["escalate"],
    "waiting_on_reporter": ["wait_reporter"],
    "waiting_on_customer": ["escalate", "wait_customer"],
    "resolved": ["resolve"],
    "closed": ["resolve", "close"],
}
# (state, step) -> allowed? Everything not listed is refused.
ALLOWED = {
    "new": {
        "triage",
        "assign",
        "respond",
        "comment",
        "escalate",
        "wait_reporter",
        "workaround",
        "change",
        "resolve",
        "override",
    },
    "triaged": {
        "triage",
        "assign",
        "respond",
        "comment",
        "escalate",
        "wait_reporter",
        "workaround",
        "change",
        "resolve",
        "override",
    },
    "in_progress": {
        "triage",
        "assign",
        "respond",
        "comment",
        "escalate",
        "wait_reporter",
        "workaround",
        "change",
        "resolve",
        "override",
    },
    "escalated": {
        "triage",
        "assign",
        "respond",
        "comment",
        "vendor_update",
        "wait_reporter",
        "wait_customer",
        "workaround",
        "change",
        "resolve",
        "override",
    },
    "waiting_on_reporter": {
        "triage",
        "assign",
        "respond",
        "comment",
        "resume",
        "workaround",
        "change",
        "resolve",
        "override",
    },
    "waiting_on_customer": {
        "triage",
        "assign",
        "respond",
        "comment",
        "vendor_update",
        "resume",
        "workaround",
        "change",
        "resolve",
        "override",
    },
    "resolved": {"comment", "workaround", "reopen", "close"},
    "closed": set(),
}


def issue_in(state: str) -> Issue:
    issue = new_issue()
    for step in PATHS[state]:
        STEPS[step](issue)
    assert issue.status == state
    return issue


@pytest.mark.parametrize("state", list(PATHS))
@pytest.mark.parametrize("step", list(STEPS))
def test_transition_table(state: str, step: str) -> None:
    issue = issue_in(state)
    before = issue.version
    if step in ALLOWED[state]:
        STEPS[step](issue)
        assert issue.version == before + 1
    else:
        with pytest.raises(TransitionRefused) as refused:
            STEPS[step](issue)
        assert refused.value.current_state == state and state in str(refused.value)
        assert issue.version == before  # nothing recorded


def test_report_uses_the_matrix_and_impact_class() -> None:
    issue = new_issue(impact_scope="team", urgency="minor")
    assert (issue.priority, issue.impact_class, issue.status) == ("P4", "experience", "new")
    assert new_issue(impact_scope="user", urgency="degraded").impact_class == "business_blocking"


def test_priority_override_needs_a_reason() -> None:
    issue = new_issue()
    with pytest.raises(InvalidCommand, match="give a reason"):
        issue.triage(ADMIN, T0, priority="P4")
    issue.triage(ADMIN, T0, priority="P4", reason="affects one report only")
    assert issue.priority == "P4"


def test_resume_returns_to_the_state_before_waiting_and_reopen_back_to_vendor() -> None:
    issue = issue_in("waiting_on_customer")
    issue.resume(ADMIN, T0)
    assert issue.status == "escalated"
    issue.resolve("fixed", None, ADMIN, T0)
    issue.reopen("broke again", ADMIN, T0)
    assert issue.status == "escalated" and issue.reopen_count == 1 and issue.resolution is None


def test_bad_data_is_refused_with_the_field() -> None:
    with pytest.raises(InvalidCommand) as empty:
        new_issue(title="  ")
    assert empty.value.field == "title"
    with pytest.raises(ValueError):
        new_issue(module="astrology")
    issue = new_issue()
    with pytest.raises(InvalidCommand, match="no workaround w9"):
        issue.retire_workaround("w9", None, ADMIN, T0)


def test_change_inside_a_freeze_window_needs_an_override_reason() -> None:
    issue = new_issue()
    with pytest.raises(TransitionRefused, match="freeze window month-end"):
        issue.schedule_change(T0, "patch", "month-end", None, ADMIN, T0)
    issue.schedule_change(T0, "patch", "month-end", "P1 outage", ADMIN, T0)
    assert issue.changes[0]["override_reason"] == "P1 outage"


def test_workaround_retire_once() -> None:
    issue = new_issue()
    wid = issue.record_workaround("approval_outside_system", "e-mail approvals", date(2026, 5, 1), None, ADMIN, T0)
    issue.retire_workaround(wid, "workflow live", ADMIN, T0)
    with pytest.raises(TransitionRefused, match="already retired"):
        issue.retire_workaround(wid, None, ADMIN, T0)
