"""The domain refuses what no view can store, whatever way the command came in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.actor import Actor
from domain.errors import InvalidCommand
from domain.issue import Issue
from domain.suggestion import Suggestion
from domain.values import day, identifier, moment, text

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LINA = Actor("lina", "reporter")


def report(actor: Actor = LINA, at: datetime = AT, **changes: object) -> Issue:
    fields: dict[str, object] = {
        "title": "GL posting fails",
        "description": "Month-end close\r\n\tis blocked",
        "module": "finance",
        "impact_scope": "team",
        "urgency": "minor",
        "vendor": "sap",
    }
    fields.update(changes)
    return Issue.report("KZ-1", actor=actor, occurred_at=at, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "when",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-12))),
        datetime(1969, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2201, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1),  # no offset
    ],
)
def test_times_outside_1970_to_2200_in_any_offset_are_refused(when: datetime) -> None:
    with pytest.raises(InvalidCommand):
        moment(when, "at")
    with pytest.raises(InvalidCommand, match=r"occurred_at|noticed_at"):
        report(at=when) if when.tzinfo else report(noticed_at=when)


def test_the_edges_of_the_range_are_accepted() -> None:
    assert moment(datetime(1970, 1, 1, tzinfo=UTC), "at")
    assert moment(datetime(2200, 12, 31, 11, 59, tzinfo=timezone(timedelta(hours=-12))), "at") is not None
    assert day(date(2200, 12, 31), "retire_by") == date(2200, 12, 31)
    with pytest.raises(InvalidCommand):
        day(date(9999, 1, 1), "retire_by")


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\ud800"])
def test_control_characters_are_refused_in_every_text(character: str) -> None:
    with pytest.raises(InvalidCommand, match="description"):
        report(description=f"before{character}after")
    with pytest.raises(InvalidCommand, match="title"):
        report(title=f"before{character}after")
    issue = report()
    with pytest.raises(InvalidCommand, match="body"):
        issue.comment(f"a{character}", "public", LINA, AT)


def test_multi_line_text_keeps_tabs_and_newlines_but_a_title_is_one_line() -> None:
    assert text("line one\r\n\tline two", "description") == "line one\r\n\tline two"
    with pytest.raises(InvalidCommand, match="single line"):
        report(title="two\nlines")


@pytest.mark.parametrize("name", ["a" * 201, "lina\n", " lina", "li\x00na", ""])
def test_identifiers_are_short_single_lines(name: str) -> None:
    with pytest.raises(InvalidCommand):
        identifier(name, "actor")
    with pytest.raises(InvalidCommand):
        report(actor=Actor(name, "reporter"))
    with pytest.raises(InvalidCommand):
        report().assign(name, Actor("admin-wong", "admin"), AT)


def test_the_net_catches_a_field_no_command_checks() -> None:
    """`site` and `via` have no command rule of their own beyond being identifiers; the net under
    every event (KaizenAggregate.trigger_event/_create) still refuses an unstorable value."""
    with pytest.raises(InvalidCommand, match="via"):
        report(actor=Actor("lina", "app", "expense\x00app"))
    with pytest.raises(InvalidCommand, match="site"):
        report(site="HK\x00")
    with pytest.raises(InvalidCommand, match="actor"):
        Suggestion.submit(
            "SG-1", title="t", description="d", module="hr", actor=Actor("x" * 12_000, "reporter"), occurred_at=AT
        )


def test_a_refusal_leaves_the_aggregate_as_it_was() -> None:
    issue = report()
    before = (issue.version, len(issue.pending_events), list(issue.comments))
    with pytest.raises(InvalidCommand):
        issue.comment("ok", "public", Actor("lina\x00", "reporter"), AT)
    assert (issue.version, len(issue.pending_events), list(issue.comments)) == before
