"""The SLA policies Kaizen Desk ships, as data an admin can replace over the API.

Each number says whether it comes from the vendor's published support terms or is a
placeholder to be replaced with the customer's own contract (a test checks every number is
marked). Kept apart from the document parser so the data can grow without touching the rules.
"""

from __future__ import annotations

import copy
from typing import Any, Final

# ------------------------------------------------------------------------------ defaults

_WEEKDAYS_MON_FRI: Final = ("mon", "tue", "wed", "thu", "fri")


def _office(
    timezone: str, country: str, ranges: list[list[str]], saturday: list[list[str]] | None = None
) -> dict[str, Any]:
    hours: dict[str, Any] = {day: copy.deepcopy(ranges) for day in _WEEKDAYS_MON_FRI}
    if saturday:
        hours["sat"] = saturday
    return {
        "timezone": timezone,
        "hours": hours,
        "holidays": {"country": country, "subdivision": None},
        "closed_days": [],
    }


def _hk_office() -> dict[str, Any]:
    """Vendors' business hours are the customer's local ones; the company is in Hong Kong."""
    return _office("Asia/Hong_Kong", "HK", [["09:00", "18:00"]])


# The company's five sites (the `site` an issue is reported at) and each office's calendar: its
# own time zone and public holidays, Monday to Friday 09:00-18:00 like the Hong Kong office.
# The internal team answers an issue in the office hours of the site it was reported at.
SITE_OFFICES: Final[dict[str, tuple[str, str, str]]] = {
    "HK": ("hk-office", "Asia/Hong_Kong", "HK"),
    "SG": ("sg-office", "Asia/Singapore", "SG"),
    "JKT": ("jkt-office", "Asia/Jakarta", "ID"),
    "HCM": ("hcm-office", "Asia/Ho_Chi_Minh", "VN"),
    "CMB": ("cmb-office", "Asia/Colombo", "LK"),
}


def _site_calendars() -> dict[str, Any]:
    return {name: _office(zone, country, [["09:00", "18:00"]]) for name, zone, country in SITE_OFFICES.values()}


