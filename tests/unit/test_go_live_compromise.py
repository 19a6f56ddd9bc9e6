"""A go-live compromise: a workaround with no issue, validated before any event exists."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.access import AccessDenied
from domain.actor import Actor
from domain.errors import InvalidCommand, TransitionRefused
from domain.workaround import GoLiveCompromise, workaround_id

ADMIN = Actor("admin-wong", "admin")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def registered(**changes: object) -> GoLiveCompromise:
    fields: dict[str, object] = {
        "kind": "approval_outside_system",
        "description": "Approvals by e-mail until the workflow module is configured",
        "retire_by": date(2026, 4, 30),
        "owner": None,
        "actor": ADMIN,
        "occurred_at": NOW,
    }
    fields.update(changes)
    return GoLiveCompromise.register("WA-1", **fields)  # type: ignore[arg-type]


def test_registered_compromise_is_owned_by_whoever_registered_it_unless_named() -> None:
    found = registered()
    assert (found.key, found.owner, found.retire_by, found.retired_at) == (
        "WA-1",
        "admin-wong",
        date(2026, 4, 30),
        None,
    )
    assert registered(owner="Ms Chan (finance)").owner == "Ms Chan (finance)"
    assert found.id == workaround_id("WA-1")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "spreadsheet"}, "kind"),
        ({"description": "   "}, "description"),
        ({"retire_by": date(2026, 3, 1)}, "retire_by"),
        ({"retire_by": "2026-04-30"}, "retire_by"),
        ({"owner": "two\nlines"}, "owner"),
    ],
)
def test_bad_input_is_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidCommand) as refused:
        registered(**changes)
    assert refused.value.field == field


def test_only_administrators_register_or_retire() -> None:
    with pytest.raises(AccessDenied):
        registered(actor=Actor("lina", "reporter"))
    found = registered()
    with pytest.raises(AccessDenied):
        found.retire(None, Actor("audrey", "auditor"), NOW)
    assert found.retired_at is None


def test_overdue_from_the_day_after_retire_by_until_retired() -> None:
    found = registered(retire_by=date(2026, 3, 31))
    assert not found.overdue(date(2026, 3, 31))
    assert found.overdue(date(2026, 4, 1))
    found.retire("workflow module live", ADMIN, datetime(2026, 4, 2, tzinfo=UTC))
    assert not found.overdue(date(2026, 4, 2)) and found.note == "workflow module live"


def test_retired_once_and_never_rescheduled_after() -> None:
    found = registered()
    found.reschedule(date(2026, 6, 30), "vendor late", ADMIN, NOW)
    assert (found.retire_by, found.rescheduled) == (date(2026, 6, 30), 1)
    with pytest.raises(InvalidCommand):
        found.reschedule(date(2026, 1, 1), None, ADMIN, NOW)  # not into the past
    found.retire(None, ADMIN, NOW)
    with pytest.raises(TransitionRefused):
        found.retire(None, ADMIN, NOW)
    with pytest.raises(TransitionRefused):
        found.reschedule(date(2026, 7, 1), None, ADMIN, NOW)
    assert len(found.collect_events()) == 3


def test_a_key_that_is_not_a_workaround_key_is_refused() -> None:
    with pytest.raises(InvalidCommand):
        workaround_id("KZ-1")
