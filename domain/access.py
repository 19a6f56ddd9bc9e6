"""Who may see and do what: the role table of the HTTP contract, as a pure rule.

Kept in the domain so the HTTP API, the CLI and the importer all obey the same table.
"""

from __future__ import annotations

from typing import Any

from domain.actor import Actor
from domain.errors import DomainError


class AccessDenied(DomainError):
    """`visible=False` means the caller must not learn the resource exists (HTTP 404)."""

    def __init__(self, message: str, visible: bool) -> None:
        super().__init__(message)
        self.visible = visible


READ_ALL = frozenset({"admin", "auditor", "system"})
ISSUE_ACTIONS: dict[str, frozenset[str]] = {
    "report": frozenset({"reporter", "admin", "system"}),
    "comments": frozenset({"reporter", "admin", "vendor", "system"}),
    "attachments": frozenset({"reporter", "admin", "vendor", "system"}),  # who may comment may attach
    "vendor-updates": frozenset({"vendor", "admin", "system"}),
    "wait": frozenset({"vendor", "admin", "system"}),  # a vendor only on the customer (Issue.wait)
    "affected": frozenset({"reporter", "admin", "system"}),
}
CLOSED_STATES = frozenset({"resolved", "closed"})
SUGGESTION_ACTIONS: dict[str, frozenset[str]] = {
    "suggest": frozenset({"reporter", "admin", "system"}),
    "votes": frozenset({"reporter", "admin", "system"}),
    "comments": frozenset({"reporter", "admin", "system"}),
    "attachments": frozenset({"reporter", "admin", "system"}),  # who may comment may attach
}
ADMIN_ONLY = frozenset({"admin", "system"})


def role_family(actor: Actor) -> str:
    """`vendor:sap` -> `vendor`; an app's employee acts with reporter rights."""
    if actor.role.startswith("vendor:"):
        return "vendor"
    if actor.role == "app":
        return "reporter"
    return actor.role


def can_see_issue(actor: Actor, issue: Any) -> bool:
    family = role_family(actor)
    if family in READ_ALL:
        return True
    if family == "vendor":
        return issue.escalation is not None and issue.escalation["vendor"] == actor.vendor
    return bool(issue.reporter == actor.id)


def may_glimpse_issue(actor: Actor, issue: Any) -> bool:
    """Whether `actor` may learn an issue's key, title, status and affected count (never its
    description or comments): whoever may read it, and whoever may report, for an open issue.

    This is what the report form's possible duplicates show a clerk, so that they can say
    "me too" instead of reporting the same problem again; a resolved or closed issue of
    someone else stays unknown to them (404).
    """
    if can_see_issue(actor, issue):
        return True
    return glimpses_open_issues(actor) and str(issue.status) not in CLOSED_STATES


def glimpses_open_issues(actor: Actor) -> bool:
    """Whoever may report may glimpse every open issue (see `may_glimpse_issue`)."""
    return role_family(actor) in ISSUE_ACTIONS["report"]


GLIMPSE_ACTIONS = frozenset({"affected"})
"""Commands a caller may give on an issue they may only glimpse (see `may_glimpse_issue`)."""


def authorise_issue(actor: Actor, action: str, issue: Any | None) -> None:
    """Raise AccessDenied unless `actor` may perform `action` (on `issue`, when it exists)."""
    glimpse = action in GLIMPSE_ACTIONS and issue is not None and may_glimpse_issue(actor, issue)
    if issue is not None and not glimpse and not can_see_issue(actor, issue):
        raise AccessDenied(f"issue {issue.key} was not found", visible=False)  # as if it did not exist
    allowed = ISSUE_ACTIONS.get(action, ADMIN_ONLY)
    if role_family(actor) not in allowed:
        raise AccessDenied(f"role {actor.role} may not {action} issues", visible=True)


def can_see_suggestion(actor: Actor) -> bool:
    """Suggestions are staff's ideas about their own use of the ERP; the Suggestion aggregate
    names no vendor, so no suggestion is a vendor's to assess and a vendor sees none."""
    return role_family(actor) != "vendor"


def sees_voters(actor: Actor) -> bool:
    """Who voted for what, and who was rewarded with how much, is personal: administrators and
    auditors see it; everyone else sees counts (and their own vote or reward)."""
    return role_family(actor) in READ_ALL


def can_see_policy(actor: Actor, vendor: str) -> bool:
    """A vendor reads its own SLA policy (its contract with the company), not its competitors'."""
    return role_family(actor) != "vendor" or actor.vendor == vendor


def authorise_suggestion(actor: Actor, action: str) -> None:
    allowed = SUGGESTION_ACTIONS.get(action, ADMIN_ONLY)
    if role_family(actor) not in allowed:
        raise AccessDenied(f"role {actor.role} may not {action} suggestions", visible=True)


SELF_SERVICE_FIELDS = frozenset({"name", "language", "time_zone"})


def authorise_person_read(actor: Actor, person: str) -> None:
    """Admins and auditors read everyone; a person reads themself; others learn nothing (404)."""
    if role_family(actor) not in READ_ALL and actor.id != person:
        raise AccessDenied(f"person {person} was not found", visible=False)


def authorise_people_list(actor: Actor) -> None:
    if role_family(actor) not in READ_ALL:
        raise AccessDenied(f"role {actor.role} may not list people", visible=True)


def authorise_person_change(actor: Actor, person: str, fields: set[str]) -> None:
    """Admins change anything; a person changes their own name, language and time zone."""
    if role_family(actor) in ADMIN_ONLY:
        return
    authorise_person_read(actor, person)
    if actor.id != person:  # an auditor reads everyone but changes only their own profile
        raise AccessDenied(f"only an administrator may change person {person}", visible=True)
    refused = sorted(fields - SELF_SERVICE_FIELDS)
    if refused:
        raise AccessDenied(f"only an administrator may change {', '.join(refused)}", visible=True)


def authorise_people_admin(actor: Actor, action: str) -> None:
    """Creating, deactivating and resetting people, and changing groups, is for administrators."""
    if role_family(actor) not in ADMIN_ONLY:
        raise AccessDenied(f"role {actor.role} may not {action}", visible=True)
