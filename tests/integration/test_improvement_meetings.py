"""Improvement meetings on both stores: decisions saved atomically with their subject, the agenda
built from the views, minutes on close, and the workaround registry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from application.audit import verify
from application.config import store_settings
from application.desk import KaizenDesk
from domain.actor import Actor
from domain.errors import InvalidCommand, TransitionRefused
from domain.suggestion import Suggestion
from projections.catalogue import all_views
from projections.improvement_queries import ImprovementQueries
from projections.runner import ProjectionRunner
from projections.store import ViewStore
from tests.conftest import REPORTER, VENDOR_SAP, FakeClock, ctx

PEOPLE = [
    {"name": "Ms Chan", "department": "finance"},
    {"name": "Mr Lee", "department": "warehouse"},
    {"name": "Ms Tan", "department": "production"},
]
P1: dict[str, Any] = {"description": "d", "module": "finance", "impact_scope": "company", "urgency": "blocking"}
ORACLE = Actor("oracle-support", "vendor:oracle")


@pytest.fixture
def views(desk: KaizenDesk, store_url: str) -> Iterator[tuple[ImprovementQueries, ProjectionRunner]]:
    store = ViewStore(store_settings(store_url))
    runner = ProjectionRunner(desk, store, all_views())
    runner.setup()
    try:
        yield ImprovementQueries(store), runner
    finally:
        store.close()


def schedule(desk: KaizenDesk, day: date, cadence: str = "monthly") -> str:
    return desk.schedule_meeting(ctx(), cadence=cadence, date=day, attendees=PEOPLE).key


def meeting_row(desk: KaizenDesk, key: str) -> dict[str, Any]:
    m = desk.get_meeting(key)
    return {"key": m.key, "cadence": m.cadence, "date": m.meeting_date, "status": m.status}


def test_a_decision_and_its_subject_are_one_save(desk: KaizenDesk, clock: FakeClock) -> None:
    meeting = schedule(desk, date(2026, 3, 20))
    idea = desk.submit_suggestion(ctx(REPORTER), title="Scan receipts", description="d", module="warehouse").key
    before = int(desk.recorder.max_notification_id() or 0)
    receipt = desk.take_decision(ctx(), meeting, kind="plan_suggestion", subject=idea, target_release="2026.04")
    assert receipt.key == meeting and receipt.extra == {"decision_id": "d1"}
    stored = desk.recorder.select_notifications(start=before + 1, limit=10)
    assert [n.topic.rsplit(".", 1)[-1] for n in stored] == ["DecisionTaken", "Planned"]
    assert receipt.position == stored[-1].id
    assert desk.get_suggestion(idea).status == "planned" and len(desk.get_meeting(meeting).decisions) == 1


def test_a_lost_race_on_the_subject_saves_neither_and_is_retried(
    desk: KaizenDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting = schedule(desk, date(2026, 3, 20))
    idea = desk.submit_suggestion(ctx(REPORTER), title="Scan receipts", description="d", module="warehouse").key
    stale = desk.get_suggestion(idea)  # then someone votes: the stale copy will lose the race
    desk.vote(ctx(Actor("ana", "reporter")), idea)
    real_load = desk._load
    served: list[int] = []

    def load(aggregate_id: Any, cls: Any, label: str, version: int | None = None) -> Any:
        if cls is Suggestion and not served:
            served.append(stale.version)
            return desk.repository.get(aggregate_id, version=stale.version)
        return real_load(aggregate_id, cls, label, version)

    monkeypatch.setattr(desk, "_load", load)
    desk.take_decision(ctx(), meeting, kind="plan_suggestion", subject=idea, target_release="2026.04")
    assert served == [1]
    after = desk.get_meeting(meeting)
    assert [d["id"] for d in after.decisions] == ["d1"] and after.version == 2  # attempt one left no trace
    planned = desk.get_suggestion(idea)
    assert planned.status == "planned" and planned.voters == ["ana"]


def test_a_refused_decision_changes_nothing(desk: KaizenDesk) -> None:
    meeting = schedule(desk, date(2026, 3, 20))
    idea = desk.submit_suggestion(ctx(REPORTER), title="Scan receipts", description="d", module="warehouse").key
    desk.decide(ctx(), idea, outcome="declined", reason="no")
    head = desk.recorder.max_notification_id()
    with pytest.raises(TransitionRefused):
        desk.take_decision(ctx(), meeting, kind="plan_suggestion", subject=idea, target_release="2026.04")
    with pytest.raises(InvalidCommand):
        desk.take_decision(ctx(), meeting, kind="change_priority", subject="KZ-1", priority="P1")
    assert desk.recorder.max_notification_id() == head
    desk.close_meeting(ctx(), meeting, minutes="Nothing decided")
    with pytest.raises(TransitionRefused):
        desk.take_decision(ctx(), meeting, kind="note", text="late")


def test_reporters_do_not_run_meetings(desk: KaizenDesk) -> None:
    from domain.access import AccessDenied

    with pytest.raises(AccessDenied):
        desk.schedule_meeting(ctx(REPORTER), cadence="monthly", date=date(2026, 3, 20), attendees=PEOPLE)


def build_history(desk: KaizenDesk, clock: FakeClock) -> dict[str, str]:
    """May: an old issue that is still open; the June meeting; June: vendor escalations; July 1: the agenda."""
    keys: dict[str, str] = {}
    clock.now = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    keys["aging"] = desk.report(
        ctx(REPORTER),
        title="Stock report layout",
        description="d",
        module="reporting",
        impact_scope="user",
        urgency="minor",
    ).key
    desk.respond(ctx(), keys["aging"], message="looking")
    desk.wait(ctx(), keys["aging"], on="reporter", reason="need a sample")  # paused: aging, not breached
    desk.record_workaround(
        ctx(),
        keys["aging"],
        kind="manual_report",
        description="Excel by hand",
        retire_by=date(2026, 6, 15),
        owner="ms-tan",
    )
    desk.record_workaround(
        ctx(), keys["aging"], kind="approval_outside_system", description="email approvals", retire_by=date(2026, 7, 31)
    )
    clock.now = datetime(2026, 5, 20, 1, 0, tzinfo=UTC)
    keys["may_sap"] = desk.report(ctx(REPORTER), title="Before the last meeting", vendor="sap", **P1).key
    desk.escalate(ctx(), keys["may_sap"], vendor="sap", vendor_ticket="INC-1")
    clock.advance(hours=5)
    desk.record_vendor_update(ctx(VENDOR_SAP), keys["may_sap"], message="late, but before the June meeting")
    clock.now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    keys["june"] = schedule(desk, date(2026, 6, 1))
    desk.close_meeting(ctx(), keys["june"], minutes="June meeting")
    for name, vendor, hours in (("sap_fast", "sap", 0.5), ("oracle_slow", "oracle", 3), ("oracle_silent", "oracle", 0)):
        clock.advance(days=2)
        keys[name] = desk.report(ctx(REPORTER), title=name, vendor=vendor, **P1).key
        desk.escalate(ctx(), keys[name], vendor=vendor, vendor_ticket=f"T-{name}")
        if hours:
            clock.advance(hours=hours)
            desk.record_vendor_update(ctx(VENDOR_SAP if vendor == "sap" else ORACLE), keys[name], message="on it")
    for n, votes in enumerate((1, 3, 2)):
        key = desk.submit_suggestion(ctx(REPORTER), title=f"Idea {n}", description="d", module="warehouse").key
        keys[f"idea{n}"] = key
        for v in range(votes):
            desk.vote(ctx(Actor(f"staff{v}", "reporter")), key)
    desk.decide(ctx(), keys["idea1"], outcome="planned", target_release="2026.07")  # decided: not on the agenda
    clock.now = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
    keys["july"] = schedule(desk, date(2026, 7, 1))
    return keys


def test_the_agenda_is_built_from_the_data(
    desk: KaizenDesk, clock: FakeClock, views: tuple[ImprovementQueries, ProjectionRunner]
) -> None:
    q, runner = views
    keys = build_history(desk, clock)
    runner.catch_up()
    agenda = q.agenda(meeting_row(desk, keys["july"]), clock.now)
    assert agenda["since"] == datetime(2026, 6, 1, tzinfo=UTC) and agenda["previous_meeting"] == keys["june"]
    assert [s["key"] for s in agenda["top_suggestions"]] == [keys["idea2"], keys["idea0"]]
    breached = {i["key"]: i for i in agenda["breached_issues"]}
    assert "vendor_response" in breached[keys["oracle_slow"]]["breached_clocks"]
    assert "vendor_response" in breached[keys["oracle_silent"]]["breached_clocks"]
    assert keys["aging"] not in breached
    assert [(i["key"], i["age_days"]) for i in agenda["aging_issues"]] == [(keys["aging"], 61)]
    assert [(w["issue_key"], w["workaround_id"], w["days_overdue"]) for w in agenda["overdue_workarounds"]] == [
        (keys["aging"], "w1", 16)
    ]
    vendors = agenda["vendors_worst_response"]
    assert [(v["vendor"], v["escalations"], v["responded"], v["breached"], v["waiting"]) for v in vendors] == [
        ("oracle", 2, 1, 2, 1),
        ("sap", 1, 1, 0, 0),
    ]  # May's late SAP answer came before the last meeting
    assert vendors[1]["median_hours_to_response"] == 0.5


def test_decisions_in_the_meeting_change_the_next_agenda_and_the_minutes_keep_it(
    desk: KaizenDesk, clock: FakeClock, views: tuple[ImprovementQueries, ProjectionRunner]
) -> None:
    q, runner = views
    keys = build_history(desk, clock)
    july = keys["july"]
    desk.take_decision(ctx(), july, kind="plan_suggestion", subject=keys["idea2"], target_release="2026.09")
    desk.take_decision(
        ctx(),
        july,
        kind="reschedule_workaround",
        subject=keys["aging"],
        workaround_id="w1",
        retire_by=date(2026, 8, 31),
        reason="vendor fix in August",
    )
    desk.take_decision(
        ctx(), july, kind="change_priority", subject=keys["oracle_silent"], priority="P2", reason="workaround found"
    )
    runner.catch_up()
    agenda = q.agenda(meeting_row(desk, july), clock.now)
    assert [s["key"] for s in agenda["top_suggestions"]] == [keys["idea0"]]
    assert agenda["overdue_workarounds"] == []
    assert desk.get_issue(keys["oracle_silent"]).priority == "P2"
    desk.close_meeting(ctx(), july, minutes="Three decisions.", agenda={"top_suggestions": [keys["idea0"]]})
    runner.catch_up()
    minutes = desk.get_meeting(july).minutes_document()
    assert [d["kind"] for d in minutes["decisions"]] == ["plan_suggestion", "reschedule_workaround", "change_priority"]
    assert minutes["agenda"] == {"top_suggestions": [keys["idea0"]]} and minutes["departments"] == [
        "finance",
        "production",
        "warehouse",
    ]
    listed, _ = q.meetings(10)
    assert [(m["key"], m["status"], m["decisions"]) for m in listed] == [
        (july, "closed", 3),
        (keys["june"], "closed", 0),
    ]
    rescheduled = q.workarounds(clock.now, state="all")
    assert [(w["workaround_id"], w["retire_by"], w["rescheduled"]) for w in rescheduled] == [
        ("w2", date(2026, 7, 31), 0),
        ("w1", date(2026, 8, 31), 1),
    ]
    assert verify(desk).ok  # every new aggregate's hash chain holds


def test_the_workaround_registry_and_its_overdue_edge(
    desk: KaizenDesk, clock: FakeClock, views: tuple[ImprovementQueries, ProjectionRunner]
) -> None:
    q, runner = views
    clock.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    issue = desk.report(
        ctx(REPORTER),
        title="Approvals by email",
        description="d",
        module="purchasing",
        impact_scope="department",
        urgency="degraded",
    ).key
    desk.record_workaround(
        ctx(), issue, kind="approval_outside_system", description="email", retire_by=date(2026, 3, 31), owner="mr-lee"
    )
    desk.record_workaround(ctx(), issue, kind="manual_ledger", description="ledger", retire_by=date(2026, 3, 10))
    desk.retire_workaround(ctx(), issue, "w2", note="ledger replaced by the new report")
    runner.catch_up()
    last_day = datetime(2026, 3, 31, 23, 59, tzinfo=UTC)
    assert q.workarounds(last_day, overdue=True) == []
    first_late = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
    [late] = q.workarounds(first_late, overdue=True)
    assert (late["workaround_id"], late["owner"], late["kind"], late["days_overdue"]) == (
        "w1",
        "mr-lee",
        "approval_outside_system",
        1,
    )
    assert [w["workaround_id"] for w in q.workarounds(first_late)] == ["w1"]  # open ones
    assert [w["workaround_id"] for w in q.workarounds(first_late, state="retired")] == ["w2"]
    retired = q.workarounds(first_late, state="retired")[0]
    assert retired["note"] == "ledger replaced by the new report" and not retired["overdue"]
    assert q.workarounds(first_late, filters={"owner": "someone-else"}) == []
    assert [w["module"] for w in q.workarounds(first_late, filters={"module": "purchasing"})] == ["purchasing"]
