"""Aggregates as the API shows them, scoped to the viewer.

Presenters return plain Python values (datetimes stay datetimes); the marshmallow schemas in
`schemas/` turn them into JSON and describe them in OpenAPI, so shape and document cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from application.reading import HistoryPage
from domain.access import role_family, sees_voters
from domain.actor import Actor
from domain.issue import Issue
from domain.suggestion import Suggestion

SEES_INTERNAL = frozenset({"admin", "auditor", "system"})
INTERNAL = "internal"


def sees_internal(viewer: Actor) -> bool:
    """Internal comments are for administrators (and auditors); reporters and vendors never see them."""
    return role_family(viewer) in SEES_INTERNAL


def utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def json_safe(value: Any) -> Any:
    """Event data as JSON values: times in UTC RFC 3339, enums as their values, money as strings."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, Actor):
        return value.as_dict()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _comments(comments: list[dict[str, Any]], viewer: Actor) -> list[dict[str, Any]]:
    show_internal = sees_internal(viewer)
    return [{**c, "at": utc(c.get("at"))} for c in comments if show_internal or str(c.get("visibility")) != INTERNAL]


def attachments_view(aggregate: Issue | Suggestion, viewer: Actor) -> list[dict[str, Any]]:
    """The files on an issue or suggestion; one posted with an internal comment only for those
    who see internal comments."""
    hidden = set()
    if not sees_internal(viewer):
        hidden = {c["id"] for c in aggregate.comments if str(c.get("visibility")) == INTERNAL}
    return [
        {**a, "uploaded_at": utc(a.get("uploaded_at"))}
        for a in aggregate.attachments
        if a.get("comment_id") not in hidden
    ]


def issue_view(issue: Issue, viewer: Actor) -> dict[str, Any]:
    """Every field of the contract's issue shape, internal comments only for those who may see them."""
    escalation = None
    if issue.escalation is not None:
        escalation = {**issue.escalation, "escalated_at": utc(issue.escalation.get("escalated_at"))}
    return {
        "key": issue.key,
        "title": issue.title,
        "description": issue.description,
        "module": issue.module,
        "scenario": issue.scenario,
        "impact_scope": issue.impact_scope,
        "urgency": issue.urgency,
        "priority": issue.priority,
        "impact_class": issue.impact_class,
        "vendor": issue.vendor,
        "site": issue.site,
        "language": issue.language,
        "noticed_at": utc(issue.noticed_at),
        "reporter": issue.reporter,
        "reported_at": utc(issue.reported_at),
        "status": issue.status,
        "assignee": issue.assignee,
        "first_response_at": utc(issue.first_response_at),
        "escalation": escalation,
        "waiting_reason": issue.waiting_reason,
        "comments": _comments(issue.comments, viewer),
        "attachments": attachments_view(issue, viewer),
        "vendor_updates": [{**u, "at": utc(u.get("at"))} for u in issue.vendor_updates],
        "workarounds": [
            {**w, "recorded_at": utc(w.get("recorded_at")), "retired_at": utc(w.get("retired_at"))}
            for w in issue.workarounds.values()
        ],
        "changes": [{**c, "scheduled_for": utc(c.get("scheduled_for"))} for c in issue.changes],
        "resolution": issue.resolution,
        "root_cause": issue.root_cause,
        "resolved_at": utc(issue.resolved_at),
        "closed_at": utc(issue.closed_at),
        "reopen_count": issue.reopen_count,
        "links": [
            {"kind": link["kind"], "key": link["key"], "direction": link["direction"], "at": utc(link["at"])}
            for link in issue.all_links
        ],
        "affected_count": len(issue.affected_people),
        "affected": viewer.id in issue.affected_people,
        **({"affected_people": list(issue.affected_people)} if sees_voters(viewer) else {}),
        "updated_at": utc(issue.updated_at),
        "version": issue.version,
    }


def affected_view(issue: Issue, viewer: Actor) -> dict[str, Any]:
    """What a "me too" answers: only what the caller may glimpse (`domain.access.may_glimpse_issue`)."""
    return {
        "key": issue.key,
        "title": issue.title,
        "status": issue.status,
        "affected_count": len(issue.affected_people),
        "affected": viewer.id in issue.affected_people,
        "version": issue.version,
    }


