"""The continuous-improvement queries the HTTP layer reaches through `ReadSide`.

`read.suggestions.list(...)` and `read.suggestions_similar(title)` are the names the suggestion
routes look for; `read.improvement` holds the meeting, workaround and health-check reads.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.access import can_see_suggestion
from domain.actor import Actor
from domain.health import Quarter
from projections.agenda import build_agenda, list_meetings
from projections.health_check import health_report
from projections.store import ViewStore
from projections.suggestion_ranking import list_suggestions, similar_titles
from projections.view import from_iso, iso
from projections.workarounds import list_workarounds

TOP_LIMIT = 10


class SuggestionQueries:
    def __init__(self, store: ViewStore) -> None:
        self.store = store

    def similar(self, title: str) -> list[dict[str, Any]]:
        return similar_titles(self.store, title)

    def top(self, quarter: str | None) -> dict[str, Any]:
        """Top suggestions and suggesters of a quarter (or of all time), and rewards paid per
        quarter and currency (decimal sums, never floats)."""
        return top_report(self.store, Quarter.parse(quarter) if quarter else None)

    def list(
        self, sort: str, status: str | None, limit: int, cursor: str | None, viewer: Actor, now: datetime
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Every caller but a vendor reads the ranking (`domain.access.can_see_suggestion`)."""
        if not can_see_suggestion(viewer):
            return [], None
        return list_suggestions(self.store, sort or "votes", status, limit, cursor, now)


def _quarter_of(stamp: str) -> str:
    when = from_iso(stamp)
    assert when is not None
    return str(Quarter.containing(when))


def top_report(store: ViewStore, quarter: Quarter | None) -> dict[str, Any]:
    period, params = "", []
    if quarter is not None:
        period, params = " AND submitted_at >= ? AND submitted_at < ?", [iso(quarter.start), iso(quarter.end)]
    with store.transaction(commit=False) as sql:
        suggestions = sql.execute(
            "SELECT key, title, module, status, submitter, votes FROM suggestion_rank"
            f" WHERE status <> 'merged'{period} ORDER BY votes DESC, seq ASC LIMIT ?",
            [*params, TOP_LIMIT],
        ).fetchall()
        suggesters = sql.execute(
            "SELECT submitter, COUNT(*) AS submitted, SUM(votes) AS votes_received,"
            " SUM(CASE WHEN status = 'implemented' THEN 1 ELSE 0 END) AS implemented FROM suggestion_rank"
            f" WHERE status <> 'merged'{period} GROUP BY submitter"
            " ORDER BY COUNT(*) DESC, SUM(votes) DESC, submitter LIMIT ?",
            [*params, TOP_LIMIT],
        ).fetchall()
        rewards = sql.execute("SELECT recipient, amount, currency, rewarded_at FROM suggestion_reward").fetchall()
    paid: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for row in rewards:
        q = _quarter_of(row["rewarded_at"])
        if quarter is None or q == str(quarter):
            paid[(q, row["currency"])].append(Decimal(row["amount"]))
    return {
        "quarter": str(quarter) if quarter else None,
        "top_suggestions": suggestions,
        "top_suggesters": [
            {
                "submitter": r["submitter"],
                "submitted": int(r["submitted"]),
                "votes_received": int(r["votes_received"] or 0),
                "implemented": int(r["implemented"] or 0),
            }
            for r in suggesters
        ],
        "rewards": [
            {"quarter": q, "currency": c, "count": len(v), "total": str(sum(v, Decimal(0)))}
            for (q, c), v in sorted(paid.items())
        ],
    }


class ImprovementQueries:
    """Meetings and their agendas, the workaround registry, the quarterly health check."""

    def __init__(self, store: ViewStore) -> None:
        self.store = store

    def workarounds(
        self,
        now: datetime,
        overdue: bool | None = None,
        state: str = "open",
        filters: dict[str, str] | None = None,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        return list_workarounds(self.store, now, overdue, state, filters, limit)

    def meetings(self, limit: int, cursor: int | None = None) -> tuple[list[dict[str, Any]], int | None]:
        return list_meetings(self.store, limit, cursor)

    def agenda(self, meeting: dict[str, Any], now: datetime) -> dict[str, Any]:
        return build_agenda(self.store, meeting, now)

    def health_check(self, quarter: str, viewer: Actor, now: datetime) -> dict[str, Any]:
        return health_report(self.store, quarter, viewer, now)
