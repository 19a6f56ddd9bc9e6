"""Which issue an incident is counted on, and who it affects (`projections.incidents`)."""

from __future__ import annotations

from projections.incidents import IncidentBook, IncidentTally


def test_a_chain_of_duplicates_ends_at_its_original_and_gathers_everyones_people() -> None:
    book = IncidentBook(
        duplicates=[("b", "a"), ("c", "b"), ("b", "z")],  # b's first link wins
        affected=[("a", "lina"), ("b", "minh"), ("c", "lina"), ("c", "ada"), ("z", "kim")],
    )
    assert [book.root(x) for x in "abcz"] == ["a", "a", "a", "z"]
    assert [book.is_duplicate(x) for x in "abcz"] == [False, True, True, False]
    assert book.affected("a") == {"lina", "minh", "ada"}
    assert book.affected("z") == {"kim"}


def test_a_cycle_still_counts_one_of_its_members() -> None:
    book = IncidentBook(duplicates=[("b", "a"), ("a", "b"), ("c", "a")], affected=[("a", "x"), ("b", "y")])
    assert {book.root(x) for x in "abc"} == {"a"}
    assert not book.is_duplicate("a") and book.is_duplicate("b") and book.is_duplicate("c")
    assert book.affected("a") == {"x", "y"}


def test_a_person_affected_by_two_incidents_of_a_group_counts_once_in_it() -> None:
    book = IncidentBook(duplicates=[], affected=[("a", "lina"), ("d", "lina"), ("d", "minh")])
    tally = IncidentTally("vendor", book)
    tally.add_outcome("internal", "a", "met")
    tally.add_outcome("internal", "a", "breached")
    tally.add_outcome("internal", "d", "running")
    tally.add_outcome(None, "d", "met")
    assert tally.rows() == [
        {"vendor": None, "clocks": 1, "met": 1, "breached": 0, "running": 0, "percent_met": 100.0,
         "incidents": 1, "affected_count": 2},
        {"vendor": "internal", "clocks": 3, "met": 1, "breached": 1, "running": 1, "percent_met": 50.0,
         "incidents": 2, "affected_count": 2},
    ]  # fmt: skip
