"""Vendor terms: what a vendor's support contract says beyond the SLA targets.

One `VendorTerms` aggregate per vendor, versioned like the SLA policy (each `Put` is a whole,
validated document). The terms say which priority labels the vendor uses (and whether an
escalation must use one), how many incidents a period the contract includes, what a paid
escalation costs per priority, the vendor's mail addresses, the service-credit tiers and the
vendor's fixed team. `IncidentCount` counts escalations per vendor and calendar month, saved in
the same atomic write as the escalation, so the quota is counted exactly once per escalation.

Pure: standard library, eventsourcing's aggregate, and other domain modules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import event

from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand
from domain.keys import named_id
from domain.money import Money
from domain.sla_policy import check_vendor
from domain.values import identifier

PRIORITIES: Final = ("P1", "P2", "P3", "P4")
QUOTA_PERIODS: Final = ("year", "quarter", "month")
TERMS_KEYS: Final = frozenset(
    {"labels_enforced", "labels", "incident_quota", "escalation_fees", "mail_from", "service_credits", "fixed_team"}
)
# A whole address (`support@sap.com`) or a domain (`@sap.com`): what the e-mail intake will match.
MAIL_FROM = re.compile(
    r"^(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+)?@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
GROUP_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def _refuse(path: str, reason: str) -> InvalidCommand:
    return InvalidCommand(f"{path}: {reason}", path)


def _percent(value: object, path: str) -> int | float:
    """A percentage 0-100 as given (JSON numbers, never booleans or strings)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise _refuse(path, "must be a number from 0 to 100")
    return value


def _labels(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping) or set(value) != set(PRIORITIES):
        raise _refuse("labels", "must give the vendor's label for each of P1, P2, P3 and P4")
    return {p: identifier(value[p], f"labels.{p}", 100) for p in PRIORITIES}


def _quota(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) != {"period", "count"}:
        raise _refuse("incident_quota", 'must be {"period": "year"|"quarter"|"month", "count": n} or null')
    if value["period"] not in QUOTA_PERIODS:
        raise _refuse("incident_quota.period", "must be year, quarter or month")
    count = value["count"]
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1_000_000:
        raise _refuse("incident_quota.count", "must be a whole number of incidents, at least 1")
    return {"period": value["period"], "count": count}


def _fees(value: object) -> dict[str, dict[str, str]]:
    """Fees per priority, all in one currency: the contract's."""
    if not isinstance(value, Mapping) or set(value) - set(PRIORITIES):
        raise _refuse("escalation_fees", "must map priorities (P1-P4) to {amount, currency}")
    fees: dict[str, dict[str, str]] = {}
    for priority in PRIORITIES:
        if priority not in value:
            continue
        fee = value[priority]
        path = f"escalation_fees.{priority}"
        if not isinstance(fee, Mapping) or set(fee) != {"amount", "currency"} or not isinstance(fee["amount"], str):
            raise _refuse(path, 'must be {"amount": "500.00", "currency": "USD"} (the amount as a string)')
        try:
            fees[priority] = Money.of(fee["amount"], fee["currency"]).as_dict()
        except InvalidCommand as exc:
            raise _refuse(path, str(exc)) from None
    if len({fee["currency"] for fee in fees.values()}) > 1:
        raise _refuse("escalation_fees", "all fees are in the contract's one currency")
    return fees


def _mail_from(value: object) -> list[str]:
    if not isinstance(value, list) or len(value) > 50:
        raise _refuse("mail_from", 'must be a list of addresses or domains such as "@sap.com"')
    seen: list[str] = []
    for n, address in enumerate(value):
        if not isinstance(address, str) or len(address) > 254 or not MAIL_FROM.match(address):
            raise _refuse(f"mail_from.{n}", 'must be an address or a domain such as "@sap.com"')
        if address.lower() not in seen:
            seen.append(address.lower())
    return seen


def _credits(value: object) -> list[dict[str, int | float]]:
    """Tiers, highest threshold first: the credit owed is that of the lowest tier crossed."""
    if not isinstance(value, list) or len(value) > 20:
        raise _refuse("service_credits", "must be a list of {below_percent_met, credit_percent}")
    tiers: list[dict[str, int | float]] = []
    for n, tier in enumerate(value):
        if not isinstance(tier, Mapping) or set(tier) != {"below_percent_met", "credit_percent"}:
            raise _refuse(f"service_credits.{n}", "must be {below_percent_met, credit_percent}")
        tiers.append(
            {
                "below_percent_met": _percent(tier["below_percent_met"], f"service_credits.{n}.below_percent_met"),
                "credit_percent": _percent(tier["credit_percent"], f"service_credits.{n}.credit_percent"),
            }
        )
    thresholds = [t["below_percent_met"] for t in tiers]
    if len(set(thresholds)) != len(thresholds):
        raise _refuse("service_credits", "two tiers have the same below_percent_met")
    return sorted(tiers, key=lambda t: -t["below_percent_met"])


def validated_terms(document: object) -> dict[str, Any]:
    """Parse and normalise a terms document; every key present, unknown keys refused.

    Refusals name the offending part (`escalation_fees.P1`) as the field. Whether `fixed_team`
    is a vendor team of this vendor depends on the directory: the application checks that.
    """
    if not isinstance(document, Mapping):
        raise _refuse("document", "the terms must be a JSON object")
    unknown = set(document) - TERMS_KEYS
    if unknown:
        raise _refuse(sorted(unknown)[0], "is not a field of vendor terms")
    for key in ("labels_enforced", "labels"):
        if key not in document:
            raise _refuse(key, "is required")
    if not isinstance(document["labels_enforced"], bool):
        raise _refuse("labels_enforced", "must be true or false")
    team = document.get("fixed_team")
    if team is not None and (not isinstance(team, str) or not GROUP_ID.match(team)):
        raise _refuse("fixed_team", "must be a group id or null")
    return {
        "labels_enforced": document["labels_enforced"],
        "labels": _labels(document["labels"]),
        "incident_quota": _quota(document.get("incident_quota")),
        "escalation_fees": _fees(document.get("escalation_fees", {})),
        "mail_from": _mail_from(document.get("mail_from", [])),
        "service_credits": _credits(document.get("service_credits", [])),
        "fixed_team": team,
    }


