"""Linked issues and "me too": the rules of `Issue.link_to` and `Issue.mark_affected`, without a store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.access import AccessDenied, authorise_issue, may_glimpse_issue
from domain.actor import Actor
from domain.errors import InvalidCommand, TransitionRefused
from domain.issue import Issue
from domain.notification_rules import followers_of

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ADMIN = Actor("wong", "admin")
LINA = Actor("lina", "reporter")
BUDI = Actor("budi", "reporter")
SAP = Actor("sap-support", "vendor:sap")


def reported(key: str, reporter: Actor = LINA, title: str = "GL posting fails") -> Issue:
    return Issue.report(
        key,
        title=title,
        description="stops at batch 14",
        module="finance",
        impact_scope="company",
        urgency="blocking",
        vendor="sap",
        actor=reporter,
        occurred_at=T0,
    )


def test_a_duplicate_link_is_recorded_on_both_issues_and_its_reporter_follows_the_original() -> None:
    original, duplicate = reported("KZ-1"), reported("KZ-2", BUDI)
    duplicate.link_to("duplicate_of", "KZ-1", original, ADMIN, T0)
    assert [(link["kind"], link["key"], link["direction"]) for link in duplicate.all_links] == [
        ("duplicate_of", "KZ-1", "outward")
    ]
    assert [(link["kind"], link["key"], link["direction"]) for link in original.all_links] == [
        ("duplicate_of", "KZ-2", "inward")
    ]
    assert original.followers == ("budi",)
    assert duplicate.followers == ()


def test_a_related_link_makes_nobody_a_follower() -> None:
    original, other = reported("KZ-1"), reported("KZ-2", BUDI)
    other.link_to("relates_to", "KZ-1", original, ADMIN, T0)
    assert original.followers == ()


@pytest.mark.parametrize(
    ("kind", "target", "exists", "field"),
    [
        ("duplicate_of", "KZ-1", True, "target"),  # itself
        ("blocks", "KZ-2", True, "kind"),  # unknown kind
        ("relates_to", "KZ-9", False, "target"),  # no such issue
        ("relates_to", "SG-2", False, "target"),  # a suggestion is not an issue
        ("relates_to", "kz 2", False, "target"),  # not a key
    ],
)
def test_a_bad_link_is_refused_before_any_event(kind: str, target: str, exists: bool, field: str) -> None:
    issue, other = reported("KZ-1"), reported("KZ-2")
    before = (len(issue.pending_events), len(other.pending_events))
    found = {"KZ-1": issue, "KZ-2": other}.get(target) if exists else None
    with pytest.raises(InvalidCommand) as refused:
        issue.link_to(kind, target, found, ADMIN, T0)
    assert refused.value.field == field
    assert (len(issue.pending_events), len(other.pending_events)) == before


def test_the_same_link_twice_is_a_conflict() -> None:
    issue, other = reported("KZ-1"), reported("KZ-2")
    issue.link_to("caused_by", "KZ-2", other, ADMIN, T0)
    with pytest.raises(TransitionRefused, match="already linked"):
        issue.link_to("caused_by", "KZ-2", other, ADMIN, T0)
    issue.link_to("relates_to", "KZ-2", other, ADMIN, T0)  # another kind is another link
    assert len(issue.outward_links) == 2


def test_me_too_once_per_person_and_never_by_the_reporter() -> None:
    issue = reported("KZ-1")
    issue.mark_affected("budi", BUDI, T0)
    issue.mark_affected("wong", ADMIN, T0)
    assert issue.affected_people == ["budi", "wong"]
    with pytest.raises(TransitionRefused, match="already affected"):
        issue.mark_affected("budi", BUDI, T0)
    with pytest.raises(TransitionRefused, match="reported"):
        issue.mark_affected("lina", LINA, T0)
    assert issue.affected_people == ["budi", "wong"]


def test_me_too_only_on_an_open_issue() -> None:
    issue = reported("KZ-1")
    issue.resolve("fixed", None, ADMIN, T0)
    with pytest.raises(TransitionRefused, match="resolved"):
        issue.mark_affected("budi", BUDI, T0)


def test_resolving_names_the_followers_in_the_event() -> None:
    original, duplicate = reported("KZ-1"), reported("KZ-2", BUDI)
    duplicate.link_to("duplicate_of", "KZ-1", original, ADMIN, T0)
    original.mark_affected("chen", Actor("chen", "reporter"), T0)
    original.resolve("note applied", None, ADMIN, T0)
    assert original.pending_events[-1].followers == ["budi", "chen"]  # type: ignore[attr-defined]


def test_followers_rule() -> None:
    assert followers_of("lina", ["budi", "lina", "budi"], ["chen", "budi", ""]) == ("budi", "chen")
    assert followers_of("lina", [], []) == ()


def test_a_reporter_may_say_me_too_on_an_open_issue_they_cannot_read() -> None:
    issue = reported("KZ-1")
    assert may_glimpse_issue(BUDI, issue)
    authorise_issue(BUDI, "affected", issue)  # allowed
    with pytest.raises(AccessDenied) as hidden:
        authorise_issue(BUDI, "comments", issue)  # everything else stays theirs
    assert hidden.value.visible is False
    with pytest.raises(AccessDenied):
        authorise_issue(SAP, "affected", issue)  # a vendor sees no unescalated issue
    with pytest.raises(AccessDenied):
        authorise_issue(ADMIN.__class__("ana", "auditor"), "affected", issue)  # auditors change nothing
    issue.resolve("fixed", None, ADMIN, T0)
    assert not may_glimpse_issue(BUDI, issue)
    with pytest.raises(AccessDenied) as gone:
        authorise_issue(BUDI, "affected", issue)
    assert gone.value.visible is False


def test_links_are_for_administrators() -> None:
    with pytest.raises(AccessDenied):
        authorise_issue(LINA, "links", reported("KZ-1"))
    authorise_issue(ADMIN, "links", reported("KZ-1"))
