"""The vendor scorecard (`GET /reports/vendor-scorecard`) through HTTP on both stores: a small
quarter computed by hand, who may read whose scorecard, a bad quarter, the CSV, and the console
page with its print view."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import pytest

from interfaces.web.secret import SECRET_ENV
from tests.conftest import FakeClock, console_client, enrol_with_password
from tests.http.conftest import Api, build_app, issue_tokens

REPORT = "/api/v1/reports/vendor-scorecard"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday in 2026Q1; SAP P1 runs on the 24x7 calendar
LABELS = {"P1": "Very High", "P2": "High", "P3": "Medium", "P4": "Low"}
TERMS_V1: dict[str, Any] = {
    "labels_enforced": True,
    "labels": LABELS,
    "incident_quota": {"period": "quarter", "count": 2},
    "escalation_fees": {},
    "service_credits": [{"below_percent_met": 95, "credit_percent": 5}],
}
TERMS_V2: dict[str, Any] = {
    **TERMS_V1,
    "escalation_fees": {"P1": {"amount": "500.00", "currency": "USD"}},
    "service_credits": [
        {"below_percent_met": 95, "credit_percent": 5},
        {"below_percent_met": 80, "credit_percent": 10},
        {"below_percent_met": 50, "credit_percent": 25},
    ],
}
PASSWORD = "scorecard-console-pass-1"


@pytest.fixture
def recorded_on_the_clock(clock: FakeClock) -> Iterator[None]:
    """Events are recorded at the test's clock, as a live server records them at its own."""
    with patch("eventsourcing.domain.datetime_now_with_tzinfo", side_effect=lambda: clock.now):
        yield


