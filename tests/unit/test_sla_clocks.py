"""SLA clocks from an issue's facts. Every due time is worked out by hand in the comments.

The internal team works Mon-Fri 09:00-18:00 Hong Kong time (9 hours a day, HK holidays); the
week of Mon 2 Mar 2026 has no holidays. SAP's P1 runs 24x7, its other priorities on the same
office hours.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.sla_clocks import SlaClock, SlaFact, compute_clocks
from domain.sla_policy_document import SlaPolicyDocument

HK = ZoneInfo("Asia/Hong_Kong")
H = timedelta(hours=1)
OFFICE = {
    "timezone": "Asia/Hong_Kong",
    "hours": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": {"country": "HK", "subdivision": None},
    "closed_days": [],
}


def _targets(calendar: str, response: str, resolution: str, update: str | None = None) -> dict[str, str]:
    doc = {"calendar": calendar, "response": response, "resolution": resolution}
    if update:
        doc["update"] = update
    return doc


INTERNAL_V1: dict[str, Any] = {
    "calendars": {"office": OFFICE},
    "targets": {
        "P1": _targets("office", "PT1H", "PT8H"),
        "P2": _targets("office", "PT2H", "PT16H"),
        "P3": _targets("office", "PT4H", "PT36H"),
        "P4": _targets("office", "PT8H", "PT72H"),
    },
}
INTERNAL_V2 = copy.deepcopy(INTERNAL_V1)
INTERNAL_V2["targets"]["P2"] = _targets("office", "PT3H", "PT20H")
SAP_V1: dict[str, Any] = {
    "calendars": {"always": "24x7", "office": OFFICE},
    "targets": {
        "P1": _targets("always", "PT1H", "PT24H", update="PT4H"),
        "P2": _targets("office", "PT4H", "PT40H", update="PT8H"),
        "P3": _targets("office", "PT8H", "PT80H"),
        "P4": _targets("office", "PT16H", "PT160H"),
    },
}
SAP_V2 = copy.deepcopy(SAP_V1)
SAP_V2["targets"]["P1"]["update"] = "PT2H"
ORACLE_V1: dict[str, Any] = copy.deepcopy(SAP_V1)
ORACLE_V1["targets"]["P1"] = _targets("always", "PT2H", "PT48H", update="PT6H")

NEW_YEAR = datetime(2026, 1, 1, tzinfo=UTC)


def t(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 3) -> datetime:
    """A Hong Kong time in March 2026 (Mon 2, Sat 7, Mon 9 ...)."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=HK)


class Policies:
    """A resolver over recorded versions: the latest recorded strictly before the fact."""

    def __init__(self) -> None:
        self.versions: dict[str, list[tuple[datetime, SlaPolicyDocument]]] = {}
        self.calls: list[tuple[str, datetime]] = []

    def record(self, vendor: str, recorded_at: datetime, doc: dict[str, Any]) -> Policies:
        self.versions.setdefault(vendor, []).append((recorded_at, SlaPolicyDocument.from_document(doc)))
        return self

    def __call__(self, vendor: str, recorded_at: datetime) -> tuple[int, SlaPolicyDocument]:
        self.calls.append((vendor, recorded_at))
        found = [(n, doc) for n, (at, doc) in enumerate(self.versions[vendor], 1) if at < recorded_at]
        return found[-1]


def policies() -> Policies:
    return (
        Policies()
        .record("internal", NEW_YEAR, INTERNAL_V1)
        .record("sap", NEW_YEAR, SAP_V1)
        .record("oracle", NEW_YEAR, ORACLE_V1)
    )


def fact(kind: str, at: datetime, recorded: datetime | None = None, **data: Any) -> SlaFact:
    return SlaFact(kind=kind, occurred_at=at, recorded_at=recorded or at, **data)


def run(facts: Sequence[SlaFact], now: datetime, resolver: Policies | None = None) -> list[SlaClock]:
    return compute_clocks(facts, resolver or policies(), now)


def only(clocks: list[SlaClock], kind: str) -> SlaClock:
    found = [c for c in clocks if c.kind == kind]
    assert len(found) == 1, found
    return found[0]


def kinds(clocks: list[SlaClock]) -> list[str]:
    return [c.kind for c in clocks]