DEFAULT_POLICIES: Final[dict[str, dict[str, Any]]] = {
    "sap": {
        "calendars": {"always": "24x7", "business-hours": _hk_office()},
        "targets": {
            "P1": {
                "calendar": "always",
                "response": "PT1H",  # published: Very High, initial response 1 hour, 24x7
                "update": "PT4H",  # placeholder (cf. the published 4-hour action plan)
                "resolution": "PT24H",  # placeholder: SAP commits to no resolution time
            },
            "P2": {
                "calendar": "business-hours",
                "response": "PT4H",  # published: High, initial response 4 business hours
                "update": "PT8H",  # placeholder
                "resolution": "PT40H",  # placeholder
            },
            "P3": {
                "calendar": "business-hours",
                "response": "PT8H",  # placeholder
                "resolution": "PT80H",  # placeholder
            },
            "P4": {
                "calendar": "business-hours",
                "response": "PT16H",  # placeholder
                "resolution": "PT160H",  # placeholder
            },
        },
        "labels": {"P1": "Very High", "P2": "High", "P3": "Medium", "P4": "Low"},
    },
    "oracle": {
        "calendars": {"always": "24x7", "business-hours": _hk_office()},
        "targets": {
            "P1": {
                "calendar": "always",
                "response": "PT1H",  # published: Severity 1, response within 1 hour, 24x7
                "update": "PT4H",  # placeholder
                "resolution": "PT24H",  # placeholder
            },
            "P2": {
                "calendar": "business-hours",
                "response": "PT4H",  # placeholder
                "update": "PT8H",  # placeholder
                "resolution": "PT40H",  # placeholder
            },
            "P3": {
                "calendar": "business-hours",
                "response": "PT8H",  # placeholder
                "resolution": "PT80H",  # placeholder
            },
            "P4": {
                "calendar": "business-hours",
                "response": "PT16H",  # placeholder
                "resolution": "PT160H",  # placeholder
            },
        },
        "labels": {"P1": "Severity 1", "P2": "Severity 2", "P3": "Severity 3", "P4": "Severity 4"},
    },
    "microsoft": {
        "calendars": {"always": "24x7", "business-hours": _hk_office()},
        "targets": {
            "P1": {
                "calendar": "always",
                "response": "PT1H",  # published: Sev A, initial response 1 hour, 24x7
                "update": "PT4H",  # placeholder
                "resolution": "PT24H",  # placeholder
            },
            "P2": {
                "calendar": "business-hours",
                "response": "PT4H",  # placeholder
                "update": "PT8H",  # placeholder
                "resolution": "PT40H",  # placeholder
            },
            "P3": {
                "calendar": "business-hours",
                "response": "PT8H",  # placeholder
                "resolution": "PT80H",  # placeholder
            },
            "P4": {
                "calendar": "business-hours",
                "response": "PT8H",  # placeholder (Sev C, like P3)
                "resolution": "PT160H",  # placeholder
            },
        },
        "labels": {"P1": "Sev A", "P2": "Sev B", "P3": "Sev C", "P4": "Sev C"},
    },
    "yonyou": {
        "calendars": {"cn-office": _office("Asia/Shanghai", "CN", [["09:00", "12:00"], ["13:30", "18:00"]])},
        "targets": {
            "P1": {
                "calendar": "cn-office",
                "response": "PT2H",  # placeholder
                "update": "PT4H",  # placeholder
                "resolution": "PT15H",  # placeholder (two office days of 7.5 hours)
            },
            "P2": {
                "calendar": "cn-office",
                "response": "PT4H",  # placeholder
                "update": "PT8H",  # placeholder
                "resolution": "PT37H30M",  # placeholder (five office days)
            },
            "P3": {
                "calendar": "cn-office",
                "response": "PT7H30M",  # placeholder (one office day)
                "resolution": "PT75H",  # placeholder (ten office days)
            },
            "P4": {
                "calendar": "cn-office",
                "response": "PT15H",  # placeholder
                "resolution": "PT150H",  # placeholder
            },
        },
        "labels": {"P1": "紧急", "P2": "高", "P3": "中", "P4": "低"},
    },
    "multiable": {
        "calendars": {
            "hk-office": _office(
                "Asia/Hong_Kong",
                "HK",
                [["09:00", "13:00"], ["14:00", "18:00"]],
                saturday=[["09:00", "13:00"]],
            )
        },
        "targets": {
            "P1": {
                "calendar": "hk-office",
                "response": "PT1H",  # placeholder
                "update": "PT4H",  # placeholder
                "resolution": "PT16H",  # placeholder
            },
            "P2": {
                "calendar": "hk-office",
                "response": "PT4H",  # placeholder
                "update": "PT8H",  # placeholder
                "resolution": "PT40H",  # placeholder
            },
            "P3": {
                "calendar": "hk-office",
                "response": "PT8H",  # placeholder
                "resolution": "PT80H",  # placeholder
            },
            "P4": {
                "calendar": "hk-office",
                "response": "PT16H",  # placeholder
                "resolution": "PT160H",  # placeholder
            },
        },
        "labels": {"P1": "Critical", "P2": "High", "P3": "Medium", "P4": "Low"},
    },
    "internal": {
        # hk-office first: the calendar of an issue reported without a site.
        "calendars": {"hk-office": _hk_office(), **_site_calendars()},
        "targets": {
            "P1": {
                "calendar": "hk-office",
                "response": "PT30M",  # placeholder
                "resolution": "PT8H",  # placeholder
            },
            "P2": {
                "calendar": "hk-office",
                "response": "PT2H",  # placeholder
                "resolution": "PT27H",  # placeholder (three office days of 9 hours)
            },
            "P3": {
                "calendar": "hk-office",
                "response": "PT9H",  # placeholder (one office day)
                "resolution": "PT90H",  # placeholder (ten office days)
            },
            "P4": {
                "calendar": "hk-office",
                "response": "PT18H",  # placeholder
                "resolution": "PT180H",  # placeholder
            },
        },
        "labels": {"P1": "Critical", "P2": "High", "P3": "Medium", "P4": "Low"},
        "site_calendars": {site: office[0] for site, office in SITE_OFFICES.items()},
    },
}


def default_policy_document(vendor: str) -> dict[str, Any]:
    """A fresh copy of the vendor's default document; unknown vendors get ``internal``'s.

    A copy, so that a caller editing it cannot change the defaults of every later caller.
    """
    return copy.deepcopy(DEFAULT_POLICIES.get(vendor, DEFAULT_POLICIES["internal"]))
