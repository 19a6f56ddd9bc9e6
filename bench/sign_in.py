"""What signing in as a person costs: one Argon2id hash, and a console page with a person session.

    python -m bench.sign_in [--quick] [--store postgres|sqlite|both] [--hashes N] [--requests N]

(a) `application.passwords.hash_password` at the parameters it ships with (Argon2id, 19 MiB,
    2 passes, 1 lane): the median of N hashes (default 30). Every password sign-in verifies one
    hash, so this is the CPU a sign-in costs and what a password guess costs an attacker.
(b) The same console page (`/console/issues`, on a store with no issues, so the page itself is
    cheap and the session check is a large share) requested with a person's session and with a
    pasted administrator's token session, alternately, through the werkzeug test client (no
    network): a person session re-reads the person (their aggregate: events since the last
    snapshot), a token session re-reads the token. Also with a person who has signed in 500
    times (a year and a half of daily sign-ins: snapshots every 50 events bound the replay).

Figures are printed, not judged: nothing here is a timed test.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from typing import Any

from bench.common import emit, exit_cleanly_on_sigterm, log, machine, percentile, pg_available, store, table

PASSWORD = "Milk tea at the Kwun Tong office"
PAGE = "/console/issues"
SECRET = "bench-sign-in-console-signing-key-0123456789"


def hash_times(count: int) -> list[float]:
    """Milliseconds per `hash_password` call."""
    from application.passwords import hash_password

    hash_password(PASSWORD)  # warm-up: the first call allocates the 19 MiB
    times = []
    for n in range(count):
        began = time.perf_counter()
        hash_password(f"{PASSWORD} {n}")
        times.append((time.perf_counter() - began) * 1000)
    return times


def _csrf(client: Any) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/console/sign-in").text)
    assert found is not None
    return found.group(1)


def _person_client(app: Any, login: str) -> Any:
    client = app.test_client()
    answer = client.post("/console/sign-in", data={"login": login, "password": PASSWORD, "csrf": _csrf(client)})
    assert answer.status_code == 303, answer.status_code
    return client


def _token_client(app: Any, token: str) -> Any:
    client = app.test_client()
    answer = client.post("/console/sign-in", data={"token": token, "csrf": _csrf(client)})
    assert answer.status_code == 303, answer.status_code
    return client


def _enrol(desk: Any, login: str) -> None:
    from application.context import Context
    from domain.actor import SYSTEM

    enrolment = desk.create_person(Context(SYSTEM), login, name=login, email=f"{login}@example.com", roles=["admin"])
    secret = enrolment.invitation_path.rsplit("/", 1)[1]
    desk.accept_invitation(login, secret, PASSWORD, PASSWORD)


def page_times(url: str, requests: int, history: int) -> dict[str, list[float]]:
    """Milliseconds per GET of PAGE, per kind of session, interleaved so drift hits all alike."""
    from application.context import Context
    from domain.actor import SYSTEM
    from interfaces.http.app import create_app
    from interfaces.http.settings import HttpSettings

    os.environ.setdefault("KAIZEN_SECRET_KEY", SECRET)
    app = create_app(HttpSettings(database_url=url, run_projections=False, rate_limit=None))
    try:
        desk = app.extensions["kaizen"].desk
        _enrol(desk, "fresh.admin")
        _enrol(desk, "daily.admin")
        for _ in range(history):  # what a long-serving person's aggregate holds (no hash needed)
            desk.sign_in_with_token("daily.admin")
        _, token = desk.issue_token(Context(SYSTEM), "admin", "bench-admin")
        clients: dict[str, Any] = {
            "person session": _person_client(app, "fresh.admin"),
            f"person session, {history} sign-ins": _person_client(app, "daily.admin"),
            "token session": _token_client(app, token),
        }
        times: dict[str, list[float]] = {name: [] for name in clients}
        for client in clients.values():  # warm-up: templates compiled, caches filled
            for _ in range(10):
                assert client.get(PAGE).status_code == 200
        for _ in range(requests):
            for name, client in clients.items():
                began = time.perf_counter()
                answer = client.get(PAGE)
                times[name].append((time.perf_counter() - began) * 1000)
                assert answer.status_code == 200
        return times
    finally:
        app.extensions["kaizen"].close()


def figures(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values), 2),
        "p90_ms": round(percentile(values, 0.90) or 0.0, 2),
        "n": len(values),
    }


def run(quick: bool = False, engines: tuple[str, ...] = ("sqlite", "postgres"), **sizes: int) -> dict[str, Any]:
    hashes = sizes.get("hashes") or (20 if quick else 30)
    requests = sizes.get("requests") or (200 if quick else 400)
    history = 500
    timed = hash_times(hashes)
    argon = figures(timed)
    table(
        "Argon2id hash (application.passwords, 19 MiB, t=2, p=1)",
        ["hashes", "median ms", "p90 ms", "min ms"],
        [[hashes, argon["median_ms"], argon["p90_ms"], round(min(timed), 2)]],
    )
    results: dict[str, Any] = {"argon2id_hash": argon, "page": PAGE, "stores": {}}
    for engine in engines:
        if engine == "postgres" and not pg_available():
            log("PostgreSQL is not reachable: its figures are skipped")
            continue
        with store(engine, "kaizen_bench_sign_in") as url:
            log(f"{engine}: {requests} requests per session kind, interleaved")
            measured = page_times(url, requests, history)
        shown = {name: figures(values) for name, values in measured.items()}
        token = shown["token session"]
        rows: list[list[Any]] = []
        for name, f in shown.items():
            diff = round(f["median_ms"] - token["median_ms"], 2)
            rows.append([name, f["n"], f["median_ms"], f["p90_ms"], diff, round(f["p90_ms"] - token["p90_ms"], 2)])
        table(
            f"{engine}: GET {PAGE} by session kind (werkzeug test client, in-process)",
            ["session", "requests", "median ms", "p90 ms", "median - token", "p90 - token"],
            rows,
        )
        results["stores"][engine] = shown
    emit("sign_in", results)
    return results


def main(argv: list[str] | None = None) -> int:
    exit_cleanly_on_sigterm()
    parser = argparse.ArgumentParser(prog="python -m bench.sign_in", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer hashes and requests")
    parser.add_argument("--store", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--hashes", type=int, default=None, help="hashes timed (default 30; at least 20)")
    parser.add_argument("--requests", type=int, default=None, help="requests per session kind (default 400)")
    args = parser.parse_args(argv)
    engines = ("sqlite", "postgres") if args.store == "both" else (args.store,)
    table("Machine", ["what", "value"], [[k, str(v).replace("\n", " | ")] for k, v in machine().items()])
    hashes = max(20, args.hashes) if args.hashes else 0
    requests = max(200, args.requests) if args.requests else 0
    run(args.quick, engines, hashes=hashes, requests=requests)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
