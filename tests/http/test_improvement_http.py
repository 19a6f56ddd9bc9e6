"""The continuous-improvement routes over HTTP, on both stores: meetings, freeze windows,
workarounds, the health check (JSON, CSV, HTML) and the suggestion leaderboard."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import Api, build_app, issue_tokens
from werkzeug.test import TestResponse

from interfaces.http import improvement, improvement_reports
from tests.conftest import FakeClock

V1 = "/api/v1"
PEOPLE = [{"name": "Ms Chan", "department": "finance"}, {"name": "Mr Lee", "department": "warehouse"}]
FREEZE = {
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


@pytest.fixture
def api(store_url: str, clock: FakeClock) -> Iterator[Api]:
    """An app with projections running and the improvement blueprints (registered here until the
    app factory lists them)."""
    clock.now = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
    app = build_app(store_url, clock, run_projections=True)
    smorest = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    for blueprint in (improvement.blp, improvement_reports.blp):
        if blueprint.name not in app.blueprints:
            smorest.register_blueprint(blueprint)
    try:
        yield Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))
    finally:
        app.extensions["kaizen"].close()


def put(api: Api, path: str, body: Any, as_: str = "admin", headers: dict[str, str] | None = None) -> TestResponse:
    return api.client.put(
        path, data=json.dumps(body), content_type="application/json", headers=api.headers(as_, headers)
    )


def caught_up(answer: TestResponse) -> str:
    return f"min_position={answer.headers['X-Event-Position']}"


def test_a_meeting_from_schedule_to_minutes(api: Api) -> None:
    created = api.post(
        f"{V1}/meetings", {"cadence": "monthly", "date": "2026-07-15", "attendees": PEOPLE, "title": "July review"}
    )
    assert created.status_code == 201, created.get_json()
    key = created.get_json()["key"]
    assert key == "MT-1" and created.headers["ETag"] == '"1"' and created.headers["Location"].endswith("/meetings/MT-1")
    idea = api.submit()
    other = api.submit(title="Print picking lists by zone")
    issue = api.report()
    workaround = api.post(
        f"{V1}/issues/{issue}/workarounds",
        {"kind": "manual_ledger", "description": "ledger", "retire_by": "2026-06-30"},
    )
    agenda = api.get(f"{V1}/meetings/{key}/agenda?{caught_up(workaround)}")
    assert agenda.status_code == 200, agenda.get_json()
    body = agenda.get_json()
    assert body["snapshot"] is False and [s["key"] for s in body["top_suggestions"]] == [idea, other]
    assert [w["issue_key"] for w in body["overdue_workarounds"]] == [issue]
    assert api.get(f"{V1}/meetings/{key}/agenda", as_="auditor").status_code == 200

    decided = api.post(
        f"{V1}/meetings/{key}/decisions",
        {"kind": "plan_suggestion", "subject": idea, "target_release": "2026.08"},
        headers={"If-Match": '"1"', "Idempotency-Key": "decide-1"},
    )
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["decision_id"] == "d1" and decided.headers["ETag"] == '"2"'
    replay = api.post(
        f"{V1}/meetings/{key}/decisions",
        {"kind": "plan_suggestion", "subject": idea, "target_release": "2026.08"},
        headers={"If-Match": '"1"', "Idempotency-Key": "decide-1"},
    )
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert api.get(f"{V1}/suggestions/{idea}").get_json()["status"] == "planned"
    stale = api.post(f"{V1}/meetings/{key}/decisions", {"kind": "note", "text": "x"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    rescheduled = api.post(
        f"{V1}/meetings/{key}/decisions",
        {"kind": "reschedule_workaround", "subject": issue, "workaround_id": "w1", "retire_by": "2026-09-30"},
    )
    assert rescheduled.status_code == 200, rescheduled.get_json()

    closed = api.post(f"{V1}/meetings/{key}/close", {"minutes": "Planned the handheld scanning."})
    assert closed.status_code == 200, closed.get_json()
    minutes = closed.get_json()
    assert minutes["status"] == "closed" and [d["kind"] for d in minutes["decisions"]] == [
        "plan_suggestion",
        "reschedule_workaround",
    ]
    # the agenda as it stood when the meeting closed: its decisions already applied
    assert [s["key"] for s in minutes["agenda"]["top_suggestions"]] == [other]
    assert minutes["agenda"]["overdue_workarounds"] == []
    snapshot = api.get(f"{V1}/meetings/{key}/agenda").get_json()
    assert snapshot["snapshot"] is True and snapshot["top_suggestions"] == minutes["agenda"]["top_suggestions"]
    late = api.post(f"{V1}/meetings/{key}/decisions", {"kind": "note", "text": "late"})
    assert late.status_code == 409 and late.get_json()["state"]["status"] == "closed"
    assert api.get(f"{V1}/meetings/{key}/history").get_json()["items"][-1]["type"] == "Closed"
    listed = api.get(f"{V1}/meetings?{caught_up(closed)}").get_json()["items"]
    assert [(m["key"], m["status"], m["decisions"]) for m in listed] == [(key, "closed", 2)]


@pytest.mark.parametrize(
    ("method", "path", "as_", "status"),
    [
        ("post", "/meetings", "reporter", 403),
        ("post", "/meetings", "auditor", 403),
        ("post", "/meetings", "sap", 403),
        ("get", "/meetings", "reporter", 403),
        ("get", "/meetings/MT-1/agenda", "sap", 403),
        ("get", "/meetings/MT-404", "admin", 404),
        ("get", "/meetings/not-a-key", "admin", 404),
        ("get", "/meetings", None, 401),
        ("get", "/reports/workarounds", "reporter", 403),
        ("get", "/reports/health-check", "sap", 403),
        ("get", "/reports/suggestions/top", "reporter", 403),
        ("get", "/freeze-windows", "reporter", 403),
        ("post", "/health-checks/2026Q3/measurements", "reporter", 403),
        ("post", "/health-checks/2026Q3/measurements", "auditor", 403),
        ("post", "/health-checks/2026Q9/measurements", "admin", 404),
    ],
)
def test_the_role_table(api: Api, method: str, path: str, as_: str | None, status: int) -> None:
    body = (
        {"cadence": "monthly", "date": "2026-07-15", "attendees": PEOPLE}
        if path == "/meetings"
        else {"module": "finance", "data_accuracy": 0.9}
    )
    answer = api.post(f"{V1}{path}", body, as_=as_) if method == "post" else api.get(f"{V1}{path}", as_=as_)
    assert answer.status_code == status, answer.get_json()


def test_schemas_refuse_unknown_fields_and_bad_values(api: Api) -> None:
    answer = api.post(f"{V1}/meetings", {"cadence": "monthly", "date": "2026-07-15", "attendees": PEOPLE, "x": 1})
    assert answer.status_code == 422 and "x" in answer.get_json()["errors"]
    answer = api.post(f"{V1}/meetings", {"cadence": "weekly", "date": "2026-07-15", "attendees": PEOPLE})
    assert answer.status_code == 422 and "cadence" in answer.get_json()["errors"]
    key = api.post(f"{V1}/meetings", {"cadence": "monthly", "date": "2026-07-15", "attendees": PEOPLE}).get_json()[
        "key"
    ]
    answer = api.post(
        f"{V1}/meetings/{key}/decisions", {"kind": "change_priority", "subject": "KZ-1", "priority": "P1"}
    )
    assert answer.status_code == 422 and "reason" in answer.get_json()["errors"]
    answer = api.post(f"{V1}/health-checks/2026Q3/measurements", {"module": "finance", "data_accuracy": 1.5})
    assert answer.status_code == 422 and "data_accuracy" in answer.get_json()["errors"]


def test_freeze_windows_over_http(api: Api) -> None:
    empty = api.get(f"{V1}/freeze-windows")
    assert empty.status_code == 200 and empty.get_json()["version"] == 0 and empty.headers["ETag"] == '"0"'
    assert put(api, f"{V1}/freeze-windows", FREEZE, as_="reporter").status_code == 403
    assert put(api, f"{V1}/freeze-windows", FREEZE, as_="auditor").status_code == 403
    bad = put(
        api,
        f"{V1}/freeze-windows",
        {**FREEZE, "windows": [{"name": "x", "from": "2026-01-01T00:00:00", "to": "2026-01-02T00:00:00Z"}]},
    )
    assert bad.status_code == 422 and "windows[0].from" in bad.get_json()["errors"]
    published = put(api, f"{V1}/freeze-windows", FREEZE, headers={"If-Match": '"0"'})
    assert published.status_code == 200, published.get_json()
    assert published.headers["ETag"] == '"1"' and published.get_json()["windows"][0]["from"] == "2026-06-10T10:00:00Z"
    assert put(api, f"{V1}/freeze-windows", FREEZE, headers={"If-Match": '"0"'}).status_code == 412
    assert api.get(f"{V1}/freeze-windows", as_="sap").get_json()["version"] == 1  # vendors plan around them
    check = api.get(f"{V1}/freeze-windows/check?at=2026-03-27T00:00:00%2B08:00").get_json()
    assert check["window"]["name"] == "month-end close 2026-03"
    assert api.get(f"{V1}/freeze-windows/check?at=2026-03-26T23:59:00%2B08:00").get_json()["window"] is None
    found = api.get(f"{V1}/freeze-windows/occurrences?from=2026-06-01T00:00:00Z&to=2026-07-01T00:00:00Z")
    assert [w["name"] for w in found.get_json()["items"]] == [
        "month-end close 2026-05",
        "Wave 2 go-live",
        "month-end close 2026-06",
    ]

    issue = api.report()
    refused = api.post(
        f"{V1}/issues/{issue}/changes",
        {"scheduled_for": "2026-06-11T10:00:00+08:00", "description": "apply the SAP note"},
    )
    assert refused.status_code == 409 and "Wave 2 go-live" in refused.get_json()["detail"]
    allowed = api.post(
        f"{V1}/issues/{issue}/changes",
        {
            "scheduled_for": "2026-06-11T10:00:00+08:00",
            "description": "apply the SAP note",
            "override_reason": "go-live blocker",
        },
    )
    assert allowed.status_code == 200, allowed.get_json()
    history = api.get(f"{V1}/issues/{issue}/history").get_json()["items"]
    change = next(e for e in history if e["type"] == "ChangeScheduled")["data"]
    assert (change["freeze_window"], change["override_reason"]) == ("Wave 2 go-live", "go-live blocker")


def test_the_workaround_report_in_json_and_csv(api: Api) -> None:
    issue = api.report()
    api.post(
        f"{V1}/issues/{issue}/workarounds",
        {"kind": "manual_ledger", "description": "ledger", "retire_by": "2026-06-30", "owner": "ms-chan"},
    )
    last = api.post(
        f"{V1}/issues/{issue}/workarounds",
        {"kind": "manual_report", "description": "手工报表", "retire_by": "2026-12-31"},
    )
    overdue = api.get(f"{V1}/reports/workarounds?overdue=true&{caught_up(last)}", as_="auditor")
    assert [(w["workaround_id"], w["owner"], w["days_overdue"]) for w in overdue.get_json()["items"]] == [
        ("w1", "ms-chan", 1)
    ]
    table = api.get(f"{V1}/reports/workarounds", headers={"Accept": "text/csv"})
    assert table.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(table.get_data(as_text=True))))
    assert [(r["workaround_id"], r["overdue"], r["description"]) for r in rows] == [
        ("w1", "True", "ledger"),
        ("w2", "False", "手工报表"),
    ]


def test_the_health_check_in_json_csv_and_html(api: Api) -> None:
    posted = api.post(
        f"{V1}/health-checks/2026Q3/measurements",
        {"module": "finance", "data_accuracy": 0.97, "process_execution_rate": 0.62, "user_activity": 0.64},
    )
    assert posted.status_code == 201, posted.get_json()
    by_app = api.post(
        f"{V1}/health-checks/2026Q3/measurements",
        {"module": "warehouse", "user_activity": 0.55, "source": "erp-sync"},
        as_="app",
    )
    assert by_app.status_code == 201, by_app.get_json()
    assert [m["module"] for m in by_app.get_json()["measurements"]] == ["finance", "warehouse"]
    assert api.get(f"{V1}/health-checks/2026Q3", as_="auditor").get_json()["version"] == 3
    wait = caught_up(by_app)
    report = api.get(f"{V1}/reports/health-check?quarter=2026Q3&{wait}", as_="auditor")
    assert report.status_code == 200, report.get_json()
    body = report.get_json()
    assert body["quarter"] == "2026Q3"
    assert {(r["rule"], r["subject"]) for r in body["recommendations"]} == {
        ("process_review", "finance"),
        ("adoption", "warehouse"),
    }
    current = api.get(f"{V1}/reports/health-check").get_json()
    assert current["quarter"] == "2026Q3"  # the clock stands in July 2026
    table = api.get(f"{V1}/reports/health-check?quarter=2026Q3", headers={"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(table.get_data(as_text=True))))
    assert {
        "quarter": "2026Q3",
        "section": "module",
        "subject": "finance",
        "metric": "process_execution_rate",
        "value": "0.62",
    } in rows
    page = api.get(
        f"{V1}/reports/health-check?quarter=2026Q3", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "ERP health check — 2026Q3" in text and "process review — finance" in text and "62%" in text
    assert api.get(f"{V1}/reports/health-check?quarter=2026Q3&format=html").mimetype == "text/html"
    assert api.get(f"{V1}/reports/health-check?quarter=2026-3").status_code == 422


def test_suggestion_leaderboard_and_possible_duplicates(api: Api) -> None:
    first = api.post(f"{V1}/suggestions", {"title": "月结报表导出太慢", "description": "d", "module": "finance"})
    read = api.app.extensions["kaizen"].read
    assert read.wait_for(int(first.headers["X-Event-Position"]), timeout=10)
    second = api.post(f"{V1}/suggestions", {"title": "月结报表导出速度慢", "description": "d", "module": "finance"})
    assert second.status_code == 201
    assert [d["key"] for d in second.get_json()["possible_duplicates"]] == [first.get_json()["key"]]
    vote = api.post(f"{V1}/suggestions/{second.get_json()['key']}/votes", as_="reporter2")
    top = api.get(f"{V1}/reports/suggestions/top?quarter=2026Q3&{caught_up(vote)}").get_json()
    assert top["top_suggesters"] == [{"submitter": "admin-wong", "submitted": 2, "votes_received": 1, "implemented": 0}]
    assert top["top_suggestions"][0]["key"] == second.get_json()["key"]
    table = api.get(f"{V1}/reports/suggestions/top?format=csv")
    assert table.get_data(as_text=True).splitlines()[0] == "quarter,currency,count,total"
