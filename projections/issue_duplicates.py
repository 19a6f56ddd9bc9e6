"""Possible duplicates of an issue being reported: open issues with a similar title.

One rule for the API's report answer (`possible_duplicates`) and the console's report form:
the newest open issues of each open status are read through the issue list and scored with
the suggestions' own title similarity (`projections.suggestion_ranking.similarity`, which
handles Chinese titles by character bigrams).

Whoever may report sees every open issue here, not only their own (`domain.access.
glimpses_open_issues`): a clerk must find a colleague's report of the same problem to say "me
too" instead of reporting it again. Each item carries only what that needs (key, title,
status, priority, score); a description or comment never leaves through this query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from domain.access import glimpses_open_issues
from domain.actor import SYSTEM, Actor
from domain.similarity import match_text
from domain.vocabulary import IssueStatus
from projections.suggestion_ranking import DUPLICATE_LIMIT, DUPLICATE_THRESHOLD, similarity

OPEN_STATUSES = tuple(s.value for s in IssueStatus if s not in (IssueStatus.RESOLVED, IssueStatus.CLOSED))
SCAN_PER_STATUS = 200  # newest open issues per status compared with a typed title
GLIMPSE = ("key", "title", "status", "priority")


class ListsIssues(Protocol):
    def list(
        self, filters: dict[str, str], limit: int, cursor: str | None, viewer: Actor, now: datetime
    ) -> tuple[list[dict[str, Any]], str | None]: ...


def similar_open_issues(
    issues: ListsIssues, title: str, viewer: Actor, now: datetime, exclude: str | None = None
) -> list[dict[str, Any]]:
    """Open issues whose titles resemble `title`, best first: [{key, title, status, priority, score}].

    A caller who may not report (a vendor, an auditor) is shown only the issues they may read.
    `exclude` leaves out the issue just reported.
    """
    if not match_text(title):
        return []
    lister = SYSTEM if glimpses_open_issues(viewer) else viewer
    scored: list[tuple[float, str, dict[str, Any]]] = []
    seen: set[str] = {exclude} if exclude else set()
    for status in OPEN_STATUSES:
        items, _ = issues.list({"status": status}, SCAN_PER_STATUS, None, lister, now)
        for item in items:
            if item["key"] in seen:
                continue
            seen.add(item["key"])
            value = similarity(title, item["title"])
            if value >= DUPLICATE_THRESHOLD:
                scored.append((value, item["key"], {name: item[name] for name in GLIMPSE}))
    scored.sort(key=lambda found: (-found[0], found[1]))
    return [{**item, "score": round(value, 1)} for value, _, item in scored[:DUPLICATE_LIMIT]]
