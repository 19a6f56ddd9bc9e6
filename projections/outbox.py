"""The notification outbox: one row per (subscription, event) that a subscription wants.

The projection follows the log like every view and writes outbox rows in the same transaction
as its tracking position, so each event becomes at most one row per subscription (primary key
`(subscription_id, position)`) and none is lost across crashes. It matches events against the
subscriptions *as they stood at that point of the log*, from its own tables, so the rows it
writes are the same however often it is rebuilt.

Delivery state (attempts, next attempt, delivered or dead) lives in the same rows and in
`notification_attempt`, written by the delivery worker: it is operational bookkeeping about
talking to other systems, not a business fact, and it changes on every retry; recording it as
events would grow the audited log with retry noise. The price: it cannot be rebuilt from the
log. So a rebuild of this view drops and replays only its matching tables (subscriptions and
subjects), and its inserts do nothing for rows that exist: a rebuild neither forgets what was
delivered nor sends anything twice, and ends with the same rows as the incremental build.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any
from uuid import uuid5

from domain.base import event_name
from domain.keys import NAMESPACE
from domain.notification_rules import NotificationFilter, subscription_language
from projections.store import Sql
from projections.view import View, created_in, iso, originator

# Set when the projection writes a row, so the delivery loop in the same (elected) process wakes
# at once instead of at its next poll; a wake-up before the row commits only costs a retry.
WRITTEN = threading.Event()
SUBSCRIPTIONS, SUBJECTS = "notification_subscription", "notification_subject"
OUTBOX, ATTEMPTS = "notification_outbox", "notification_attempt"


def delivery_id(subscription_id: str, position: int) -> str:
    """Deterministic, so a rebuild gives every delivery the id receivers already deduplicate on."""
    return str(uuid5(NAMESPACE, f"delivery:{subscription_id}:{position}"))


def resolved_data(e: Any) -> dict[str, Any]:
    """An `issue.resolved` notice: the resolution, and who follows the issue (the reporters of its
    duplicates, the people who said "me too"; `domain.notification_rules.followers_of`), so a
    receiver (a mail relay, a chat bot) tells them too. Events from before linked issues have none."""
    return {"resolution": e.resolution, "followers": list(e.__dict__.get("followers") or [])}


SUBJECT_COLUMNS = (
    "aggregate_id",
    "subject_kind",
    "key",
    "title",
    "status",
    "status_before_wait",
    "priority",
    "vendor",
    "escalated_vendor",
    "module",
    "site",
)
MUTABLE = ("status", "status_before_wait", "priority", "vendor", "escalated_vendor")
NOT_SUBJECT_EVENTS = (
    "Subscription.Created",
    "Subscription.Revoked",
    "SlaAlert.Raised",
    "CheckpointNotice.Published",
    "AutomationFiring.Fired",
)
CHUNK = 500  # ids per IN (...) list


class OutboxView(View):
    """Subjects are read and changed in memory during a batch and written once at `flush`
    (the batch's subjects are read in a few statements at `begin`); the live subscriptions are
    read once per batch. Reading a subject and the subscriptions for every issue event, and
    updating the subject row after each, were three statements per event: the slowest view of
    a catch-up. The rows written are the same."""

    name = "notifications"
    tables = (SUBSCRIPTIONS, SUBJECTS, OUTBOX, ATTEMPTS)

    def __init__(self) -> None:
        self._subjects: dict[str, dict[str, Any]] = {}  # aggregate id -> row, as of this point of the batch
        self._by_key: dict[str, dict[str, Any]] = {}
        self._new: set[str] = set()  # subjects to insert at flush
        self._changed: set[str] = set()  # subjects to update at flush
        self._subscriptions: list[dict[str, Any]] | None = None

    def begin(self, sql: Sql, events: Sequence[Any]) -> None:
        self._subjects, self._by_key, self._new, self._changed = {}, {}, set(), set()
        self._subscriptions = None
        handled = self.handlers()
        ids = sorted(
            {originator(e) for e in events if (name := event_name(e)) in handled and name not in NOT_SUBJECT_EVENTS}
            - created_in(events)  # no subject row yet, as in the issue list's `begin`
        )
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            for row in sql.execute(f"SELECT * FROM {SUBJECTS} WHERE aggregate_id IN ({marks})", chunk).fetchall():
                self._remember(row)

    def _remember(self, row: dict[str, Any]) -> None:
        self._subjects[row["aggregate_id"]] = row
        self._by_key[row["key"]] = row

    def flush(self, sql: Sql) -> None:
        new = [tuple(self._subjects[i][c] for c in SUBJECT_COLUMNS) for i in sorted(self._new)]
        changed = [(*(self._subjects[i][c] for c in MUTABLE), i) for i in sorted(self._changed) if i not in self._new]
        self._new, self._changed = set(), set()
        sql.executemany(
            f"INSERT INTO {SUBJECTS} ({', '.join(SUBJECT_COLUMNS)}) VALUES ({', '.join('?' * len(SUBJECT_COLUMNS))})"
            " ON CONFLICT (aggregate_id) DO NOTHING",
            new,
        )
        sql.executemany(
            f"UPDATE {SUBJECTS} SET {', '.join(f'{c} = ?' for c in MUTABLE)} WHERE aggregate_id = ?", changed
        )

    def _insert_subject(self, **row: Any) -> None:
        """`INSERT ... ON CONFLICT DO NOTHING`, in the batch's memory: a subject that exists stays."""
        if row["aggregate_id"] in self._subjects:
            return
        self._remember({c: row.get(c) for c in SUBJECT_COLUMNS})
        self._new.add(row["aggregate_id"])

    def create(self, sql: Sql) -> None:
        sql.execute(
            f"CREATE TABLE IF NOT EXISTS {SUBSCRIPTIONS} (subscription_id TEXT PRIMARY KEY, aggregate_id TEXT NOT NULL,"
            " kind TEXT NOT NULL,"
            " event_types TEXT NOT NULL, filters TEXT NOT NULL, language TEXT NOT NULL,"
            " created_position BIGINT NOT NULL, revoked_position BIGINT)"
        )
        sql.execute(
            f"CREATE TABLE IF NOT EXISTS {SUBJECTS} (aggregate_id TEXT PRIMARY KEY, subject_kind TEXT NOT NULL,"
            " key TEXT NOT NULL UNIQUE, title TEXT NOT NULL, status TEXT, status_before_wait TEXT, priority TEXT,"
            " vendor TEXT, escalated_vendor TEXT, module TEXT, site TEXT)"
        )
        sql.execute(
            f"CREATE TABLE IF NOT EXISTS {OUTBOX} (subscription_id TEXT NOT NULL, position BIGINT NOT NULL,"
            " delivery_id TEXT NOT NULL UNIQUE, event_type TEXT NOT NULL, notice TEXT NOT NULL,"
            " created_at TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,"
            " next_attempt_at TEXT NOT NULL, lease_until TEXT, last_status INTEGER, last_error TEXT,"
            " delivered_at TEXT, updated_at TEXT NOT NULL, log_seq INTEGER NOT NULL,"
            " PRIMARY KEY (subscription_id, position))"
        )
        sql.execute(f"CREATE INDEX IF NOT EXISTS notification_outbox_due ON {OUTBOX} (state, next_attempt_at)")
        sql.execute(
            f"CREATE TABLE IF NOT EXISTS {ATTEMPTS} (delivery_id TEXT NOT NULL, seq INTEGER NOT NULL,"
            " at TEXT NOT NULL, outcome TEXT NOT NULL, status INTEGER, error TEXT, duration_ms INTEGER,"
            " actor TEXT, PRIMARY KEY (delivery_id, seq))"
        )

    def drop(self, sql: Sql) -> None:
        """Only the matching tables: delivery state cannot be rebuilt from the log (see above)."""
        for table in (SUBSCRIPTIONS, SUBJECTS):
            sql.execute(f"DROP TABLE IF EXISTS {table}")

    def handlers(self) -> dict[str, Callable[[Sql, Any, int], None]]:
        return {
            "Subscription.Created": self._subscribed,
            "Subscription.Revoked": self._unsubscribed,
            "Issue.Reported": self._reported,
            "Issue.Triaged": self._triaged,
            "Issue.PriorityOverridden": lambda sql, e, p: self._change(sql, e, p, priority=str(e.priority)),
            "Issue.Assigned": self._assigned,
            "Issue.EscalatedToVendor": self._escalated,
            "Issue.WaitingStarted": self._waiting,
            "Issue.Resumed": self._resumed,
            "Issue.Resolved": lambda sql, e, p: self._change(
                sql, e, p, "issue.resolved", resolved_data(e), status="resolved", status_before_wait=None
            ),
            "Issue.Reopened": self._reopened,
            "Issue.Closed": lambda sql, e, p: self._change(sql, e, p, status="closed", status_before_wait=None),
            "Suggestion.Submitted": self._submitted,
            "Suggestion.Planned": self._planned,
            "SlaAlert.Raised": self._alert,
            "AutomationFiring.Fired": self._rule_notice,
            "CheckpointNotice.Published": self._checkpoint,
        }

    # -- subscriptions ----------------------------------------------------------------------------
    def _subscribed(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        self._subscriptions = None
        sql.execute(
            f"INSERT INTO {SUBSCRIPTIONS} (subscription_id, aggregate_id, kind, event_types, filters, language,"
            " created_position) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (subscription_id) DO NOTHING",
            (
                d["subscription_id"],
                originator(e),
                d["kind"],
                json.dumps(d["event_types"]),
                json.dumps(d["filters"], sort_keys=True),
                subscription_language(d["language"]),  # an old `zh` is zh-Hans
                position,
            ),
        )

    def _unsubscribed(self, sql: Sql, e: Any, position: int) -> None:
        self._subscriptions = None
        sql.execute(
            f"UPDATE {SUBSCRIPTIONS} SET revoked_position = ? WHERE aggregate_id = ?", (position, originator(e))
        )

    # -- issues -----------------------------------------------------------------------------------
    def _reported(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        self._insert_subject(
            aggregate_id=originator(e),
            subject_kind="issue",
            key=d["key"],
            title=d["title"],
            status="new",
            priority=str(d["priority"]),
            vendor=d["vendor"],
            module=str(d["module"]),
            site=d.get("site"),
        )
        subject = self._subject(sql, originator(e))
        if subject is not None:
            self._notify(sql, e, position, ["issue.reported"], subject, None, {})

    def _triaged(self, sql: Sql, e: Any, position: int) -> None:
        subject = self._subject(sql, originator(e))
        columns: dict[str, Any] = {"priority": str(e.priority)}
        if subject is not None and subject["status"] == "new":
            columns["status"] = "triaged"
        self._change(sql, e, position, **columns)

    def _assigned(self, sql: Sql, e: Any, position: int) -> None:
        subject = self._subject(sql, originator(e))
        if subject is not None and subject["status"] in ("new", "triaged"):
            self._change(sql, e, position, status="in_progress")

    def _escalated(self, sql: Sql, e: Any, position: int) -> None:
        self._change(
            sql,
            e,
            position,
            "issue.escalated",
            {"vendor": e.vendor, "vendor_ticket": e.vendor_ticket},
            status="escalated",
            vendor=e.vendor,
            escalated_vendor=e.vendor,
        )

    def _waiting(self, sql: Sql, e: Any, position: int) -> None:
        subject = self._subject(sql, originator(e))
        if subject is None:
            return
        status = "waiting_on_reporter" if str(e.on) == "reporter" else "waiting_on_customer"
        self._change(sql, e, position, status=status, status_before_wait=subject["status"])

    def _resumed(self, sql: Sql, e: Any, position: int) -> None:
        subject = self._subject(sql, originator(e))
        if subject is not None:
            self._change(
                sql, e, position, status=subject["status_before_wait"] or "in_progress", status_before_wait=None
            )

    def _reopened(self, sql: Sql, e: Any, position: int) -> None:
        subject = self._subject(sql, originator(e))
        if subject is not None:
            self._change(sql, e, position, status="escalated" if subject["escalated_vendor"] else "in_progress")

    def _change(
        self,
        sql: Sql,
        e: Any,
        position: int,
        specific: str | None = None,
        data: dict[str, Any] | None = None,
        **columns: Any,
    ) -> None:
        """Update the subject's columns; notify the specific type and/or a status change."""
        subject = self._subject(sql, originator(e))
        if subject is None:
            return
        previous = subject["status"]
        if columns:
            subject.update(columns)
            self._changed.add(originator(e))
        types = [specific] if specific else []
        if "status" in columns and columns["status"] != previous:
            types.append("issue.status_changed")
        if types:
            self._notify(sql, e, position, types, subject, previous, data or {})

    # -- suggestions and alerts ---------------------------------------------------------------------
    def _submitted(self, sql: Sql, e: Any, position: int) -> None:
        self._insert_subject(
            aggregate_id=originator(e),
            subject_kind="suggestion",
            key=e.key,
            title=e.title,
            status="submitted",
            module=str(e.module),
        )

    def _planned(self, sql: Sql, e: Any, position: int) -> None:
        subject = self._subject(sql, originator(e))
        if subject is not None:
            subject["status"] = "planned"
            self._changed.add(originator(e))
            self._notify(sql, e, position, ["suggestion.planned"], subject, None, {"target_release": e.target_release})

    def _alert(self, sql: Sql, e: Any, position: int) -> None:
        subject = self._by_key.get(e.issue_key)
        if subject is None:
            subject = sql.execute(f"SELECT * FROM {SUBJECTS} WHERE key = ?", (e.issue_key,)).fetchone()
            if subject is None:
                return
            self._remember(subject)
        data = {
            "clock": e.clock_kind,
            "vendor": e.vendor,
            "priority": e.priority,
            "started_at": iso(e.started_at),
            "due_at": iso(e.due_at),
            "target_seconds": e.target_seconds,
            "threshold_at": iso(e.occurred_at),
        }
        match = {"vendor": e.vendor, "priority": e.priority}
        self._notify(sql, e, position, [e.threshold], subject, None, data, match)

    def _rule_notice(self, sql: Sql, e: Any, position: int) -> None:
        """An automation rule's notice (`domain.automation_rule`): to the one subscription the
        rule names, whatever that subscription's own event types and filters, while it is live.
        It reads as an `sla.at_risk` notice (a reminder: of the vendor_update clock), with the
        rule and its action in `data`."""
        subscription = e.__dict__.get("subscription")
        if not subscription:
            return
        subject = self._by_key.get(e.issue_key)
        if subject is None:
            subject = sql.execute(f"SELECT * FROM {SUBJECTS} WHERE key = ?", (e.issue_key,)).fetchone()
            if subject is None:
                return
            self._remember(subject)
        details = dict(e.details)
        data = {
            "clock": details.get("clock") or "vendor_update",
            "vendor": details.get("vendor") or subject["vendor"],
            "priority": details.get("priority") or subject["priority"],
            **details,
            "rule": e.rule_id,
            "action": e.action,
        }
        self._notify(sql, e, position, ["sla.at_risk"], subject, None, data, only=subscription)

    def _checkpoint(self, sql: Sql, e: Any, position: int) -> None:
        """`audit.checkpoint`: the signed checkpoint itself, for an auditor to keep (it has no
        issue, so a subscription filtered by vendor, priority, module or site does not take it)."""
        subject = {"subject_kind": "audit", "key": "checkpoint", "title": f"log position {e.position}", "status": None}
        subject |= {"priority": None, "vendor": None, "module": None, "site": None}
        data = {k: getattr(e, k) for k in ("position", "root", "signed_at", "signature", "key_id")}
        self._notify(sql, e, position, ["audit.checkpoint"], subject, None, data)

    # -- matching ---------------------------------------------------------------------------------
    def _subject(self, sql: Sql, aggregate_id: str) -> dict[str, Any] | None:
        """The subject as of this point of the batch (`begin` read every subject the batch's
        events are about, and the batch's changes are applied to those rows as they happen)."""
        return self._subjects.get(aggregate_id)

    def _live_subscriptions(self, sql: Sql) -> list[dict[str, Any]]:
        if self._subscriptions is None:
            self._subscriptions = sql.execute(
                f"SELECT subscription_id, event_types, filters FROM {SUBSCRIPTIONS} WHERE revoked_position IS NULL"
                " ORDER BY subscription_id"
            ).fetchall()
        return self._subscriptions

    def _notify(
        self,
        sql: Sql,
        e: Any,
        position: int,
        types: list[str],
        subject: dict[str, Any],
        previous: str | None,
        data: dict[str, Any],
        match: dict[str, Any] | None = None,
        only: str | None = None,
    ) -> None:
        """An outbox row for every live subscription whose filter takes one of `types` (with
        `only`: for that subscription alone, as the first of `types`, whatever its filter)."""
        subscriptions = self._live_subscriptions(sql)
        if not subscriptions:
            return
        actor = e.__dict__.get("actor")
        notice = {
            "position": position,
            "event": event_name(e),
            "occurred_at": iso(e.__dict__.get("occurred_at") or e.timestamp),
            "recorded_at": iso(e.timestamp),
            "subject": {
                "kind": subject["subject_kind"],
                "key": subject["key"],
                "title": subject["title"],
                "status": subject["status"],
                "previous_status": previous,
                "priority": subject["priority"],
                "vendor": subject["vendor"],
                "module": subject["module"],
                "site": subject["site"],
            },
            "data": data,
            "actor": actor.as_dict() if hasattr(actor, "as_dict") else None,
        }
        fields = {
            "vendor": subject["vendor"],
            "priority": subject["priority"],
            "module": subject["module"],
            "site": subject["site"],
            **(match or {}),
        }
        for row in subscriptions:
            if only is not None:
                if row["subscription_id"] != only:
                    continue
                chosen: str | None = types[0]
            else:
                wanted = NotificationFilter(
                    tuple(json.loads(row["event_types"])), {k: tuple(v) for k, v in json.loads(row["filters"]).items()}
                )
                chosen = wanted.chosen_type(types, fields)
            if chosen is None:
                continue
            sub_id = row["subscription_id"]
            delivery = delivery_id(sub_id, position)
            body = json.dumps(
                {**notice, "type": chosen, "delivery_id": delivery, "subscription_id": sub_id},
                sort_keys=True,
                ensure_ascii=False,
            )
            sql.execute(
                f"INSERT INTO {OUTBOX} (subscription_id, position, delivery_id, event_type, notice, created_at, state,"
                " attempts, next_attempt_at, updated_at, log_seq) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, 0)"
                " ON CONFLICT (subscription_id, position) DO NOTHING",
                (
                    sub_id,
                    position,
                    delivery,
                    chosen,
                    body,
                    notice["recorded_at"],
                    notice["occurred_at"],
                    notice["recorded_at"],
                ),
            )
            WRITTEN.set()