@pytest.fixture
def console_api(store_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """`listing_api` with the console's signing key set (PostgreSQL deployments share no key file)."""
    monkeypatch.setenv(SECRET_ENV, "vendor-scorecard-console-test-signing-key-0123456789")
    built = build_app(store_url, clock, run_projections=True)
    try:
        yield Api(built, built.test_client(), issue_tokens(built.extensions["kaizen"].desk))
    finally:
        built.extensions["kaizen"].close()


def ok(answer: Any) -> int:
    """The command's log position (for `min_position=`), once it was accepted."""
    assert answer.status_code in (200, 201), answer.get_json()
    return int(answer.headers["X-Event-Position"])


def put_terms(api: Api, terms: dict[str, Any]) -> int:
    return ok(api.client.put("/api/v1/vendors/sap/terms", json=terms, headers=api.headers("admin", None)))


def escalate(api: Api, key: str, **body: Any) -> int:
    return ok(api.post(f"/api/v1/issues/{key}/escalate", {"vendor": "sap", "vendor_ticket": f"INC-{key}", **body}))


def small_quarter(api: Api, clock: FakeClock) -> int:
    """2026Q1 for SAP, all P1 (response 1 h, update 4 h, resolution 24 h, round the clock):

    - A: escalated at T0, SAP answers at +0:30, resolved at +2:00, reopened at +3:00, resolved
      again at +5:00;
    - B: escalated at T0, SAP answers only at +2:00, resolved at +30:00;
    - C: escalated at T0 over the quota (two a quarter) with a reason, under the terms' second
      version (a P1 fee of 500.00 USD), SAP answers at +0:15, resolved at +0:45;
    - after the quarter, a third version of the terms with other tiers, which Q1 must not use.

    Returns the last command's position."""
    clock.now = T0
    put_terms(api, TERMS_V1)
    a, b, c = api.report(), api.report(), api.report()
    escalate(api, a)
    escalate(api, b)
    put_terms(api, TERMS_V2)
    assert api.post(f"/api/v1/issues/{c}/escalate", {"vendor": "sap", "vendor_ticket": "INC-C"}).status_code == 409
    escalate(api, c, override_reason="Month-end close blocked; agreed with SAP")
    clock.advance(minutes=15)
    ok(api.post(f"/api/v1/issues/{c}/vendor-updates", {"message": "looking"}, as_="sap"))
    clock.advance(minutes=15)
    ok(api.post(f"/api/v1/issues/{a}/vendor-updates", {"message": "looking"}, as_="sap"))
    clock.advance(minutes=15)
    ok(api.post(f"/api/v1/issues/{c}/resolve", {"resolution": "note applied"}))
    clock.now = T0.replace(hour=3)
    ok(api.post(f"/api/v1/issues/{b}/vendor-updates", {"message": "finally"}, as_="sap"))
    ok(api.post(f"/api/v1/issues/{a}/resolve", {"resolution": "patched"}))
    clock.now = T0.replace(hour=4)
    ok(api.post(f"/api/v1/issues/{a}/reopen", {"reason": "came back at the next run"}))
    clock.now = T0.replace(hour=6)
    ok(api.post(f"/api/v1/issues/{a}/resolve", {"resolution": "patched properly"}))
    clock.now = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
    ok(api.post(f"/api/v1/issues/{b}/resolve", {"resolution": "workaround made permanent"}))
    clock.now = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
    return put_terms(api, {**TERMS_V2, "service_credits": [{"below_percent_met": 99, "credit_percent": 50}]})


def card(api: Api, query: str, position: int, as_: str = "admin") -> Any:
    return api.get(f"{REPORT}?{query}&min_position={position}", as_=as_)


@pytest.mark.usefixtures("recorded_on_the_clock")
def test_a_small_quarter_by_hand(listing_api: Api, clock: FakeClock) -> None:
    """The figures of `small_quarter`, by hand (hours are business hours on the 24x7 calendar):

    response: A 0.5 met, B 2.0 breached (target 1), C 0.25 met -> 3 clocks, 2 met, 1 breached,
      66.7 %; median of [0.25, 0.5, 2] = 0.5; p90 = nearest rank ceil(0.9 * 3) = 3rd = 2.0.
    update (a clock from the escalation to the first answer, then from each answer to the next
      or to the resolution): A 0.5 met, 1.5 met; B 2.0 met, 28.0 breached (03:00 to 07:00 the
      next day, target 4); C 0.25 met, 0.5 met -> 6 clocks, 5 met, 1 breached, 83.3 %; sorted
      [0.25, 0.5, 0.5, 1.5, 2, 28]: median (0.5 + 1.5) / 2 = 1.0; p90 = 6th = 28.0.
    resolution: A 2.0 met and, after the reopen, 2.0 met; B 30.0 breached (target 24); C 0.75
      met -> 4 clocks, 3 met, 1 breached, 75.0 %; sorted [0.75, 2, 2, 30]: median 2.0, p90 =
      ceil(3.6) = 4th = 30.0.
    all clocks: 13, 10 met, 3 breached -> 10 / 13 = 76.9 % met.
    service credit: terms v2 are in force at the quarter's end (v3 came after it); 76.9 is below
      95 and below 80, not below 50 -> the highest credit of the tiers crossed: 10 %.
    incidents: quota 2 a quarter; A, B and C (the override) counted -> 3 used of 2, 0 remaining.
    fees: only C was escalated under v2, which charges 500.00 USD for a P1 -> 500.00 USD, 1 paid.
    reopen rate: resolved in the quarter A, B, C (A twice, counted once) = 3; reopened A = 1
      -> 1 / 3 = 0.333.
    """
    api = listing_api
    position = small_quarter(api, clock)
    answer = card(api, "vendor=sap&quarter=2026Q1", position)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    figures = {kind: {k: v for k, v in row.items()} for kind, row in body["kinds"].items()}
    assert figures == {
        "response": {"clocks": 3, "met": 2, "breached": 1, "running": 0, "percent_met": 66.7, "timed": 3,
                     "median_hours": 0.5, "p90_hours": 2.0},
        "update": {"clocks": 6, "met": 5, "breached": 1, "running": 0, "percent_met": 83.3, "timed": 6,
                   "median_hours": 1.0, "p90_hours": 28.0},
        "resolution": {"clocks": 4, "met": 3, "breached": 1, "running": 0, "percent_met": 75.0, "timed": 4,
                       "median_hours": 2.0, "p90_hours": 30.0},
    }  # fmt: skip
    assert body["overall"] == {"clocks": 13, "met": 10, "breached": 3, "running": 0, "percent_met": 76.9}
    assert body["service_credit"] == {
        "percent_met": 76.9,
        "credit_percent": 10,
        "tier": {"below_percent_met": 80, "credit_percent": 10},
    }
    assert body["terms"]["version"] == 2 and body["terms"]["known"] is True
    assert body["incidents"] == {
        "period": "quarter",
        "period_key": "2026Q1",
        "quota": 2,
        "used": 3,
        "remaining": 0,
        "in_quarter": 3,
    }
    assert body["fees"] == [{"amount": "500.00", "currency": "USD", "escalations": 1}]
    assert body["reopen_rate"] == {"resolved": 3, "reopened": 1, "rate": 0.333}
    assert (body["vendor"], body["quarter"]) == ("sap", "2026Q1")

    # The clock figures are the compliance report's, kind by kind.
    for kind, row in figures.items():
        compliance = api.get(f"/api/v1/reports/sla-compliance?quarter=2026Q1&vendor=sap&kind={kind}").get_json()
        (same,) = compliance["items"]
        assert (same["met"], same["breached"], same["clocks"]) == (row["met"], row["breached"], row["clocks"])

    # Another quarter of the same vendor is empty, under the terms in force at its end (v3).
    q2 = card(api, "vendor=sap&quarter=2026Q2", position).get_json()
    assert q2["overall"]["clocks"] == 0 and q2["fees"] == [] and q2["reopen_rate"]["rate"] is None
    assert q2["terms"]["version"] == 3 and q2["service_credit"]["credit_percent"] == 0


@pytest.mark.usefixtures("recorded_on_the_clock")
def test_a_vendor_reads_its_own_scorecard_only(listing_api: Api, clock: FakeClock) -> None:
    api = listing_api
    position = small_quarter(api, clock)
    own = card(api, "vendor=sap&quarter=2026Q1", position, as_="sap")
    assert own.status_code == 200 and own.get_json()["overall"]["breached"] == 3
    implied = card(api, "quarter=2026Q1", position, as_="sap")  # a vendor's own, unnamed
    assert implied.status_code == 200 and implied.get_json()["vendor"] == "sap"
    rival = card(api, "vendor=oracle&quarter=2026Q1", position, as_="sap")
    assert rival.status_code == 404 and rival.content_type == "application/problem+json"
    assert "sap" not in rival.get_json()["detail"]
    spying = card(api, "vendor=sap&quarter=2026Q1", position, as_="oracle")
    assert spying.status_code == 404
    assert card(api, "vendor=sap&quarter=2026Q1", position, as_="auditor").get_json() == own.get_json()
    assert card(api, "vendor=sap&quarter=2026Q1", position, as_="reporter").status_code == 403


def test_bad_queries_are_422_problems(listing_api: Api) -> None:
    for bad in (
        "vendor=sap&quarter=2026Q5",
        "vendor=sap&quarter=26Q1",
        "vendor=sap&quarter=2026-Q1",
        "vendor=SAP!&quarter=2026Q1",
        "vendor=sap&quarter=2026Q1&format=xml",
        "quarter=2026Q1",  # an administrator names the vendor
    ):
        answer = listing_api.get(f"{REPORT}?{bad}")
        assert answer.status_code == 422, (bad, answer.get_json())
        assert answer.content_type == "application/problem+json" and answer.get_json()["detail"], bad


@pytest.mark.usefixtures("recorded_on_the_clock")
def test_the_csv_gives_the_same_figures(listing_api: Api, clock: FakeClock) -> None:
    api = listing_api
    position = small_quarter(api, clock)
    by_format = card(api, "vendor=sap&quarter=2026Q1&format=csv", position)
    by_accept = api.get(f"{REPORT}?vendor=sap&quarter=2026Q1&min_position={position}", headers={"Accept": "text/csv"})
    assert by_format.status_code == 200 and by_format.mimetype == "text/csv"
    assert by_accept.data == by_format.data
    assert "vendor-scorecard-sap-2026Q1.csv" in by_format.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(by_format.text)))
    assert list(rows[0]) == ["vendor", "quarter", "section", "subject", "metric", "value"]
    value = {(r["section"], r["subject"], r["metric"]): r["value"] for r in rows}
    assert value[("clocks", "response", "breached")] == "1"
    assert value[("clocks", "update", "p90_hours")] == "28.0"
    assert value[("clocks", "all", "percent_met")] == "76.9"
    assert value[("fees", "USD", "amount")] == "500.00"
    assert value[("service_credit", "", "credit_percent")] == "10"
    assert value[("incidents", "", "used")] == "3"
    assert value[("reopen_rate", "", "rate")] == "0.333"


