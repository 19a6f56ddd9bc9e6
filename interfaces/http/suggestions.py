"""Suggestion routes: submit, vote, discuss, merge, review, decide, implement, reward.

Every caller but a vendor may read suggestions (`domain.access.can_see_suggestion`); who voted
and who was rewarded is shown to administrators and auditors only; who may change them is
`domain.access`'s table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema

from interfaces.http.api import AGGREGATE_HEADERS, COMMAND_HEADERS, CREATED_HEADERS, errors
from interfaces.http.auth import reader
from interfaces.http.blueprint import Blueprint
from interfaces.http.commands import Answer, suggestion_command
from interfaces.http.logs import get_logger
from interfaces.http.presenters import history_page, suggestion_view
from interfaces.http.problems import Problem, validation_problem
from interfaces.http.reading import as_of_version, chosen_version, may_see_suggestion, read_side, wait_for_views
from interfaces.http.schemas.common import HistoryQuerySchema, HistorySchema, NoBodySchema, VersionQuerySchema
from interfaces.http.schemas.suggestions import (
    DecisionSchema,
    ImplementedSchema,
    MergeSchema,
    ReviewSchema,
    RewardSchema,
    SubmitSchema,
    SubmittedSuggestionSchema,
    SuggestionCommentSchema,
    SuggestionListQuerySchema,
    SuggestionPageSchema,
    SuggestionSchema,
)
from interfaces.http.services import desk, services

blp = Blueprint(
    "suggestions",
    __name__,
    url_prefix="/api/v1/suggestions",
    description="Improvement ideas from staff: voted on, reviewed, decided, rewarded",
)
F = Callable[..., Any]
COMMAND_ERRORS = (400, 401, 403, 404, 409, 412, 413, 415, 422, 503)
log = get_logger("kaizen.http.suggestions")


def command_route(rule: str, schema: type[Schema] | None, method: str = "POST") -> Callable[[F], F]:
    """`/suggestions/{key}/<rule>` taking `schema` (None: no body, as for DELETE), answering the suggestion."""

    def decorate(func: F) -> F:
        func = errors(blp, *COMMAND_ERRORS)(func)
        func = blp.response(200, SuggestionSchema, headers=COMMAND_HEADERS)(func)
        if schema is not None:
            func = blp.arguments(schema, required=schema is not NoBodySchema)(func)
        routed: F = blp.route(f"/<suggestion_key:key>/{rule}", methods=[method])(func)
        return routed

    return decorate


def possible_duplicates(title: str, own_key: str) -> list[dict[str, Any]]:
    """Similar titles from the read side when it offers a similarity query; otherwise none.

    Advisory only: a failure here is logged and must not fail the submission itself.
    """
    try:
        read = services().read
        similar = getattr(read, "suggestions_similar", None) if read is not None else None
        if not callable(similar):
            return []
        found = similar(title)
    except Exception:
        log.warning("possible_duplicates_unavailable", exc_info=True)
        return []
    return [
        {"key": d["key"], "title": d["title"], "score": float(d["score"])} for d in found if d.get("key") != own_key
    ]


# -- collection -------------------------------------------------------------------------------
@blp.route("", methods=["POST"])
@blp.arguments(SubmitSchema)
@blp.response(201, SubmittedSuggestionSchema, headers=CREATED_HEADERS)
@errors(blp, 400, 401, 403, 413, 415, 422, 503)
def submit(body: dict[str, Any]) -> Answer:
    """Submit a suggestion; the answer lists possible duplicates (similar titles)"""

    def extend(view: dict[str, Any]) -> dict[str, Any]:
        return {**view, "possible_duplicates": possible_duplicates(view["title"], view["key"])}

    return suggestion_command("suggest", lambda ctx: desk().submit_suggestion(ctx, **body), extend=extend)


@blp.route("", methods=["GET"])
@blp.arguments(SuggestionListQuerySchema, location="query")
@blp.response(200, SuggestionPageSchema)
@errors(blp, 401, 422, 503)
def list_suggestions(query: dict[str, Any]) -> dict[str, Any]:
    """Rank suggestions by votes, trending (recent votes weigh more), score or recency; vendors see none"""
    actor = reader()
    read = read_side()
    queries = getattr(read, "suggestions", None)
    if queries is None:
        raise Problem(503, "the suggestion ranking is not available", headers={"Retry-After": "5"})
    wait_for_views(read, query.get("min_position"))
    try:
        items, next_cursor = queries.list(
            query["sort"], query.get("status"), query["limit"], query.get("cursor"), actor, services().settings.clock()
        )
    except ValueError as exc:
        raise validation_problem({"cursor": [str(exc)]}) from None
    return {"items": items, "next_cursor": next_cursor}


# -- one suggestion ---------------------------------------------------------------------------
@blp.route("/<suggestion_key:key>", methods=["GET"])
@blp.arguments(VersionQuerySchema, location="query")
@blp.response(200, SuggestionSchema, headers=AGGREGATE_HEADERS)
@errors(blp, 401, 404, 422, 503)
def suggestion(query: dict[str, Any], key: str) -> Answer:
    """The suggestion now, or as it was (`?version=n` or `?as_of=<time>`)"""
    actor = reader()
    may_see_suggestion(key, actor)
    current = desk().get_suggestion(key)
    shown = as_of_version(current, chosen_version(key, query), desk().get_suggestion)
    return suggestion_view(shown, actor), 200, {"ETag": f'"{shown.version}"'}


@blp.route("/<suggestion_key:key>/history", methods=["GET"])
@blp.arguments(HistoryQuerySchema, location="query")
@blp.response(200, HistorySchema)
@errors(blp, 401, 404, 422, 503)
def history(query: dict[str, Any], key: str) -> dict[str, Any]:
    """Every event of the suggestion, paged

    Oldest first, `?limit=` (default 50, max 500) events a page; pass `next_cursor` back as
    `?cursor=` for the next page (null on the last one).
    """
    actor = reader()
    may_see_suggestion(key, actor)
    desk().get_suggestion(key)
    return history_page(desk().history_page(key, query["limit"], query["after"]), actor, votes_private=True)


# -- commands ---------------------------------------------------------------------------------
@command_route("votes", NoBodySchema)
def vote(body: dict[str, Any], key: str) -> Answer:
    """Vote (one vote per person; voting twice is 409)"""
    return suggestion_command("votes", lambda ctx: desk().vote(ctx, key), key)


@command_route("votes", None, method="DELETE")
def withdraw_vote(key: str) -> Answer:
    """Withdraw your vote"""
    return suggestion_command("withdraw-vote", lambda ctx: desk().withdraw_vote(ctx, key), key)


@command_route("comments", SuggestionCommentSchema)
def comment(body: dict[str, Any], key: str) -> Answer:
    """Comment on a suggestion"""
    return suggestion_command("comments", lambda ctx: desk().comment_on_suggestion(ctx, key, **body), key)


@command_route("merge", MergeSchema)
def merge(body: dict[str, Any], key: str) -> Answer:
    """Merge this duplicate into another suggestion: votes move, nobody is counted twice"""
    return suggestion_command("merge", lambda ctx: desk().merge(ctx, key, **body), key)


@command_route("review", ReviewSchema)
def review(body: dict[str, Any], key: str) -> Answer:
    """Review: impact and effort from 1 to 5, and the meeting that reviewed it"""
    return suggestion_command("review", lambda ctx: desk().review(ctx, key, **body), key)


@command_route("decision", DecisionSchema)
def decide(body: dict[str, Any], key: str) -> Answer:
    """Decide: planned (with a target release) or declined (with a reason)"""
    return suggestion_command("decision", lambda ctx: desk().decide(ctx, key, **body), key)


@command_route("implemented", ImplementedSchema)
def implemented(body: dict[str, Any], key: str) -> Answer:
    """Mark a planned suggestion implemented"""
    return suggestion_command("implemented", lambda ctx: desk().mark_implemented(ctx, key, **body), key)


@command_route("reward", RewardSchema)
def reward(body: dict[str, Any], key: str) -> Answer:
    """Reward the submitter of an implemented suggestion (money as a decimal string and currency)"""
    return suggestion_command("reward", lambda ctx: desk().reward(ctx, key, **body), key)
