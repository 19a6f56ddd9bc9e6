"""PostgreSQL recorders that give up quickly when the database is away.

The library retries a failed database call 10 times, each waiting up to the pool timeout, so
a request could hang for most of a minute while PostgreSQL restarts. A service should instead
answer 503 with Retry-After at once and let the client retry; these recorders keep the
library's SQL and locking exactly and only shorten that retry loop to 2 attempts: the second
takes a fresh connection where the restart killed a pooled one; a third only adds another
pool timeout (2 s) to the wait of a request that was in flight when the database went away.
Selected
through the library's own `APPLICATION_RECORDER_TOPIC` / `TRACKING_RECORDER_TOPIC` settings.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresTrackingRecorder,
)
from eventsourcing.utils import retry

ATTEMPTS = 2
fail_fast = retry((InterfaceError, OperationalError), max_attempts=ATTEMPTS, wait=0.2)


def _unwrapped(method: Any) -> Any:
    """The library's method without its own retry decorator (functools.wraps keeps it)."""
    return getattr(method, "__wrapped__", method)


class FailFastApplicationRecorder(PostgresApplicationRecorder):
    insert_events = fail_fast(_unwrapped(PostgresApplicationRecorder.insert_events))
    select_events = fail_fast(_unwrapped(PostgresAggregateRecorder.select_events))
    select_notifications = fail_fast(_unwrapped(PostgresApplicationRecorder.select_notifications))
    max_notification_id = fail_fast(_unwrapped(PostgresApplicationRecorder.max_notification_id))


class FailFastTrackingRecorder(PostgresTrackingRecorder):
    insert_tracking = fail_fast(_unwrapped(PostgresTrackingRecorder.insert_tracking))
    max_tracking_id = fail_fast(_unwrapped(PostgresTrackingRecorder.max_tracking_id))
    has_tracking_id = fail_fast(_unwrapped(PostgresTrackingRecorder.has_tracking_id))
