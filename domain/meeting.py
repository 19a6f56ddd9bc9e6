"""The ImprovementMeeting aggregate: the monthly or quarterly meeting that closes the loop.

Finance, warehouse and production representatives review usage, find bottlenecks and decide
improvements. A decision taken in the meeting changes its subject (a suggestion is planned or
declined, an issue's priority changes, a workaround gets a new retire-by date) *and* is minuted
on the meeting; :func:`take_decision` makes both changes, and the application saves the two
aggregates in one atomic save, so there is never a minuted decision that did not happen, nor a
change that claims a meeting that has no record of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import event

from domain.access import ADMIN_ONLY, AccessDenied, role_family
from domain.actor import Actor
from domain.base import KaizenAggregate
from domain.errors import InvalidCommand
from domain.issue import Issue
from domain.keys import KEY_PATTERN, named_id
from domain.suggestion import Suggestion
from domain.values import text as _text
from domain.vocabulary import Module, Priority

MEETING_PREFIX: Final = "MT"
MEETING_KEY: Final = re.compile(r"^MT-[1-9][0-9]{0,9}$")
CADENCES: Final = ("monthly", "quarterly")
DEPARTMENTS: Final = (*(m.value for m in Module), "it", "management", "quality")
MAX_ATTENDEES: Final = 60
SCHEDULED: Final = "scheduled"
CLOSED: Final = "closed"

PLAN_SUGGESTION: Final = "plan_suggestion"
DECLINE_SUGGESTION: Final = "decline_suggestion"
REVIEW_SUGGESTION: Final = "review_suggestion"
CHANGE_PRIORITY: Final = "change_priority"
RESCHEDULE_WORKAROUND: Final = "reschedule_workaround"
NOTE: Final = "note"
SUGGESTION_DECISIONS: Final = frozenset({PLAN_SUGGESTION, DECLINE_SUGGESTION, REVIEW_SUGGESTION})
ISSUE_DECISIONS: Final = frozenset({CHANGE_PRIORITY, RESCHEDULE_WORKAROUND})
DECISION_KINDS: Final = (
    PLAN_SUGGESTION,
    DECLINE_SUGGESTION,
    REVIEW_SUGGESTION,
    CHANGE_PRIORITY,
    RESCHEDULE_WORKAROUND,
    NOTE,
)


def authorise_admin(actor: Actor, action: str) -> None:
    """Meetings, workarounds and freeze windows are the administrators' (docs/reference.md role table)."""
    if role_family(actor) not in ADMIN_ONLY:
        raise AccessDenied(f"role {actor.role} may not {action}", visible=True)


def authorise_meeting(actor: Actor, action: str) -> None:
    authorise_admin(actor, f"{action} improvement meetings")


def meeting_id(key: str) -> UUID:
    if not MEETING_KEY.match(key or ""):
        raise InvalidCommand(f"{key!r} is not a meeting key like MT-1", "key")
    return named_id("meeting", key)


