"""An exclusive `flock` taken within a bound, for the turns processes take on an SQLite file.

Both the key turns and the writer turn poll rather than block: a blocking `flock` cannot be
given up after a deadline, and a turn is an optimisation that must never wait forever.

The poll starts at 1 ms and settles at 0.2 ms: the longer a caller has waited, the more often
it looks. The other way round (short polls first, settling at longer ones) handed a freed
lock to whoever had just arrived while old waiters slept, so a few waited many turns in a
row and the tail latency grew; this schedule costs a little CPU for the extra polls (figures
in docs/benchmark-history.md, measured with `bench/command_path.py`).
"""

from __future__ import annotations

import fcntl
import time

POLL_SECONDS = (0.001, 0.0005, 0.0003, 0.0002)


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