# ------------------------------------------------------------------------ internal clocks


def test_internal_response_met_and_resolution_running() -> None:
    clocks = run([fact("reported", t(2, 10), priority="P2"), fact("responded", t(2, 11, 30))], now=t(2, 15))
    assert kinds(clocks) == ["internal_response", "internal_resolution"]
    response = only(clocks, "internal_response")
    assert (response.vendor, response.policy_version, response.priority) == ("internal", 1, "P2")
    assert response.target == 2 * H
    assert response.started_at == t(2, 10) and response.due_at == t(2, 12)
    assert response.stopped_at == t(2, 11, 30) and response.status == "met"
    assert response.business_seconds_used == 5400
    resolution = only(clocks, "internal_resolution")
    # 16 office hours from Mon 10:00: 8 on Monday, 8 on Tuesday -> Tue 17:00.
    assert resolution.due_at == t(3, 17) and resolution.status == "running"
    assert resolution.stopped_at is None and resolution.business_seconds_used == 5 * 3600


def test_late_response_is_breached() -> None:
    clocks = run([fact("reported", t(2, 10), priority="P2"), fact("responded", t(2, 13))], now=t(2, 15))
    response = only(clocks, "internal_response")
    assert response.status == "breached" and response.business_seconds_used == 3 * 3600


def test_a_live_clock_breaches_once_now_passes_its_due_time() -> None:
    facts = [fact("reported", t(2, 10), priority="P2")]
    assert only(run(facts, now=t(2, 12)), "internal_response").status == "running"
    assert only(run(facts, now=t(2, 12, 0, 1)), "internal_response").status == "breached"


def test_a_clock_started_in_closed_time_counts_from_the_next_opening() -> None:
    clocks = run([fact("reported", t(7, 10), priority="P2")], now=t(7, 12))  # Saturday
    response = only(clocks, "internal_response")
    assert response.started_at == t(7, 10)
    assert response.due_at == t(9, 11)  # Monday 09:00 + 2h
    assert response.business_seconds_used == 0 and response.status == "running"


def test_public_holidays_are_skipped() -> None:
    clocks = run([fact("reported", t(24, 17, month=12), priority="P2")], now=t(24, 17, 30, month=12))
    # Thu 24 Dec 17:00: 1h; Fri 25 and Sat 26 are holidays, Sun closed -> Mon 28 Dec 10:00.
    assert only(clocks, "internal_response").due_at == t(28, 10, month=12)


def test_due_exactly_at_closing_and_stopped_exactly_at_due_is_met() -> None:
    clocks = run([fact("reported", t(2, 16), priority="P2"), fact("responded", t(2, 18))], now=t(3, 10))
    response = only(clocks, "internal_response")
    assert response.due_at == t(2, 18)  # not Tue 09:00
    assert response.status == "met" and response.business_seconds_used == 7200


# ------------------------------------------------------------------------------ pausing


def test_waiting_on_the_reporter_pauses_internal_clocks_and_moves_due() -> None:
    facts = [
        fact("reported", t(2, 10), priority="P2"),
        fact("waiting", t(2, 10, 30), on="reporter"),
        fact("resumed", t(2, 14)),
        fact("responded", t(2, 15)),
    ]
    clocks = run(facts, now=t(2, 16))
    response = only(clocks, "internal_response")
    # 30 min before the pause, 1h30 left from 14:00 -> 15:30.
    assert response.due_at == t(2, 15, 30) and response.status == "met"
    assert response.paused == ((t(2, 10, 30), t(2, 14)),)
    assert response.business_seconds_used == 5400
    resolution = only(clocks, "internal_resolution")
    # 15h30 left at Mon 14:00: 4h Monday, 9h Tuesday, 2h30 Wednesday -> Wed 11:30.
    assert resolution.due_at == t(4, 11, 30) and resolution.status == "running"
    assert resolution.business_seconds_used == int(2.5 * 3600)


def test_a_paused_clock_shows_its_due_time_as_if_resumed_now() -> None:
    facts = [fact("reported", t(2, 10), priority="P2"), fact("waiting", t(2, 10, 30), on="reporter")]
    response = only(run(facts, now=t(2, 16)), "internal_response")
    assert response.status == "paused" and response.due_at == t(2, 17, 30)
    assert response.paused == ((t(2, 10, 30), None),) and response.business_seconds_used == 1800
    assert response.to_dict()["paused"] == [{"from": "2026-03-02T02:30:00Z", "to": None}]


