"""An exclusive `flock` taken within a bound, for the turns processes take on an SQLite file.

Both the key turns and the writer turn poll rather than block: a blocking `flock` cannot be
given up after a deadline, and a turn is an optimisation that must never wait forever. The
poll starts at 0.2 ms and settles at 2 ms, so a freed lock is seen within about 2 ms.
"""

from __future__ import annotations

import fcntl
import time

POLL_SECONDS = (0.0002, 0.0005, 0.001, 0.002)


def flock_within(fd: int, wait: float) -> bool:
    """Take an exclusive `flock` on `fd`; False once `wait` seconds have passed, or if the
    descriptor cannot be locked at all (the caller then goes ahead without the turn)."""
    deadline = time.monotonic() + wait
    attempt = 0
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS[min(attempt, len(POLL_SECONDS) - 1)])
            attempt += 1
        except OSError:
            return False