# ------------------------------------------------------------------------------ periods


def month_key(at: datetime) -> str:
    """The calendar month (UTC) an escalation counts in: `2026-07`."""
    at = at.astimezone(UTC)
    return f"{at.year:04d}-{at.month:02d}"


def period_key(period: str, at: datetime) -> str:
    """The quota period holding `at` (UTC calendar): `2026`, `2026Q3` or `2026-07`."""
    at = at.astimezone(UTC)
    if period == "year":
        return f"{at.year:04d}"
    if period == "quarter":
        return f"{at.year:04d}Q{(at.month - 1) // 3 + 1}"
    return month_key(at)


def period_months(period: str, at: datetime) -> list[str]:
    """The months (as `month_key`) of the quota period holding `at`, up to and including its own."""
    at = at.astimezone(UTC)
    first = 1 if period == "year" else ((at.month - 1) // 3) * 3 + 1 if period == "quarter" else at.month
    return [f"{at.year:04d}-{month:02d}" for month in range(first, at.month + 1)]


# ------------------------------------------------------------------------------ escalation


@dataclass(frozen=True)
class EscalationTerms:
    """The terms in force for one escalation, with the incidents already used this period."""

    vendor: str
    document: Mapping[str, Any]
    incidents_used: int = 0
    period: str | None = None  # the quota period's key, e.g. 2026Q3
    labels: Mapping[str, str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", dict(self.document["labels"]))

    @property
    def enforced(self) -> bool:
        return bool(self.document["labels_enforced"])

    def vendor_label(self, given: str | None, priority: str) -> str | None:
        """The escalation's vendor priority: the given one if it is the vendor's, the label of
        the issue's priority when none is given; anything else is refused when enforced."""
        if not self.enforced:
            return given
        if given is None:
            return self.labels.get(priority)
        if given not in self.labels.values():
            allowed = ", ".join(dict.fromkeys(self.labels.values()))
            raise InvalidCommand(
                f"{given!r} is not one of {self.vendor}'s priority labels ({allowed})", "vendor_priority"
            )
        return given

    def over_quota(self) -> bool:
        quota = self.document.get("incident_quota")
        return quota is not None and self.incidents_used >= int(quota["count"])

    def quota_text(self) -> str:
        quota = self.document["incident_quota"]
        return f"{self.vendor}'s incident quota of {quota['count']} a {quota['period']} is used up ({self.period})"

    def fee_for(self, priority: str) -> dict[str, str] | None:
        fee = self.document.get("escalation_fees", {}).get(priority)
        return dict(fee) if fee else None


def fee_total(fees: list[dict[str, str]]) -> dict[str, str] | None:
    """The sum of fees (one currency, as the terms require), for reports."""
    if not fees:
        return None
    return Money.of(sum((Decimal(f["amount"]) for f in fees), Decimal(0)), fees[0]["currency"]).as_dict()


# ------------------------------------------------------------------------------ aggregates


class VendorTerms(KaizenAggregate):
    """A vendor's terms; each `Put` is a new version (1, 2, ...), version 0 being the default."""

    @staticmethod
    def create_id(vendor: str) -> UUID:
        return named_id("vendor-terms", vendor)

    @event("Created")
    def __init__(self, vendor: str, actor: Actor, occurred_at: datetime) -> None:
        self.vendor = vendor
        self.key = vendor
        self.document: dict[str, Any] | None = None
        self.terms_version = 0
        self.put_at: datetime | None = None

    @classmethod
    def start(cls, vendor: str, actor: Actor, occurred_at: datetime) -> VendorTerms:
        return cls(vendor=check_vendor(vendor), actor=actor, occurred_at=occurred_at)

    def put(self, document: object, actor: Actor, occurred_at: datetime) -> None:
        self._put(
            vendor=self.vendor,
            terms_version=self.terms_version + 1,
            document=validated_terms(document),
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("Put")
    def _put(
        self, vendor: str, terms_version: int, document: dict[str, Any], actor: Actor, occurred_at: datetime
    ) -> None:
        self.terms_version = terms_version
        self.document = document
        self.put_at = occurred_at


class IncidentCount(KaizenAggregate):
    """Escalations to one vendor in one calendar month (UTC). Saved with the escalation in one
    atomic write, so a retried or concurrent escalation cannot count twice or be missed: two
    escalations racing for the same vendor collide on this aggregate's version and one retries."""

    @staticmethod
    def create_id(vendor: str, month: str) -> UUID:
        return named_id("incident-count", f"{vendor}/{month}")

    @event("Started")
    def __init__(self, vendor: str, month: str, actor: Actor, occurred_at: datetime) -> None:
        self.vendor = vendor
        self.month = month
        self.key = f"{vendor}/{month}"
        self.issues: list[str] = []

    @property
    def count(self) -> int:
        return len(self.issues)

    def count_escalation(self, issue_key: str, actor: Actor, occurred_at: datetime) -> None:
        self._counted(issue_key=issue_key, actor=actor, occurred_at=occurred_at)

    @event("Counted")
    def _counted(self, issue_key: str, actor: Actor, occurred_at: datetime) -> None:
        self.issues = [*self.issues, issue_key]
