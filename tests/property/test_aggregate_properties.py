"""Properties of the aggregates: replay is deterministic; no command sequence reaches an
impossible state."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.issue import Issue
from domain.suggestion import Suggestion
from domain.vocabulary import IssueStatus
from tests.unit.test_issue_lifecycle import STEPS, new_issue
from tests.unit.test_suggestion import ADMIN, T0, suggestion, voter


def replay(events: Sequence[Any]) -> Any:
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def state(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def check_issue_invariants(issue: Issue) -> None:
    assert issue.status in set(IssueStatus)
    assert (issue.status == "resolved") == (issue.resolved_at is not None) or issue.status == "closed"
    if issue.status == "closed":
        assert issue.closed_at is not None
    if issue.status in ("waiting_on_reporter", "waiting_on_customer"):
        assert issue.status_before_wait in ("new", "triaged", "in_progress", "escalated")
    if issue.status in ("escalated", "waiting_on_customer"):
        assert issue.escalation is not None
    assert issue.priority in ("P1", "P2", "P3", "P4")
    assert len({c["id"] for c in issue.comments}) == len(issue.comments)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(sorted(STEPS)), max_size=25))
def test_issue_replay_is_deterministic_and_states_stay_possible(steps: list[str]) -> None:
    issue = new_issue()
    for step in steps:
        before = state(issue)
        try:
            STEPS[step](issue)
        except DomainError:
            assert state(issue) == before  # a refusal changes nothing
        check_issue_invariants(issue)
    issue.seal_pending_events()
    events = issue.collect_events()
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    assert state(replay(events)) == state(issue)
    assert state(replay(events)) == state(replay(events))


VOTE_STEPS = ["vote", "withdraw", "review", "plan", "decline", "implement"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(VOTE_STEPS), st.sampled_from(["a", "b", "c"])), max_size=25))
def test_suggestion_votes_are_a_set_of_people(steps: list[tuple[str, str]]) -> None:
    s: Suggestion = suggestion()
    actions = {
        "vote": lambda who: s.vote(voter(who), T0),
        "withdraw": lambda who: s.withdraw_vote(voter(who), T0),
        "review": lambda who: s.record_review(3, 2, None, ADMIN, T0),
        "plan": lambda who: s.plan("R1", ADMIN, T0),
        "decline": lambda who: s.decline("no", ADMIN, T0),
        "implement": lambda who: s.mark_implemented(ADMIN, T0),
    }
    for action, who in steps:
        with contextlib.suppress(DomainError):
            actions[action](who)
        assert len(s.voters) == len(set(s.voters)) == s.votes
    s.seal_pending_events()
    assert state(replay(s.collect_events())) == state(s)
