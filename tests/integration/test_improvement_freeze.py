"""Freeze windows on both stores: the published document, and vendor changes refused inside a
window (naming it) unless an override reason is given, which is recorded. Edges and time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from application.desk import KaizenDesk
from application.errors import StaleVersion
from domain.access import AccessDenied
from domain.errors import InvalidCommand, TransitionRefused
from tests.conftest import REPORTER, FakeClock, ctx

HKT = ZoneInfo("Asia/Hong_Kong")
DOCUMENT = {
    "timezone": "Asia/Hong_Kong",
    "month_end": {
        "last_working_days": 3,
        "first_working_days": 2,
        "calendar": {
            "timezone": "Asia/Hong_Kong",
            "hours": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": {"country": "HK", "subdivision": None},
        },
    },
    "windows": [{"name": "Wave 2 go-live", "from": "2026-06-10T18:00:00+08:00", "to": "2026-06-12T09:00:00+08:00"}],
}
MARCH_CLOSE = "month-end close 2026-03"


def issue(desk: KaizenDesk) -> str:
    key = desk.report(
        ctx(REPORTER),
        title="Posting fails",
        description="d",
        module="finance",
        impact_scope="company",
        urgency="blocking",
        vendor="sap",
    ).key
    desk.escalate(ctx(), key, vendor="sap", vendor_ticket="INC-9")
    return key


@pytest.fixture
def published(desk: KaizenDesk, clock: FakeClock) -> KaizenDesk:
    clock.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    desk.put_freeze_windows(ctx(), DOCUMENT)
    return desk


def test_nothing_is_frozen_until_a_document_is_published(desk: KaizenDesk) -> None:
    view = desk.get_freeze_windows()
    assert (view.version, view.document["month_end"], view.published_at) == (0, None, None)
    key = issue(desk)
    desk.schedule_change(ctx(), key, scheduled_for=datetime(2026, 3, 31, 4, 0, tzinfo=UTC), description="patch")
    assert desk.get_issue(key).changes[0]["freeze_window"] is None


def test_the_document_is_versioned_and_guarded(published: KaizenDesk) -> None:
    view = published.get_freeze_windows()
    assert view.version == 1 and view.document["windows"][0]["from"] == "2026-06-10T10:00:00Z"
    with pytest.raises(StaleVersion):
        published.put_freeze_windows(ctx(expected_version=0), DOCUMENT)
    published.put_freeze_windows(ctx(expected_version=1), {**DOCUMENT, "windows": []})
    with pytest.raises(InvalidCommand) as refused:
        published.put_freeze_windows(ctx(), {**DOCUMENT, "timezone": "Asia/Atlantis"})
    assert refused.value.field == "timezone"
    with pytest.raises(AccessDenied):
        published.put_freeze_windows(ctx(REPORTER), DOCUMENT)
    assert published.get_freeze_windows().version == 2 and published.get_freeze_windows().document["windows"] == []


@pytest.mark.parametrize(
    ("when", "window"),
    [
        (datetime(2026, 3, 26, 23, 59, tzinfo=HKT), None),
        (datetime(2026, 3, 27, 0, 0, tzinfo=HKT), MARCH_CLOSE),  # first minute
        (datetime(2026, 3, 26, 16, 0, tzinfo=UTC), MARCH_CLOSE),  # the same instant, in UTC
        (datetime(2026, 3, 26, 12, 0, tzinfo=ZoneInfo("America/New_York")), MARCH_CLOSE),  # 12:00 EDT
        (datetime(2026, 3, 26, 11, 59, tzinfo=ZoneInfo("America/New_York")), None),
        (datetime(2026, 4, 2, 23, 59, tzinfo=HKT), MARCH_CLOSE),  # last minute
        (datetime(2026, 4, 3, 0, 0, tzinfo=HKT), None),  # the end is outside (and Good Friday)
        (datetime(2026, 6, 10, 17, 59, tzinfo=HKT), None),
        (datetime(2026, 6, 10, 18, 0, tzinfo=HKT), "Wave 2 go-live"),
        (datetime(2026, 6, 12, 0, 59, tzinfo=UTC), "Wave 2 go-live"),  # 08:59 HKT
        (datetime(2026, 6, 12, 1, 0, tzinfo=UTC), None),
    ],
)
def test_scheduling_inside_a_window_is_refused_and_names_it(
    published: KaizenDesk, when: datetime, window: str | None
) -> None:
    key = issue(published)
    assert published.freeze_window_at(when) == window
    if window is None:
        published.schedule_change(ctx(), key, scheduled_for=when, description="patch")
        assert published.get_issue(key).changes[-1]["freeze_window"] is None
        return
    version = published.get_issue(key).version
    with pytest.raises(TransitionRefused) as refused:
        published.schedule_change(ctx(), key, scheduled_for=when, description="patch")
    assert window in str(refused.value) and "override_reason" in str(refused.value)
    assert published.get_issue(key).version == version  # nothing recorded


def test_an_override_reason_lets_the_change_through_and_is_recorded(published: KaizenDesk) -> None:
    key = issue(published)
    when = datetime(2026, 3, 31, 10, 0, tzinfo=HKT)
    receipt = published.schedule_change(
        ctx(),
        key,
        scheduled_for=when,
        description="hotfix for the close",
        override_reason="the close itself is blocked without it",
    )
    change = published.get_issue(key).changes[-1]
    assert receipt.extra == {"change_id": "ch1"}
    assert (change["freeze_window"], change["override_reason"]) == (
        MARCH_CLOSE,
        "the close itself is blocked without it",
    )
    history = [e for e in published.history(key) if e["type"] == "ChangeScheduled"]
    assert history[0]["data"]["freeze_window"] == MARCH_CLOSE


def test_a_republished_document_applies_to_the_next_change(published: KaizenDesk) -> None:
    key = issue(published)
    when = datetime(2026, 3, 30, 10, 0, tzinfo=HKT)
    published.put_freeze_windows(ctx(), {**DOCUMENT, "month_end": {"last_working_days": 1, "first_working_days": 1}})
    published.schedule_change(ctx(), key, scheduled_for=when, description="now allowed")  # only the 31st is frozen
    assert published.freeze_window_at(when + timedelta(days=1)) == MARCH_CLOSE
    assert published.get_issue(key).changes[-1]["freeze_window"] is None
