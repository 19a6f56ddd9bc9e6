"""The vendor scorecard's rules: which service credit a quarter earns, and how fees add up.

Kept pure and apart from the SQL (`projections.scorecard`) so a reviewer can recompute every
figure of a quarterly review from the definitions in docs/reference.md, "Vendor scorecard".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.health import Quarter
from domain.money import Money

TIME_KINDS = ("response", "update", "resolution")
"""The report kinds (`domain.compliance_scope.REPORT_KINDS`) a scorecard has a row for."""


@dataclass(frozen=True)
class Credit:
    """The service credit a quarter earned: the tier crossed (None: no tier) and its percent."""

    percent_met: float | None
    tier: Mapping[str, int | float] | None

    @property
    def credit_percent(self) -> int | float:
        return self.tier["credit_percent"] if self.tier is not None else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "percent_met": self.percent_met,
            "credit_percent": self.credit_percent,
            "tier": dict(self.tier) if self.tier is not None else None,
        }


def credit_owed(tiers: Sequence[Mapping[str, int | float]], percent_met: float | None) -> Credit:
    """The highest `credit_percent` among the tiers whose `below_percent_met` the quarter's
    % met falls strictly below (95 % met does not cross "below 95"). A quarter without a
    decided clock (% met unknown) earns no credit: there is nothing to have failed."""
    if percent_met is None:
        return Credit(None, None)
    crossed = [tier for tier in tiers if percent_met < tier["below_percent_met"]]
    if not crossed:
        return Credit(percent_met, None)
    return Credit(percent_met, max(crossed, key=lambda tier: (tier["credit_percent"], -tier["below_percent_met"])))


def fees_per_currency(fees: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """(amount, currency) pairs summed per currency, currencies in alphabetical order; each
    total spelt as `Money` spells it (the currency's minor units), with the escalations counted."""
    totals: dict[str, tuple[Decimal, int]] = {}
    for amount, currency in fees:
        total, count = totals.get(currency, (Decimal(0), 0))
        totals[currency] = (total + Decimal(amount), count + 1)
    return [
        {**Money.of(total, currency).as_dict(), "escalations": count}
        for currency, (total, count) in sorted(totals.items())
    ]


def last_moment(quarter: Quarter, now: datetime) -> datetime:
    """The moment the quarter's terms and quota are read at: its last microsecond, or now while
    it runs (the terms of a quarter still to come are today's)."""
    return min(now.astimezone(UTC), quarter.end - timedelta(microseconds=1))
