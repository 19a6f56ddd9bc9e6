"""Counting an incident once: `GET /reports/sla-compliance?count=incidents`.

Ten people hitting one broken posting run may file three issues (later linked `duplicate_of`
the first) and say "me too" on them: one incident, many affected. Counted per clock, the
duplicates' clocks would count the incident three times, and their breaches (nobody answers a
duplicate but to link it) would drag the percentage down. So, with `count=incidents`:

* **The incident is the original.** An issue linked `duplicate_of` another is left out, with all
  its clocks; the issue it duplicates (following a chain of duplicates to its end) is the
  incident, and its clocks measure how the incident was handled. An issue linked `duplicate_of`
  two issues belongs to the one it was linked to first. In a cycle (A duplicate of B, B of A) the
  member with the smallest id is the original, so one of them is always counted.
* **Affected people** of an incident: the original's reporter and everyone who said "me too" on
  it, plus the reporters of its duplicates and their "me too"s, each person once.
* **Rows** are the compliance report's (clocks, met, breached, running, percent_met: the counted
  clocks) plus `incidents` (issues with a counted clock in the group) and `affected_count`
  (distinct people affected by those incidents; one person affected by two incidents of a group
  counts once in it).
* **Periods**: clocks are chosen by their start as always, so an incident counts in the period
  its original's clocks started; a duplicate whose original started earlier adds nothing.
* **as_of**: only links and "me too"s recorded at or before `as_of` count, so a closed quarter's
  incident figures never drift either.

Links and affected people are kept by the SLA view (`sla_duplicate`, `sla_affected`, both with
their recorded time); this module reads them whole, which costs a row per issue and per "me
too" on top of the report, so it is an option rather than the default.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from domain.actor import Actor
from domain.keys import aggregate_id
from projections.reports import GROUPS, compliance_clauses, compliance_row, outcome_columns
from projections.store import Sql, ViewStore
from projections.view import iso

COUNTS = ("clocks", "incidents")


class IncidentBook:
    """Which issue is whose duplicate and who each issue affects, as recorded by `as_of`."""

    def __init__(self, duplicates: Iterable[tuple[str, str]], affected: Iterable[tuple[str, str]]) -> None:
        self.original_of: dict[str, str] = {}
        for issue_id, original_id in duplicates:  # in recorded order: the first link wins
            self.original_of.setdefault(issue_id, original_id)
        self.people: dict[str, set[str]] = {}
        for issue_id, person in affected:
            self.people.setdefault(issue_id, set()).add(person)
        self._roots: dict[str, str] = {}
        self._members: dict[str, set[str]] | None = None

    @classmethod
    def read(cls, sql: Sql, as_of: datetime | None = None) -> IncidentBook:
        cut, params = ("", ()) if as_of is None else (" WHERE recorded_at <= ?", (iso(as_of),))
        duplicates = sql.execute(
            f"SELECT issue_id, original_id FROM sla_duplicate{cut} ORDER BY recorded_at, original_id", params
        ).fetchall()
        affected = sql.execute(f"SELECT issue_id, person FROM sla_affected{cut}", params).fetchall()
        return cls(
            ((r["issue_id"], r["original_id"]) for r in duplicates), ((r["issue_id"], r["person"]) for r in affected)
        )

    def root(self, issue_id: str) -> str:
        """The original at the end of the issue's chain of duplicates (itself if none)."""
        known = self._roots.get(issue_id)
        if known is not None:
            return known
        path = [issue_id]
        seen = {issue_id}
        current = issue_id
        while current in self.original_of:
            current = self.original_of[current]
            if current in seen:  # a cycle: its smallest member is the original
                cycle = path[path.index(current) :]
                current = min(cycle)
                break
            path.append(current)
            seen.add(current)
        for member in path:
            self._roots[member] = current
        return current

    def is_duplicate(self, issue_id: str) -> bool:
        return self.root(issue_id) != issue_id

    def affected(self, original_id: str) -> set[str]:
        """Everyone the incident affects: its own people and those of its duplicates."""
        if self._members is None:
            members: dict[str, set[str]] = {}
            for issue_id in set(self.people) | set(self.original_of):
                members.setdefault(self.root(issue_id), set()).add(issue_id)
            self._members = members
        people: set[str] = set(self.people.get(original_id, ()))
        for member in self._members.get(original_id, ()):
            people |= self.people.get(member, set())
        return people


class IncidentTally:
    """Clock outcomes per group, with the incidents (issues) behind them and their people."""

    def __init__(self, group_by: str, book: IncidentBook) -> None:
        self.group_by = group_by
        self.book = book
        self.counts: dict[str | None, dict[str, int]] = {}
        self.issues: dict[str | None, set[str]] = {}

    def add(self, group: str | None, issue_id: str, met: int = 0, breached: int = 0, running: int = 0) -> None:
        entry = self.counts.setdefault(group, {"met": 0, "breached": 0, "running": 0})
        entry["met"] += met
        entry["breached"] += breached
        entry["running"] += running
        self.issues.setdefault(group, set()).add(issue_id)

    def add_outcome(self, group: str | None, issue_id: str, result: str) -> None:
        """One clock judged `met`, `breached` or `running` (`projections.sla_replay.outcome`)."""
        self.add(group, issue_id, **{result: 1})

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for group in sorted(self.counts, key=lambda g: (g is not None, g or "")):
            c = self.counts[group]
            people: set[str] = set()
            for issue_id in self.issues[group]:
                people |= self.book.affected(issue_id)
            row = compliance_row(self.group_by, group, c["met"], c["breached"], c["running"])
            out.append({**row, "incidents": len(self.issues[group]), "affected_count": len(people)})
        return out


def compliance_incidents(
    store: ViewStore,
    group_by: str,
    viewer: Actor,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    filters: dict[str, str] | None = None,
    kinds: tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    """The live compliance report counting each incident once (the module's rules)."""
    column = GROUPS[group_by]
    clauses, params = compliance_clauses(viewer, start, end, filters, kinds)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with store.transaction(commit=False) as sql:
        book = IncidentBook.read(sql)
        rows = sql.execute(
            f"SELECT {column} AS grp, c.issue_key AS issue_key, COUNT(*) AS clocks, {outcome_columns()}"
            f" FROM sla_clock c {where} GROUP BY {column}, c.issue_key",
            (iso(now), *params),
        ).fetchall()
    tally = IncidentTally(group_by, book)
    for row in rows:
        issue_id = str(aggregate_id(row["issue_key"]))
        if book.is_duplicate(issue_id):
            continue
        met, breached = int(row["met"] or 0), int(row["breached"] or 0)
        tally.add(row["grp"], issue_id, met, breached, int(row["clocks"]) - met - breached)
    return tally.rows()
