"""Import lines are held to the HTTP schemas and the domain's rules, and rehearsed on the live keys.

Each case below was accepted before and then stopped every view for good (a time no view can
convert, a NUL PostgreSQL cannot store, an actor too long for an index row), or answered a
500, or was rehearsed against keys the real run would not allocate.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from application.desk import KaizenDesk
from application.importer import ImportLineError, import_text
from interfaces.http.schemas.import_lines import IMPORT_RULES
from tests.conftest import ADMIN, REPORTER, ctx, enrol_assignees

REPORT: dict[str, Any] = {
    "title": "GL posting fails",
    "description": "Month-end close is blocked",
    "module": "finance",
    "impact_scope": "department",
    "urgency": "blocking",
    "vendor": "sap",
}


def line(**changes: Any) -> str:
    base: dict[str, Any] = {
        "at": "2026-03-02T09:15:00+08:00",
        "actor": "lina",
        "role": "reporter",
        "via": None,
        "command": "report",
        "ref": "r-1",
        "data": dict(REPORT),
    }
    base.update(changes)
    return json.dumps(base, ensure_ascii=False)


def refused(desk: KaizenDesk, text: str, match: str) -> None:
    with pytest.raises(ImportLineError, match=match):
        import_text(desk, text, IMPORT_RULES)
    assert not desk.recorder.max_notification_id(), "a refused import wrote something"


@pytest.mark.parametrize(
    "at",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1969-12-31T23:59:59Z", "2201-01-01T00:00:00Z"],
)
def test_a_time_no_view_can_hold_is_refused_with_its_line(desk: KaizenDesk, at: str) -> None:
    refused(desk, line(at=at), r"line 1: 'at' must be between 1970 and 2200")


def test_times_inside_the_data_are_held_to_the_same_bounds(desk: KaizenDesk) -> None:
    data = dict(REPORT, noticed_at="0001-01-01T00:00:00+14:00")
    refused(desk, line(data=data), r"line 1: 'data.noticed_at'")


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("title", "GL\x00posting", r"line 1: 'data.title' must not contain control characters"),
        ("title", "GL\u0085posting", r"line 1: 'data.title' must not contain control characters"),
        ("description", "bell \x07", r"line 1: 'data.description' must not contain control characters"),
        ("title", "x" * 301, r"line 1: 'data.title' Length must be between 1 and 300"),
    ],
)
def test_text_no_view_can_hold_is_refused(desk: KaizenDesk, field: str, value: str, match: str) -> None:
    refused(desk, line(data=dict(REPORT, **{field: value})), match)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"actor": "a" * 12_000}, r"line 1: 'actor' Length must be between 1 and 200"),
        ({"actor": "lina\nwong"}, r"line 1: 'actor'"),
        ({"actor": "lina\x00"}, r"line 1: 'actor'"),
        ({"role": "superuser"}, r"line 1: 'role' is not a role"),
        ({"role": "vendor:sap\x00"}, r"line 1: 'role' is not a role"),
        ({"ref": "r\t1"}, r"line 1: 'ref'"),
        ({"via": "x" * 201}, r"line 1: 'via'"),
        ({"data": {**REPORT, "colour": "red"}}, r"line 1: 'data.colour' Unknown field"),
        ({"extra": 1}, r"line 1: 'extra' Unknown field"),
    ],
)
def test_the_envelope_is_validated_like_an_http_caller(desk: KaizenDesk, changes: dict[str, Any], match: str) -> None:
    refused(desk, line(**changes), match)


def test_a_deeply_nested_line_is_a_line_error_not_a_crash(desk: KaizenDesk) -> None:
    deep = '{"data": ' * 100_000 + "{}" + "}" * 100_000
    refused(desk, deep, r"line 1: (nested too deeply|not valid JSON)")
    nested = line(data={**REPORT, "title": {"a": {"b": ["c"]}}})
    refused(desk, nested, r"line 1: 'data.title' Not a valid string")


def test_a_line_that_is_not_utf8_is_named(desk: KaizenDesk) -> None:
    from io import BytesIO

    from application.importer import ImportNotText, import_stream

    with pytest.raises(ImportNotText, match="line 2: not UTF-8"):
        import_stream(desk, BytesIO(line().encode() + b"\n\xff\xfe\n"), IMPORT_RULES)


def test_the_rehearsal_sees_the_live_keys(desk: KaizenDesk) -> None:
    """Merging into an existing SG-1 was rehearsed on an empty copy: 'merged into itself'."""
    existing = desk.submit_suggestion(ctx(REPORTER), title="Scan receipts", description="d", module="warehouse")
    desk.report(ctx(REPORTER), **REPORT)
    text = "\n".join(
        [
            line(
                command="suggest",
                ref="s-1",
                data={"title": "Scan receipts too", "description": "d", "module": "warehouse"},
            ),
            line(
                at="2026-03-02T10:00:00+08:00",
                actor="admin-wong",
                role="admin",
                command="merge",
                ref="s-1",
                data={"into": existing.key},
            ),
            line(at="2026-03-02T11:00:00+08:00", ref="r-1"),
        ]
    )
    refs = import_text(desk, text, IMPORT_RULES)
    assert refs == {"s-1": "SG-2", "r-1": "KZ-2"}  # the keys continue the live sequences
    assert desk.get_suggestion("SG-2").status == "merged"
    assert desk.get_suggestion("SG-2").merged_into == existing.key


def test_a_line_refused_because_of_live_state_is_refused_before_anything_is_written(desk: KaizenDesk) -> None:
    """The rehearsal reads live aggregates: a merge into a live suggestion that is already
    merged away is refused in the rehearsal, so the lines before it are not written either."""
    first = desk.submit_suggestion(ctx(REPORTER), title="A", description="d", module="warehouse").key
    second = desk.submit_suggestion(ctx(REPORTER), title="B", description="d", module="warehouse").key
    desk.merge(ctx(ADMIN), second, into=first)
    head = desk.recorder.max_notification_id()
    text = "\n".join(
        [
            line(command="suggest", ref="s-1", data={"title": "C", "description": "d", "module": "warehouse"}),
            line(
                at="2026-03-02T10:00:00+08:00",
                actor="admin-wong",
                role="admin",
                command="merge",
                ref="s-1",
                data={"into": second},
            ),
        ]
    )
    with pytest.raises(ImportLineError, match="line 2"):
        import_text(desk, text, IMPORT_RULES)
    assert desk.recorder.max_notification_id() == head


def test_an_import_that_assigns_someone_unknown_is_refused_at_that_line(desk: KaizenDesk) -> None:
    """Import lines go through the same commands as the API: an assignee must be an active
    person or a group, so a typo in the register is named by its line and nothing is written."""
    enrol_assignees(desk, "admin-wong")
    head = desk.recorder.max_notification_id()

    def triage(assignee: str) -> str:
        return line(
            at="2026-03-02T10:00:00+08:00", actor="admin-wong", role="admin", command="triage",
            ref="r-1", data={"assignee": assignee},
        )  # fmt: skip

    with pytest.raises(ImportLineError, match=r"line 2: .*assignee 'admin-wnog' is not an active person or a group"):
        import_text(desk, "\n".join([line(), triage("admin-wnog")]), IMPORT_RULES)
    assert desk.recorder.max_notification_id() == head, "a refused import wrote something"
    assert import_text(desk, "\n".join([line(), triage("admin-wong")]), IMPORT_RULES) == {"r-1": "KZ-1"}
    assert desk.get_issue("KZ-1").assignee == "admin-wong"
