"""Vendor terms in the domain: what a terms document may say, the shipped defaults, the quota
periods, and what the terms do to an escalation (labels enforced and following the priority,
the quota, the fee), with old escalation events still loading."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from domain.actor import Actor
from domain.errors import InvalidCommand, TransitionRefused
from domain.issue import Issue
from domain.sla_defaults import DEFAULT_POLICIES
from domain.vendor_terms import (
    EscalationTerms,
    IncidentCount,
    VendorTerms,
    fee_total,
    period_key,
    period_months,
    validated_terms,
)
from domain.vendor_terms_defaults import DEFAULT_TERMS, PLACEHOLDERS, default_terms_document

ADMIN = Actor("admin-wong", "admin")
AT = datetime(2026, 8, 14, 3, 0, tzinfo=UTC)
SAP: dict[str, Any] = {"labels_enforced": True, "labels": dict(DEFAULT_POLICIES["sap"]["labels"])}


def issue(urgency: str = "blocking") -> Issue:
    return Issue.report(
        "KZ-1",
        title="GL posting fails",
        description="d",
        module="finance",
        impact_scope="company",
        urgency=urgency,
        vendor="sap",
        actor=ADMIN,
        occurred_at=AT,
    )


def test_a_terms_document_is_normalised_with_every_field() -> None:
    terms = validated_terms(
        {
            **SAP,
            "escalation_fees": {"P2": {"amount": "80", "currency": "usd"}},
            "mail_from": ["@SAP.com", "@sap.com"],
            "service_credits": [
                {"below_percent_met": 90, "credit_percent": 10},
                {"below_percent_met": 95, "credit_percent": 5},
            ],
        }
    )
    assert terms["escalation_fees"] == {"P2": {"amount": "80.00", "currency": "USD"}}
    assert terms["mail_from"] == ["@sap.com"]
    assert [t["below_percent_met"] for t in terms["service_credits"]] == [95, 90]
    assert terms["incident_quota"] is None and terms["fixed_team"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"labels_enforced": "yes"}, "labels_enforced"),
        ({"labels": {"P1": "Very High", "P2": "High", "P3": "Medium"}}, "labels"),
        ({"labels": {"P1": "", "P2": "High", "P3": "Medium", "P4": "Low"}}, "labels.P1"),
        ({"incident_quota": {"period": "decade", "count": 1}}, "incident_quota.period"),
        ({"incident_quota": {"period": "year", "count": True}}, "incident_quota.count"),
        ({"escalation_fees": {"P1": {"amount": "1.234", "currency": "USD"}}}, "escalation_fees.P1"),
        ({"escalation_fees": {"P1": {"amount": 5, "currency": "USD"}}}, "escalation_fees.P1"),
        (
            {
                "escalation_fees": {
                    "P1": {"amount": "5", "currency": "USD"},
                    "P2": {"amount": "5", "currency": "HKD"},
                }
            },
            "escalation_fees",
        ),
        ({"mail_from": ["sap.com"]}, "mail_from.0"),
        ({"service_credits": [{"below_percent_met": 95, "credit_percent": -1}]}, "service_credits.0.credit_percent"),
        (
            {
                "service_credits": [
                    {"below_percent_met": 95, "credit_percent": 5},
                    {"below_percent_met": 95, "credit_percent": 9},
                ]
            },
            "service_credits",
        ),
        ({"fixed_team": "Not A Group!"}, "fixed_team"),
        ({"quota": 3}, "quota"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidCommand) as refused:
        validated_terms({**SAP, **change})
    assert refused.value.field == field


def test_the_defaults_are_valid_terms_with_the_sla_defaults_labels() -> None:
    for vendor, terms in DEFAULT_TERMS.items():
        assert validated_terms(terms) == terms
        assert terms["labels"] == DEFAULT_POLICIES[vendor]["labels"]
        assert {"incident_quota", "escalation_fees", "service_credits", "fixed_team"} <= set(PLACEHOLDERS[vendor])
    assert DEFAULT_TERMS["sap"]["labels_enforced"] and "labels" not in PLACEHOLDERS["sap"]
    assert not DEFAULT_TERMS["multiable"]["labels_enforced"] and "labels" in PLACEHOLDERS["multiable"]
    assert default_terms_document("acme") is None


def test_quota_periods_are_utc_calendar_periods() -> None:
    assert [period_key(p, AT) for p in ("year", "quarter", "month")] == ["2026", "2026Q3", "2026-08"]
    assert period_months("quarter", AT) == ["2026-07", "2026-08"]
    assert period_months("year", AT)[0] == "2026-01" and len(period_months("year", AT)) == 8
    assert period_months("month", AT) == ["2026-08"]


def test_terms_are_versioned() -> None:
    terms = VendorTerms.start("sap", ADMIN, AT)
    terms.put(SAP, ADMIN, AT)
    terms.put({**SAP, "labels_enforced": False}, ADMIN, AT)
    assert terms.terms_version == 2 and terms.document is not None and not terms.document["labels_enforced"]


def test_critical_is_refused_and_a_missing_label_is_filled_in() -> None:
    terms = EscalationTerms("sap", validated_terms(SAP))
    with pytest.raises(InvalidCommand) as refused:
        issue().escalate_to_vendor("sap", "INC-1", "Critical", ADMIN, AT, terms)
    assert refused.value.field == "vendor_priority" and "Very High" in str(refused.value)
    escalated = issue()
    escalated.escalate_to_vendor("sap", "INC-1", None, ADMIN, AT, terms)
    assert escalated.escalation is not None and escalated.escalation["vendor_priority"] == "Very High"


def test_unenforced_labels_take_what_is_given() -> None:
    terms = EscalationTerms("sap", validated_terms({**SAP, "labels_enforced": False}))
    escalated = issue()
    escalated.escalate_to_vendor("sap", "INC-1", "Critical", ADMIN, AT, terms)
    assert escalated.escalation is not None and escalated.escalation["vendor_priority"] == "Critical"
    escalated.override_priority("P4", "after all, one clerk", ADMIN, AT)
    assert escalated.escalation["vendor_priority"] == "Critical"


def test_the_label_follows_a_priority_change_by_triage_or_override() -> None:
    escalated = issue()
    escalated.escalate_to_vendor("sap", "INC-1", None, ADMIN, AT, EscalationTerms("sap", validated_terms(SAP)))
    escalated.triage(ADMIN, AT, priority="P2", reason="a workaround exists")
    assert escalated.escalation is not None and escalated.escalation["vendor_priority"] == "High"
    escalated.override_priority("P4", "meeting decided", ADMIN, AT)
    assert escalated.escalation["vendor_priority"] == "Low"
    names = [type(e).__name__ for e in escalated.collect_events()]
    assert names.count("VendorPriorityChanged") == 2


def test_beyond_the_quota_an_escalation_needs_a_reason_and_records_it() -> None:
    document = validated_terms({**SAP, "incident_quota": {"period": "year", "count": 2}})
    full = EscalationTerms("sap", document, incidents_used=2, period="2026")
    with pytest.raises(TransitionRefused) as refused:
        issue().escalate_to_vendor("sap", "INC-1", None, ADMIN, AT, full)
    assert "quota" in str(refused.value)
    escalated = issue()
    escalated.escalate_to_vendor("sap", "INC-1", None, ADMIN, AT, full, "month-end close is blocked")
    assert (
        escalated.escalation is not None
        and escalated.escalation["quota_override_reason"] == "month-end close is blocked"
    )
    within = issue()
    within.escalate_to_vendor("sap", "INC-2", None, ADMIN, AT, EscalationTerms("sap", document, 1, "2026"), "x")
    assert within.escalation is not None and within.escalation["quota_override_reason"] is None


def test_a_paid_escalation_records_the_fee_of_its_priority() -> None:
    document = validated_terms({**SAP, "escalation_fees": {"P1": {"amount": "500", "currency": "USD"}}})
    escalated = issue()
    escalated.escalate_to_vendor("sap", "INC-1", None, ADMIN, AT, EscalationTerms("sap", document))
    assert escalated.escalation is not None and escalated.escalation["fee"] == {"amount": "500.00", "currency": "USD"}
    unpaid = issue("minor")
    unpaid.escalate_to_vendor("sap", "INC-2", None, ADMIN, AT, EscalationTerms("sap", document))
    assert unpaid.escalation is not None and unpaid.escalation["fee"] is None
    assert fee_total([{"amount": "500.00", "currency": "USD"}] * 3) == {"amount": "1500.00", "currency": "USD"}


def test_an_escalation_without_terms_is_as_before() -> None:
    escalated = issue()
    escalated.escalate_to_vendor("acme", "T-1", "whatever", ADMIN, AT)
    assert escalated.escalation is not None
    assert (escalated.escalation["vendor_priority"], escalated.escalation["fee"]) == ("whatever", None)


def test_incidents_are_counted_per_month() -> None:
    count = IncidentCount(vendor="sap", month="2026-08", actor=ADMIN, occurred_at=AT)
    count.count_escalation("KZ-1", ADMIN, AT)
    count.count_escalation("KZ-2", ADMIN, AT)
    assert count.count == 2 and count.id == IncidentCount.create_id("sap", "2026-08")


def test_an_escalation_recorded_before_vendor_terms_still_loads() -> None:
    escalated = issue()
    escalated.escalate_to_vendor("sap", "INC-1", "Very High", ADMIN, AT)
    events = escalated.collect_events()
    for name in ("vendor_labels", "fee", "quota_override_reason"):
        del events[-1].__dict__[name]  # as the event was stored before these fields existed
    loaded: Any = None
    for stored in events:
        loaded = stored.mutate(loaded)
    assert loaded.escalation["vendor_priority"] == "Very High" and loaded.escalation["fee"] is None
