"""Suggestion transitions and vote arithmetic, without a store."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.actor import Actor
from domain.errors import InvalidCommand, TransitionRefused
from domain.money import Money
from domain.suggestion import Suggestion

T0 = datetime(2026, 3, 2, tzinfo=UTC)
ADMIN = Actor("wong", "admin")


def suggestion(key: str = "SG-1") -> Suggestion:
    return Suggestion.submit(
        key,
        title="Mandatory cost centre",
        description="x",
        module="finance",
        actor=Actor("lina", "reporter"),
        occurred_at=T0,
    )


def voter(name: str) -> Actor:
    return Actor(name, "reporter")


def test_one_vote_per_person_and_withdraw() -> None:
    s = suggestion()
    s.vote(voter("a"), T0)
    with pytest.raises(TransitionRefused, match="already voted"):
        s.vote(voter("a"), T0)
    s.withdraw_vote(voter("a"), T0)
    with pytest.raises(TransitionRefused, match="has not voted"):
        s.withdraw_vote(voter("a"), T0)
    assert s.votes == 0


def test_merge_moves_votes_and_counts_people_once() -> None:
    target, source = suggestion("SG-1"), suggestion("SG-2")
    for name in ("a", "b"):
        target.vote(voter(name), T0)
    for name in ("b", "c", "d"):
        source.vote(voter(name), T0)
    source.merge_into(target, ADMIN, T0)
    assert target.votes == 4 and sorted(target.voters) == ["a", "b", "c", "d"]
    assert source.status == "merged" and source.merged_into == "SG-1"
    with pytest.raises(TransitionRefused):
        source.vote(voter("e"), T0)
    with pytest.raises(InvalidCommand):
        target.merge_into(target, ADMIN, T0)


def test_life_cycle_review_plan_implement_reward() -> None:
    s = suggestion()
    with pytest.raises(TransitionRefused):
        s.reward(Money.of("100", "HKD"), "thanks", ADMIN, T0)
    s.record_review(4, 2, "2026-Q1", ADMIN, T0)
    s.plan("R2026.04", ADMIN, T0)
    with pytest.raises(TransitionRefused, match="status is planned"):
        s.decline("no", ADMIN, T0)
    s.mark_implemented(ADMIN, T0)
    s.reward(Money.of("150.5", "SGD"), "dropped an input step", ADMIN, T0)
    assert s.rewards[0]["amount"] == "150.50" and s.rewards[0]["currency"] == "SGD"


def test_decline_needs_undecided_and_scores_are_bounded() -> None:
    s = suggestion()
    with pytest.raises(InvalidCommand, match="1 to 5"):
        s.record_review(6, 1, None, ADMIN, T0)
    s.decline("out of scope", ADMIN, T0)
    with pytest.raises(TransitionRefused):
        s.plan("R1", ADMIN, T0)


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("-1", "HKD", "positive"),
        ("abc", "HKD", "not a decimal"),
        ("10", "XXX", "ISO 4217"),
        ("10.5", "IDR", "0 decimal places"),
        ("1.001", "USD", "2 decimal places"),
    ],
)
def test_money_is_validated(amount: str, currency: str, message: str) -> None:
    with pytest.raises(InvalidCommand, match=message):
        Money.of(amount, currency)


def test_money_keeps_decimal_exactness() -> None:
    assert Money.of("0.10", "HKD").amount + Money.of("0.20", "HKD").amount == Decimal("0.30")
    assert Money.of(50000, "VND").as_dict() == {"amount": "50000", "currency": "VND"}
