"""`KaizenAggregate.__deepcopy__` (the repository's copy for every command and read) must be a
deep copy: equal state, and no mutable container shared with the cached original."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from tests.property.test_aggregate_properties import state
from tests.unit.test_issue_lifecycle import STEPS, new_issue
from tests.unit.test_suggestion import T0, suggestion, voter


def containers(value: Any) -> list[Any]:
    """Every dict, list and set reachable from `value` (the things a command may mutate)."""
    found: list[Any] = []
    if isinstance(value, dict):
        found.append(value)
        for item in value.values():
            found += containers(item)
    elif isinstance(value, list | set):
        found.append(value)
        for item in value:
            found += containers(item)
    return found


def assert_deep_copy(original: Any) -> None:
    clone = copy.deepcopy(original)
    assert type(clone) is type(original) and clone is not original
    assert state(clone) == state(original)
    assert clone.version == original.version and clone.id == original.id
    shared = {id(c) for c in containers(vars(original))} & {id(c) for c in containers(vars(clone))}
    assert not shared


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(sorted(STEPS)), max_size=25))
def test_an_issue_copy_is_deep_and_equal(steps: list[str]) -> None:
    issue = new_issue()
    for step in steps:
        with contextlib.suppress(DomainError):
            STEPS[step](issue)
    issue.seal_pending_events()
    issue.collect_events()
    assert_deep_copy(issue)
    clone = copy.deepcopy(issue)
    for step in steps:  # the copy lives on by itself; the original does not move
        before = state(issue)
        with contextlib.suppress(DomainError):
            STEPS[step](clone)
        assert state(issue) == before


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c"]), max_size=10))
def test_a_suggestion_copy_is_deep_and_equal(voters: list[str]) -> None:
    s = suggestion()
    for who in voters:
        with contextlib.suppress(DomainError):
            s.vote(voter(who), T0)
    s.collect_events()
    assert_deep_copy(s)
