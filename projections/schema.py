"""View schema versions: a view whose tables changed shape is rebuilt once, not left broken.

Views create their tables with `CREATE TABLE IF NOT EXISTS`, which leaves an older table as it
was; the new code would then query columns that are not there, or read rows that lack them.
Each view declares a `schema_version`; `view_schema` records the version each view's tables
were built with. When the code's version is newer, the view's tables are dropped and its
position forgotten in the same transaction that recreates them, and the runner replays the log
into them like any rebuild. A store from before this table existed holds version-1 views.
"""

from __future__ import annotations

from collections.abc import Sequence

from projections import stalls
from projections.store import Sql, ViewStore
from projections.view import View


def create_views(store: ViewStore, views: Sequence[View]) -> list[str]:
    """Create (or upgrade) the views' tables; returns the names of views reset for a rebuild.

    Writes nothing when every view is current, so a process can start on a store it may only
    read (a read-only SQLite file) and catch up once the store is writable again."""
    reset: list[str] = []
    with store.transaction() as sql:
        sql.execute("CREATE TABLE IF NOT EXISTS view_schema (view TEXT PRIMARY KEY, version BIGINT NOT NULL)")
        rows = sql.execute("SELECT view, version FROM view_schema").fetchall()
        recorded = {row["view"]: int(row["version"]) for row in rows}
        stalls.create_table(sql)
        for view in views:
            if recorded.get(view.name, 0) < view.schema_version and _upgrade(sql, view, view.name in recorded):
                view.drop(sql)
                store.forget(sql, view.name)
                reset.append(view.name)
            view.create(sql)
            view.create_indexes(sql)
    return reset


def _upgrade(sql: Sql, view: View, recorded: bool) -> bool:
    """Claim the upgrade of `view` to its schema version; True for exactly one process.

    A view without a row was built before versions were recorded: version 1. The conditional
    UPDATE takes the row's lock on PostgreSQL, so a second process starting at the same time
    waits for the first to commit and then finds nothing left to upgrade."""
    if not recorded:
        sql.execute("INSERT INTO view_schema (view, version) VALUES (?, 1) ON CONFLICT (view) DO NOTHING", (view.name,))
    if view.schema_version <= 1:
        return False
    sql.execute(
        "UPDATE view_schema SET version = ? WHERE view = ? AND version < ?",
        (view.schema_version, view.name, view.schema_version),
    )
    return sql.rowcount() == 1