@pytest.mark.usefixtures("recorded_on_the_clock")
def test_the_console_page_its_print_view_and_the_compliance_link(console_api: Api, clock: FakeClock) -> None:
    api = console_api
    position = small_quarter(api, clock)
    assert card(api, "vendor=sap&quarter=2026Q1", position).status_code == 200  # views caught up
    enrol_with_password(api.desk, "audrey.chan", ["auditor"], PASSWORD)
    enrol_with_password(api.desk, "sap.consultant", ["vendor:sap"], PASSWORD)
    auditor = console_client(api.app, login="audrey.chan", password=PASSWORD)

    compliance = auditor.get("/console/compliance?quarter=2026Q1&vendor=sap")
    assert compliance.status_code == 200
    link = re.search(r'href="(/console/reports/vendor-scorecard\?[^"]+)"', compliance.text)
    assert link is not None and "quarter=2026Q1" in link.group(1)

    page = auditor.get(link.group(1).replace("&amp;", "&"))
    assert page.status_code == 200, page.text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "Vendor scorecard — sap · 2026Q1" in text
    assert "76.9%" in text and "28.00 h" in text and "500.00 USD" in text
    assert "3 of 2 in 2026Q1" in text and "33.3%" in text and "terms version 2" in text
    assert 'class="main-nav"' in page.text

    printed = auditor.get("/console/reports/vendor-scorecard?vendor=sap&quarter=2026Q1&view=print")
    assert printed.status_code == 200
    assert 'class="main-nav"' not in printed.text and "<form" not in printed.text
    assert "500.00 USD" in printed.text and "76.9%" in printed.text

    download = auditor.get("/console/reports/vendor-scorecard.csv?vendor=sap&quarter=2026Q1")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.text.lstrip("\ufeff").startswith("vendor,quarter,section,subject,metric,value")

    refused = auditor.get("/console/reports/vendor-scorecard?vendor=sap&quarter=2026Q7")
    assert refused.status_code == 422
    assert 'value="2026Q7"' in refused.text and "Quarters are written like 2026Q3" in refused.text

    vendor = console_client(api.app, login="sap.consultant", password=PASSWORD)
    assert vendor.get("/console/reports/vendor-scorecard?quarter=2026Q1").status_code == 200
    assert vendor.get("/console/reports/vendor-scorecard?vendor=oracle&quarter=2026Q1").status_code == 404