def test_a_clock_paused_after_its_due_time_is_breached() -> None:
    facts = [fact("reported", t(2, 10), priority="P2"), fact("waiting", t(2, 12, 30), on="reporter")]
    clocks = run(facts, now=t(2, 13))
    assert only(clocks, "internal_response").status == "breached"
    assert only(clocks, "internal_resolution").status == "paused"


def test_waiting_on_the_customer_pauses_vendor_clocks_only() -> None:
    facts = [
        fact("reported", t(2, 9), priority="P1"),
        fact("escalated", t(2, 10), vendor="sap"),
        fact("waiting", t(2, 10, 15), on="customer"),
        fact("resumed", t(2, 10, 45)),
        fact("waiting", t(2, 10, 50), on="reporter"),
    ]
    clocks = run(facts, now=t(2, 10, 55))
    vendor_response = only(clocks, "vendor_response")
    # SAP P1 is 24x7: 1h plus the 30-minute pause -> 11:30; 15 + 10 minutes used by 10:55.
    assert vendor_response.due_at == t(2, 11, 30) and vendor_response.status == "running"
    assert vendor_response.business_seconds_used == 25 * 60
    assert vendor_response.paused == ((t(2, 10, 15), t(2, 10, 45)),)
    internal = only(clocks, "internal_response")
    assert internal.paused == ((t(2, 10, 50), None),)  # only the reporter wait
    assert internal.due_at == t(2, 10) and internal.status == "breached"


def test_switching_from_one_wait_to_the_other_ends_the_first() -> None:
    facts = [
        fact("reported", t(2, 9), priority="P2"),
        fact("escalated", t(2, 9, 30), vendor="sap"),
        fact("waiting", t(2, 10, 30), on="reporter"),
        fact("waiting", t(2, 11), on="customer"),
        fact("resumed", t(2, 11, 30)),
    ]
    clocks = run(facts, now=t(2, 12))
    assert only(clocks, "internal_resolution").paused == ((t(2, 10, 30), t(2, 11)),)
    assert only(clocks, "vendor_resolution").paused == ((t(2, 11), t(2, 11, 30)),)


def test_clocks_started_while_their_side_waits_start_paused() -> None:
    facts = [
        fact("reported", t(2, 9), priority="P1"),
        fact("waiting", t(2, 9, 30), on="customer"),
        fact("escalated", t(2, 10), vendor="sap"),
    ]
    assert only(run(facts, now=t(2, 10, 15)), "vendor_response").status == "paused"
    clocks = run([*facts, fact("resumed", t(2, 10, 30))], now=t(2, 10, 45))
    vendor_response = only(clocks, "vendor_response")
    assert vendor_response.paused == ((t(2, 10), t(2, 10, 30)),)
    assert vendor_response.due_at == t(2, 11, 30) and vendor_response.business_seconds_used == 15 * 60


def test_resolving_while_waiting_ends_the_pause_at_the_resolution() -> None:
    facts = [
        fact("reported", t(2, 10), priority="P2"),
        fact("waiting", t(2, 10, 30), on="reporter"),
        fact("resolved", t(2, 11)),
    ]
    resolution = only(run(facts, now=t(2, 12)), "internal_resolution")
    assert resolution.paused == ((t(2, 10, 30), t(2, 11)),) and resolution.stopped_at == t(2, 11)
    assert resolution.status == "met" and resolution.business_seconds_used == 1800


# ------------------------------------------------------------------------------ vendor clocks


