"""Freeze-window commands and the rule `schedule_change` asks: which window covers this time?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from application.base import DeskBase
from application.context import Context, Receipt
from application.errors import StaleVersion
from domain.freeze import ANY_SITE, FreezeCalendar, FreezeSchedule, FreezeWindow, SiteQuery
from domain.meeting import authorise_admin


@dataclass(frozen=True)
class FreezeView:
    version: int  # 0: nothing published yet, so nothing is frozen
    document: dict[str, Any]
    published_at: datetime | None


class FreezeWindows(DeskBase):
    """The freeze calendar's commands and the one answer to "is this time frozen?".

    `IssueCommands` derives from this class (`schedule_change` asks `freeze_window_at`), so the
    rule is defined here only and nothing can shadow it."""

    def _freeze_calendar(self) -> FreezeCalendar | None:
        try:
            found: object = self.repository.get(FreezeCalendar.create_id(FreezeCalendar.KEY))
        except AggregateNotFoundError:
            return None
        assert isinstance(found, FreezeCalendar)
        return found

    def freeze_schedule(self) -> FreezeSchedule:
        calendar = self._freeze_calendar()
        return calendar.schedule() if calendar is not None else FreezeSchedule.empty()

    def freeze_window_at(self, when: datetime, site: SiteQuery = ANY_SITE) -> str | None:
        """The name of the window covering `when` for a change at `site` (an issue's site: a
        window for other sites leaves it free), which the domain refuses without an override
        reason."""
        window: FreezeWindow | None = self.freeze_schedule().window_at(when, site=site)
        return window.name if window is not None else None

    def put_freeze_windows(self, ctx: Context, document: dict[str, Any]) -> Receipt:
        """Publish a whole new document (admin); `If-Match` names the document version."""
        authorise_admin(ctx.actor, "change the freeze windows")

        def attempt() -> Receipt:
            calendar = self._freeze_calendar() or FreezeCalendar.start(ctx.actor, self.now(ctx))
            if ctx.expected_version is not None and calendar.calendar_version != ctx.expected_version:
                raise StaleVersion(ctx.expected_version, calendar.calendar_version)
            calendar.publish(document, ctx.actor, self.now(ctx))
            return self._commit(ctx, calendar, kind="freeze-windows")

        return self._retrying(ctx, attempt)

    def get_freeze_windows(self) -> FreezeView:
        calendar = self._freeze_calendar()
        if calendar is None or calendar.document is None:
            return FreezeView(0, FreezeSchedule.empty().to_document(), None)
        return FreezeView(calendar.calendar_version, calendar.document, calendar.published_at)
