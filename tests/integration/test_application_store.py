"""The application on both stores: keys, life-cycle, versions, snapshots, idempotency."""

from __future__ import annotations

from typing import Any

import pytest

from application.config import store_settings
from application.desk import KaizenDesk
from application.errors import IdempotencyKeyReused, NotFound, StaleVersion
from domain.errors import TransitionRefused
from tests.conftest import REPORTER, VENDOR_SAP, FakeClock, ctx, enrol_assignees

ISSUE: dict[str, Any] = dict(
    title="月结凭证无法过账 — GL posting fails",
    description="Posting run stops at 40%",
    module="finance",
    impact_scope="company",
    urgency="blocking",
    vendor="sap",
    site="HK",
)


def test_keys_are_sequential_and_lookups_work(desk: KaizenDesk) -> None:
    keys = [desk.report(ctx(REPORTER), **ISSUE).key for _ in range(3)]
    assert keys == ["KZ-1", "KZ-2", "KZ-3"]
    issue = desk.get_issue("KZ-2")
    assert issue.title == ISSUE["title"] and issue.priority == "P1" and issue.impact_class == "business_blocking"
    with pytest.raises(NotFound):
        desk.get_issue("KZ-99")


def test_full_life_cycle_is_stored_and_reloaded(desk: KaizenDesk, store_url: str, clock: FakeClock) -> None:
    enrol_assignees(desk, "admin-wong")
    key = desk.report(ctx(REPORTER), **ISSUE).key
    desk.triage(ctx(), key, assignee="admin-wong")
    desk.respond(ctx(), key, message="Looking at it")
    desk.escalate(ctx(), key, vendor="sap", vendor_ticket="INC-0042", vendor_priority="Very High")
    desk.record_vendor_update(ctx(VENDOR_SAP), key, message="Note 123 applies")
    desk.wait(ctx(), key, on="customer", reason="SAP needs a trace")
    desk.resume(ctx(), key)
    desk.resolve(ctx(), key, resolution="Applied SAP note", root_cause="Missing note")
    desk.close_issue(ctx(), key)
    other = KaizenDesk(store_settings(store_url), clock=clock)
    try:
        issue = other.get_issue(key)
        assert issue.status == "closed" and issue.version == 9
        assert issue.escalation is not None and issue.escalation["vendor_ticket"] == "INC-0042"
        assert [h["type"] for h in other.history(key)] == [
            "Reported",
            "Triaged",
            "Responded",
            "EscalatedToVendor",
            "VendorUpdated",
            "WaitingStarted",
            "Resumed",
            "Resolved",
            "Closed",
        ]
        assert other.get_issue(key, version=4).status == "escalated"
    finally:
        other.close()


def test_refused_transition_names_state_and_stores_nothing(desk: KaizenDesk) -> None:
    key = desk.report(ctx(REPORTER), **ISSUE).key
    with pytest.raises(TransitionRefused, match="status is new"):
        desk.close_issue(ctx(), key)
    assert desk.get_issue(key).version == 1


def test_if_match_stale_version_is_refused(desk: KaizenDesk) -> None:
    enrol_assignees(desk, "ann.lee", "bob.ho")
    key = desk.report(ctx(REPORTER), **ISSUE).key
    desk.assign(ctx(), key, assignee="ann.lee")
    with pytest.raises(StaleVersion):
        desk.assign(ctx(expected_version=1), key, assignee="bob.ho")
    assert desk.assign(ctx(expected_version=2), key, assignee="bob.ho").version == 3


def test_idempotency_key_replays_and_rejects_other_body(desk: KaizenDesk) -> None:
    first = desk.report(ctx(REPORTER, idempotency_key="abc", fingerprint="f1"), **ISSUE)
    again = desk.report(ctx(REPORTER, idempotency_key="abc", fingerprint="f1"), **ISSUE)
    assert again.replayed and again.key == first.key == "KZ-1"
    assert desk.report(ctx(REPORTER), **ISSUE).key == "KZ-2"  # the replay allocated nothing
    with pytest.raises(IdempotencyKeyReused):
        desk.report(ctx(REPORTER, idempotency_key="abc", fingerprint="f2"), **ISSUE)


def test_a_retried_key_gets_its_first_answer_even_where_the_command_would_now_be_refused(desk: KaizenDesk) -> None:
    enrol_assignees(desk, "admin-wong")
    key = desk.report(ctx(REPORTER), **ISSUE).key
    desk.triage(ctx(), key, assignee="admin-wong")
    keyed = ctx(idempotency_key="r-1", fingerprint="r")
    first = desk.resolve(keyed, key, resolution="patched")
    again = desk.resolve(keyed, key, resolution="patched")
    assert again.replayed and again.version == first.version == 3
    with pytest.raises(TransitionRefused):  # without the key, resolving twice is refused
        desk.resolve(ctx(), key, resolution="patched")
    with pytest.raises(IdempotencyKeyReused):  # the key again, with another request
        desk.resolve(ctx(idempotency_key="r-1", fingerprint="other"), key, resolution="patched")
    refused = ctx(idempotency_key="c-1", fingerprint="c")
    for _ in range(2):  # a refused first use stored no answer: its retry is refused again
        with pytest.raises(TransitionRefused):
            desk.resolve(refused, key, resolution="again")
    assert desk.get_issue(key).version == 3


def test_snapshots_keep_long_histories_loadable(desk: KaizenDesk) -> None:
    key = desk.report(ctx(REPORTER), **ISSUE).key
    for n in range(120):
        desk.comment_on_issue(ctx(), key, body=f"note {n}", visibility="internal")
    issue = desk.get_issue(key)
    assert issue.version == 121 and len(issue.comments) == 120
    assert desk.snapshots is not None
    assert next(iter(desk.snapshots.get(issue.id, desc=True, limit=1))).originator_version == 100
    assert desk.get_issue(key, version=60).version == 60


def test_suggestion_votes_and_merge_count_people_once(desk: KaizenDesk) -> None:
    from domain.actor import Actor

    a = desk.submit_suggestion(ctx(REPORTER), title="Mandatory cost centre", description="x", module="finance").key
    b = desk.submit_suggestion(ctx(REPORTER), title="Cost centre required", description="y", module="finance").key
    for voter in ("u1", "u2", "u3"):
        desk.vote(ctx(Actor(voter, "reporter")), a)
    for voter in ("u2", "u4"):
        desk.vote(ctx(Actor(voter, "reporter")), b)
    with pytest.raises(TransitionRefused):
        desk.vote(ctx(Actor("u4", "reporter")), b)
    desk.merge(ctx(), b, into=a)
    assert desk.get_suggestion(a).votes == 4
    assert desk.get_suggestion(b).status == "merged"