def test_vendor_update_clock_restarts_at_each_update() -> None:
    facts = [
        fact("reported", t(2, 9), priority="P1"),
        fact("escalated", t(2, 10), vendor="sap"),
        fact("vendor_updated", t(2, 10, 30)),
        fact("vendor_updated", t(2, 15)),
    ]
    clocks = run(facts, now=t(2, 16))
    assert kinds(clocks) == [
        "internal_response",
        "internal_resolution",
        "vendor_response",
        "vendor_update",
        "vendor_resolution",
        "vendor_update",
        "vendor_update",
    ]
    response = only(clocks, "vendor_response")
    assert (response.vendor, response.due_at, response.stopped_at) == ("sap", t(2, 11), t(2, 10, 30))
    assert response.status == "met" and response.business_seconds_used == 1800
    first, second, third = (c for c in clocks if c.kind == "vendor_update")
    assert (first.started_at, first.due_at, first.stopped_at, first.status) == (
        t(2, 10),
        t(2, 14),
        t(2, 10, 30),
        "met",
    )
    assert (second.started_at, second.due_at, second.stopped_at, second.status) == (
        t(2, 10, 30),
        t(2, 14, 30),
        t(2, 15),
        "breached",
    )
    assert second.business_seconds_used == int(4.5 * 3600)
    assert (third.started_at, third.due_at, third.stopped_at, third.status) == (t(2, 15), t(2, 19), None, "running")
    resolution = only(clocks, "vendor_resolution")
    assert resolution.due_at == t(3, 10) and resolution.status == "running"  # 24h on 24x7


def test_no_update_target_means_no_update_clock() -> None:
    facts = [
        fact("reported", t(2, 9), priority="P3"),
        fact("escalated", t(2, 10), vendor="sap"),
        fact("vendor_updated", t(2, 11)),
    ]
    assert kinds(run(facts, now=t(2, 12))) == [
        "internal_response",
        "internal_resolution",
        "vendor_response",
        "vendor_resolution",
    ]


def test_resolution_stops_every_clock() -> None:
    facts = [
        fact("reported", t(2, 9), priority="P1"),
        fact("escalated", t(2, 10), vendor="sap"),
        fact("resolved", t(2, 12)),
        fact("vendor_updated", t(2, 13)),  # after resolution: starts nothing
    ]
    clocks = run(facts, now=t(3, 12))
    assert all(c.stopped_at == t(2, 12) for c in clocks)
    status = {c.kind: c.status for c in clocks}
    assert status == {
        "internal_response": "breached",  # due 10:00, never responded
        "internal_resolution": "met",  # due 17:00
        "vendor_response": "breached",  # due 11:00
        "vendor_update": "met",  # due 14:00
        "vendor_resolution": "met",  # due Tue 10:00
    }


def test_closing_stops_live_clocks() -> None:
    facts = [fact("reported", t(2, 10), priority="P2"), fact("closed", t(2, 11))]
    clocks = run(facts, now=t(5, 12))
    assert [(c.stopped_at, c.status) for c in clocks] == [(t(2, 11), "met"), (t(2, 11), "met")]


def test_escalating_to_another_vendor_hands_the_clocks_over() -> None:
    facts = [
        fact("reported", t(2, 9), priority="P1"),
        fact("escalated", t(2, 10), vendor="sap"),
        fact("escalated", t(2, 10, 30), vendor="oracle"),
    ]
    clocks = run(facts, now=t(2, 11))
    sap = [c for c in clocks if c.vendor == "sap"]
    oracle = [c for c in clocks if c.vendor == "oracle"]
    assert {c.stopped_at for c in sap} == {t(2, 10, 30)}
    assert kinds(oracle) == ["vendor_response", "vendor_update", "vendor_resolution"]
    assert only(oracle, "vendor_response").due_at == t(2, 12, 30)  # Oracle P1: 2h, 24x7


# ------------------------------------------------------------------------------------ reopen


