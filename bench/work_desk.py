"""The work desk at scale: the pages people open all day, and the report form's submit.

    python -m bench.work_desk [--quick] [--store postgres|sqlite|both] [--issues N] [--requests N]

On each store: `--issues` issues written in bulk (`bench.dataset`, full mix, default 100k) and
one issue with 200 events (each its own command, snapshots as in production), the views caught
up, then through the werkzeug test client in-process (no network; the app as `kaizen serve`
builds it, views already current):
(a) GET /console/queue as an administrator signed in with a password: the default tab
    (Unassigned) and All open, sorted by next SLA due time;
(b) GET /console/issues/<key> of the 200-event issue (state, clocks, conversation, every event,
    the command forms);
(c) the report form's submit (POST /console/issues/new, answered 303) beside the API command it
    mirrors (POST /api/v1/issues, 201), interleaved so drift hits both alike.
Targets from the issue: p99 under 150 ms for a page; a form submit's p99 under the API
command's p99 plus 20 ms. Figures are printed, not judged: nothing here is a timed test.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable
from typing import Any

from bench import dataset
from bench.common import emit, exit_cleanly_on_sigterm, log, machine, pg_available, store, summary, table

PASSWORD = "Milk tea at the Kwun Tong office"
SECRET = "bench-work-desk-console-signing-key-0123456789"
REPORT = {
    "title": "Goods receipt for PO 4500012345 posts to the wrong plant",
    "description": "MIGO picks plant 1200 instead of 1100 since this morning.",
    "module": "warehouse",
    "impact_scope": "team",
    "urgency": "degraded",
}
PAGE_TARGET_MS = 150.0
SUBMIT_MARGIN_MS = 20.0


def _csrf(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def _signed_in(app: Any, login: str) -> Any:
    client = app.test_client()
    token = _csrf(client.get("/console/sign-in").text)
    answer = client.post("/console/sign-in", data={"login": login, "password": PASSWORD, "csrf": token})
    assert answer.status_code == 303, answer.status_code
    return client


def _enrol(desk: Any, login: str, role: str) -> None:
    from application.context import Context
    from domain.actor import SYSTEM

    enrolment = desk.create_person(Context(SYSTEM), login, name=login, email=f"{login}@example.com", roles=[role])
    secret = enrolment.invitation_path.rsplit("/", 1)[1]
    desk.accept_invitation(login, secret, PASSWORD, PASSWORD)


def prepare(url: str, issues: int) -> dict[str, Any]:
    """The store at size, its views current; the long issue's key and what seeding took."""
    from application.config import store_settings
    from application.desk import KaizenDesk
    from projections.catalogue import all_views
    from projections.runner import ProjectionRunner
    from projections.store import ViewStore

    desk = KaizenDesk(store_settings(url))
    try:
        log(f"writing {issues:,} issues in bulk")
        seeded = dataset.seed(desk, add_issues=issues)
        long_key, _ = dataset.long_issue(desk, 200)
        _enrol(desk, "bench.admin", "admin")
        _enrol(desk, "bench.clerk", "reporter")
        views = ViewStore(desk.settings)
        try:
            runner = ProjectionRunner(desk, views, all_views())
            runner.setup()
            log("catching the views up")
            started = time.perf_counter()
            applied = runner.catch_up()
            catch_up = round(time.perf_counter() - started, 1)
        finally:
            views.close()
    finally:
        desk.close()
    return {"seed": seeded, "long_issue": long_key, "catch_up_events": applied, "catch_up_s": catch_up}


def timed(requests: int, calls: dict[str, Callable[[], int]], expected: dict[str, int]) -> dict[str, list[float]]:
    """Milliseconds per call of each named request, interleaved, after a warm-up of each."""
    for name, call in calls.items():
        for _ in range(5):
            assert call() == expected[name], name
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(requests):
        for name, call in calls.items():
            began = time.perf_counter()
            status = call()
            times[name].append((time.perf_counter() - began) * 1000)
            assert status == expected[name], (name, status)
    return times


