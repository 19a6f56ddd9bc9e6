"""Compliance figures recomputed from the stored SLA facts: as they stood at a past time, or
under proposed policies, without writing a row.

Why not the live clocks: an `sla_clock` row is an issue's clocks as of its *last* fact, so a
fact recorded after a quarter closed (a late vendor update, a priority change that re-targets a
running clock, a resolution) rewrites the rows of clocks that started in that quarter, and the
live report of a closed quarter drifts. The `sla_fact` rows never change once written and carry
each fact's recorded time, so replaying them is exact: each issue's facts up to its last version
recorded at or before `as_of` (the definition of `as_of` for issues, `application.event_times`),
the policy versions recorded by then, and every clock judged at `as_of` by the report's own rule
(stopped by its due time: met; stopped later, or live, unpaused and past due: breached). That is
what the live report answered at `as_of`, because the view computes its rows with the same
`compute_clocks` from the same facts (tests/http/test_http_compliance_signed.py proves it).

A what-if is the same replay with a resolver that answers the proposed document for the named
vendors, for every clock of theirs, whatever version it started on (`rebuild --policy-now`'s
rule, `projections.sla_view.PolicyBook`), and the recorded versions for the others.

Cost: one query for the facts of the issues with a fact in the period (an issue reported before
the period may start a clock in it by a reopen or an escalation; a clock starts at a fact's
time), then `compute_clocks` per issue: the view's rebuild work for those issues only, nothing
kept. bench/what_if.py times it over the demo data and over 100k issues.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.access import role_family
from domain.actor import Actor
from domain.sla_clocks import PolicyResolver, SlaClock, compute_clocks
from domain.sla_policy_document import SlaPolicyDocument
from projections.incidents import IncidentBook, IncidentTally
from projections.reports import compliance_row
from projections.sla_view import CHUNK, PolicyBook, facts_of
from projections.store import ViewStore
from projections.view import iso

PROPOSED_VERSION = -1
"""The policy version a what-if clock reports: no published version, the proposal."""


@dataclass(frozen=True)
class Scope:
    """Which clocks a report counts: started in [start, end), of these kinds, matching filters."""

    start: datetime | None = None
    end: datetime | None = None
    kinds: tuple[str, ...] | None = None
    filters: Mapping[str, str] | None = None
    vendor_only: str | None = None  # a vendor reads its own clocks only


def scope_for(
    viewer: Actor,
    start: datetime | None,
    end: datetime | None,
    kinds: tuple[str, ...] | None,
    filters: Mapping[str, str] | None,
) -> Scope:
    only = viewer.vendor if role_family(viewer) == "vendor" else None
    return Scope(start, end, kinds, {k: v for k, v in (filters or {}).items() if v}, only)


@dataclass
class _Issue:
    issue_id: str
    key: str
    module: str | None
    site: str | None
    rows: list[dict[str, Any]]


def _issues(store: ViewStore, scope: Scope) -> Iterator[_Issue]:
    """Every issue with a fact in the period (all its fact rows, in version order), read
    `CHUNK` issues at a time so 100k issues are never all in memory at once."""
    clauses: list[str] = []
    params: list[Any] = []
    if scope.start is not None:
        clauses.append("occurred_at >= ?")
        params.append(iso(scope.start))
    if scope.end is not None:
        clauses.append("occurred_at < ?")
        params.append(iso(scope.end))
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    with store.transaction(commit=False) as sql:
        ids = [r["issue_id"] for r in sql.execute(f"SELECT DISTINCT issue_id FROM sla_fact{where}", params).fetchall()]
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first : first + CHUNK]
        with store.transaction(commit=False) as sql:
            rows = sql.execute(
                f"SELECT * FROM sla_fact WHERE issue_id IN ({', '.join('?' * len(chunk))}) ORDER BY issue_id, version",
                chunk,
            ).fetchall()
        current: _Issue | None = None
        for row in rows:
            if current is None or row["issue_id"] != current.issue_id:
                if current is not None:
                    yield current
                current = _Issue(row["issue_id"], row["issue_key"], row["module"], row["site"], [])
            current.rows.append(row)
        if current is not None:
            yield current


def _book(store: ViewStore, as_of: datetime | None) -> PolicyBook:
    with store.transaction(commit=False) as sql:
        if as_of is None:
            rows = sql.execute("SELECT * FROM sla_policy").fetchall()
        else:
            rows = sql.execute("SELECT * FROM sla_policy WHERE recorded_at <= ?", (iso(as_of),)).fetchall()
    return PolicyBook(rows)


def _cut(rows: list[dict[str, Any]], as_of: datetime | None) -> list[dict[str, Any]]:
    """The issue's facts up to its last version recorded at or before `as_of`."""
    if as_of is None:
        return rows
    stamp = iso(as_of) or ""
    last = max((r["version"] for r in rows if r["recorded_at"] <= stamp), default=0)
    return [r for r in rows if r["version"] <= last]