def test_reopen_starts_new_resolution_clocks_and_keeps_the_old_ones() -> None:
    facts = [
        fact("reported", t(2, 10), priority="P2"),
        fact("responded", t(2, 10, 30)),
        fact("escalated", t(2, 11), vendor="sap"),
        fact("vendor_updated", t(2, 12)),
        fact("resolved", t(2, 15)),
        fact("reopened", t(3, 10)),
    ]
    clocks = run(facts, now=t(3, 12))
    internal = [c for c in clocks if c.kind == "internal_resolution"]
    assert [(c.started_at, c.stopped_at, c.status) for c in internal] == [
        (t(2, 10), t(2, 15), "met"),
        (t(3, 10), None, "running"),
    ]
    assert internal[0].business_seconds_used == 5 * 3600
    # 16h from Tue 10:00: 8h Tuesday, 8h Wednesday -> Wed 17:00.
    assert internal[1].due_at == t(4, 17) and internal[1].business_seconds_used == 2 * 3600
    vendor = [c for c in clocks if c.kind == "vendor_resolution"]
    assert [(c.started_at, c.stopped_at) for c in vendor] == [(t(2, 11), t(2, 15)), (t(3, 10), None)]
    # SAP P2, 40 office hours from Tue 10:00: 8 + 9 + 9 + 9 = 35 by Friday, 5 more -> Mon 9 Mar 14:00.
    assert vendor[1].due_at == t(9, 14)
    assert len([c for c in clocks if c.kind == "internal_response"]) == 1
    assert [c.stopped_at for c in clocks if c.kind == "vendor_update"] == [t(2, 12), t(2, 15)]


def test_reopen_without_resolution_changes_nothing() -> None:
    facts = [fact("reported", t(2, 10), priority="P2"), fact("reopened", t(2, 11))]
    assert kinds(run(facts, now=t(2, 12))) == ["internal_response", "internal_resolution"]


# ------------------------------------------------------------------------ priority changes


def test_priority_change_retargets_running_clocks_from_their_start() -> None:
    facts = [fact("reported", t(2, 10), priority="P3"), fact("priority_changed", t(2, 10, 30), priority="P1")]
    response = only(run(facts[:1], now=t(2, 10, 45)), "internal_response")
    assert (response.priority, response.due_at) == ("P3", t(2, 14))
    clocks = run(facts, now=t(2, 10, 45))
    response = only(clocks, "internal_response")
    assert (response.priority, response.target, response.started_at) == ("P1", H, t(2, 10))
    assert response.due_at == t(2, 11) and response.status == "running"
    assert only(clocks, "internal_resolution").due_at == t(2, 18)  # P1: 8h from 10:00


def test_priority_raised_after_the_new_due_time_is_breached_at_once() -> None:
    facts = [fact("reported", t(2, 10), priority="P3"), fact("priority_changed", t(2, 11, 30), priority="P1")]
    assert only(run(facts, now=t(2, 11, 30)), "internal_response").status == "breached"


def test_priority_change_leaves_stopped_clocks_alone() -> None:
    facts = [
        fact("reported", t(2, 10), priority="P3"),
        fact("responded", t(2, 10, 20)),
        fact("priority_changed", t(2, 10, 30), priority="P1"),
    ]
    clocks = run(facts, now=t(2, 11))
    assert (only(clocks, "internal_response").priority, only(clocks, "internal_response").status) == ("P3", "met")
    assert only(clocks, "internal_resolution").priority == "P1"


def test_priority_change_retargets_vendor_clocks_on_their_own_calendar() -> None:
    facts = [
        fact("reported", t(2, 9), priority="P3"),
        fact("escalated", t(2, 10), vendor="sap"),
        fact("priority_changed", t(2, 10, 30), priority="P1"),
    ]
    clocks = run(facts, now=t(2, 10, 45))
    vendor_response = only(clocks, "vendor_response")
    assert (vendor_response.priority, vendor_response.due_at) == ("P1", t(2, 11))
    # P3 had no update target; under P1 the live update clock exists from the escalation.
    assert only(clocks, "vendor_update").due_at == t(2, 14)


def test_a_report_without_priority_gets_its_clocks_when_the_priority_is_set() -> None:
    facts = [fact("reported", t(2, 10)), fact("priority_changed", t(2, 10, 30), priority="P2")]
    assert run(facts[:1], now=t(2, 11)) == []
    response = only(run(facts, now=t(2, 11)), "internal_response")
    assert (response.started_at, response.due_at) == (t(2, 10), t(2, 12))


# ------------------------------------------------------------------------ policy versions


def test_the_policy_version_is_the_latest_recorded_before_the_starting_fact() -> None:
    resolver = policies().record("internal", t(2, 10), INTERNAL_V2)
    same_instant = run([fact("reported", t(2, 10), priority="P2")], now=t(2, 11), resolver=resolver)
    assert only(same_instant, "internal_response").policy_version == 1
    assert only(same_instant, "internal_response").target == 2 * H
    later = run([fact("reported", t(2, 10), t(2, 10, 0, 1), priority="P2")], now=t(2, 11), resolver=resolver)
    assert only(later, "internal_response").policy_version == 2
    assert only(later, "internal_response").due_at == t(2, 13)


