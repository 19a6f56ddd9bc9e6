"""A view stuck on an event is visible: `/readyz` 503 naming it, a metric, `kaizen projections status`.

The fault is planted in the real view store: a trigger makes `issue_list` refuse the row a new
issue needs, as a botched manual change to the database would. Dropping it is the repair.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import ISSUE, Api, issue_tokens
from werkzeug.test import TestResponse

from application.config import store_settings
from interfaces.cli import main
from interfaces.http.app import create_app
from interfaces.http.settings import HttpSettings
from projections.store import ViewStore
from tests.conftest import FakeClock

REFUSAL = "planted fault: this store refuses new issue rows"
PLANT = {
    "sqlite": [f"CREATE TRIGGER planted_fault BEFORE INSERT ON issue_list BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"],
    "postgres": [
        "CREATE FUNCTION planted_fault() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$",
        "CREATE TRIGGER planted_fault BEFORE INSERT ON issue_list FOR EACH ROW EXECUTE FUNCTION planted_fault()",
    ],
}
REPAIR = {"sqlite": ["DROP TRIGGER planted_fault"], "postgres": ["DROP TRIGGER planted_fault ON issue_list"]}


@pytest.fixture
def stalling_api(store_url: str, clock: FakeClock) -> Iterator[Api]:
    """Projections in-process, and a view counts as stuck after a quarter of a second."""
    app = create_app(HttpSettings(database_url=store_url, run_projections=True, clock=clock, view_stall_seconds=0.25))
    try:
        yield Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))
    finally:
        app.extensions["kaizen"].close()


def run_sql(url: str, statements: list[str]) -> None:
    store = ViewStore(store_settings(url))
    try:
        with store.transaction() as sql:
            for statement in statements:
                sql.execute(statement)
    finally:
        store.close()


def until(check: Callable[[], TestResponse], ok: Callable[[TestResponse], bool], within: float = 8.0) -> TestResponse:
    deadline = time.monotonic() + within
    while True:
        answer = check()
        if ok(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.05)


def failing_seconds(metrics: TestResponse | str) -> float:
    """`kaizen_projection_failing_seconds` of the issue list, from a scrape."""
    text = metrics if isinstance(metrics, str) else metrics.get_data(as_text=True)
    found = re.search(r'kaizen_projection_failing_seconds\{view="issue_list"\} ([0-9.e+-]+)', text)
    assert found is not None, text
    return float(found.group(1))


def caught_up(api: Api) -> bool:
    """Ready with every view at the head of the log (a ready process may still lag a little)."""
    answer = until(
        lambda: api.client.get("/readyz"),
        lambda a: a.status_code == 200 and not any(a.get_json()["lag"].values()),
    )
    return answer.status_code == 200 and not any(answer.get_json()["lag"].values())


def kaizen_status(url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.setenv("KAIZEN_DATABASE_URL", url)
    capsys.readouterr()
    assert main(["projections", "status"]) == 0
    return capsys.readouterr().out


def test_a_view_stuck_on_an_event_makes_readyz_503_until_it_moves_past_it(
    stalling_api: Api, store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    api = stalling_api
    api.report()
    assert caught_up(api)
    engine = store_settings(store_url).engine
    run_sql(store_url, PLANT[engine])

    key = api.report(title="Second posting run stops")
    reported = next(
        n.id
        for n in api.desk.recorder.select_notifications(start=1, limit=100)
        if n.topic.endswith("Issue.Reported") and n.originator_id == api.desk.get_issue(key).id
    )
    stuck = until(lambda: api.client.get("/readyz"), lambda a: a.status_code == 503)
    assert stuck.status_code == 503 and stuck.content_type == "application/problem+json"
    assert stuck.headers["Retry-After"] == "5"
    body: dict[str, Any] = stuck.get_json()
    (stall,) = body["stalled"]
    assert (stall["view"], stall["position"]) == ("issue_list", reported)
    assert REFUSAL in stall["error"] and "\n" not in stall["error"] and "Traceback" not in stuck.get_data(as_text=True)
    assert f"view issue_list has failed on event {reported}" in body["detail"] and REFUSAL in body["detail"]
    assert stall["seconds"] >= 0.25 and stall["since"].endswith("Z")
    assert body["lag"]["issue_list"] > 0 and body["lag"]["sla"] == 0  # the other views went on

    metrics = api.client.get("/metrics").get_data(as_text=True)
    assert 'kaizen_projection_stalled{view="issue_list"} 1.0' in metrics
    assert 'kaizen_projection_stalled{view="sla"} 0.0' in metrics
    assert failing_seconds(metrics) >= 0.25

    line = next(
        row for row in kaizen_status(store_url, monkeypatch, capsys).splitlines() if row.startswith("issue_list")
    )
    assert re.search(
        rf"^issue_list\s+{reported - 1}\s+\d+\s+\d+\s+{reported}\s+\d{{4}}-\d\d-\d\d \d\d:\d\d UTC\s+", line
    )
    assert REFUSAL in line
    assert api.client.get("/healthz").status_code == 200  # alive: restarting it would not help
    started = time.monotonic()  # read-your-writes does not wait out its 5 s for a view that cannot move
    assert api.get(f"/api/v1/issues?min_position={reported}").status_code == 200
    assert time.monotonic() - started < 2.5

    run_sql(store_url, REPAIR[engine])
    assert caught_up(api)  # ready again, and the issue list has the new issue
    assert 'kaizen_projection_stalled{view="issue_list"} 0.0' in api.client.get("/metrics").get_data(as_text=True)
    listed = api.get("/api/v1/issues?limit=10").get_json()
    assert key in [item["key"] for item in listed["items"]]
    status = kaizen_status(store_url, monkeypatch, capsys)
    assert REFUSAL not in status and "issue_list" in status


def test_a_view_failing_briefly_is_not_yet_stuck(
    store_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under the threshold a failure shows in the metrics, and `/readyz` stays 200."""
    app = create_app(HttpSettings(database_url=store_url, run_projections=True, clock=clock, view_stall_seconds=60))
    try:
        api = Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))
        api.report()
        assert caught_up(api)
        run_sql(store_url, PLANT[store_settings(store_url).engine])
        api.post("/api/v1/issues", ISSUE, as_="reporter")
        metrics = until(lambda: api.client.get("/metrics"), lambda a: failing_seconds(a) > 0).get_data(as_text=True)
        assert failing_seconds(metrics) > 0
        assert 'kaizen_projection_stalled{view="issue_list"} 0.0' in metrics
        assert api.client.get("/readyz").status_code == 200
    finally:
        app.extensions["kaizen"].close()
