"""The health check's pure parts: quarters, the measurement aggregate, and every recommendation rule
at its edges (fires just past the threshold, stays quiet at it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.access import AccessDenied
from domain.actor import Actor
from domain.errors import InvalidCommand
from domain.health import (
    HealthCheck,
    HealthFigures,
    Measures,
    ModuleFigures,
    Quarter,
    VendorFigures,
    authorise_measurement,
    recommend,
)
from tests.conftest import ADMIN, REPORTER

AT = datetime(2026, 8, 1, tzinfo=UTC)
CALM = HealthFigures(quarter="2026Q3")


def rules(figures: HealthFigures) -> list[tuple[str, str | None]]:
    return [(r.rule, r.subject) for r in recommend(figures)]


def module(
    issues: int = 4, before: int = 4, now: Measures | None = None, prev: Measures | None = None
) -> ModuleFigures:
    return ModuleFigures("warehouse", issues, before, now or Measures(0.99, 0.9, 0.9), prev or Measures(0.99, 0.9, 0.9))


def test_quarters_parse_and_bound_in_utc() -> None:
    q = Quarter.parse("2026Q1")
    assert (q.start, q.end) == (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    assert str(q.previous) == "2025Q4" and str(Quarter.parse("2026Q4").next) == "2027Q1"
    assert Quarter.containing(datetime(2026, 9, 30, 23, 59, tzinfo=UTC)) == Quarter(2026, 3)
    for bad in ("2026Q5", "2026-Q1", "26Q1", "1999Q1", ""):
        with pytest.raises(InvalidCommand):
            Quarter.parse(bad)


def test_measurements_keep_the_latest_figure_per_module() -> None:
    check = HealthCheck.start("2026Q3", ADMIN, AT)
    check.record_measurement("finance", ADMIN, AT, data_accuracy=0.97, process_execution_rate=0.82, user_activity=0.64)
    check.record_measurement("finance", ADMIN, AT, user_activity=0.7, source="erp-sync")
    figures = check.measurements["finance"]
    assert (figures["data_accuracy"], figures["process_execution_rate"], figures["user_activity"]) == (0.97, 0.82, 0.7)
    assert check.key == "HC-2026Q3" and figures["source"] == "erp-sync"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"module": "marketing", "data_accuracy": 0.9}, "module"),
        ({"module": "finance"}, "_schema"),
        ({"module": "finance", "data_accuracy": 1.2}, "data_accuracy"),
        ({"module": "finance", "user_activity": -0.1}, "user_activity"),
        ({"module": "finance", "process_execution_rate": True}, "process_execution_rate"),
    ],
)
def test_invalid_measurements_are_refused(kwargs: dict[str, object], field: str) -> None:
    check = HealthCheck.start("2026Q3", ADMIN, AT)
    with pytest.raises(InvalidCommand) as refused:
        check.record_measurement(actor=ADMIN, occurred_at=AT, **kwargs)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_admins_and_the_erp_integration_post_measurements() -> None:
    authorise_measurement(ADMIN)
    authorise_measurement(Actor("erp-sync", "app", via="erp"))
    with pytest.raises(AccessDenied):
        authorise_measurement(REPORTER)


def test_a_calm_quarter_recommends_nothing() -> None:
    assert recommend(CALM) == []
    assert recommend(replace(CALM, modules=(module(),))) == []


def test_training_when_issues_rise_and_process_execution_falls() -> None:
    rising = module(issues=6, before=4, now=Measures(0.99, 0.80, 0.9), prev=Measures(0.99, 0.82, 0.9))
    found = recommend(replace(CALM, modules=(rising,)))
    assert [(r.rule, r.subject) for r in found] == [("training", "warehouse")]
    assert found[0].figures == {
        "issues": 6,
        "issues_previous": 4,
        "process_execution_rate": 0.80,
        "process_execution_rate_previous": 0.82,
    }
    assert "4 to 6" in found[0].action and "82% to 80%" in found[0].action


@pytest.mark.parametrize(
    ("issues", "before", "execution_now"),
    [
        (5, 4, 0.80),  # only one issue more
        (11, 10, 0.80),  # +1 (under +2)
        (13, 11, 0.80),  # +2 but under +20 %
        (6, 4, 0.81),  # execution fell by one point only
    ],
)
def test_no_training_below_the_thresholds(issues: int, before: int, execution_now: float) -> None:
    m = module(issues, before, Measures(0.99, execution_now, 0.9), Measures(0.99, 0.82, 0.9))
    assert "training" not in [r for r, _ in rules(replace(CALM, modules=(m,)))]


def test_module_floors_for_execution_accuracy_and_activity() -> None:
    low = module(now=Measures(0.94, 0.69, 0.59))
    assert rules(replace(CALM, modules=(low,))) == [
        ("process_review", "warehouse"),
        ("data_cleansing", "warehouse"),
        ("adoption", "warehouse"),
    ]
    at_threshold = module(now=Measures(0.95, 0.70, 0.60))
    assert rules(replace(CALM, modules=(at_threshold,))) == []


def test_vendor_sla_review_needs_enough_clocks_and_a_low_share_met() -> None:
    assert rules(replace(CALM, vendors=(VendorFigures("sap", 3, 1),))) == [("vendor_sla_review", "sap")]
    assert rules(replace(CALM, vendors=(VendorFigures("sap", 4, 1),))) == []  # exactly 80 %
    assert rules(replace(CALM, vendors=(VendorFigures("oracle", 0, 2),))) == []  # too few clocks


def test_root_cause_review_on_reopened_fixes() -> None:
    assert rules(replace(CALM, resolved=9, reopened=1)) == [("root_cause_review", None)]
    assert rules(replace(CALM, resolved=10, reopened=1)) == []  # exactly 10 %
    assert rules(replace(CALM, resolved=4, reopened=2)) == []  # too few resolved


def test_resolution_slowing_against_the_previous_quarter() -> None:
    slow = replace(CALM, median_hours_to_resolve=25.0, median_hours_to_resolve_previous=20.0)
    assert rules(slow) == [("resolution_slowing", None)]
    assert rules(replace(slow, median_hours_to_resolve=24.9)) == []
    assert rules(replace(slow, median_hours_to_resolve_previous=None)) == []


def test_overdue_workarounds_are_to_be_retired() -> None:
    found = recommend(replace(CALM, open_workarounds=3, overdue_workarounds=1))
    assert [(r.rule, r.figures) for r in found] == [
        ("retire_workarounds", {"overdue_workarounds": 1, "open_workarounds": 3})
    ]


def test_participation_campaign_when_few_staff_take_part() -> None:
    assert rules(replace(CALM, staff=11, participants=2)) == [("participation_campaign", None)]
    assert rules(replace(CALM, staff=10, participants=2)) == []  # exactly 20 %
    assert rules(replace(CALM, staff=4, participants=0)) == []  # too few staff


def test_module_trend_and_change() -> None:
    assert (module(6, 4).trend, module(6, 4).change_percent) == ("rising", 50.0)
    assert (module(2, 4).trend, module(4, 4).trend, module(3, 0).change_percent) == ("falling", "steady", None)
