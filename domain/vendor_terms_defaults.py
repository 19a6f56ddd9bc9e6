"""The vendor terms Kaizen Desk ships, used until an admin puts a vendor's own.

The labels are the SLA defaults' (`domain.sla_defaults`), so the two never disagree. SAP's,
Oracle's and Microsoft's labels are their published severity names, so they are enforced;
Yonyou's and Multiable's labels are placeholders (their terms are per contract), so they are
not enforced until an admin puts confirmed ones. No vendor publishes a quota, fee, credit tier
or fixed team that fits every customer: those are empty placeholders, listed per vendor in
`PLACEHOLDERS` and returned with the default document (`"placeholders": [...]`).
"""

from __future__ import annotations

import copy
from typing import Any, Final

from domain.sla_defaults import DEFAULT_POLICIES

PUBLISHED_LABELS: Final = frozenset({"sap", "oracle", "microsoft"})
TERMS_VENDORS: Final = ("sap", "oracle", "microsoft", "yonyou", "multiable")
_CONTRACT_FIELDS: Final = ("incident_quota", "escalation_fees", "service_credits", "fixed_team")

MAIL_DOMAINS: Final[dict[str, list[str]]] = {
    "sap": ["@sap.com"],  # published: SAP's own domain
    "oracle": ["@oracle.com"],  # published
    "microsoft": ["@microsoft.com"],  # published
    "yonyou": ["@yonyou.com"],  # published
    "multiable": ["@multiable.com"],  # placeholder: the reseller may mail from its own domain
}


def _default(vendor: str) -> dict[str, Any]:
    return {
        "labels_enforced": vendor in PUBLISHED_LABELS,
        "labels": dict(DEFAULT_POLICIES[vendor]["labels"]),
        "incident_quota": None,  # placeholder: unlimited until the contract's quota is put
        "escalation_fees": {},  # placeholder
        "mail_from": list(MAIL_DOMAINS[vendor]),
        "service_credits": [],  # placeholder
        "fixed_team": None,  # placeholder: the customer's own group
    }


DEFAULT_TERMS: Final[dict[str, dict[str, Any]]] = {vendor: _default(vendor) for vendor in TERMS_VENDORS}

PLACEHOLDERS: Final[dict[str, list[str]]] = {
    vendor: [
        *([] if vendor in PUBLISHED_LABELS else ["labels"]),
        *_CONTRACT_FIELDS,
        *(["mail_from"] if vendor == "multiable" else []),
    ]
    for vendor in TERMS_VENDORS
}


def default_terms_document(vendor: str) -> dict[str, Any] | None:
    """A fresh copy of the vendor's default terms; None for a vendor without shipped terms
    (its escalations are then neither label-checked nor charged)."""
    terms = DEFAULT_TERMS.get(vendor)
    return copy.deepcopy(terms) if terms is not None else None
