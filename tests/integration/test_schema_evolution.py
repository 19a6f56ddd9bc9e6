"""Old stored events still load: a version-1 `Reported` (no language, no noticed_at) is upcast."""

from __future__ import annotations

import json
from pathlib import Path

from eventsourcing.persistence import StoredEvent

from application.audit import verify
from application.desk import KaizenDesk
from domain.chain import chain_hash
from domain.keys import aggregate_id
from tests.conftest import ctx, enrol_assignees

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "issue_reported_v1.json"


def _store_fixture(desk: KaizenDesk) -> None:
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    state = fixture["state"]
    decoded = desk.mapper.transcoder.decode(json.dumps(state).encode())
    state["hash"] = chain_hash(None, fixture["topic"], aggregate_id("KZ-1"), 1, decoded)
    desk.recorder.insert_events(
        [
            StoredEvent(
                originator_id=aggregate_id("KZ-1"),
                originator_version=1,
                topic=fixture["topic"],
                state=json.dumps(state, ensure_ascii=False).encode("utf-8"),
            )
        ]
    )


def test_version_one_event_is_upcast_on_load(desk: KaizenDesk) -> None:
    _store_fixture(desk)
    issue = desk.get_issue("KZ-1")
    assert issue.title == "库存估值报表错误" and issue.language is None and issue.noticed_at is None
    enrol_assignees(desk, "wong")
    desk.triage(ctx(), "KZ-1", assignee="wong")  # the upcast aggregate takes new commands
    assert desk.get_issue("KZ-1").version == 2
    assert verify(desk).ok  # the chain holds over the event as it was recorded


def test_new_events_are_written_at_the_current_class_version(desk: KaizenDesk) -> None:
    from tests.conftest import REPORTER

    desk.report(ctx(REPORTER), title="t", description="d", module="sales", impact_scope="user", urgency="minor")
    stored = desk.recorder.select_notifications(start=1, limit=10)
    reported = next(s for s in stored if s.topic.endswith("Issue.Reported"))
    assert json.loads(reported.state)["class_version"] == 2
