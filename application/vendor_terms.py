"""Vendor terms commands and reads, and the terms an escalation is judged under.

Vendors without terms put use the shipped defaults (`domain.vendor_terms_defaults`); a vendor
with neither has no terms, and its escalations are neither label-checked nor charged.

Incidents against the quota are counted by `IncidentCount` aggregates, one per vendor and
calendar month (UTC), saved in the same atomic write as the escalation (`escalation_terms`
and `count_incident` below, used by `IssueCommands.escalate`): exactly once per escalation,
however often the command is retried, and two escalations racing for a vendor's last incident
collide on the month's count, so one of them retries and sees the quota used up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from application.context import Context, Receipt
from application.errors import NotFound, StaleVersion
from application.people import PeopleCommands
from application.reading import HistoryPage, events_page
from domain.actor import Actor
from domain.errors import InvalidCommand
from domain.sla_policy import check_vendor
from domain.vendor_terms import EscalationTerms, IncidentCount, VendorTerms, month_key, period_key, period_months
from domain.vendor_terms_defaults import PLACEHOLDERS, default_terms_document


@dataclass(frozen=True)
class TermsView:
    vendor: str
    version: int  # 0 = the shipped default (or none), never put here
    document: dict[str, Any] | None
    put_at: datetime | None
    placeholders: list[str]


class VendorTermsCommands(PeopleCommands):
    """Built on `PeopleCommands`: a fixed team must be an existing vendor team of the vendor."""

    def _terms(self, vendor: str) -> VendorTerms | None:
        try:
            terms: Any = self.repository.get(VendorTerms.create_id(check_vendor(vendor)))
        except AggregateNotFoundError:
            return None
        assert isinstance(terms, VendorTerms)
        return terms

    def _check_fixed_team(self, vendor: str, document: Any) -> None:
        team = document.get("fixed_team") if isinstance(document, dict) else None
        if not isinstance(team, str):
            return
        try:
            group = self.get_group(team)
        except (NotFound, InvalidCommand):
            raise InvalidCommand(f"fixed_team: group {team!r} was not found", "fixed_team") from None
        if group.kind != "vendor_team" or group.vendor != vendor:
            raise InvalidCommand(f"fixed_team: group {team!r} is not a vendor team of {vendor}", "fixed_team")

    def put_vendor_terms(self, ctx: Context, vendor: str, document: dict[str, Any]) -> Receipt:
        """Put a whole terms document as the vendor's next version (If-Match: the version)."""
        check_vendor(vendor)

        def attempt() -> Receipt:
            terms = self._terms(vendor) or VendorTerms.start(vendor, ctx.actor, self.now(ctx))
            if ctx.expected_version is not None and terms.terms_version != ctx.expected_version:
                raise StaleVersion(ctx.expected_version, terms.terms_version)
            terms.put(document, ctx.actor, self.now(ctx))  # the domain validates every field first
            self._check_fixed_team(vendor, document)
            return self._commit(ctx, terms, kind="vendor-terms")

        return self._retrying(ctx, attempt)

    def get_vendor_terms(self, vendor: str) -> TermsView:
        terms = self._terms(vendor)
        if terms is None or terms.document is None:
            return TermsView(vendor, 0, default_terms_document(vendor), None, list(PLACEHOLDERS.get(vendor, [])))
        return TermsView(vendor, terms.terms_version, terms.document, terms.put_at, [])

    def vendor_terms_history_page(self, vendor: str, limit: int, after: int = 0) -> HistoryPage:
        """A page of the terms' events; a vendor whose terms were never put has none (not a 404)."""
        return events_page(self, VendorTerms.create_id(check_vendor(vendor)), limit, after)

    # -- incidents ------------------------------------------------------------------------------
    def _incident_count(self, vendor: str, month: str) -> IncidentCount | None:
        try:
            count: Any = self.repository.get(IncidentCount.create_id(vendor, month))
        except AggregateNotFoundError:
            return None
        assert isinstance(count, IncidentCount)
        return count

    def incidents_used(self, vendor: str, period: str, at: datetime) -> int:
        """Escalations to `vendor` in the quota period (`year`, `quarter`, `month`) holding `at`."""
        return sum(
            found.count
            for month in period_months(period, at)
            if (found := self._incident_count(vendor, month)) is not None
        )

    def escalation_terms(self, vendor: str, at: datetime) -> EscalationTerms | None:
        """The terms an escalation to `vendor` at `at` is judged under, with the quota used."""
        document = self.get_vendor_terms(vendor.lower()).document if _is_slug(vendor) else None
        if document is None:
            return None
        quota = document.get("incident_quota")
        if quota is None:
            return EscalationTerms(vendor.lower(), document)
        used = self.incidents_used(vendor.lower(), quota["period"], at)
        return EscalationTerms(vendor.lower(), document, used, period_key(quota["period"], at))

    def count_incident(self, vendor: str, issue_key: str, actor: Actor, at: datetime) -> IncidentCount:
        """The month's count with this escalation counted: the caller saves it with the issue."""
        month = month_key(at)
        count = self._incident_count(vendor, month) or IncidentCount(
            vendor=vendor, month=month, actor=actor, occurred_at=at
        )
        count.count_escalation(issue_key, actor, at)
        return count


def _is_slug(vendor: str) -> bool:
    try:
        check_vendor(vendor.lower())
    except InvalidCommand:
        return False
    return True
