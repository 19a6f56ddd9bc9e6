"""`GET /reports/sla-compliance?count=incidents`, on both stores: an incident counted once, with
the people it affects (duplicates' reporters and "me too"s included), live and `as_of`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import pytest

from interfaces.web.secret import SECRET_ENV
from tests.conftest import FakeClock, console_client
from tests.http.conftest import Api

REPORT = "/api/v1/reports/sla-compliance"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def recorded_on_the_clock(clock: FakeClock) -> Iterator[None]:
    """Events are recorded at the test's clock, so `as_of` can fall between two of them."""
    clock.now = START
    with patch("eventsourcing.domain.datetime_now_with_tzinfo", side_effect=lambda: clock.now):
        yield


def _ok(answer: Any) -> int:
    assert answer.status_code in (200, 201), answer.get_json()
    return int(answer.headers["X-Event-Position"])


def _internal(api: Api, query: str, position: int) -> dict[str, Any]:
    """The `vendor=internal` row of the report: the internal clocks of every issue."""
    answer = api.get(f"{REPORT}?group_by=vendor&min_position={position}{query}")
    assert answer.status_code == 200, answer.get_json()
    return next(row for row in answer.get_json()["items"] if row["vendor"] == "internal")


@pytest.fixture
def console_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console's signing key, set before the app is built (PostgreSQL deployments need it)."""
    monkeypatch.setenv(SECRET_ENV, "incident-console-test-signing-key-0123456789")


@pytest.mark.usefixtures("console_on", "recorded_on_the_clock")
def test_an_incident_is_counted_once_with_everyone_it_affects(listing_api: Api, clock: FakeClock) -> None:
    api = listing_api
    original = api.report()  # lina reports it
    clock.advance(minutes=5)
    again = api.report(as_="reporter2")  # minh reports the same problem
    clock.advance(minutes=5)
    third = api.report(as_="reporter2")  # and once more, duplicating his own report
    clock.advance(minutes=5)
    api.report()  # lina, something else
    clock.advance(minutes=5)
    before_links = clock.now
    clock.advance(minutes=5)
    _ok(api.post(f"/api/v1/issues/{again}/links", {"kind": "duplicate_of", "target": original}))
    _ok(api.post(f"/api/v1/issues/{third}/links", {"kind": "duplicate_of", "target": again}))  # a chain
    _ok(api.post(f"/api/v1/issues/{again}/affected"))  # the administrator: me too, on a duplicate
    position = _ok(api.post(f"/api/v1/issues/{original}/affected", as_="reporter2"))  # minh again: once

    # Per clock (the default, unchanged): four issues, two internal clocks each.
    per_clock = _internal(api, "", position)
    assert per_clock["clocks"] == 8 and "incidents" not in per_clock
    # Per incident: the duplicates' clocks are left out; lina, minh and the administrator are
    # affected by the original, lina by the other issue: three people in all.
    per_incident = _internal(api, "&count=incidents", position)
    assert (per_incident["clocks"], per_incident["incidents"], per_incident["affected_count"]) == (4, 2, 3)
    assert per_incident["running"] == 4 and per_incident["percent_met"] is None
    by_priority = api.get(f"{REPORT}?group_by=priority&count=incidents&min_position={position}").get_json()["items"]
    assert [(r["priority"], r["incidents"], r["affected_count"]) for r in by_priority] == [("P1", 2, 3)]

    # As it stood before the links: four incidents, each affecting its reporter.
    stamp = before_links.isoformat().replace("+00:00", "Z")
    then = _internal(api, f"&count=incidents&as_of={stamp}", position)
    assert (then["clocks"], then["incidents"], then["affected_count"]) == (8, 4, 2)
    # And as_of now agrees with the live figures.
    now = _internal(api, f"&count=incidents&as_of={clock.now.isoformat().replace('+00:00', 'Z')}", position)
    assert now == per_incident

    # The console's compliance page offers the same count, with the same figures.
    console = console_client(api.app, token=api.tokens["admin"])
    page = console.get("/console/compliance?from=2026-03&to=2026-03&vendor=internal&count=incidents")
    assert page.status_code == 200
    row = re.search(r"<tr><th scope=\"row\">2026-03</th><td>internal</td>(.*?)</tr>", page.text, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
    assert (cells[0], cells[-2], cells[-1]) == ("4", "2", "3")  # clocks, incidents, people affected
    assert '<option value="incidents" selected>' in page.text
    download = console.get("/console/compliance.csv?from=2026-03&to=2026-03&vendor=internal&count=incidents")
    assert download.status_code == 200
    assert "incidents,affected_count" in download.text.splitlines()[0]


def test_count_is_validated(listing_api: Api) -> None:
    answer = listing_api.get(f"{REPORT}?count=people")
    assert answer.status_code == 422 and "count" in answer.get_json()["errors"]
