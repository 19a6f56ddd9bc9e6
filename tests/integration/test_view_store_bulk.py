"""`Sql.executemany` writes the same rows on both engines, whichever way it takes on PostgreSQL.

Many rows of a plain INSERT go to PostgreSQL as one COPY in a savepoint; anything COPY cannot
do exactly as the row-by-row INSERT would (a conflict under `DO NOTHING`, a value of another
type, a row the table refuses) must fall back to the INSERT and end the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from application.config import store_settings
from projections.store import COPY_MIN_ROWS, ViewStore, _copy_of

INSERT = "INSERT INTO bulk_t (k, n, note) VALUES (?, ?, ?)"
DO_NOTHING = INSERT + " ON CONFLICT (k) DO NOTHING"
MANY = COPY_MIN_ROWS + 4


@pytest.fixture
def views(store_url: str) -> Any:
    store = ViewStore(store_settings(store_url))
    with store.transaction() as sql:
        sql.execute("CREATE TABLE bulk_t (k TEXT PRIMARY KEY, n BIGINT NOT NULL, note TEXT)")
    yield store
    store.close()


def rows_of(store: ViewStore) -> list[tuple[Any, ...]]:
    with store.transaction(commit=False) as sql:
        return [(r["k"], r["n"], r["note"]) for r in sql.execute("SELECT * FROM bulk_t ORDER BY k").fetchall()]


def test_copy_statement_only_for_plain_inserts() -> None:
    assert _copy_of(INSERT) == "COPY bulk_t (k, n, note) FROM STDIN"
    assert _copy_of(DO_NOTHING) == "COPY bulk_t (k, n, note) FROM STDIN"
    assert _copy_of("INSERT INTO bulk_t (k, n) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET n = excluded.n") is None
    assert _copy_of("UPDATE bulk_t SET n = ? WHERE k = ?") is None
    assert _copy_of("INSERT INTO bulk_t (k, n, note) VALUES (?, ?)") is None


def test_many_rows_are_written_as_given(views: ViewStore) -> None:
    rows = [(f"k{i:03d}", i, None if i % 3 else f"tab\there\nline \\ {i} é") for i in range(MANY)]
    with views.transaction() as sql:
        sql.executemany(INSERT, rows)
    assert rows_of(views) == rows


def test_do_nothing_keeps_the_first_row_of_a_key(views: ViewStore) -> None:
    with views.transaction() as sql:
        sql.execute("INSERT INTO bulk_t (k, n, note) VALUES (?, ?, ?)", ("k005", -1, "there before"))
    rows = [(f"k{i:03d}", i, "batch") for i in range(MANY)] + [("k001", 99, "second of k001")]
    with views.transaction() as sql:
        sql.executemany(DO_NOTHING, rows)
        sql.execute("SELECT COUNT(*) AS n FROM bulk_t")  # the transaction is still usable
        assert sql.scalar() == MANY
    expected = [("k005", -1, "there before") if k == "k005" else (k, n, note) for k, n, note in rows[:MANY]]
    assert rows_of(views) == expected


def test_a_conflict_without_do_nothing_fails_as_before(views: ViewStore) -> None:
    rows = [(f"k{i:03d}", i, None) for i in range(MANY)] + [("k000", 1, None)]
    with pytest.raises(Exception) as failure, views.transaction() as sql:
        sql.executemany(INSERT, rows)
    assert "unique" in str(failure.value).lower() or "constraint" in str(failure.value).lower()
    assert rows_of(views) == []


def test_values_copy_would_spell_differently_are_bound_as_before(views: ViewStore) -> None:
    """A datetime in a TEXT column is stored as the server casts the bound parameter, which is
    not how COPY would spell it: such rows take the INSERT, and store what one INSERT stores."""
    when = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    rows: list[tuple[Any, ...]] = [(f"k{i:03d}", i, str(i)) for i in range(MANY)]
    rows[-1] = ("k999", 7, when)
    with views.transaction() as sql:
        sql.execute(INSERT, ("single", 0, when))
        sql.executemany(INSERT, rows)
    stored = dict((k, note) for k, _, note in rows_of(views))
    assert stored["k999"] == stored["single"]
    assert [stored[k] for k, _, _ in rows[:-1]] == [note for _, _, note in rows[:-1]]
