"""Tamper evidence, export and bitemporal import on both stores."""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest

from application.audit import export_jsonl, verify
from application.desk import KaizenDesk
from application.importer import ImportLineError, import_text
from interfaces.http.schemas.import_lines import IMPORT_RULES
from tests.conftest import REPORTER, VENDOR_SAP, FakeClock, ctx, enrol_assignees

ISSUE: dict[str, Any] = dict(
    title="AP invoice stuck",
    description="d",
    module="finance",
    impact_scope="team",
    urgency="degraded",
    vendor="oracle",
)


def _history(desk: KaizenDesk) -> str:
    key = desk.report(ctx(REPORTER), **ISSUE).key
    enrol_assignees(desk, "admin-wong")  # after the report, so the log still opens with it
    desk.triage(ctx(), key, assignee="admin-wong")
    desk.escalate(ctx(), key, vendor="sap", vendor_ticket="INC-1")
    desk.record_vendor_update(ctx(VENDOR_SAP), key, message="update")
    desk.resolve(ctx(), key, resolution="done")
    desk.report(ctx(REPORTER), **ISSUE)
    return key


def _execute(store_url: str, statement: str, params: tuple[object, ...] = ()) -> None:
    """Tamper with the stored rows directly, as an attacker with database access would."""
    if store_url.startswith("sqlite"):
        conn = sqlite3.connect(store_url.removeprefix("sqlite:///"))
        conn.execute(statement.replace("%s", "?"), params)
        conn.commit()
        conn.close()
    else:
        import psycopg

        with psycopg.connect(store_url, autocommit=True) as pg:
            pg.execute(statement, params)


def _table(store_url: str) -> str:
    return "stored_events" if store_url.startswith("sqlite") else "kaizen_events"


def test_untouched_store_verifies_clean(desk: KaizenDesk) -> None:
    _history(desk)
    report = verify(desk)
    assert report.ok and report.events >= 8


@pytest.mark.parametrize("tamper", ["change_field", "delete_event", "swap_events"])
def test_tampering_is_detected_and_named(desk: KaizenDesk, store_url: str, tamper: str) -> None:
    key = _history(desk)
    table = _table(store_url)
    iid = desk.aggregate_id_of(key)
    ident: object = str(iid) if store_url.startswith("postgres") else iid.hex  # SQLite keeps hex text
    if tamper == "change_field":
        state = _read_state(store_url, table, ident, 3)
        _execute(
            store_url,
            f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = 3",
            (state.replace(b"INC-1", b"INC-9"), ident),
        )
        expected = 3
    elif tamper == "delete_event":
        _execute(store_url, f"DELETE FROM {table} WHERE originator_id = %s AND originator_version = 2", (ident,))
        expected = 2
    else:
        two, three = _read_state(store_url, table, ident, 2), _read_state(store_url, table, ident, 3)
        _execute(
            store_url,
            f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = 2",
            (three, ident),
        )
        _execute(
            store_url,
            f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = 3",
            (two, ident),
        )
        expected = 2
    report = verify(desk)
    assert [(b.name, b.version) for b in report.broken] == [(key, expected)]


def _read_state(store_url: str, table: str, ident: object, version: int) -> bytes:
    if store_url.startswith("sqlite"):
        conn = sqlite3.connect(store_url.removeprefix("sqlite:///"))
        row = conn.execute(
            f"SELECT state FROM {table} WHERE originator_id = ? AND originator_version = ?", (ident, version)
        ).fetchone()
        conn.close()
        return bytes(row[0])
    import psycopg

    with psycopg.connect(store_url) as pg:
        row = pg.execute(
            f"SELECT state FROM {table} WHERE originator_id = %s AND originator_version = %s", (ident, version)
        ).fetchone()
        assert row is not None
        return bytes(row[0])


