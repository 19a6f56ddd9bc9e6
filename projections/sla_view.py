"""SLA timelines: each issue's SLA facts, the policies in force, and the clocks they give.

Clocks are recomputed from an issue's facts whenever a fact arrives, with `now` taken as the
fact's own business time, so a rebuild gives the same rows as the incremental build. Whether a
live clock has breached *by now* is decided at query time from `due_at`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from application.sla_facts import FACT_OF_EVENT, fact_from_event, monotonic
from domain.issue import DUPLICATE_OF
from domain.keys import aggregate_id
from domain.sla_clocks import SlaClock, SlaFact, compute_clocks
from domain.sla_defaults import default_policy_document
from domain.sla_policy_document import SlaPolicyDocument
from projections.store import Sql
from projections.view import View, from_iso, iso, originator


class PolicyBook:
    """Policy versions by vendor, read from the view's own table: `resolve` picks the latest
    version recorded at or before the fact that starts a clock (or today's, for what-if)."""

    def __init__(self, rows: list[dict[str, Any]], policy_now: bool = False) -> None:
        self.policy_now = policy_now
        self.by_vendor: dict[str, list[tuple[str, int, SlaPolicyDocument]]] = {}
        for row in rows:
            self.by_vendor.setdefault(row["vendor"], []).append(
                (row["recorded_at"], row["version"], SlaPolicyDocument.from_document(json.loads(row["document"])))
            )
        for versions in self.by_vendor.values():
            versions.sort(key=lambda v: v[1])

    def resolve(self, vendor: str, recorded_at: datetime) -> tuple[int, SlaPolicyDocument]:
        versions = self.by_vendor.get(vendor)
        if not versions:  # the default: no need to spell the time out
            return 0, default_document(vendor)
        stamp = iso(recorded_at) or ""
        chosen: tuple[int, SlaPolicyDocument] | None = None
        for when, version, document in versions:
            if self.policy_now or when <= stamp:
                chosen = (version, document)
        if chosen is None:
            return 0, default_document(vendor)
        return chosen


_DEFAULTS: dict[str, SlaPolicyDocument] = {}


def default_document(vendor: str) -> SlaPolicyDocument:
    if vendor not in _DEFAULTS:
        _DEFAULTS[vendor] = SlaPolicyDocument.from_document(default_policy_document(vendor))
    return _DEFAULTS[vendor]


# Each compliance report grouping (`projections.reports.GROUPS`, without the table alias).
REPORT_GROUPS = {
    "vendor": "vendor",
    "priority": "priority",
    "module": "module",
    "site": "site",
    "month": "SUBSTR(started_at, 1, 7)",
}
FACT_COLUMNS = (
    "issue_id",
    "issue_key",
    "version",
    "kind",
    "occurred_at",
    "recorded_at",
    "priority",
    "vendor",
    "waiting_on",
    "module",
    "site",
)
CHUNK = 500  # issues per IN (...) list: far below SQLite's limit on host parameters


class SlaView(View):
    name = "sla"
    # sla_duplicate and sla_affected: which issues are duplicates and who each affects, so a
    # compliance report can count an incident once (`projections.incidents`).
    tables = ("sla_fact", "sla_policy", "sla_clock", "sla_duplicate", "sla_affected")
    # 2: module and site on the facts and clocks (the compliance report groups by them without
    # joining the issue list); a store built before is rebuilt once (`projections.schema`).
    # 3: the clocks count office hours on the issue's site calendar (policies' `site_calendars`,
    # the internal default's five offices): rebuilt once so old issues' clocks agree with new ones;
    # and sla_duplicate, sla_affected filled from the whole log.
    schema_version = 3
    policy_now = False

    def __init__(self) -> None:
        self._dirty: dict[str, str] = {}  # issue id -> key, touched in the current batch
        self._facts: list[tuple[Any, ...]] = []  # fact rows of the current batch, written at flush
        self._batch_facts: dict[str, list[SlaFact]] = {}  # issue id -> the batch's facts, as read
        self._duplicates: list[tuple[str, str, str | None]] = []  # (issue id, original id, recorded at)
        self._affected: list[tuple[str, str, str | None]] = []  # (issue id, person, recorded at)

    def begin(self, sql: Sql, events: Sequence[Any]) -> None:
        self._dirty, self._facts, self._batch_facts = {}, [], {}
        self._duplicates, self._affected = [], []

    def create(self, sql: Sql) -> None:
        sql.execute(
            "CREATE TABLE IF NOT EXISTS sla_fact (issue_id TEXT NOT NULL, issue_key TEXT NOT NULL,"
            " version BIGINT NOT NULL, kind TEXT NOT NULL, occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL,"
            " priority TEXT, vendor TEXT, waiting_on TEXT, module TEXT, site TEXT, PRIMARY KEY (issue_id, version))"
        )
        sql.execute(
            "CREATE TABLE IF NOT EXISTS sla_policy (vendor TEXT NOT NULL, version BIGINT NOT NULL,"
            " recorded_at TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (vendor, version))"
        )
        sql.execute(
            "CREATE TABLE IF NOT EXISTS sla_clock (issue_key TEXT NOT NULL, idx INTEGER NOT NULL,"
            " kind TEXT NOT NULL, vendor TEXT NOT NULL, policy_version BIGINT NOT NULL, priority TEXT NOT NULL,"
            " target_seconds BIGINT NOT NULL, started_at TEXT NOT NULL, due_at TEXT NOT NULL, stopped_at TEXT,"
            " paused INTEGER NOT NULL, pauses TEXT NOT NULL, business_seconds_used BIGINT NOT NULL,"
            " module TEXT, site TEXT, PRIMARY KEY (issue_key, idx))"
        )
        sql.execute("CREATE INDEX IF NOT EXISTS sla_clock_due ON sla_clock (due_at)")
        sql.execute(
            "CREATE TABLE IF NOT EXISTS sla_duplicate (issue_id TEXT NOT NULL, original_id TEXT NOT NULL,"
            " recorded_at TEXT NOT NULL, PRIMARY KEY (issue_id, original_id))"
        )
        sql.execute(
            "CREATE TABLE IF NOT EXISTS sla_affected (issue_id TEXT NOT NULL, person TEXT NOT NULL,"
            " recorded_at TEXT NOT NULL, PRIMARY KEY (issue_id, person))"
        )

    def create_indexes(self, sql: Sql) -> None:
        """The compliance report counts every clock per group. SQLite scanned the wide rows and
        sorted them per group; one narrow index per grouping, in group order, answers it from
        the index alone (bench/read_side.py). PostgreSQL's hash
        aggregate needs none, and its catch-up is the tighter budget."""
        if sql.engine != "sqlite":
            return
        for name, group in REPORT_GROUPS.items():  # started_at: covering for a period too
            sql.execute(
                f"CREATE INDEX IF NOT EXISTS sla_clock_report_{name} ON sla_clock"
                f" ({group}, started_at, stopped_at, due_at, paused)"
            )

    def handlers(self) -> dict[str, Callable[[Sql, Any, int], None]]:
        handlers: dict[str, Callable[[Sql, Any, int], None]] = {name: self._on_fact for name in FACT_OF_EVENT}
        handlers["SlaPolicy.Published"] = self._published
        handlers["Issue.IssueLinked"] = self._linked
        handlers["Issue.MarkedAffected"] = self._marked_affected
        return handlers

    def _linked(self, sql: Sql, event: Any, position: int) -> None:
        """An issue linked `duplicate_of` another: its incident is the other's."""
        d = event.__dict__
        if d.get("kind") == DUPLICATE_OF:
            self._duplicates.append((originator(event), str(aggregate_id(d["target"])), iso(event.timestamp)))

    def _marked_affected(self, sql: Sql, event: Any, position: int) -> None:
        self._affected.append((originator(event), str(event.__dict__["person"]), iso(event.timestamp)))

    def _published(self, sql: Sql, event: Any, position: int) -> None:
        d = event.__dict__
        sql.execute(
            "INSERT INTO sla_policy (vendor, version, recorded_at, document) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (vendor, version) DO NOTHING",
            (d["vendor"], d["policy_version"], iso(event.timestamp), json.dumps(d["document"], ensure_ascii=False)),
        )

    def _on_fact(self, sql: Sql, event: Any, position: int) -> None:
        fact = fact_from_event(event)
        if fact is None:
            return
        issue_id = originator(event)
        d = event.__dict__
        key = d.get("key") or self._dirty.get(issue_id) or self._key_of(sql, issue_id)
        reported = fact.kind == "reported"
        self._facts.append(
            (
                issue_id,
                key,
                event.originator_version,
                fact.kind,
                iso(fact.occurred_at),
                iso(fact.recorded_at),
                fact.priority,
                fact.vendor,
                fact.on,
                str(d["module"]) if reported else None,
                d.get("site") if reported else None,
            )
        )
        self._dirty[issue_id] = key
        self._batch_facts.setdefault(issue_id, []).append(fact)
        if reported:  # the reporter is the first person the issue affects
            self._affected.append((issue_id, str(d["actor"].id), iso(fact.recorded_at)))

    def flush(self, sql: Sql) -> None:
        """Recompute each touched issue's clocks once per batch, from all its facts so far:
        the same rows as recomputing after every fact (clocks depend only on the facts), but
        an issue with ten facts in a batch is computed once instead of ten times. The batch's
        facts, the reads and the clock rows go in a few statements per 500 issues rather than
        several per fact: on PostgreSQL each statement was a round trip."""
        dirty, facts, batch_facts = self._dirty, self._facts, self._batch_facts
        self._dirty, self._facts, self._batch_facts = {}, [], {}
        sql.executemany(
            f"INSERT INTO sla_fact ({', '.join(FACT_COLUMNS)}) VALUES ({', '.join('?' * len(FACT_COLUMNS))})"
            " ON CONFLICT (issue_id, version) DO NOTHING",
            facts,
        )
        if self._duplicates:
            sql.executemany(
                "INSERT INTO sla_duplicate (issue_id, original_id, recorded_at) VALUES (?, ?, ?)"
                " ON CONFLICT (issue_id, original_id) DO NOTHING",
                self._duplicates,
            )
        if self._affected:
            sql.executemany(
                "INSERT INTO sla_affected (issue_id, person, recorded_at) VALUES (?, ?, ?)"
                " ON CONFLICT (issue_id, person) DO NOTHING",
                self._affected,
            )
        self._duplicates, self._affected = [], []
        if not dirty:
            return
        # An issue whose first event is in this batch has no earlier facts and no clocks yet
        # (an aggregate's events are in the log in version order): its facts are all here, so
        # it needs neither the read nor the delete; on a rebuild that is nearly every issue.
        # Its clocks are computed from the facts as the events gave them, not from their rows
        # read back (the same instants: the rows spell them in UTC to the microsecond).
        first_rows: dict[str, tuple[Any, ...]] = {}
        for row in facts:
            first_rows.setdefault(row[0], row)
        fresh = {issue_id for issue_id, row in first_rows.items() if row[2] == 1}  # row[2]: version
        book = PolicyBook(sql.execute("SELECT * FROM sla_policy").fetchall(), self.policy_now)
        by_issue: dict[str, list[dict[str, Any]]] = {}
        older = [(issue_id, key) for issue_id, key in dirty.items() if issue_id not in fresh]
        for start in range(0, len(older), CHUNK):
            chunk = older[start : start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = sql.execute(
                f"SELECT * FROM sla_fact WHERE issue_id IN ({marks}) ORDER BY issue_id, version",
                [issue_id for issue_id, _ in chunk],
            ).fetchall()
            for fact in rows:
                by_issue.setdefault(fact["issue_id"], []).append(fact)
            sql.execute(f"DELETE FROM sla_clock WHERE issue_key IN ({marks})", [key for _, key in chunk])
        clock_rows: list[tuple[Any, ...]] = []
        for issue_id, key in dirty.items():
            if issue_id in fresh:
                first = first_rows[issue_id]  # module and site of the reported fact
                clock_rows.extend(clock_rows_of(monotonic(batch_facts[issue_id]), key, book, first[9], first[10]))
            else:
                clock_rows.extend(issue_clock_rows(by_issue.get(issue_id, []), key, book))
        sql.executemany(
            "INSERT INTO sla_clock (issue_key, idx, kind, vendor, policy_version, priority, target_seconds,"
            " started_at, due_at, stopped_at, paused, pauses, business_seconds_used, module, site)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            clock_rows,
        )

    def _key_of(self, sql: Sql, issue_id: str) -> str:
        return str(sql.execute("SELECT issue_key FROM sla_fact WHERE issue_id = ? LIMIT 1", (issue_id,)).scalar())


def issue_clock_rows(rows: list[dict[str, Any]], key: str, book: PolicyBook) -> list[tuple[Any, ...]]:
    """One issue's clock rows from its fact rows (in version order), as of its last fact."""
    if not rows:
        return []
    return clock_rows_of(facts_of(rows), key, book, rows[0]["module"], rows[0]["site"])


def clock_rows_of(
    facts: list[SlaFact], key: str, book: PolicyBook, module: str | None, site: str | None
) -> list[tuple[Any, ...]]:
    """One issue's clock rows from its facts (in version order, `monotonic`), as of its last."""
    if not facts:
        return []
    clocks = compute_clocks(facts, book.resolve, facts[-1].occurred_at)
    return [(*clock_row(key, idx, clock), module, site) for idx, clock in enumerate(clocks)]


def clock_row(key: str, idx: int, clock: SlaClock) -> tuple[Any, ...]:
    pauses = [[iso(a), iso(b)] for a, b in clock.paused]
    currently_paused = bool(clock.paused) and clock.paused[-1][1] is None and clock.stopped_at is None
    return (
        key,
        idx,
        clock.kind,
        clock.vendor,
        clock.policy_version,
        clock.priority,
        int(clock.target.total_seconds()),
        iso(clock.started_at),
        iso(clock.due_at),
        iso(clock.stopped_at),
        1 if currently_paused else 0,
        json.dumps(pauses) if pauses else "[]",  # most clocks never pause: skip the encoder
        clock.business_seconds_used,
    )


def load_facts(sql: Sql, issue_id: str) -> list[SlaFact]:
    """The issue's facts in version order (see `monotonic` for business-time skew)."""
    return facts_of(sql.execute("SELECT * FROM sla_fact WHERE issue_id = ? ORDER BY version", (issue_id,)).fetchall())


def facts_of(rows: list[dict[str, Any]]) -> list[SlaFact]:
    """Fact rows of one issue, in version order, as `SlaFact`s."""
    facts: list[SlaFact] = []
    for r in rows:
        occurred, recorded = from_iso(r["occurred_at"]), from_iso(r["recorded_at"])
        assert occurred is not None and recorded is not None
        facts.append(
            SlaFact(
                kind=r["kind"],
                occurred_at=occurred,
                recorded_at=recorded,
                priority=r["priority"],
                vendor=r["vendor"],
                on=r["waiting_on"],
                site=r["site"] if r["kind"] == "reported" else None,
            )
        )
    return monotonic(facts)


def live_clocks(sql: Sql, issue_key: str, now: datetime) -> list[SlaClock]:
    """The clocks of one issue as of `now` (business_seconds_used and status are live)."""
    from domain.keys import aggregate_id

    facts = load_facts(sql, str(aggregate_id(issue_key)))
    book = PolicyBook(sql.execute("SELECT * FROM sla_policy").fetchall())
    return compute_clocks(facts, book.resolve, now) if facts else []
