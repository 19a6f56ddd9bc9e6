"""PostgreSQL appends in one server-side call: the same table lock, order and refusals as the library.

The product's recorder moves the library's append (lock, NOTIFY, INSERT) into one function so
the table lock is never held across a client round trip. These tests hold it to what the
library promised: an append waits for the table lock, a conflicting append stores nothing,
and positions follow the order of the events in the call.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from application.config import store_settings
from application.desk import KaizenDesk
from tests.conftest import REPORTER, ctx

pytestmark = pytest.mark.parametrize("store_url", ["postgres"], indirect=True)

ISSUE: dict[str, Any] = dict(
    title="Posting fails", description="d", module="finance", impact_scope="team", urgency="blocking"
)


def _connect(store_url: str) -> psycopg.Connection:
    env = store_settings(store_url).environment
    return psycopg.connect(
        host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"], dbname=env["POSTGRES_DBNAME"]
    )


def _events(originator: uuid.UUID, versions: range) -> list[StoredEvent]:
    return [StoredEvent(originator, v, "tests:Event", f'{{"v": {v}}}'.encode()) for v in versions]


def test_an_append_waits_while_another_session_holds_the_table_lock(desk: KaizenDesk, store_url: str) -> None:
    desk.report(ctx(REPORTER), **ISSUE)
    head = desk.recorder.max_notification_id()
    table = desk.recorder.events_table_name  # type: ignore[attr-defined]  # the PostgreSQL recorder's
    answers: list[str] = []
    with _connect(store_url) as other:
        other.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")  # psycopg opened a transaction
        writer = threading.Thread(target=lambda: answers.append(desk.report(ctx(REPORTER), **ISSUE).key))
        writer.start()
        time.sleep(0.5)
        assert writer.is_alive() and answers == []
        assert desk.recorder.max_notification_id() == head
        other.rollback()
    writer.join(timeout=10)
    assert answers == ["KZ-2"]
    assert desk.recorder.max_notification_id() == (head or 0) + 2  # the issue and its key sequence


def test_a_conflicting_append_stores_none_of_its_events(desk: KaizenDesk) -> None:
    originator = uuid.uuid4()
    desk.recorder.insert_events(_events(originator, range(1, 3)))
    head = desk.recorder.max_notification_id()
    with pytest.raises(IntegrityError):
        desk.recorder.insert_events(_events(uuid.uuid4(), range(1, 2)) + _events(originator, range(2, 4)))
    assert desk.recorder.max_notification_id() == head
    assert [e.originator_version for e in desk.recorder.select_events(originator)] == [1, 2]


def test_positions_follow_the_order_of_the_events_in_one_append(desk: KaizenDesk) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    batch = _events(first, range(1, 4)) + _events(second, range(1, 3)) + _events(first, range(4, 5))
    positions = desk.recorder.insert_events(batch)
    assert positions is not None and list(positions) == sorted(positions)
    assert len(set(positions)) == len(batch)
    stored = desk.recorder.select_notifications(start=positions[0], limit=10)
    assert [(n.originator_id, n.originator_version) for n in stored] == [
        (e.originator_id, e.originator_version) for e in batch
    ]


def test_a_second_application_on_the_store_keeps_the_function(store_url: str, desk: KaizenDesk) -> None:
    """Every worker runs the schema statements at start; re-creating the function is harmless."""
    again = KaizenDesk(store_settings(store_url))
    try:
        assert again.report(ctx(REPORTER), **ISSUE).key == "KZ-1"
        assert desk.report(ctx(REPORTER), **ISSUE).key == "KZ-2"
    finally:
        again.close()
