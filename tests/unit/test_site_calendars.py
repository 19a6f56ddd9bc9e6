"""Calendars per site in the SLA engine: which calendar a clock counts on (`calendar_for`),
and a Jakarta clock against a Hong Kong one (due times worked out by hand)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from domain.sla_clocks import SlaFact, compute_clocks
from domain.sla_defaults import DEFAULT_POLICIES
from domain.sla_policy_document import PolicyDocumentError, SlaPolicyDocument

INTERNAL = SlaPolicyDocument.from_document(DEFAULT_POLICIES["internal"])


def test_office_hours_targets_follow_the_site_and_round_the_clock_ones_do_not() -> None:
    doc = copy.deepcopy(DEFAULT_POLICIES["internal"])
    doc["calendars"]["always"] = "24x7"
    doc["targets"]["P1"]["calendar"] = "always"
    policy = SlaPolicyDocument.from_document(doc)
    assert policy.calendar_for("P1", "JKT").is_24x7  # around the clock wherever the issue is
    assert policy.calendar_for("P2", "JKT").name == "jkt-office"
    assert policy.calendar_for("P2", "jkt").name == "jkt-office"  # sites ignore case
    assert policy.calendar_for("P2", "KL").name == "hk-office"  # a site not listed
    assert policy.calendar_for("P2").name == "hk-office"  # no site


def test_site_calendars_are_validated_and_left_out_when_empty() -> None:
    doc = copy.deepcopy(DEFAULT_POLICIES["internal"])
    doc["site_calendars"] = {}
    assert "site_calendars" not in SlaPolicyDocument.from_document(doc).to_document()
    for bad, path in (
        ({"JKT": "mars-office"}, "site_calendars.JKT"),
        ({"JKT": "jkt-office", "Jkt": "hk-office"}, "site_calendars.Jkt"),
        ({" JKT": "jkt-office"}, "site_calendars"),
        (["JKT"], "site_calendars"),
    ):
        with pytest.raises(PolicyDocumentError) as caught:
            SlaPolicyDocument.from_document({**doc, "site_calendars": bad})
        assert caught.value.path == path


def _due(site: str | None, priority_change: bool = False) -> list[str]:
    """Internal P1 (response PT30M, resolution PT8H) reported Wed 18 Mar 2026 10:45Z."""
    at = datetime(2026, 3, 18, 10, 45, tzinfo=UTC)
    facts = [SlaFact("reported", at, at, priority="P1", site=site)]
    if priority_change:  # re-targeted from the same start, still on the site's calendar
        later = datetime(2026, 3, 18, 10, 50, tzinfo=UTC)
        facts.append(SlaFact("priority_changed", later, later, priority="P2"))
    clocks = compute_clocks(facts, lambda vendor, when: (0, INTERNAL), at)
    return [c.due_at.isoformat() for c in clocks]


def test_a_jakarta_clock_skips_nyepi_and_a_hong_kong_one_does_not() -> None:
    # Jakarta (UTC+7): 17:45-18:00 on Wed, Nyepi on Thu 19 Mar, Fri opens 09:00 = 02:00Z.
    assert _due("JKT") == ["2026-03-20T02:15:00+00:00", "2026-03-20T09:45:00+00:00"]
    # Hong Kong (UTC+8): closed at 18:45; Thu opens 09:00 = 01:00Z.
    assert _due("HK") == _due(None) == ["2026-03-19T01:30:00+00:00", "2026-03-19T09:00:00+00:00"]
    # P2 (PT2H, PT27H) from the same start on Jakarta's hours: 15 min Wed, then Fri 02:00Z + 1h45m
    # = 03:45Z; 27h = 15 min + Fri 9h + Mon 23 9h + Tue 24 8h45m -> Tue 17:45 WIB = 10:45Z.
    assert _due("JKT", priority_change=True) == ["2026-03-20T03:45:00+00:00", "2026-03-24T10:45:00+00:00"]
