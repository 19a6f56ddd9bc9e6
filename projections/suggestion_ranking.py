"""Suggestion ranking: votes (a set of people), review figures, rewards; the list and duplicates.

Formulas (documented here and in the report; every figure can be recomputed by hand):

* **votes**: the number of distinct current voters. A merge moves the duplicate's voters who had
  not already voted for the target, with their original vote times, so nobody counts twice.
* **trending** = Σ over current votes of ``0.5 ** (age_days / 14)``: a vote weighs 1 today,
  0.5 after 14 days, 0.25 after 28. Votes dated in the future (imports) weigh 1.
* **score** = ``impact × (6 − effort) × (1 + log2(1 + votes))``: the review's value/effort
  matrix (1..25; high impact and low effort first) amplified by votes with diminishing returns
  (0 votes ×1, 1 ×2, 3 ×3, 7 ×4). Before a review, impact and effort count as a neutral 3.
* **possible duplicates**: titles are turned into tokens (words; character bigrams for CJK, see
  `domain.similarity`) and scored with ``(token_set_ratio + token_sort_ratio) / 2`` from
  rapidfuzz; a score of at least ``DUPLICATE_THRESHOLD`` (75 of 100) is a possible duplicate.
  The set ratio finds reworded titles; averaging with the sort ratio keeps a one-word title from
  matching every longer title that contains the word. WRatio is not used: its partial matching
  rates unrelated Chinese titles that share one bigram as similar (e.g. 85 for
  采购订单审批流程太长 vs 销售订单导出).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from rapidfuzz import fuzz

from domain.similarity import match_text
from projections import cursors
from projections.store import Sql, ViewStore
from projections.view import View, from_iso, iso

SORTS: Final = ("votes", "trending", "score", "recent")
HALF_LIFE_DAYS: Final = 14.0
NEUTRAL: Final = 3
DUPLICATE_THRESHOLD: Final = 75.0
DUPLICATE_LIMIT: Final = 5
COLUMNS: Final = (
    "key",
    "title",
    "module",
    "status",
    "submitter",
    "submitted_at",
    "votes",
    "impact",
    "effort",
    "merged_into",
    "updated_at",
)


def trending(vote_times: list[datetime], now: datetime) -> float:
    """Each vote weighs 0.5 ** (age_days / 14)."""
    total = 0.0
    for voted_at in vote_times:
        age_days = max(0.0, (now - voted_at).total_seconds() / 86_400)
        total += 0.5 ** (age_days / HALF_LIFE_DAYS)
    return total


def score(impact: int | None, effort: int | None, votes: int) -> float:
    """impact × (6 − effort) × (1 + log2(1 + votes)); unreviewed counts as impact = effort = 3."""
    i = impact if impact is not None else NEUTRAL
    e = effort if effort is not None else NEUTRAL
    return i * (6 - e) * (1 + math.log2(1 + votes))


def _blend(ta: str, tb: str) -> float:
    if not ta or not tb:
        return 0.0
    return float(fuzz.token_set_ratio(ta, tb) + fuzz.token_sort_ratio(ta, tb)) / 2


def similarity(a: str, b: str) -> float:
    """0..100 for two titles (see the module docstring)."""
    return _blend(match_text(a), match_text(b))


class SuggestionRankingView(View):
    name = "suggestion_ranking"
    tables = ("suggestion_rank", "suggestion_vote", "suggestion_reward")

    def create(self, sql: Sql) -> None:
        sql.execute(
            "CREATE TABLE IF NOT EXISTS suggestion_rank (key TEXT PRIMARY KEY, suggestion_id TEXT NOT NULL UNIQUE,"
            " seq BIGINT NOT NULL, title TEXT NOT NULL, module TEXT NOT NULL, status TEXT NOT NULL,"
            " submitter TEXT NOT NULL, submitted_at TEXT NOT NULL, votes INTEGER NOT NULL, impact INTEGER,"
            " effort INTEGER, merged_into TEXT, updated_at TEXT NOT NULL, version BIGINT NOT NULL)"
        )
        sql.execute("CREATE INDEX IF NOT EXISTS suggestion_rank_votes ON suggestion_rank (votes, seq)")
        sql.execute(
            "CREATE TABLE IF NOT EXISTS suggestion_vote (suggestion_id TEXT NOT NULL, voter TEXT NOT NULL,"
            " voted_at TEXT NOT NULL, PRIMARY KEY (suggestion_id, voter))"
        )
        sql.execute(
            "CREATE TABLE IF NOT EXISTS suggestion_reward (suggestion_id TEXT NOT NULL, version BIGINT NOT NULL,"
            " suggestion_key TEXT NOT NULL, recipient TEXT NOT NULL, amount TEXT NOT NULL, currency TEXT NOT NULL,"
            " rewarded_at TEXT NOT NULL, PRIMARY KEY (suggestion_id, version))"
        )

    def handlers(self) -> dict[str, Callable[[Sql, Any, int], None]]:
        statuses = {
            "Suggestion.Planned": "planned",
            "Suggestion.Declined": "declined",
            "Suggestion.Implemented": "implemented",
        }
        handlers: dict[str, Callable[[Sql, Any, int], None]] = {
            "Suggestion.Submitted": self._submitted,
            "Suggestion.Voted": self._voted,
            "Suggestion.VoteWithdrawn": self._withdrawn,
            "Suggestion.DuplicateAbsorbed": self._absorbed,
            "Suggestion.MergedInto": self._merged,
            "Suggestion.Reviewed": self._reviewed,
            "Suggestion.Rewarded": self._rewarded,
            "Suggestion.Commented": lambda sql, e, p: self._update(sql, e, "", ()),
        }
        for name, status in statuses.items():
            handlers[name] = self._status(status)
        return handlers

    # -- handlers -----------------------------------------------------------------------------
    def _submitted(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        sql.execute(
            "INSERT INTO suggestion_rank (key, suggestion_id, seq, title, module, status, submitter, submitted_at,"
            " votes, impact, effort, merged_into, updated_at, version)"
            " VALUES (?, ?, ?, ?, ?, 'submitted', ?, ?, 0, NULL, NULL, NULL, ?, ?) ON CONFLICT (key) DO NOTHING",
            (
                d["key"],
                str(e.originator_id),
                int(d["key"].split("-")[1]),
                d["title"],
                str(d["module"]),
                d["actor"].id,
                iso(d["occurred_at"]),
                iso(d["occurred_at"]),
                e.originator_version,
            ),
        )

    def _update(self, sql: Sql, e: Any, assignments: str, params: tuple[Any, ...]) -> None:
        sql.execute(
            f"UPDATE suggestion_rank SET {assignments}{', ' if assignments else ''}updated_at = ?, version = ?"
            " WHERE suggestion_id = ?",
            (*params, iso(e.__dict__["occurred_at"]), e.originator_version, str(e.originator_id)),
        )

    def _recount(self, sql: Sql, e: Any) -> None:
        self._update(
            sql,
            e,
            "votes = (SELECT COUNT(*) FROM suggestion_vote v WHERE v.suggestion_id = suggestion_rank.suggestion_id)",
            (),
        )

    def _add_vote(self, sql: Sql, suggestion_id: str, voter: str, voted_at: datetime) -> None:
        sql.execute(
            "INSERT INTO suggestion_vote (suggestion_id, voter, voted_at) VALUES (?, ?, ?)"
            " ON CONFLICT (suggestion_id, voter) DO NOTHING",
            (suggestion_id, voter, iso(voted_at)),
        )

    def _voted(self, sql: Sql, e: Any, position: int) -> None:
        self._add_vote(sql, str(e.originator_id), e.__dict__["voter"], e.__dict__["occurred_at"])
        self._recount(sql, e)

    def _withdrawn(self, sql: Sql, e: Any, position: int) -> None:
        sql.execute(
            "DELETE FROM suggestion_vote WHERE suggestion_id = ? AND voter = ?",
            (str(e.originator_id), e.__dict__["voter"]),
        )
        self._recount(sql, e)

    def _absorbed(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        times = d.get("vote_times") or {}
        for voter in d["voters"]:
            self._add_vote(sql, str(e.originator_id), voter, times.get(voter) or d["occurred_at"])
        self._recount(sql, e)

    def _merged(self, sql: Sql, e: Any, position: int) -> None:
        self._update(sql, e, "status = 'merged', merged_into = ?", (e.__dict__["into"],))

    def _reviewed(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        self._update(sql, e, "status = 'reviewed', impact = ?, effort = ?", (int(d["impact"]), int(d["effort"])))

    def _status(self, status: str) -> Callable[[Sql, Any, int], None]:
        def handler(sql: Sql, e: Any, position: int) -> None:
            self._update(sql, e, "status = ?", (status,))

        return handler

    def _rewarded(self, sql: Sql, e: Any, position: int) -> None:
        d = e.__dict__
        key = sql.execute("SELECT key FROM suggestion_rank WHERE suggestion_id = ?", (str(e.originator_id),)).scalar()
        sql.execute(
            "INSERT INTO suggestion_reward (suggestion_id, version, suggestion_key, recipient, amount, currency,"
            " rewarded_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (suggestion_id, version) DO NOTHING",
            (
                str(e.originator_id),
                e.originator_version,
                key or "",
                d["recipient"],
                str(d["amount"]),
                str(d["currency"]),
                iso(d["occurred_at"]),
            ),
        )
        self._update(sql, e, "", ())


# -- queries ----------------------------------------------------------------------------------


def encode_cursor(payload: dict[str, Any]) -> str:
    return cursors.encode_payload(payload)


def decode_cursor(cursor: str, sort: str) -> dict[str, Any]:
    """`{"s": sort, "k": seq, "v": the sort value, "t": the first page's now}`, each field of the
    type and range its comparison needs (`v` meets an INTEGER column for votes; `t` sets the
    trending weights): anything else is `cursors.ForgedCursor`, a ValueError."""
    try:
        payload = cursors.decode_payload(cursor)
        if payload.get("s") != sort:
            raise cursors.ForgedCursor()
        checked: dict[str, Any] = {"s": sort, "k": cursors.bounded_integer(payload.get("k"))}
        if sort == "votes":
            checked["v"] = cursors.bounded_integer(payload.get("v"))
        elif sort in ("trending", "score"):
            checked["v"] = cursors.bounded_number(payload.get("v"))
            checked["t"] = iso(cursors.bounded_time(payload.get("t")))
        return checked
    except cursors.ForgedCursor:
        raise cursors.ForgedCursor(f"cursor is not one this server issued for sort={sort}") from None


def _item(row: dict[str, Any], votes_at: list[datetime], now: datetime) -> dict[str, Any]:
    item = {k: row[k] for k in COLUMNS}
    item["submitted_at"] = from_iso(row["submitted_at"])
    item["updated_at"] = from_iso(row["updated_at"])
    item["trending"] = round(trending(votes_at, now), 3)
    item["score"] = round(score(row["impact"], row["effort"], int(row["votes"])), 2)
    return item


def _status_clause(status: str | None) -> tuple[str, list[Any]]:
    if status:
        return "status = ?", [status]
    return "status <> 'merged'", []


def _vote_times(sql: Sql, ids: list[str]) -> dict[str, list[datetime]]:
    found: dict[str, list[datetime]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = sql.execute(
            f"SELECT suggestion_id, voted_at FROM suggestion_vote WHERE suggestion_id IN ({marks})", chunk
        ).fetchall()
        for row in rows:
            voted = from_iso(row["voted_at"])
            assert voted is not None
            found[row["suggestion_id"]].append(voted)
    return found


def list_suggestions(
    store: ViewStore, sort: str, status: str | None, limit: int, cursor: str | None, now: datetime
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the ranking. `votes` and `recent` page in SQL; `trending` and `score` are
    computed in Python over the filtered rows, as of the first page's `now` (kept in the cursor),
    so every page of one listing ranks by the same weights."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    after = decode_cursor(cursor, sort) if cursor else None
    where, params = _status_clause(status)
    select = f"SELECT suggestion_id, seq, {', '.join(COLUMNS)} FROM suggestion_rank"
    if sort in ("trending", "score") and after is not None:
        now = from_iso(str(after.get("t"))) or now
    with store.transaction(commit=False) as sql:
        if sort == "recent":
            clause = " AND seq < ?" if after else ""
            rows = sql.execute(
                f"{select} WHERE {where}{clause} ORDER BY seq DESC LIMIT ?",
                [*params, *([after["k"]] if after else []), limit + 1],
            ).fetchall()
        elif sort == "votes":
            clause = " AND (votes < ? OR (votes = ? AND seq < ?))" if after else ""
            extra = [after["v"], after["v"], after["k"]] if after else []
            rows = sql.execute(
                f"{select} WHERE {where}{clause} ORDER BY votes DESC, seq DESC LIMIT ?", [*params, *extra, limit + 1]
            ).fetchall()
        else:
            rows = sql.execute(f"{select} WHERE {where}", params).fetchall()
        times = _vote_times(sql, [r["suggestion_id"] for r in rows])
    if sort in ("trending", "score"):
        ranked = [(_item(r, times[r["suggestion_id"]], now), r["seq"]) for r in rows]
        ranked.sort(key=lambda pair: (-pair[0][sort], -pair[1]))
        if after is not None:
            ranked = [(i, s) for i, s in ranked if (i[sort], s) < (after["v"], after["k"])]
        page = ranked[: limit + 1]
    else:
        page = [(_item(r, times[r["suggestion_id"]], now), r["seq"]) for r in rows]
    more = len(page) > limit
    page = page[:limit]
    next_cursor = None
    if more and page:
        last, seq = page[-1]
        payload: dict[str, Any] = {"s": sort, "k": seq}
        if sort != "recent":
            payload["v"] = last[sort]
        if sort in ("trending", "score"):
            payload["t"] = iso(now)
        next_cursor = encode_cursor(payload)
    return [item for item, _ in page], next_cursor


def similar_titles(
    store: ViewStore, title: str, threshold: float = DUPLICATE_THRESHOLD, limit: int = DUPLICATE_LIMIT
) -> list[dict[str, Any]]:
    """Possible duplicates of `title` among suggestions that were not merged away, best first."""
    with store.transaction(commit=False) as sql:
        rows = sql.execute("SELECT key, seq, title FROM suggestion_rank WHERE status <> 'merged'").fetchall()
    query = match_text(title)
    if not query:
        return []
    scored: list[tuple[float, int, dict[str, Any]]] = []
    for row in rows:
        value = _blend(query, match_text(row["title"]))
        if value >= threshold:
            scored.append((value, row["seq"], {"key": row["key"], "title": row["title"], "score": round(value, 1)}))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [found for _, _, found in scored[:limit]]