def outcome(clock: SlaClock, judged_at: datetime) -> str:
    """met, breached or running: `projections.reports.sla_compliance`'s SQL rule, in Python."""
    if clock.stopped_at is not None:
        return "met" if clock.stopped_at <= clock.due_at else "breached"
    paused = bool(clock.paused) and clock.paused[-1][1] is None
    return "breached" if not paused and clock.due_at < judged_at else "running"


class _Tally:
    """Counts per group, shaped as the compliance report's rows."""

    def __init__(self, group_by: str) -> None:
        self.group_by = group_by
        self.counts: dict[str | None, dict[str, int]] = {}

    def add(self, group: str | None, result: str) -> None:
        entry = self.counts.setdefault(group, {"met": 0, "breached": 0, "running": 0})
        entry[result] += 1

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for group in sorted(self.counts, key=lambda g: (g is not None, g or "")):
            c = self.counts[group]
            out.append(compliance_row(self.group_by, group, c["met"], c["breached"], c["running"]))
        return out


def _count(
    tally: _Tally | IncidentTally, issue: _Issue, clocks: list[SlaClock], scope: Scope, judged_at: datetime
) -> None:
    start, end = iso(scope.start), iso(scope.end)
    filters = scope.filters or {}
    for clock in clocks:
        if scope.kinds is not None and clock.kind not in scope.kinds:
            continue
        if scope.vendor_only is not None and clock.vendor != scope.vendor_only:
            continue
        started = iso(clock.started_at) or ""
        if (start is not None and started < start) or (end is not None and started >= end):
            continue
        values = {"vendor": clock.vendor, "priority": clock.priority, "module": issue.module, "site": issue.site}
        if any(values[name] != wanted for name, wanted in filters.items()):
            continue
        group = started[:7] if tally.group_by == "month" else values[tally.group_by]
        if isinstance(tally, IncidentTally):
            tally.add_outcome(group, issue.issue_id, outcome(clock, judged_at))
        else:
            tally.add(group, outcome(clock, judged_at))


def compliance_as_of(
    store: ViewStore, group_by: str, scope: Scope, as_of: datetime, incidents: bool = False
) -> list[dict[str, Any]]:
    """The compliance report's rows exactly as they stood at `as_of`; with `incidents`, each
    incident counted once with the links and "me too"s recorded by then (`projections.incidents`)."""
    book = _book(store, as_of)
    tally: _Tally | IncidentTally = _Tally(group_by)
    duplicates: IncidentBook | None = None
    if incidents:
        with store.transaction(commit=False) as sql:
            duplicates = IncidentBook.read(sql, as_of)
        tally = IncidentTally(group_by, duplicates)
    for issue in _issues(store, scope):
        if duplicates is not None and duplicates.is_duplicate(issue.issue_id):
            continue
        rows = _cut(issue.rows, as_of)
        if rows:
            _count(tally, issue, compute_clocks(facts_of(rows), book.resolve, as_of), scope, as_of)
    return tally.rows()


def proposed_resolver(book: PolicyBook, proposed: Mapping[str, SlaPolicyDocument]) -> PolicyResolver:
    """The proposed document for the named vendors' every clock, the recorded versions for others."""

    def resolve(vendor: str, recorded_at: datetime) -> tuple[int, SlaPolicyDocument]:
        document = proposed.get(vendor)
        if document is not None:
            return PROPOSED_VERSION, document
        return book.resolve(vendor, recorded_at)

    return resolve


def what_if(
    store: ViewStore, group_by: str, scope: Scope, now: datetime, proposed: Mapping[str, SlaPolicyDocument]
) -> dict[str, list[dict[str, Any]]]:
    """Today's figures and the figures under `proposed`, from one read of the facts.

    An issue that never touches a proposed vendor has the same clocks under both, so it is
    computed once (only `internal` touches every issue)."""
    book = _book(store, None)
    resolve = proposed_resolver(book, proposed)
    current, under = _Tally(group_by), _Tally(group_by)
    for issue in _issues(store, scope):
        facts = facts_of(issue.rows)
        today = compute_clocks(facts, book.resolve, now)
        _count(current, issue, today, scope, now)
        touched = "internal" in proposed or any(f.vendor in proposed for f in facts if f.kind == "escalated")
        _count(under, issue, compute_clocks(facts, resolve, now) if touched else today, scope, now)
    return {"current": current.rows(), "proposed": under.rows()}