def measure(url: str, requests: int, long_key: str) -> dict[str, list[float]]:
    from application.context import Context
    from domain.actor import SYSTEM
    from interfaces.http.app import create_app
    from interfaces.http.settings import HttpSettings

    os.environ.setdefault("KAIZEN_SECRET_KEY", SECRET)
    app = create_app(HttpSettings(database_url=url, run_projections=False, rate_limit=None))
    try:
        desk = app.extensions["kaizen"].desk
        admin = _signed_in(app, "bench.admin")
        clerk = _signed_in(app, "bench.clerk")
        _, token = desk.issue_token(Context(SYSTEM), "reporter", "bench.api.clerk")
        api = app.test_client()
        form_token = _csrf(clerk.get("/console/issues/new").text)
        bearer = {"Authorization": f"Bearer {token}"}

        def page(client: Any, path: str) -> Callable[[], int]:
            return lambda: int(client.get(path).status_code)

        calls: dict[str, Callable[[], int]] = {
            "queue: Unassigned, by due": page(admin, "/console/queue?sort=due"),
            "queue: All open, by due": page(admin, "/console/queue?tab=open&sort=due"),
            "issue page, 200 events": page(admin, f"/console/issues/{long_key}"),
            "report form submit": lambda: int(
                clerk.post("/console/issues/new", data={**REPORT, "csrf": form_token}).status_code
            ),
            "API POST /issues": lambda: int(api.post("/api/v1/issues", json=REPORT, headers=bearer).status_code),
        }
        expected = {name: 200 for name in calls} | {"report form submit": 303, "API POST /issues": 201}
        return timed(requests, calls, expected)
    finally:
        app.extensions["kaizen"].close()


def run(quick: bool = False, engines: tuple[str, ...] = ("sqlite", "postgres"), **sizes: int) -> dict[str, Any]:
    issues = sizes.get("issues") or (10_000 if quick else 100_000)
    requests = sizes.get("requests") or (100 if quick else 300)
    results: dict[str, Any] = {"issues": issues, "requests": requests, "stores": {}}
    for engine in engines:
        if engine == "postgres" and not pg_available():
            log("PostgreSQL is not reachable: its figures are skipped")
            continue
        with store(engine, "kaizen_bench_work_desk") as url:
            prepared = prepare(url, issues)
            log(f"{engine}: {requests} requests of each kind, interleaved")
            measured = measure(url, requests, prepared["long_issue"])
        shown = {name: summary(values) for name, values in measured.items()}
        api_p99 = shown["API POST /issues"]["p99_ms"]
        rows: list[list[Any]] = []
        for name, figures in shown.items():
            if name == "API POST /issues":
                target, verdict = "—", "(the baseline)"
            elif name == "report form submit":
                limit = round(api_p99 + SUBMIT_MARGIN_MS, 2)
                target, verdict = f"< {limit}", "met" if figures["p99_ms"] < limit else "missed"
            else:
                target, verdict = f"< {PAGE_TARGET_MS}", "met" if figures["p99_ms"] < PAGE_TARGET_MS else "missed"
            rows.append([name, figures["n"], figures["p50_ms"], figures["p99_ms"], target, verdict])
        table(
            f"{engine}: the work desk at {issues:,} issues (werkzeug test client, in-process)",
            ["request", "n", "p50 ms", "p99 ms", "p99 target ms", "target"],
            rows,
        )
        results["stores"][engine] = {"prepared": prepared, "figures": shown}
    emit("work_desk", results)
    return results


def main(argv: list[str] | None = None) -> int:
    exit_cleanly_on_sigterm()
    parser = argparse.ArgumentParser(prog="python -m bench.work_desk", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k issues and 100 requests of each kind")
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--issues", type=int, default=None, help="issues in the store (default 100k)")
    parser.add_argument("--requests", type=int, default=None, help="requests of each kind (default 300)")
    args = parser.parse_args(argv)
    engines = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    table("Machine", ["what", "value"], [[k, str(v).replace("\n", " | ")] for k, v in machine().items()])
    run(args.quick, engines, issues=args.issues or 0, requests=args.requests or 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
