"""PostgreSQL recorders that give up quickly when the database is away.

The library retries a failed database call 10 times, each waiting up to the pool timeout, so
a request could hang for most of a minute while PostgreSQL restarts. A service should instead
answer 503 with Retry-After at once and let the client retry; these recorders shorten that
retry loop to 2 attempts: the second takes a fresh connection where the restart killed a
pooled one; a third only adds another pool timeout (2 s) to the wait of a request that was in
flight when the database went away. Selected through the library's own
`APPLICATION_RECORDER_TOPIC` / `TRACKING_RECORDER_TOPIC` settings.

The application recorder also appends in one statement (`LockedAppend`): the library's
append is a pipelined transaction whose table lock is held until the client, back from its
first round trip, sends COMMIT; in a busy web worker that wait includes getting the GIL back,
and every other append in every process queues behind it (figures in
docs/benchmark-history.md). The same lock, NOTIFY and INSERT inside one server-side function
hold the lock only while PostgreSQL runs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresTrackingRecorder,
)
from eventsourcing.utils import retry
from psycopg.sql import SQL, Composed, Identifier

from adapters.key_allocation import shared_turns
from application.config import StoreSettings
from application.ports import SharedTurns

ATTEMPTS = 2
fail_fast = retry((InterfaceError, OperationalError), max_attempts=ATTEMPTS, wait=0.2)


def _unwrapped(method: Any) -> Any:
    """The library's method without its own retry decorator (functools.wraps keeps it)."""
    return getattr(method, "__wrapped__", method)


class FailFastApplicationRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.append = LockedAppend(self)
        self.key_turn = KeyTurnQuery(self)
        self.sql_create_statements.extend([self.append.create_statement, self.key_turn.create_statement])

    def shared_turns(self, settings: StoreSettings) -> SharedTurns | None:
        """Key turns as advisory locks, taken and read from in one call (`KeyTurnQuery`):
        `application.ports.TakesKeyTurns`."""
        return shared_turns(settings, key_turn_call=self.key_turn.call_statement)

    @fail_fast
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if kwargs.get("tracking") is not None:  # not used by this application; the library's path
            return _unwrapped(PostgresApplicationRecorder.insert_events)(self, stored_events, **kwargs)
        return self.append(stored_events)

    select_events = fail_fast(_unwrapped(PostgresAggregateRecorder.select_events))
    select_notifications = fail_fast(_unwrapped(PostgresApplicationRecorder.select_notifications))
    max_notification_id = fail_fast(_unwrapped(PostgresApplicationRecorder.max_notification_id))


class FailFastTrackingRecorder(PostgresTrackingRecorder):
    insert_tracking = fail_fast(_unwrapped(PostgresTrackingRecorder.insert_tracking))
    max_tracking_id = fail_fast(_unwrapped(PostgresTrackingRecorder.max_tracking_id))
    has_tracking_id = fail_fast(_unwrapped(PostgresTrackingRecorder.has_tracking_id))


def _stored_function(recorder: PostgresApplicationRecorder, suffix: str) -> tuple[Identifier, Identifier, Composed]:
    """The schema, the name `<events table>_<suffix>` and the call of a four-argument function."""
    schema = Identifier(recorder.datastore.schema)
    function = Identifier(f"{recorder.events_table_name}_{suffix}")
    call = SQL("SELECT * FROM {schema}.{function}(%s, %s, %s, %s)").format(schema=schema, function=function)
    return schema, function, call


class LockedAppend:
    """`<events table>_append(ids, versions, topics, states)`: the library's append in one call.

    Same statements as the library's pipelined transaction, in the same order: `SET LOCAL
    lock_timeout`, `LOCK TABLE ... IN EXCLUSIVE MODE` (positions commit in the order they are
    issued), `NOTIFY` (followers wake), `INSERT ... RETURNING notification_id`. The pool's
    connections are in autocommit, so the call is its own transaction: the lock is taken and
    released inside the server. A duplicate (id, version) still fails the whole call with the
    unique-key error the library raises as `IntegrityError`.
    """

    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        datastore = recorder.datastore
        schema, function, self.call_statement = _stored_function(recorder, "append")
        table = Identifier(recorder.events_table_name)
        self.recorder = recorder
        self.create_statement = SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}("
            "ids {id_type}[], versions bigint[], topics text[], states bytea[]) "
            "RETURNS SETOF bigint LANGUAGE plpgsql AS $$ "
            "BEGIN "
            "SET LOCAL lock_timeout = '{timeout}s'; "
            "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
            "NOTIFY {channel}; "
            "RETURN QUERY INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "SELECT i, v, t, s FROM unnest(ids, versions, topics, states) WITH ORDINALITY AS e(i, v, t, s, n) "
            "ORDER BY n RETURNING notification_id; "
            "END $$"
        ).format(
            schema=schema,
            function=function,
            table=table,
            id_type=Identifier(datastore.originator_id_type),
            timeout=SQL(str(int(datastore.lock_timeout))),
            channel=Identifier(recorder.channel_name),
        )

    def __call__(self, stored_events: Sequence[StoredEvent]) -> Sequence[int] | None:
        if not stored_events:
            return None
        params = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )
        with self.recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.call_statement, params, prepare=True)
            ids = [next(iter(row.values())) for row in curs.fetchall()]
        if len(ids) != len(stored_events):
            raise AssertionError(f"appended {len(ids)} of {len(stored_events)} events")
        return ids


class KeyTurnQuery:
    """`<events table>_key_turn(namespace, key, sequence, after)`: take a key turn and read the
    sequence's events since `after`, in one round trip.

    A report under the turn used to take it (one round trip), then read the key sequence (a
    second), then append (a third), while every other report waited. Each round trip inside
    the turn costs a wake-up of a thread in a busy process. The function takes the session
    advisory lock first and then reads: a PL/pgSQL statement after the lock gets its own
    snapshot, so it sees every allocation committed before the lock was granted.
    """

    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        datastore = recorder.datastore
        schema, function, self.call_statement = _stored_function(recorder, "key_turn")
        self.create_statement = SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}("
            "namespace integer, turn integer, sequence {id_type}, after bigint) "
            "RETURNS TABLE (originator_version bigint, topic text, state bytea) LANGUAGE plpgsql AS $$ "
            "BEGIN "
            "PERFORM pg_advisory_lock(namespace, turn); "
            "RETURN QUERY SELECT e.originator_version, e.topic, e.state FROM {schema}.{table} e "
            "WHERE e.originator_id = sequence AND e.originator_version > after ORDER BY e.originator_version; "
            "END $$"
        ).format(
            schema=schema,
            function=function,
            table=Identifier(recorder.events_table_name),
            id_type=Identifier(datastore.originator_id_type),
        )
