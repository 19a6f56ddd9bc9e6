"""The projections of `kaizen serve` in a process of their own beside gunicorn.

Projecting inside a web worker took CPU and the GIL from that worker's requests; moving it out
raised throughput and cut tail latency (bench/command_path.py, docs/performance.md). The
process is forked from the gunicorn master before gunicorn starts, so it is up at once (the
modules are already imported) and wins the election; the web workers' runners stand by and
take over if it dies. It is a plain `os.fork` rather than `multiprocessing`, whose atexit
handler would try to join it from every gunicorn worker (they are forked from the same master).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

STOP_TIMEOUT_S = 20.0
PROCESS_NAME = b"kaizen-project"  # the kernel keeps 15 bytes
PR_SET_NAME = 15


def follow_parent(parent_pid: int, stop: threading.Event) -> None:
    """Stop when the server that started us is gone (a `kill -9` of `kaizen serve` included),
    so an orphan never holds the election against the next server's workers."""
    while not stop.wait(1.0):
        if os.getppid() != parent_pid:
            stop.set()


def name_this_process(name: bytes = PROCESS_NAME) -> None:
    """`ps -o comm` and /proc/<pid>/comm show what this process is (Linux; elsewhere a no-op)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)


def follow_the_log(database_url: str | None, parent_pid: int) -> None:
    """The child's life: `kaizen worker` until SIGTERM or until the server is gone."""
    from application.config import store_settings
    from interfaces.http.logs import configure_logging
    from interfaces.worker import run_forever

    name_this_process()
    configure_logging()
    stop = threading.Event()
    threading.Thread(target=follow_parent, args=(parent_pid, stop), daemon=True, name="kaizen-parent").start()
    run_forever(store_settings(database_url), stop)


def start(database_url: str | None) -> int:
    """Fork the projection process; call before any thread or connection exists in the caller."""
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the master stops us
            follow_the_log(database_url, parent)
        except Exception:
            # The child's own stderr is the server's: say why it ended, or it ends unexplained.
            import logging

            logging.getLogger("kaizen.projections").critical("the projection process failed", exc_info=True)
            code = 1
        except BaseException:  # SystemExit, KeyboardInterrupt: asked to end
            code = 1
        finally:
            os._exit(code)  # never return into the caller's stack (gunicorn's start-up)
    return pid


def stop(pid: int, timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM (the worker finishes its batch and releases the election), then SIGKILL if it hangs.

    gunicorn's arbiter may already have reaped it (it waits for any child), hence ECHILD = gone.
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
