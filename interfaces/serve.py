"""`kaizen serve`: the HTTP app under gunicorn (production) or Flask's server (`dev=True`).

gunicorn is embedded through `gunicorn.app.base.BaseApplication`, so the CLI needs no config
file: gthread workers (4 threads each) that read each request whole before a thread takes it
(interfaces/slow_clients.py), a 30 s timeout, and every log line (access and error)
as structlog JSON carrying the request id. Each worker builds its own app after the fork (no
preloading), so store connections and projection threads are never shared across processes.
The projections run in a process of their own beside gunicorn (interfaces/projection_process.py);
the web workers' runners stand by and take over if it dies.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from datetime import timedelta
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger

from adapters.imap_mailbox import ImapSettings
from interfaces import projection_process
from interfaces.http.settings import HttpSettings
from interfaces.process_tuning import tune_garbage_collection
from interfaces.slow_clients import BufferingThreadWorker, limits_from_env

THREADS_PER_WORKER = 4
TIMEOUT_SECONDS = 30
KEEPALIVE_SECONDS = 5  # an idle kept-alive connection is closed after this (gunicorn's default is 2)
MAX_DEFAULT_WORKERS = 4


def default_workers() -> int:
    """2 × cores + 1, capped at 4 (a 2-core host gets 4); `--workers` overrides."""
    return min(2 * (os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS)


LEVELS = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}


class StructlogGunicornLogger(GunicornLogger):
    """gunicorn's access and error logs as structlog JSON lines (one format for operators)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        from interfaces.http.logs import configure_logging, get_logger

        configure_logging()
        self._log = get_logger("kaizen.gunicorn")
        self._levels = logging.getLogger("kaizen.gunicorn")

    def _emit(self, level: str, msg: Any, *args: Any, **kwargs: Any) -> None:
        """Drop a disabled level before formatting: gunicorn logs a debug line per request."""
        if not self._levels.isEnabledFor(LEVELS[level]):
            return
        text = str(msg) % args if args else str(msg)
        getattr(self._log, level)("gunicorn", message=text, exc_info=kwargs.get("exc_info"))

    def critical(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self._emit("critical", msg, *args, **kwargs)

    def error(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self._emit("error", msg, *args, **kwargs)

    def warning(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self._emit("warning", msg, *args, **kwargs)

    def info(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self._emit("info", msg, *args, **kwargs)

    def debug(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self._emit("debug", msg, *args, **kwargs)

    def exception(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self._emit("error", msg, *args, exc_info=True)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        headers = {str(name).lower(): value for name, value in (resp.headers or [])}
        status = str(getattr(resp, "status", "") or "").split(" ", 1)[0]
        self._log.info(
            "http_access",
            request_id=headers.get("x-request-id"),
            method=environ.get("REQUEST_METHOD"),
            path=environ.get("PATH_INFO"),
            query=environ.get("QUERY_STRING") or None,
            status=int(status) if status.isdigit() else status,
            duration_ms=round(request_time.total_seconds() * 1000, 2),
            bytes=getattr(resp, "sent", None),
            remote=environ.get("REMOTE_ADDR"),
        )


def prepare_metrics_directory() -> tuple[str, bool]:
    """Point prometheus-client at a directory shared by the workers, emptied at start.

    Returns the directory and whether this process created it (and so removes it at exit).
    prometheus-client picks its value class at import, so it is re-picked here in case the
    module was imported before the variable was set.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    created = not directory
    if not directory:
        directory = tempfile.mkdtemp(prefix="kaizen-metrics-")
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    import prometheus_client.values as values

    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    return directory, created


def child_exit(server: Any, worker: Any) -> None:
    """Mark a dead worker's live gauges so scrapes stop counting it (prometheus multiprocess)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def worker_exit(server: Any, worker: Any) -> None:
    """Stop the worker's projection thread and close its connections (releasing a held election)."""
    app = getattr(worker, "wsgi", None)
    services = getattr(app, "extensions", {}).get("kaizen") if app is not None else None
    if services is not None:
        with contextlib.suppress(Exception):
            services.close()


class KaizenServer(BaseApplication):
    """gunicorn with options from code; `load` runs in each worker, after the fork."""

    def __init__(self, settings: HttpSettings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from interfaces.http.app import create_app

        app = create_app(self.settings)
        tune_garbage_collection()
        return app


def gunicorn_options(host: str, port: int, workers: int, threads: int = THREADS_PER_WORKER) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        # gthread whose poller reads each request whole before a thread sees it, with header,
        # body and keep-alive deadlines: slow clients cost a socket, not a thread.
        "worker_class": BufferingThreadWorker,
        "threads": threads,
        "keepalive": KEEPALIVE_SECONDS,
        "timeout": TIMEOUT_SECONDS,
        "graceful_timeout": TIMEOUT_SECONDS,
        "logger_class": StructlogGunicornLogger,
        "accesslog": "-",
        "errorlog": "-",
        "child_exit": child_exit,
        "worker_exit": worker_exit,
        "preload_app": False,
        "control_socket_disable": True,  # one fixed socket path would clash between instances
    }


def prepare_store(settings: HttpSettings) -> bool:
    """Create the event store's and the views' tables once, in the master, before forking:
    workers that start together then find them instead of racing to create them.

    A store that refuses the connection (PostgreSQL out of connections, not up yet) is not the
    end of the server: one line says so, and each worker sets the store up once it can
    (interfaces/http/store_setup.py). Returns whether the tables were set up here."""
    from adapters.store_probe import store_reachable
    from application.config import store_settings
    from application.desk import KaizenDesk
    from interfaces.http.logs import configure_logging, get_logger
    from interfaces.http.problems import problem_for
    from projections.read_side import ReadSide

    store = store_settings(settings.database_url)
    if store_reachable(store):
        try:
            desk = KaizenDesk(store)
            try:
                ReadSide(store).close()
            finally:
                desk.close()
            return True
        except Exception as exc:
            refused = problem_for(exc)
            if refused is None or refused.status != 503:
                raise
    configure_logging()
    get_logger("kaizen.serve").warning(
        "store_refused_at_start", url=store.redacted_url, then="serving; workers set the store up when it answers"
    )
    return False


def log_connection_budget(database_url: str, workers: int, projections: bool) -> None:
    """One line at start: how many PostgreSQL connections this server may open (README,
    "Stores and configuration"), to compare with the server's `max_connections`."""
    from application.config import connection_budget, store_settings
    from interfaces.http.logs import configure_logging, get_logger

    store = store_settings(database_url)
    if store.engine != "postgres":
        return
    budget = connection_budget(store, workers, projections)
    configure_logging()
    get_logger("kaizen.serve").info("connection_budget", total=budget.total, detail=budget.describe())


def run(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int | None = None,
    dev: bool = False,
    start_projections: bool = True,
    threads: int | None = None,
) -> None:
    """Serve until stopped (SIGTERM/SIGINT stop gunicorn gracefully)."""
    from application.config import database_url, with_pool_overflow

    workers, threads = workers or default_workers(), threads or THREADS_PER_WORKER
    # Each pool may grow to one connection per request thread beyond the one it keeps open.
    url = with_pool_overflow(database_url(), threads)
    settings = HttpSettings(database_url=url, run_projections=start_projections)
    limits_from_env()  # a bad header or body timeout stops us here in one line, before any fork
    ImapSettings.from_env(os.environ)  # so does a malformed KAIZEN_IMAP_URL
    if start_projections:
        from projections.runner import follow_linger_seconds

        follow_linger_seconds()  # a bad value stops us here in one line, not in the projection process
    if dev:
        from interfaces.http.app import create_app

        app = create_app(settings)
        try:
            app.run(host=host, port=port, threaded=True, use_reloader=False)
        finally:
            app.extensions["kaizen"].close()
        return
    log_connection_budget(url, workers, start_projections)
    prepare_store(settings)
    directory, created = prepare_metrics_directory()
    master = os.getpid()
    if start_projections:
        # Tuned here, before the fork, so that the projection process starts tuned at once and
        # still wins the election against the web workers (a collection in the child took long
        # enough for a worker's standby to win).
        tune_garbage_collection()
    projections = projection_process.start(settings.database_url) if start_projections else None
    try:
        KaizenServer(settings, gunicorn_options(host, port, workers, threads)).run()
    finally:
        # gunicorn's workers are forked inside run() and leave it by SystemExit, so they unwind
        # through here too: only the master owns the projection process and the metrics directory.
        if os.getpid() == master:
            if projections is not None:
                projection_process.stop(projections)
            if created:
                with contextlib.suppress(OSError):
                    shutil.rmtree(directory)
