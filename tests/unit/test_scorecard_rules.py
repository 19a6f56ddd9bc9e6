"""The scorecard's pure rules: which service-credit tier a quarter crosses, and fee totals."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.health import Quarter
from domain.scorecard import credit_owed, fees_per_currency, last_moment

TIERS = [
    {"below_percent_met": 95, "credit_percent": 5},
    {"below_percent_met": 80, "credit_percent": 10},
    {"below_percent_met": 50, "credit_percent": 25},
]


def test_the_highest_credit_of_the_tiers_crossed() -> None:
    assert credit_owed(TIERS, 99.0).credit_percent == 0
    assert credit_owed(TIERS, 95.0).credit_percent == 0  # "below 95" is strictly below
    assert credit_owed(TIERS, 94.9).credit_percent == 5
    assert credit_owed(TIERS, 76.9).to_dict() == {
        "percent_met": 76.9,
        "credit_percent": 10,
        "tier": {"below_percent_met": 80, "credit_percent": 10},
    }
    assert credit_owed(TIERS, 0.0).credit_percent == 25
    assert credit_owed(TIERS, None).to_dict() == {"percent_met": None, "credit_percent": 0, "tier": None}
    assert credit_owed([], 10.0).credit_percent == 0


def test_fees_add_up_per_currency_in_minor_units() -> None:
    paid = [("500.00", "USD"), ("250", "USD"), ("1000", "JPY")]
    assert fees_per_currency(paid) == [
        {"amount": "1000", "currency": "JPY", "escalations": 1},
        {"amount": "750.00", "currency": "USD", "escalations": 2},
    ]
    assert fees_per_currency([]) == []


def test_terms_are_read_at_the_quarters_last_moment_or_now() -> None:
    q1 = Quarter.parse("2026Q1")
    assert last_moment(q1, datetime(2026, 5, 1, tzinfo=UTC)) == datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert last_moment(q1, datetime(2026, 2, 1, tzinfo=UTC)) == datetime(2026, 2, 1, tzinfo=UTC)
