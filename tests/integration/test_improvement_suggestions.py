"""Suggestion ranking on both stores: vote-merge arithmetic, the four sorts, paging, duplicates,
top suggesters and rewards per quarter and currency."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from application.config import store_settings
from application.desk import KaizenDesk
from domain.actor import Actor
from domain.errors import TransitionRefused
from projections.catalogue import all_views
from projections.improvement_queries import SuggestionQueries
from projections.runner import ProjectionRunner
from projections.store import ViewStore
from projections.suggestion_ranking import DUPLICATE_THRESHOLD, score, similarity, trending
from tests.conftest import ADMIN, REPORTER, FakeClock, ctx

START = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)


def person(name: str) -> Actor:
    return Actor(name, "reporter")


@pytest.fixture
def queries(desk: KaizenDesk, store_url: str) -> Iterator[tuple[SuggestionQueries, ProjectionRunner]]:
    store = ViewStore(store_settings(store_url))
    runner = ProjectionRunner(desk, store, all_views())
    runner.setup()
    try:
        yield SuggestionQueries(store), runner
    finally:
        store.close()


def submit(desk: KaizenDesk, title: str, by: Actor = REPORTER, module: str = "warehouse") -> str:
    return desk.submit_suggestion(ctx(by), title=title, description="d", module=module).key


def listed(q: SuggestionQueries, sort: str, now: datetime, status: str | None = None) -> list[dict[str, object]]:
    items, _ = q.list(sort, status, 100, None, ADMIN, now)
    return items


def test_merge_moves_votes_without_counting_anyone_twice(
    desk: KaizenDesk, clock: FakeClock, queries: tuple[SuggestionQueries, ProjectionRunner]
) -> None:
    q, runner = queries
    clock.now = START
    target, duplicate = submit(desk, "Scan goods receipts"), submit(desk, "Handheld receipt scanning")
    for name in ("ana", "budi", "chen"):
        desk.vote(ctx(person(name)), target)
    desk.vote(ctx(person("chen")), duplicate)  # chen voted for both
    desk.vote(ctx(person("dewi")), duplicate)  # dewi's vote is 14 days older than the merge
    clock.advance(days=14)
    desk.merge(ctx(), duplicate, into=target)
    assert desk.get_suggestion(target).votes == 4  # |{ana, budi, chen} ∪ {chen, dewi}|
    runner.catch_up()
    rows = {r["key"]: r for r in listed(q, "votes", clock.now)}
    assert list(rows) == [target] and rows[target]["votes"] == 4
    # five vote rows would give 4 × 0.5 + 1 × 0.5; the moved vote keeps its original time
    assert rows[target]["trending"] == pytest.approx(4 * 0.5, abs=1e-3)
    merged = listed(q, "votes", clock.now, status="merged")
    assert [(m["key"], m["votes"], m["merged_into"]) for m in merged] == [(duplicate, 2, target)]
    with pytest.raises(TransitionRefused):
        desk.vote(ctx(person("dewi")), target)  # her vote moved: a second one is refused
    desk.withdraw_vote(ctx(person("dewi")), target)
    desk.vote(ctx(person("eko")), target)
    runner.catch_up()
    assert listed(q, "votes", clock.now)[0]["votes"] == 4 == desk.get_suggestion(target).votes


def test_merging_into_a_suggestion_whose_voters_are_the_same_adds_nothing(
    desk: KaizenDesk, queries: tuple[SuggestionQueries, ProjectionRunner]
) -> None:
    q, runner = queries
    target, duplicate = submit(desk, "A"), submit(desk, "B")
    for key in (target, duplicate):
        desk.vote(ctx(person("ana")), key)
    desk.merge(ctx(), duplicate, into=target)
    runner.catch_up()
    assert [(r["key"], r["votes"]) for r in listed(q, "votes", START + timedelta(days=1))] == [(target, 1)]


def test_the_four_sorts_and_the_status_filter(
    desk: KaizenDesk, clock: FakeClock, queries: tuple[SuggestionQueries, ProjectionRunner]
) -> None:
    q, runner = queries
    clock.now = START
    old = submit(desk, "Old favourite")  # three votes, 28 days old
    for name in ("a", "b", "c"):
        desk.vote(ctx(person(name)), old)
    clock.advance(days=28)
    fresh = submit(desk, "Fresh idea")  # two votes today
    for name in ("d", "e"):
        desk.vote(ctx(person(name)), fresh)
    reviewed = submit(desk, "Reviewed idea")  # one vote, high impact, low effort
    desk.vote(ctx(person("f")), reviewed)
    desk.review(ctx(), reviewed, impact=5, effort=1)
    declined = submit(desk, "Declined idea")
    desk.decide(ctx(), declined, outcome="declined", reason="not now")
    runner.catch_up()
    now = clock.now
    assert [r["key"] for r in listed(q, "votes", now)] == [old, fresh, reviewed, declined]
    assert [r["key"] for r in listed(q, "recent", now)] == [declined, reviewed, fresh, old]
    by_trend = listed(q, "trending", now)
    assert [r["key"] for r in by_trend] == [fresh, reviewed, old, declined]
    assert [r["trending"] for r in by_trend] == [2.0, 1.0, 0.75, 0.0]  # 3 × 0.5 ** (28 / 14) = 0.75
    by_score = listed(q, "score", now)
    # reviewed: 5 × (6 − 1) × (1 + log2 2) = 50; old: 3 × 3 × (1 + log2 4) = 27; fresh: 9 × (1 + log2 3)
    assert [(r["key"], r["score"]) for r in by_score] == [
        (reviewed, 50.0),
        (old, 27.0),
        (fresh, round(score(None, None, 2), 2)),
        (declined, 9.0),
    ]
    assert [r["key"] for r in listed(q, "votes", now, status="declined")] == [declined]
    assert [r["key"] for r in listed(q, "votes", now, status="reviewed")] == [reviewed]


@pytest.mark.parametrize("sort", ["votes", "trending", "score", "recent"])
def test_paging_visits_every_suggestion_once(
    sort: str, desk: KaizenDesk, clock: FakeClock, queries: tuple[SuggestionQueries, ProjectionRunner]
) -> None:
    q, runner = queries
    clock.now = START
    keys = []
    for n in range(7):
        key = submit(desk, f"Idea {n}")
        keys.append(key)
        for v in range(n % 3):  # ties on purpose
            desk.vote(ctx(person(f"v{v}")), key)
        clock.advance(days=2)
    runner.catch_up()
    seen: list[str] = []
    cursor = None
    now = clock.now
    while True:
        page, cursor = q.list(sort, None, 2, cursor, ADMIN, now)
        seen += [str(r["key"]) for r in page]
        now += timedelta(days=3)  # time passes between pages: the ranking must not shift under the cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(keys) and len(seen) == len(keys)
    with pytest.raises(ValueError):
        q.list(
            "votes" if sort != "votes" else "recent", None, 2, q.list(sort, None, 2, None, ADMIN, now)[1], ADMIN, now
        )


def test_possible_duplicates_in_english_and_chinese(
    desk: KaizenDesk, queries: tuple[SuggestionQueries, ProjectionRunner]
) -> None:
    q, runner = queries
    scan = submit(desk, "Scan goods receipts on the handheld")
    report = submit(desk, "月结报表导出太慢", module="finance")
    approval = submit(desk, "采购订单审批流程太长", module="purchasing")
    gone = submit(desk, "Scan goods receipts with the handheld device")
    desk.merge(ctx(), gone, into=scan)
    runner.catch_up()
    assert [d["key"] for d in q.similar("Handheld scanning for goods receipts")] == [scan]
    assert [d["key"] for d in q.similar("月结报表导出速度慢")] == [report]
    assert [d["key"] for d in q.similar("采购订单审批太慢")] == [approval]
    assert q.similar("销售订单导出") == []  # shares one bigram with the approval title: not a duplicate
    assert q.similar("Scan") == []  # a one-word title does not match every title containing it
    assert q.similar("Drop the approval step for small purchase orders") == []
    assert all(d["score"] >= DUPLICATE_THRESHOLD for d in q.similar("Scan goods receipt on handheld"))


def test_similarity_is_symmetric_and_normalises_width_and_case() -> None:
    assert similarity("ＳＣＡＮ Goods-Receipts", "scan goods receipts") == 100.0
    assert similarity("月结报表", "Month-end report") == similarity("Month-end report", "月结报表") < 50


def test_top_suggesters_and_rewards_per_quarter_and_currency(
    desk: KaizenDesk, clock: FakeClock, queries: tuple[SuggestionQueries, ProjectionRunner]
) -> None:
    q, runner = queries
    clock.now = datetime(2026, 6, 20, tzinfo=UTC)
    june = submit(desk, "June idea", by=person("ana"))
    clock.now = START
    keys = [submit(desk, f"July idea {n}", by=person("ana" if n < 2 else "budi")) for n in range(3)]
    desk.vote(ctx(person("chen")), keys[2])
    desk.vote(ctx(person("dewi")), keys[2])
    for key, amount, currency in ((june, "100.00", "HKD"), (keys[0], "50.50", "HKD"), (keys[2], "30.00", "SGD")):
        desk.decide(ctx(), key, outcome="planned", target_release="2026.08")
        desk.mark_implemented(ctx(), key)
        desk.reward(ctx(), key, amount={"amount": amount, "currency": currency}, note="thanks")
    clock.now = datetime(2026, 10, 2, tzinfo=UTC)
    desk.reward(ctx(), keys[0], amount={"amount": "20.00", "currency": "HKD"}, note="more")
    runner.catch_up()
    report = q.top("2026Q3")
    assert report["top_suggesters"] == [
        {"submitter": "ana", "submitted": 2, "votes_received": 0, "implemented": 1},
        {"submitter": "budi", "submitted": 1, "votes_received": 2, "implemented": 1},
    ]
    assert report["top_suggestions"][0]["key"] == keys[2]
    assert report["rewards"] == [
        {"quarter": "2026Q3", "currency": "HKD", "count": 2, "total": "150.50"},
        {"quarter": "2026Q3", "currency": "SGD", "count": 1, "total": "30.00"},
    ]
    everything = q.top(None)
    assert [(r["quarter"], r["currency"], r["total"]) for r in everything["rewards"]] == [
        ("2026Q3", "HKD", "150.50"),
        ("2026Q3", "SGD", "30.00"),
        ("2026Q4", "HKD", "20.00"),
    ]
    assert everything["top_suggesters"][0] == {
        "submitter": "ana",
        "submitted": 3,
        "votes_received": 0,
        "implemented": 2,
    }


def test_trending_and_score_formulas_by_hand() -> None:
    now = START
    assert trending([now, now - timedelta(days=14), now - timedelta(days=28), now + timedelta(days=1)], now) == 2.75
    assert score(None, None, 0) == 9 and score(5, 1, 1) == 50 and score(1, 5, 7) == 4
