"""Where one stored event sits in the log: one indexed read on either store.

The recorders answer by position or by aggregate, never "which position holds this aggregate's
version n"; a checkpoint's inclusion proof and the console's "covered by" line need exactly
that, and scanning a long log for it would not do on a page view.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteApplicationRecorder


def event_position(recorder: Any, originator_id: UUID, version: int) -> int | None:
    """The log position of (aggregate, version), or None when no such event is stored."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        statement = f"SELECT rowid FROM {recorder.events_table_name} WHERE originator_id = ? AND originator_version = ?"
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (originator_id.hex, version))
            row = cursor.fetchone()
        return None if row is None else int(row[0])
    from psycopg.sql import SQL, Identifier

    query = SQL(
        "SELECT notification_id FROM {schema}.{table} WHERE originator_id = %s AND originator_version = %s"
    ).format(schema=Identifier(recorder.datastore.schema), table=Identifier(recorder.events_table_name))
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(query, (originator_id, version))
        found = cursor.fetchone()
    if found is None:
        return None
    value = found["notification_id"] if isinstance(found, dict) else found[0]
    return int(value)
