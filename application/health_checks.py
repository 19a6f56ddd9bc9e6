"""Health-check measurements: figures only the ERP knows, posted per module and quarter."""

from __future__ import annotations

from eventsourcing.application import AggregateNotFoundError

from application.base import DeskBase
from application.context import Context, Receipt
from application.errors import StaleVersion
from domain.health import HealthCheck, Quarter, authorise_measurement


class HealthCheckCommands(DeskBase):
    def get_health_check(self, quarter: str) -> HealthCheck | None:
        """The quarter's measurements, or None when nothing has been posted for it."""
        try:
            found: object = self.repository.get(HealthCheck.create_id(str(Quarter.parse(quarter))))
        except AggregateNotFoundError:
            return None
        assert isinstance(found, HealthCheck)
        return found

    def record_measurement(
        self,
        ctx: Context,
        quarter: str,
        *,
        module: str,
        data_accuracy: float | None = None,
        process_execution_rate: float | None = None,
        user_activity: float | None = None,
        source: str | None = None,
    ) -> Receipt:
        """Admins and the ERP integration (an app token) post; a later figure corrects an earlier one."""
        authorise_measurement(ctx.actor)
        name = str(Quarter.parse(quarter))

        def attempt() -> Receipt:
            found = self.get_health_check(name)
            current = found.version if found is not None else 0  # the ETag a GET answered
            if ctx.expected_version is not None and current != ctx.expected_version:
                raise StaleVersion(ctx.expected_version, current)
            check = found or HealthCheck.start(name, ctx.actor, self.now(ctx))
            check.record_measurement(
                module,
                ctx.actor,
                self.now(ctx),
                data_accuracy=data_accuracy,
                process_execution_rate=process_execution_rate,
                user_activity=user_activity,
                source=source,
            )
            return self._commit(ctx, check, kind="health-check")

        return self._retrying(ctx, attempt)
