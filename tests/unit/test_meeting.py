"""The ImprovementMeeting aggregate and its decisions, pure (the atomic save is an integration test)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.access import AccessDenied
from domain.errors import InvalidCommand, TransitionRefused
from domain.issue import Issue
from domain.meeting import Decision, ImprovementMeeting, authorise_meeting, take_decision
from domain.suggestion import Suggestion
from tests.conftest import ADMIN, REPORTER

AT = datetime(2026, 7, 15, 2, 0, tzinfo=UTC)
PEOPLE = [
    {"name": "Ms Chan", "department": "finance"},
    {"name": "Mr Lee", "department": "warehouse"},
    {"name": "Ms Tan", "department": "production"},
]


def meeting() -> ImprovementMeeting:
    return ImprovementMeeting.schedule(
        "MT-1",
        cadence="monthly",
        meeting_date=date(2026, 7, 15),
        attendees=PEOPLE,
        actor=ADMIN,
        occurred_at=AT,
        title="July review",
    )


def suggestion(key: str = "SG-1") -> Suggestion:
    return Suggestion.submit(
        key, title="Scan receipts", description="d", module="warehouse", actor=REPORTER, occurred_at=AT
    )


def issue() -> Issue:
    found = Issue.report(
        "KZ-1",
        title="Ledger",
        description="d",
        module="finance",
        impact_scope="team",
        urgency="degraded",
        vendor="sap",
        actor=REPORTER,
        occurred_at=AT,
    )
    found.record_workaround("manual_ledger", "keep a ledger", date(2026, 7, 31), "ms-chan", ADMIN, AT)
    return found


def test_a_meeting_has_attendees_by_department() -> None:
    m = meeting()
    assert (m.key, m.cadence, m.status, m.title) == ("MT-1", "monthly", "scheduled", "July review")
    assert m.departments == ["finance", "production", "warehouse"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cadence": "weekly"}, "cadence"),
        ({"attendees": []}, "attendees"),
        ({"attendees": [{"name": "X", "department": "marketing"}]}, "attendees[0].department"),
        ({"attendees": [{"name": "X", "department": "hr"}, {"name": "X", "department": "it"}]}, "attendees[1].name"),
        ({"attendees": [{"name": " ", "department": "hr"}]}, "attendees[0].name"),
        ({"meeting_date": datetime(2026, 7, 15, tzinfo=UTC)}, "date"),
    ],
)
def test_invalid_meetings_are_refused(changes: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "cadence": "quarterly",
        "meeting_date": date(2026, 7, 15),
        "attendees": PEOPLE,
        "actor": ADMIN,
        "occurred_at": AT,
        **changes,
    }
    with pytest.raises(InvalidCommand) as refused:
        ImprovementMeeting.schedule("MT-2", **args)  # type: ignore[arg-type]
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "promote"}, "kind"),
        ({"kind": "plan_suggestion", "subject": "KZ-1", "target_release": "2026.09"}, "subject"),
        ({"kind": "plan_suggestion", "subject": "SG-1"}, "target_release"),
        ({"kind": "decline_suggestion", "subject": "SG-1"}, "reason"),
        ({"kind": "review_suggestion", "subject": "SG-1", "impact": 4}, "effort"),
        ({"kind": "change_priority", "subject": "KZ-1", "priority": "P9", "reason": "r"}, "priority"),
        ({"kind": "change_priority", "subject": "KZ-1", "priority": "P1"}, "reason"),
        ({"kind": "reschedule_workaround", "subject": "KZ-1", "workaround_id": "w1"}, "retire_by"),
        ({"kind": "note", "subject": "SG-1", "text": "x"}, "subject"),
        ({"kind": "note", "text": "  "}, "text"),
    ],
)
def test_a_decision_names_what_it_lacks(fields: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidCommand) as refused:
        Decision(**fields)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_planning_a_suggestion_changes_it_and_minutes_the_decision() -> None:
    m, s = meeting(), suggestion()
    decision_id = take_decision(m, Decision("plan_suggestion", "SG-1", target_release="2026.09"), s, ADMIN, AT)
    assert decision_id == "d1" and s.status == "planned"
    assert s.decision is not None and s.decision["reason"] == "decided in improvement meeting MT-1"
    assert m.decisions[0] | {"at": None} == {
        "id": "d1",
        "kind": "plan_suggestion",
        "subject": "SG-1",
        "target_release": "2026.09",
        "by": ADMIN.id,
        "at": None,
    }


def test_declining_and_reviewing_suggestions() -> None:
    m, declined, reviewed = meeting(), suggestion("SG-1"), suggestion("SG-2")
    take_decision(m, Decision("decline_suggestion", "SG-1", reason="covered by the upgrade"), declined, ADMIN, AT)
    take_decision(m, Decision("review_suggestion", "SG-2", impact=4, effort=2), reviewed, ADMIN, AT)
    assert declined.status == "declined"
    assert declined.decision["reason"] == "covered by the upgrade (improvement meeting MT-1)"  # type: ignore[index]
    assert reviewed.review is not None and (reviewed.review["impact"], reviewed.review["meeting"]) == (4, "MT-1")
    assert [d["id"] for d in m.decisions] == ["d1", "d2"]


def test_priority_and_workaround_decisions_change_the_issue() -> None:
    m, i = meeting(), issue()
    take_decision(m, Decision("change_priority", "KZ-1", priority="P1", reason="blocks month-end"), i, ADMIN, AT)
    take_decision(
        m, Decision("reschedule_workaround", "KZ-1", workaround_id="w1", retire_by=date(2026, 9, 30)), i, ADMIN, AT
    )
    assert i.priority == "P1"
    assert i.workarounds["w1"]["retire_by"] == date(2026, 9, 30)
    assert m.decisions[1]["retire_by"] == "2026-09-30"


def test_a_retire_by_date_in_the_past_is_refused() -> None:
    with pytest.raises(InvalidCommand):
        take_decision(
            meeting(),
            Decision("reschedule_workaround", "KZ-1", workaround_id="w1", retire_by=date(2026, 7, 14)),
            issue(),
            ADMIN,
            AT,
        )


def test_the_subject_must_be_the_one_the_decision_names() -> None:
    with pytest.raises(InvalidCommand):
        take_decision(meeting(), Decision("plan_suggestion", "SG-2", target_release="r"), suggestion("SG-1"), ADMIN, AT)
    with pytest.raises(InvalidCommand):
        take_decision(meeting(), Decision("change_priority", "KZ-1", priority="P1", reason="r"), None, ADMIN, AT)


def test_a_refused_subject_change_leaves_the_meeting_without_the_decision() -> None:
    m, s = meeting(), suggestion()
    s.decline("no", ADMIN, AT)
    with pytest.raises(TransitionRefused):
        take_decision(m, Decision("plan_suggestion", "SG-1", target_release="r"), s, ADMIN, AT)
    assert m.decisions == []


def test_a_note_changes_only_the_minutes() -> None:
    m = meeting()
    take_decision(m, Decision("note", text="Warehouse asks for handheld training"), None, ADMIN, AT)
    assert m.decisions[0]["text"] == "Warehouse asks for handheld training"


def test_closing_keeps_the_minutes_and_the_agenda_and_ends_decisions() -> None:
    m = meeting()
    m.close("Two decisions; next meeting in August.", {"top_suggestions": []}, ADMIN, AT)
    document = m.minutes_document()
    assert (document["status"], document["minutes"], document["agenda"]) == (
        "closed",
        "Two decisions; next meeting in August.",
        {"top_suggestions": []},
    )
    with pytest.raises(TransitionRefused):
        take_decision(m, Decision("note", text="late"), None, ADMIN, AT)
    with pytest.raises(TransitionRefused):
        m.close("again", None, ADMIN, AT)
    with pytest.raises(InvalidCommand):
        meeting().close(" ", None, ADMIN, AT)


def test_only_administrators_run_meetings() -> None:
    authorise_meeting(ADMIN, "schedule")
    with pytest.raises(AccessDenied):
        authorise_meeting(REPORTER, "schedule")


def test_a_decision_carries_who_follows_it_up_and_by_when() -> None:
    m, s = meeting(), suggestion()
    decided = Decision("plan_suggestion", "SG-1", target_release="2026.09", owner="ada.wong", due=date(2026, 8, 31))
    take_decision(m, decided, s, ADMIN, AT)
    assert (m.decisions[0]["owner"], m.decisions[0]["due"]) == ("ada.wong", "2026-08-31")


def test_a_decision_without_owner_or_due_is_minuted_as_before() -> None:
    m = meeting()
    take_decision(m, Decision("note", text="all well"), None, ADMIN, AT)
    assert "owner" not in m.decisions[0] and "due" not in m.decisions[0]


@pytest.mark.parametrize("due", [date(2026, 7, 14), datetime(2026, 8, 1, tzinfo=UTC)])
def test_a_due_date_in_the_past_or_not_a_date_is_refused(due: date) -> None:
    with pytest.raises(InvalidCommand) as refused:
        take_decision(meeting(), Decision("note", text="follow up", due=due), None, ADMIN, AT)
    assert refused.value.field == "due"
