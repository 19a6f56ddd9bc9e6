"""The closed vocabularies of the domain (docs/domain.md), as string enums.

String enums serialise as plain JSON strings in stored events, so events stay readable and
stable even if the Python names change.
"""

from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class ImpactScope(StrEnum):
    COMPANY = "company"
    DEPARTMENT = "department"
    TEAM = "team"
    USER = "user"


class Urgency(StrEnum):
    BLOCKING = "blocking"
    DEGRADED = "degraded"
    MINOR = "minor"


class ImpactClass(StrEnum):
    BUSINESS_BLOCKING = "business_blocking"
    EXPERIENCE = "experience"


class Module(StrEnum):
    FINANCE = "finance"
    WAREHOUSE = "warehouse"
    PRODUCTION = "production"
    SALES = "sales"
    PURCHASING = "purchasing"
    HR = "hr"
    REPORTING = "reporting"
    OTHER = "other"


class IssueStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    WAITING_ON_REPORTER = "waiting_on_reporter"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class WaitingOn(StrEnum):
    REPORTER = "reporter"
    CUSTOMER = "customer"


class WorkaroundKind(StrEnum):
    APPROVAL_OUTSIDE_SYSTEM = "approval_outside_system"
    MANUAL_LEDGER = "manual_ledger"
    MANUAL_REPORT = "manual_report"
    OTHER = "other"


class SuggestionStatus(StrEnum):
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    PLANNED = "planned"
    DECLINED = "declined"
    IMPLEMENTED = "implemented"
    MERGED = "merged"


KNOWN_VENDORS = ("sap", "oracle", "microsoft", "yonyou", "multiable", "internal")
