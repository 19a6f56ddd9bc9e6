"""The read side as the HTTP layer sees it: queries, read-your-writes, lag, in-process runner."""

from __future__ import annotations

import builtins
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from application.config import StoreSettings
from application.schema import racing_schema_setup
from domain.actor import Actor
from projections.catalogue import all_views
from projections.delivery import start_notifications
from projections.improvement_queries import ImprovementQueries, SuggestionQueries
from projections.issue_list import list_issues
from projections.ports import LeaderElection, Transports
from projections.runner import ProjectionRunner
from projections.schema import create_views
from projections.stalls import ViewFailure, current
from projections.store import ViewStore


class IssueQueries:
    def __init__(self, store: ViewStore) -> None:
        self.store = store

    def list(
        self,
        filters: dict[str, str],
        limit: int,
        cursor: str | None,
        viewer: Actor,
        now: datetime,
        assignees: Sequence[str | None] | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        return list_issues(self.store, filters, limit, cursor, viewer, now, assignees)

    def queue(
        self,
        viewer: Actor,
        now: datetime,
        *,
        assignees: Sequence[str | None] | None = None,
        at_risk_only: bool = False,
        sort: str = "due",
        limit: int = 100,
    ) -> tuple[builtins.list[dict[str, Any]], bool]:
        """Open issues with their next SLA due time and risk (`projections.work_queue`); "at
        risk" uses the SLA alerts' fraction (`KAIZEN_SLA_AT_RISK`)."""
        from projections.alerts import AlertSettings
        from projections.work_queue import work_queue

        fraction = AlertSettings.from_env().at_risk_fraction
        return work_queue(
            self.store,
            viewer,
            now,
            assignees=assignees,
            at_risk_only=at_risk_only,
            sort=sort,
            limit=limit,
            at_risk_fraction=fraction,
        )


class ReadSide:
    def __init__(self, settings: StoreSettings) -> None:
        self.settings = settings
        self.store = ViewStore(settings)
        self.views = all_views()
        self.issues = IssueQueries(self.store)
        self.reports = ReportQueries(self.store)
        self.suggestions = SuggestionQueries(self.store)
        self.improvement = ImprovementQueries(self.store)
        self._runner: ProjectionRunner | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._notifications: threading.Thread | None = None
        racing_schema_setup(self._create_views)

    def _create_views(self) -> None:
        create_views(self.store, self.views)

    def suggestions_similar(self, title: str) -> list[dict[str, Any]]:
        """Possible duplicates of a new suggestion's title: [{key, title, score}], best first."""
        return self.suggestions.similar(title)

    def runner(self, desk: Any) -> ProjectionRunner:
        if self._runner is None:
            self._runner = ProjectionRunner(desk, self.store, self.views)
        return self._runner

    def start(self, desk: Any, election: LeaderElection, transports: Transports) -> None:
        """Run the projections in a thread of this process; only the elected process writes.
        The election and the transports are the composition point's (`adapters/`)."""
        if self._thread is not None:
            return
        runner = self.runner(desk)
        self._stop.clear()
        self._thread = threading.Thread(
            target=runner.run,
            args=(self._stop, election),
            kwargs={"idle_wait": 0.5},
            daemon=True,
            name="kaizen-projections",
        )
        self._thread.start()
        # SLA alerts and notification deliveries, in the elected process only (shares the election).
        self._notifications = start_notifications(desk, self.store, election, self._stop, transports)

    def stop(self) -> None:
        self._stop.set()
        if self._runner is not None:
            self._runner.hurry.set()
            self._runner.wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._notifications is not None:
            self._notifications.join(timeout=15)
            self._notifications = None

    def positions(self) -> dict[str, int]:
        return self.store.positions([view.name for view in self.views])

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        if self._runner is None:
            raise RuntimeError("the read side has no runner; call start(desk) first")
        return self._runner.wait_for(position, timeout)

    def lag(self, head: int | None = None) -> dict[str, int]:
        if head is None:
            head = self._runner.head() if self._runner is not None else 0
        return {name: max(0, head - position) for name, position in self.positions().items()}

    def failures(self, positions: dict[str, int] | None = None) -> list[ViewFailure]:
        """Views that fail on an event now, as the runner recorded them (maybe in another process)."""
        return current(self.store, self.positions() if positions is None else positions)

    def close(self) -> None:
        self.stop()
        self.store.close()


class ReportQueries:
    """The compliance reports (`/reports/...`), on the SLA and issue-list views."""

    def __init__(self, store: ViewStore) -> None:
        self.store = store

    def sla_compliance(
        self,
        group_by: str,
        viewer: Actor,
        now: datetime,
        start: datetime | None = None,
        end: datetime | None = None,
        filters: dict[str, str] | None = None,
        kinds: tuple[str, ...] | None = None,
        as_of: datetime | None = None,
        count: str = "clocks",
    ) -> list[dict[str, Any]]:
        """Live from the clocks; with `as_of`, replayed from the facts as they stood then
        (`projections.sla_replay`: exact for a closed quarter, and slower). `count="incidents"`
        counts each incident once, with its affected people (`projections.incidents`)."""
        incidents = count == "incidents"
        if as_of is not None:
            from projections.sla_replay import compliance_as_of, scope_for

            scope = scope_for(viewer, start, end, kinds, filters)
            return compliance_as_of(self.store, group_by, scope, as_of, incidents)
        if incidents:
            from projections.incidents import compliance_incidents

            return compliance_incidents(self.store, group_by, viewer, now, start, end, filters, kinds)
        from projections.reports import sla_compliance

        return sla_compliance(self.store, group_by, viewer, now, start, end, filters, kinds)

    def what_if(
        self,
        group_by: str,
        viewer: Actor,
        now: datetime,
        proposed: dict[str, Any],
        start: datetime | None = None,
        end: datetime | None = None,
        filters: dict[str, str] | None = None,
        kinds: tuple[str, ...] | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """Today's compliance figures and those under `proposed` (vendor -> SlaPolicyDocument),
        recomputed in memory from the facts: no view is written."""
        from projections.sla_replay import scope_for, what_if

        return what_if(self.store, group_by, scope_for(viewer, start, end, kinds, filters), now, proposed)

    def vendor_response_times(
        self, viewer: Actor, start: datetime | None = None, end: datetime | None = None, priority: str | None = None
    ) -> list[dict[str, Any]]:
        from projections.reports import vendor_response_times

        return vendor_response_times(self.store, viewer, start, end, priority)

    def sla_at_risk(self, viewer: Actor, now: datetime, within: Any) -> list[dict[str, Any]]:
        from projections.reports import sla_at_risk

        return sla_at_risk(self.store, viewer, now, within)

    def open_breaches(self, now: datetime) -> dict[str, int]:
        from projections.reports import open_breaches

        return open_breaches(self.store, now)

    def issue_clocks(self, key: str, now: datetime) -> list[Any]:
        from projections.sla_view import live_clocks

        with self.store.transaction(commit=False) as sql:
            return live_clocks(sql, key, now)
