"""Creating tables when several processes start at once.

Every gunicorn worker and projection worker constructs the application, which runs the
library's idempotent `CREATE ... IF NOT EXISTS` statements. PostgreSQL can still refuse two
such catalogue changes racing each other ("tuple concurrently updated"); the loser simply
tries again, by which time the winner's tables exist.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from eventsourcing.persistence import IntegrityError, InternalError, ProgrammingError

T = TypeVar("T")
RACES = (InternalError, IntegrityError, ProgrammingError)


def racing_schema_setup(build: Callable[[], T], attempts: int = 8) -> T:
    for attempt in range(attempts):
        try:
            return build()
        except RACES as exc:
            message = str(exc)
            if attempt == attempts - 1 or not any(
                hint in message
                for hint in ("concurrently", "already exists", "duplicate key", "Failed to record tracking", "locked")
            ):
                raise
            time.sleep(random.uniform(0.01, 0.05 * (attempt + 1)))
    raise AssertionError("unreachable")
