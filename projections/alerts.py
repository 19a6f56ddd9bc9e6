"""Time-driven SLA alerts: raise `sla.at_risk` and `sla.breached` when a clock's time comes.

Nothing in the log happens when a due time passes, so the elected worker looks at the SLA
view's clocks every few seconds and records each threshold that passed as an `SlaAlert` event
(the ledger in `domain.sla_alert`): its deterministic id makes a second recording fail, so an
alert is raised exactly once across restarts and across workers. The event then flows through
the outbox like any other. Because the scan looks at every threshold in the past (within
`horizon`), a worker that was down catches up on start: nothing is missed, nothing repeated.

Two guards against false alarms:
- the scan runs only when the SLA view has applied the whole log as of the scan's start, so a
  clock whose stop is already recorded but not yet projected is not taken for running;
- thresholds older than `horizon` (default 7 days) are not raised: after importing history or
  on a first start they would be news about the past.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.notification_rules import ClockState, alerts_due
from projections.outbox_queries import wants_sla_alerts
from projections.store import ViewStore
from projections.view import from_iso, iso

log = logging.getLogger("kaizen.alerts")


@dataclass(frozen=True)
class AlertSettings:
    """`KAIZEN_SLA_AT_RISK` (fraction of the target, default 0.8), `KAIZEN_ALERT_HORIZON_HOURS`
    (168), `KAIZEN_ALERT_INTERVAL` (seconds between scans, 2)."""

    at_risk_fraction: float = 0.8
    horizon: timedelta = timedelta(days=7)
    interval: float = 2.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> AlertSettings:
        source = dict(os.environ if env is None else env)
        fraction = float(source.get("KAIZEN_SLA_AT_RISK") or 0.8)
        if not 0.0 < fraction < 1.0:
            raise ValueError("KAIZEN_SLA_AT_RISK must be a fraction between 0 and 1, e.g. 0.8")
        return cls(
            fraction,
            timedelta(hours=float(source.get("KAIZEN_ALERT_HORIZON_HOURS") or 168)),
            float(source.get("KAIZEN_ALERT_INTERVAL") or 2.0),
        )


class AlertScheduler:
    def __init__(
        self,
        desk: Any,
        store: ViewStore,
        settings: AlertSettings | None = None,
        clock: Callable[[], datetime] | None = None,
        catch_up_wait: float = 2.0,
        rules_listen: Callable[[], bool] | None = None,
    ) -> None:
        """`rules_listen`: whether an automation rule answers at-risk clocks (a listener too)."""
        self.desk = desk
        self.rules_listen = rules_listen
        self.store = store
        self.settings = settings or AlertSettings.from_env()
        self.clock = clock or desk.clock
        self.catch_up_wait = catch_up_wait
        # raised (by this worker or another), with the threshold time, forgotten past the horizon
        self._known: dict[tuple[str, str, str, str, str], datetime] = {}

    def _sla_caught_up(self, head: int) -> bool:
        deadline = time.monotonic() + self.catch_up_wait
        while self.store.position("sla") < head:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def scan(self) -> int:
        """Raise every alert that is due and not yet raised; returns how many this call raised."""
        now = self.clock()
        head = int(self.desk.recorder.max_notification_id() or 0)
        if not wants_sla_alerts(self.store) and not (self.rules_listen is not None and self.rules_listen()):
            return 0
        if not self._sla_caught_up(head):
            log.info("SLA view behind the log; alert scan postponed")
            return 0
        with self.store.transaction(commit=False) as sql:
            rows = sql.execute(
                "SELECT issue_key, kind, vendor, priority, target_seconds, started_at, due_at, stopped_at, paused,"
                " pauses FROM sla_clock WHERE due_at >= ? AND started_at <= ? ORDER BY due_at",
                (iso(now - self.settings.horizon), iso(now)),
            ).fetchall()
        oldest = now - self.settings.horizon
        self._known = {identity: at for identity, at in self._known.items() if at >= oldest}
        raised = 0
        for row in rows:
            for threshold, at in alerts_due(
                _clock_state(row), now, self.settings.at_risk_fraction, self.settings.horizon
            ).items():
                identity = (row["issue_key"], row["kind"], row["vendor"], row["started_at"], threshold)
                if identity in self._known:
                    continue
                raised += self._raise(row, threshold, at)
                self._known[identity] = at
        return raised

    def _raise(self, row: dict[str, Any], threshold: str, at: datetime) -> int:
        """1 when this call recorded the alert; 0 when the ledger already had it."""
        started, due = from_iso(row["started_at"]), from_iso(row["due_at"])
        assert started is not None and due is not None
        if self.desk.alert_raised(row["issue_key"], row["kind"], row["vendor"], started, threshold):
            return 0
        recorded = self.desk.raise_sla_alert(
            issue_key=row["issue_key"],
            clock_kind=row["kind"],
            vendor=row["vendor"],
            priority=row["priority"],
            threshold=threshold,
            started_at=started,
            due_at=due,
            target_seconds=int(row["target_seconds"]),
            threshold_at=at,
        )
        return 1 if recorded else 0


def _clock_state(row: dict[str, Any]) -> ClockState:
    pauses = json.loads(row["pauses"] or "[]")
    paused = bool(row["paused"])
    since = from_iso(pauses[-1][0]) if paused and pauses else None
    due = from_iso(row["due_at"])
    assert due is not None
    return ClockState(
        due_at=due,
        target_seconds=int(row["target_seconds"]),
        stopped_at=from_iso(row["stopped_at"]),
        paused=paused,
        paused_since=since,
    )