def _attendees(value: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Each attendee has a name and a department; nobody attends twice."""
    if not value:
        raise InvalidCommand("a meeting needs at least one attendee", "attendees")
    if len(value) > MAX_ATTENDEES:
        raise InvalidCommand(f"at most {MAX_ATTENDEES} attendees", "attendees")
    seen: set[str] = set()
    found: list[dict[str, str]] = []
    for i, person in enumerate(value):
        name = _text(person.get("name"), f"attendees[{i}].name", 200)
        department = person.get("department")
        if department not in DEPARTMENTS:
            raise InvalidCommand(
                f"attendees[{i}].department must be one of {', '.join(DEPARTMENTS)}", f"attendees[{i}].department"
            )
        if name in seen:
            raise InvalidCommand(f"{name} is listed twice", f"attendees[{i}].name")
        seen.add(name)
        found.append({"name": name, "department": str(department)})
    return found


@dataclass(frozen=True)
class Decision:
    """One decision of a meeting, validated per kind before anything changes.

    Any kind may carry who follows it up (`owner`: an active person's id or a group's, which
    the application checks as it checks an assignee) and by when (`due`). Both are optional,
    so the decisions minuted before they existed load as they were.
    """

    kind: str
    subject: str | None = None
    target_release: str | None = None
    reason: str | None = None
    priority: str | None = None
    workaround_id: str | None = None
    retire_by: date | None = None
    impact: int | None = None
    effort: int | None = None
    text: str | None = None
    owner: str | None = None
    due: date | None = None

    def __post_init__(self) -> None:
        if self.kind not in DECISION_KINDS:
            raise InvalidCommand(f"kind must be one of {', '.join(DECISION_KINDS)}", "kind")
        prefix = "SG" if self.kind in SUGGESTION_DECISIONS else "KZ" if self.kind in ISSUE_DECISIONS else None
        if prefix is not None:
            match = KEY_PATTERN.match(self.subject or "")
            if match is None or match.group(1) != prefix:
                raise InvalidCommand(f"subject must be a {prefix}- key for {self.kind}", "subject")
        elif self.subject is not None:
            raise InvalidCommand("a note has no subject", "subject")
        required = {
            PLAN_SUGGESTION: ("target_release",),
            DECLINE_SUGGESTION: ("reason",),
            REVIEW_SUGGESTION: ("impact", "effort"),
            CHANGE_PRIORITY: ("priority", "reason"),
            RESCHEDULE_WORKAROUND: ("workaround_id", "retire_by"),
            NOTE: ("text",),
        }[self.kind]
        for name in required:
            if getattr(self, name) in (None, ""):
                raise InvalidCommand(f"{self.kind} needs {name}", name)
        for name, limit in (("target_release", 100), ("reason", 1900), ("text", 5000), ("owner", 200)):
            if getattr(self, name) is not None:
                _text(getattr(self, name), name, limit)
        if self.priority is not None and self.priority not in tuple(Priority):
            raise InvalidCommand("priority must be P1, P2, P3 or P4", "priority")
        if self.due is not None and (
            not isinstance(self.due, date) or isinstance(self.due, datetime) or not 2000 <= self.due.year <= 2199
        ):
            raise InvalidCommand("due must be a calendar date (YYYY-MM-DD) between 2000 and 2199", "due")

    @property
    def subject_kind(self) -> str | None:
        if self.kind in SUGGESTION_DECISIONS:
            return "suggestion"
        if self.kind in ISSUE_DECISIONS:
            return "issue"
        return None

    def details(self) -> dict[str, Any]:
        """The decision as stored on the meeting: JSON values only, absent fields left out."""
        raw = {
            "target_release": self.target_release,
            "reason": self.reason,
            "priority": self.priority,
            "workaround_id": self.workaround_id,
            "retire_by": self.retire_by.isoformat() if self.retire_by else None,
            "impact": self.impact,
            "effort": self.effort,
            "text": self.text,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else None,
        }
        return {k: v for k, v in raw.items() if v is not None}


class ImprovementMeeting(KaizenAggregate):
    """A meeting's state: who attends, what was decided, and the minutes once closed."""

    @staticmethod
    def create_id(key: str) -> UUID:
        return meeting_id(key)

    @event("Scheduled")
    def __init__(
        self,
        key: str,
        cadence: str,
        meeting_date: date,
        title: str | None,
        attendees: list[dict[str, str]],
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.key = key
        self.cadence = cadence
        self.meeting_date = meeting_date
        self.title = title
        self.attendees = attendees
        self.status = SCHEDULED
        self.decisions: list[dict[str, Any]] = []
        self.minutes: str | None = None
        self.agenda: dict[str, Any] | None = None
        self.closed_at: datetime | None = None
        self.scheduled_by = actor.id

    @classmethod
    def schedule(
        cls,
        key: str,
        *,
        cadence: str,
        meeting_date: date,
        attendees: Sequence[Mapping[str, Any]],
        actor: Actor,
        occurred_at: datetime,
        title: str | None = None,
    ) -> ImprovementMeeting:
        if cadence not in CADENCES:
            raise InvalidCommand("cadence must be monthly or quarterly", "cadence")
        if not isinstance(meeting_date, date) or isinstance(meeting_date, datetime):
            raise InvalidCommand("date must be a calendar date (YYYY-MM-DD)", "date")
        if not 2000 <= meeting_date.year <= 2199:
            raise InvalidCommand("date must lie between 2000 and 2199", "date")
        return cls(
            key=key,
            cadence=cadence,
            meeting_date=meeting_date,
            title=_text(title, "title", 300) if title is not None else None,
            attendees=_attendees(attendees),
            actor=actor,
            occurred_at=occurred_at,
        )

    @property
    def departments(self) -> list[str]:
        return sorted({a["department"] for a in self.attendees})

    # -- decisions ----------------------------------------------------------------------------
    def require_open(self, action: str) -> None:
        """Decisions and minutes belong to a meeting that has not been closed yet."""
        self._require(self.status == SCHEDULED, action)

    def record_decision(self, decision: Decision, actor: Actor, occurred_at: datetime) -> str:
        """Minute a decision; use :func:`take_decision`, which also changes its subject."""
        self.require_open("take a decision in")
        decision_id = f"d{len(self.decisions) + 1}"
        self._decided(
            decision_id=decision_id,
            kind=decision.kind,
            subject=decision.subject,
            details=decision.details(),
            actor=actor,
            occurred_at=occurred_at,
        )
        return decision_id

    @event("DecisionTaken")
    def _decided(
        self,
        decision_id: str,
        kind: str,
        subject: str | None,
        details: dict[str, Any],
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.decisions.append(
            {"id": decision_id, "kind": kind, "subject": subject, **details, "by": actor.id, "at": occurred_at}
        )

    # -- close --------------------------------------------------------------------------------
    def close(self, minutes: str, agenda: Mapping[str, Any] | None, actor: Actor, occurred_at: datetime) -> None:
        """Close with the minutes; the agenda as discussed is kept with them (a snapshot)."""
        self.require_open("close")
        self._closed(
            minutes=_text(minutes, "minutes", 50_000),
            agenda=dict(agenda) if agenda else None,
            actor=actor,
            occurred_at=occurred_at,
        )

    @event("Closed")
    def _closed(self, minutes: str, agenda: dict[str, Any] | None, actor: Actor, occurred_at: datetime) -> None:
        self.minutes = minutes
        self.agenda = agenda
        self.status = CLOSED
        self.closed_at = occurred_at

    def minutes_document(self) -> dict[str, Any]:
        """What the minutes say: who attended (by department), what was decided, the notes."""
        return {
            "key": self.key,
            "title": self.title,
            "cadence": self.cadence,
            "date": self.meeting_date,
            "status": self.status,
            "attendees": self.attendees,
            "departments": self.departments,
            "decisions": self.decisions,
            "minutes": self.minutes,
            "agenda": self.agenda,
            "closed_at": self.closed_at,
        }


def _minuted(reason: str | None, key: str) -> str:
    """The subject's own history names the meeting, so it can be traced without the minutes."""
    return f"{reason} (improvement meeting {key})" if reason else f"decided in improvement meeting {key}"


def take_decision(
    meeting: ImprovementMeeting,
    decision: Decision,
    subject: Suggestion | Issue | None,
    actor: Actor,
    occurred_at: datetime,
) -> str:
    """Change the decision's subject and minute the decision; both or neither (one save)."""
    meeting.require_open("take a decision in")
    if decision.due is not None and decision.due < occurred_at.date():
        raise InvalidCommand("due must not be in the past", "due")
    expected = {"suggestion": Suggestion, "issue": Issue}.get(decision.subject_kind or "")
    if expected is None:
        if subject is not None:
            raise InvalidCommand("a note changes nothing but the minutes", "subject")
    elif not isinstance(subject, expected) or subject.key != decision.subject:
        raise InvalidCommand(f"{decision.kind} needs the {decision.subject_kind} {decision.subject}", "subject")
    if isinstance(subject, Suggestion):
        if decision.kind == PLAN_SUGGESTION:
            assert decision.target_release is not None
            subject.plan(decision.target_release, actor, occurred_at, _minuted(decision.reason, meeting.key))
        elif decision.kind == DECLINE_SUGGESTION:
            subject.decline(_minuted(decision.reason, meeting.key), actor, occurred_at)
        else:
            assert decision.impact is not None and decision.effort is not None
            subject.record_review(decision.impact, decision.effort, meeting.key, actor, occurred_at)
    elif isinstance(subject, Issue):
        if decision.kind == CHANGE_PRIORITY:
            assert decision.priority is not None
            subject.override_priority(decision.priority, _minuted(decision.reason, meeting.key), actor, occurred_at)
        else:
            assert decision.workaround_id is not None and decision.retire_by is not None
            if decision.retire_by < occurred_at.date():
                raise InvalidCommand("retire_by must not be in the past", "retire_by")
            subject.reschedule_workaround(
                decision.workaround_id, decision.retire_by, _minuted(decision.reason, meeting.key), actor, occurred_at
            )
    return meeting.record_decision(decision, actor, occurred_at)