def suggestion_view(suggestion: Suggestion, viewer: Actor) -> dict[str, Any]:
    """Votes as a count (who voted is not shown), plus whether the viewer is one of them; rewards
    in full for administrators and auditors, otherwise only the viewer's own (and how many)."""
    decision = suggestion.decision
    review = suggestion.review
    return {
        "key": suggestion.key,
        "title": suggestion.title,
        "description": suggestion.description,
        "module": suggestion.module,
        "submitter": suggestion.submitter,
        "submitted_at": utc(suggestion.submitted_at),
        "status": suggestion.status,
        "votes": suggestion.votes,
        "voted": viewer.id in suggestion.voters,
        "comments": _comments(suggestion.comments, viewer),
        "attachments": attachments_view(suggestion, viewer),
        "merged_into": suggestion.merged_into,
        "merged_from": list(suggestion.merged_from),
        "review": {**review, "at": utc(review.get("at"))} if review else None,
        "decision": {**decision, "at": utc(decision.get("at"))} if decision else None,
        "implemented_at": utc(suggestion.implemented_at),
        "rewards": [
            {**r, "at": utc(r.get("at"))}
            for r in suggestion.rewards
            if sees_voters(viewer) or r.get("recipient") == viewer.id
        ],
        "reward_count": len(suggestion.rewards),
        "updated_at": utc(suggestion.updated_at),
        "version": suggestion.version,
    }


def history_view(entries: list[dict[str, Any]], viewer: Actor) -> list[dict[str, Any]]:
    """Every event; the body of an internal comment is withheld from those who may not read it."""
    show_internal = sees_internal(viewer)
    items = []
    for entry in entries:
        data = dict(entry["data"])
        if not show_internal and str(data.get("visibility")) == INTERNAL:
            data = {k: v for k, v in data.items() if k not in ("body", "message")}
            data["redacted"] = True
        items.append(
            {
                **entry,
                "data": json_safe(data),
                "occurred_at": utc(entry["occurred_at"]),
                "recorded_at": utc(entry["recorded_at"]),
            }
        )
    return items


REDACTED = "[redacted]"
VOTE_EVENTS = frozenset({"Voted", "VoteWithdrawn"})


def suggestion_history_view(entries: list[dict[str, Any]], viewer: Actor) -> list[dict[str, Any]]:
    """A suggestion's events, with who voted and who was paid how much withheld from those who
    may only see counts (`domain.access.sees_voters`).

    A vote of someone else is still listed (its type, version and times: the count can be
    followed), but its actor, data and hash are withheld; the hash too, because the hash of a
    known event shape over a guessed voter id would confirm the guess. A merge shows how many
    votes moved, not whose; a reward someone else received shows neither amount nor recipient.
    The viewer's own votes and rewards are shown whole."""
    if sees_voters(viewer):
        return history_view(entries, viewer)
    private = []
    for entry in entries:
        data = entry["data"]
        if entry["type"] in VOTE_EVENTS and entry["actor"] != viewer.id:
            entry = {**entry, "actor": REDACTED, "actor_role": REDACTED, "via": None, "data": {"redacted": True}}
            entry["hash"] = None
        elif entry["type"] == "DuplicateAbsorbed":
            moved = {"source": data.get("source"), "votes_moved": len(data.get("voters") or []), "redacted": True}
            entry = {**entry, "data": moved, "hash": None}
        elif entry["type"] == "Rewarded" and data.get("recipient") != viewer.id:
            entry = {**entry, "data": {"redacted": True}, "hash": None}
        private.append(entry)
    return history_view(private, viewer)


def history_page(page: HistoryPage, viewer: Actor | None = None, votes_private: bool = False) -> dict[str, Any]:
    """A page of history as the contract pages every list: the cursor is the last version given.

    With a viewer, internal comments are withheld as in `history_view`; without one (meetings,
    SLA policies, which carry none), the events are only made JSON-safe. `votes_private` (a
    suggestion's history) withholds voters and rewards as in `suggestion_history_view`."""
    if viewer is None:
        items = json_safe(page.entries)
    elif votes_private:
        items = suggestion_history_view(page.entries, viewer)
    else:
        items = history_view(page.entries, viewer)
    return {
        "items": items,
        "next_cursor": str(page.after) if page.after is not None else None,
    }