def test_imported_history_uses_the_policy_in_force_at_import() -> None:
    resolver = policies().record("internal", t(2, 10), INTERNAL_V2)
    clocks = run([fact("reported", t(2, 10, month=2), recorded=t(3, 8), priority="P2")], now=t(3, 9), resolver=resolver)
    response = only(clocks, "internal_response")
    assert resolver.calls == [("internal", t(3, 8))]
    assert (response.policy_version, response.started_at, response.due_at) == (2, t(2, 10, month=2), t(2, 13, month=2))


def test_each_clock_keeps_the_version_of_the_fact_that_started_it() -> None:
    resolver = policies().record("internal", t(2, 14), INTERNAL_V2).record("sap", t(2, 12), SAP_V2)
    facts = [
        fact("reported", t(2, 10), priority="P2"),
        fact("escalated", t(2, 11), vendor="sap"),
        fact("priority_changed", t(2, 11, 30), priority="P1"),
        fact("vendor_updated", t(2, 13)),
        fact("resolved", t(2, 15)),
        fact("reopened", t(2, 16)),
    ]
    clocks = run(facts, now=t(2, 17), resolver=resolver)
    versions = [(c.kind, c.vendor, c.policy_version) for c in clocks]
    assert versions == [
        ("internal_response", "internal", 1),
        ("internal_resolution", "internal", 1),
        ("vendor_response", "sap", 1),
        ("vendor_update", "sap", 1),
        ("vendor_resolution", "sap", 1),
        ("vendor_update", "sap", 2),  # started by the 13:00 update, after SAP v2
        ("internal_resolution", "internal", 2),  # the reopen, after internal v2
        ("vendor_resolution", "sap", 2),
    ]
    first_update, second_update = (c for c in clocks if c.kind == "vendor_update")
    assert (first_update.target, second_update.target) == (4 * H, 2 * H)


# ------------------------------------------------------------------------------- the shape


def test_to_dict_has_the_api_shape() -> None:
    facts = [fact("reported", t(2, 10), priority="P2"), fact("responded", t(2, 11, 30))]
    shape = only(run(facts, now=t(2, 15)), "internal_response").to_dict()
    assert shape == {
        "kind": "internal_response",
        "vendor": "internal",
        "policy_version": 1,
        "priority": "P2",
        "target": "PT2H",
        "started_at": "2026-03-02T02:00:00Z",
        "due_at": "2026-03-02T04:00:00Z",
        "stopped_at": "2026-03-02T03:30:00Z",
        "paused": [],
        "status": "met",
        "business_seconds_used": 5400,
    }


# ------------------------------------------------------------------------------ refusals


def test_facts_must_be_in_time_order_and_start_with_the_report() -> None:
    with pytest.raises(ValueError, match="occurred_at order"):
        run([fact("reported", t(2, 10), priority="P2"), fact("responded", t(2, 9))], now=t(2, 11))
    with pytest.raises(ValueError, match="first fact must be 'reported'"):
        run([fact("responded", t(2, 9))], now=t(2, 11))
    with pytest.raises(ValueError, match="reported once"):
        run([fact("reported", t(2, 9), priority="P2"), fact("reported", t(2, 10), priority="P2")], now=t(2, 11))
    with pytest.raises(ValueError, match="now must be"):
        run([fact("reported", t(2, 9), priority="P2")], now=datetime(2026, 3, 2, 11))


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("commented", {}, "unknown SLA fact kind"),
        ("reported", {"priority": "P5"}, "unknown priority"),
        ("priority_changed", {}, "needs the new priority"),
        ("escalated", {}, "needs the vendor"),
        ("waiting", {"on": "vendor"}, "on = 'reporter' or 'customer'"),
    ],
)
def test_malformed_facts_are_refused(kind: str, data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fact(kind, t(2, 9), **data)


def test_naive_fact_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SlaFact("reported", datetime(2026, 3, 2, 9), t(2, 9), priority="P1")