def test_export_streams_every_event_in_order(desk: KaizenDesk) -> None:
    _history(desk)
    out = io.StringIO()
    count = export_jsonl(desk, out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(lines) == desk.recorder.max_notification_id()
    assert [e["position"] for e in lines] == sorted(e["position"] for e in lines)
    assert lines[0]["type"].endswith("Reported") or lines[0]["type"].endswith("Started")


IMPORT = "\n".join(
    json.dumps(line, ensure_ascii=False)
    for line in [
        {
            "at": "2026-03-02T09:15:00+08:00",
            "actor": "lina",
            "role": "reporter",
            "via": None,
            "command": "report",
            "ref": "r-17",
            "data": {
                "title": "月结报表数字不对",
                "description": "Trial balance off by 0.01",
                "module": "reporting",
                "impact_scope": "department",
                "urgency": "degraded",
                "vendor": "multiable",
                "site": "HK",
            },
        },
        {
            "at": "2026-03-02T10:00:00+08:00",
            "actor": "wong",
            "role": "admin",
            "via": None,
            "command": "triage",
            "ref": "r-17",
            "data": {"assignee": "wong"},
        },
        {
            "at": "2026-03-02T11:00:00+08:00",
            "actor": "wong",
            "role": "admin",
            "via": None,
            "command": "escalate",
            "ref": "r-17",
            "data": {"vendor": "multiable", "vendor_ticket": "MA-2026-0301"},
        },
        {
            "at": "2026-03-03T09:30:00+08:00",
            "actor": "ma-support",
            "role": "vendor:multiable",
            "via": None,
            "command": "vendor-updates",
            "ref": "r-17",
            "data": {"message": "Rounding rule fixed in patch 8.1"},
        },
        {
            "at": "2026-03-04T09:30:00+08:00",
            "actor": "wong",
            "role": "admin",
            "via": None,
            "command": "resolve",
            "ref": "r-17",
            "data": {"resolution": "Patch applied"},
        },
    ]
)


def test_import_keeps_business_time_and_is_rerunnable(desk: KaizenDesk, clock: FakeClock) -> None:
    enrol_assignees(desk, "wong")
    refs = import_text(desk, IMPORT, IMPORT_RULES)
    assert refs == {"r-17": "KZ-1"}
    history = desk.history("KZ-1")
    assert [h["type"] for h in history] == ["Reported", "Triaged", "EscalatedToVendor", "VendorUpdated", "Resolved"]
    assert history[0]["occurred_at"] == datetime(2026, 3, 2, 1, 15, tzinfo=UTC)
    assert history[0]["recorded_at"] != history[0]["occurred_at"]
    # a re-run (after a crash, say) adds nothing and maps refs to the same keys
    before = desk.recorder.max_notification_id()
    assert import_text(desk, IMPORT, IMPORT_RULES) == refs
    assert desk.recorder.max_notification_id() == before


def test_import_validates_whole_file_before_writing(desk: KaizenDesk) -> None:
    enrol_assignees(desk, "wong")
    head = desk.recorder.max_notification_id()
    bad = (
        IMPORT
        + "\n"
        + json.dumps(
            {
                "at": "2026-03-05T09:00:00+08:00",
                "actor": "wong",
                "role": "admin",
                "command": "close",
                "ref": "r-99",
                "data": {},
            }
        )
    )
    with pytest.raises(ImportLineError, match="line 6: ref 'r-99' is not defined"):
        import_text(desk, bad, IMPORT_RULES)
    assert desk.recorder.max_notification_id() == head
    refused = (
        IMPORT
        + "\n"
        + json.dumps(
            {
                "at": "2026-03-05T09:00:00+08:00",
                "actor": "wong",
                "role": "admin",
                "command": "reopen",
                "ref": "r-17",
                "data": {"reason": "x"},
            }
        )
        + "\n"
        + json.dumps(
            {
                "at": "2026-03-05T09:01:00+08:00",
                "actor": "wong",
                "role": "admin",
                "command": "reopen",
                "ref": "r-17",
                "data": {"reason": "twice"},
            }
        )
    )
    with pytest.raises(ImportLineError, match="line 7: cannot reopen"):
        import_text(desk, refused, IMPORT_RULES)
    with pytest.raises(ImportLineError, match="line 1: not valid JSON"):
        import_text(desk, "{nope", IMPORT_RULES)
    assert desk.recorder.max_notification_id() == head


def test_csv_register_with_chinese_headers_imports(desk: KaizenDesk) -> None:
    from pathlib import Path

    from application.register_csv import csv_to_jsonl

    sample = Path(__file__).resolve().parents[2] / "application" / "samples" / "issue_register.csv"
    refs = import_text(desk, csv_to_jsonl(sample.read_text(encoding="utf-8")), IMPORT_RULES)
    assert set(refs) == {"R-001", "R-002", "R-003", "R-004"}
    first = desk.get_issue(refs["R-001"])
    assert first.title == "月结凭证无法过账" and first.module == "finance" and first.status == "resolved"
    assert first.reported_at == datetime(2026, 7, 2, 1, 10, tzinfo=UTC)  # 09:10 Hong Kong time
    assert desk.get_issue(refs["R-003"]).status == "closed"
    assert desk.get_issue(refs["R-004"]).vendor == "internal"


def test_csv_register_names_the_bad_line(desk: KaizenDesk) -> None:
    from application.register_csv import csv_to_jsonl

    text = "title,occurred_at,reporter,module,impact_scope,urgency\nBroken,yesterday,lina,finance,team,minor\n"
    with pytest.raises(ImportLineError, match="line 2: occurred_at 'yesterday'"):
        csv_to_jsonl(text)
    with pytest.raises(ImportLineError, match="missing columns"):
        csv_to_jsonl("title\nx\n")


def _bulk_issues(desk: KaizenDesk, count: int, start: int) -> None:
    """Many reports in few transactions: enough events to see whether export memory grows."""
    from domain.issue import Issue

    for first in range(start, start + count, 250):
        issues = [
            Issue.report(
                f"KZ-{n}",
                title=f"Issue {n} 月结",
                description="d" * 200,
                module="finance",
                impact_scope="team",
                urgency="minor",
                vendor="sap",
                actor=REPORTER,
                occurred_at=datetime(2026, 3, 2, tzinfo=UTC),
            )
            for n in range(first, min(first + 250, start + count))
        ]
        desk.save(*issues)


def _export_peak(desk: KaizenDesk) -> tuple[int, int]:
    import tracemalloc

    class Discard(io.TextIOBase):
        def write(self, text: str) -> int:
            return len(text)

    tracemalloc.start()
    count = export_jsonl(desk, Discard())  # type: ignore[arg-type]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return count, peak


def test_export_memory_does_not_grow_with_the_log(desk: KaizenDesk) -> None:
    # Past two read batches (2 x 2,000 rows), the peak must not grow with the log.
    _bulk_issues(desk, 4_000, 1)
    small_count, small_peak = _export_peak(desk)
    _bulk_issues(desk, 12_000, 4_001)
    large_count, large_peak = _export_peak(desk)
    assert (small_count, large_count) == (4_000, 16_000)
    assert large_peak < small_peak * 1.25  # four times the events, about the same memory


def test_signing_secrets_are_redacted_in_every_log_read_but_still_verified(desk: KaizenDesk) -> None:
    _, secret = desk.create_subscription(
        ctx(), kind="email", target="erp-team@example.com", events=["issue.reported"], language="en"
    )
    assert secret
    out = io.StringIO()
    export_jsonl(desk, out)
    assert secret not in out.getvalue() and "[redacted]" in out.getvalue()
    assert verify(desk).ok  # the chain is checked over the stored (unredacted) event


def test_import_crashing_halfway_then_rerun_leaves_no_duplicates_and_no_gaps(
    desk: KaizenDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    import application.importer as importer

    real_run = importer.Replayer.run
    calls = {"live": 0}

    def crash_on_fourth_live_line(self: importer.Replayer, line: importer.Line) -> object:
        if self.desk is desk:
            calls["live"] += 1
            if calls["live"] == 4:
                raise KeyboardInterrupt("power cut")  # not an import error: the process dies here
        return real_run(self, line)

    enrol_assignees(desk, "wong")
    monkeypatch.setattr(importer.Replayer, "run", crash_on_fourth_live_line)
    with pytest.raises(KeyboardInterrupt):
        import_text(desk, IMPORT, IMPORT_RULES)
    assert [h["type"] for h in desk.history("KZ-1")] == ["Reported", "Triaged", "EscalatedToVendor"]
    monkeypatch.setattr(importer.Replayer, "run", real_run)
    assert import_text(desk, IMPORT, IMPORT_RULES) == {"r-17": "KZ-1"}
    assert [h["type"] for h in desk.history("KZ-1")] == [
        "Reported",
        "Triaged",
        "EscalatedToVendor",
        "VendorUpdated",
        "Resolved",
    ]
    with pytest.raises(Exception, match="KZ-2"):
        desk.get_issue("KZ-2")  # nothing was reported twice


def test_the_shipped_three_month_vendor_history_imports_and_verifies(desk: KaizenDesk) -> None:
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "application" / "samples" / "multiable_three_months.jsonl"
    enrol_assignees(desk, "admin-wong")  # the sample assigns its issues to them (see docs/reference.md)
    refs = import_text(desk, sample.read_text(encoding="utf-8"), IMPORT_RULES)
    assert len(refs) == 12
    first = desk.get_issue(refs["ma-01"])
    assert first.status == "closed" and first.escalation is not None and first.escalation["vendor"] == "multiable"
    as_of = desk.version_as_of(refs["ma-01"], datetime(2026, 6, 1, 3, 0, tzinfo=UTC), axis="occurred")
    assert desk.get_issue(refs["ma-01"], version=as_of).status == "escalated"  # 11:00 Hong Kong time
    assert verify(desk).ok
