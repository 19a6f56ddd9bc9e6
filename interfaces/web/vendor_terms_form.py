"""The vendor terms form of /console/admin/vendors/{vendor}: the API's document as inputs and back.

Kept apart from the route (`routes_vendor_terms`) so the settings page can show the section
without importing the route module that builds on it.
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict

from application.vendor_terms import TermsView
from domain.vendor_terms import PRIORITIES, QUOTA_PERIODS
from interfaces.http.services import desk
from interfaces.web.forms import FormRefused
from interfaces.web.i18n import N_

_SPLIT = re.compile(r"[\s,;]+")


# The escalate form's quota override (templates/console/_issue_commands.html), which reaches t() as data.
ESCALATION_WORDS = (N_("Quota override reason"), N_("Needed only beyond the vendor's incident quota."))
PREFIX = "terms."  # the inputs' names: `terms.<document path>`, apart from the policy form's


def terms_typed(document: dict[str, Any] | None) -> dict[str, str]:
    """A terms document as the form's values, by input name."""
    if not document:
        return {}
    typed = {f"labels.{p}": label for p, label in (document.get("labels") or {}).items()}
    typed["labels_enforced"] = "1" if document.get("labels_enforced") else ""
    quota = document.get("incident_quota") or {}
    typed["incident_quota.period"] = quota.get("period", "")
    typed["incident_quota.count"] = str(quota.get("count", ""))
    fees = document.get("escalation_fees") or {}
    typed |= {f"escalation_fees.{p}": fee["amount"] for p, fee in fees.items()}
    typed["escalation_fees.currency"] = next((fee["currency"] for fee in fees.values()), "")
    typed["mail_from"] = "\n".join(document.get("mail_from") or [])
    tiers = document.get("service_credits") or []
    typed["service_credits"] = "\n".join(f"{t['below_percent_met']} {t['credit_percent']}" for t in tiers)
    typed["fixed_team"] = document.get("fixed_team") or ""
    return {PREFIX + name: value for name, value in typed.items()}


def _number(text: str) -> Any:
    """A typed number as JSON would carry it; anything else as typed, for the domain to refuse."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def terms_document(form: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The PUT body the form describes, and the input each document path came from.

    A blank quota period is no quota; a blank fee is no fee for that priority; service credits
    are one tier a line, `95 5` (below 95% met, 5% credit).
    """

    def typed(name: str) -> str:
        return form.get(PREFIX + name, "").strip()

    paths = ["labels_enforced", "fixed_team", "mail_from", "service_credits", "incident_quota.period"]
    paths += ["incident_quota.count", "escalation_fees.currency"]
    paths += [f"labels.{p}" for p in PRIORITIES] + [f"escalation_fees.{p}" for p in PRIORITIES]
    inputs = {path: PREFIX + path for path in paths}
    inputs |= {
        "labels": PREFIX + "labels.P1",
        "incident_quota": PREFIX + "incident_quota.period",
        "escalation_fees": PREFIX + "escalation_fees.currency",
    }
    period, count, currency = (
        typed("incident_quota.period"),
        typed("incident_quota.count"),
        typed("escalation_fees.currency"),
    )
    fees = {p: {"amount": typed(f"escalation_fees.{p}"), "currency": currency} for p in PRIORITIES}
    tiers = []
    for line in typed("service_credits").splitlines():
        parts = [part for part in _SPLIT.split(line.strip()) if part]
        if parts:
            below, credit = [*parts, ""][:2]
            tiers.append({"below_percent_met": _number(below), "credit_percent": _number(credit)})
    document = {
        "labels_enforced": bool(typed("labels_enforced")),
        "labels": {p: typed(f"labels.{p}") for p in PRIORITIES},
        "incident_quota": {"period": period, "count": _number(count)} if period else None,
        "escalation_fees": {p: fee for p, fee in fees.items() if fee["amount"]},
        "mail_from": [a for a in _SPLIT.split(typed("mail_from")) if a],
        "service_credits": tiers,
        "fixed_team": typed("fixed_team") or None,
    }
    return document, inputs


def terms_section(
    vendor: str, typed: dict[str, str] | None = None, refused: FormRefused | None = None
) -> dict[str, Any]:
    """What the template's "Vendor terms" section shows."""
    view: TermsView = desk().get_vendor_terms(vendor)
    teams = [g.group_id for g in desk().list_groups() if g.kind == "vendor_team" and g.vendor == vendor]
    return {
        "view": view,
        "typed": typed if typed is not None else terms_typed(view.document),
        "form_version": request.form.get("version") if typed is not None else view.version,
        "refused": refused,
        "errors": refused.errors if refused else {},
        "teams": teams,
        "periods": QUOTA_PERIODS,
        "priorities": PRIORITIES,
    }
