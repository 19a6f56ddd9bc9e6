"""Whatever the domain accepts, every view applies, on both stores, and a rebuild agrees.

An event in the log is forever: if the domain let through a value some view cannot store (a
NUL on PostgreSQL, year 1 in +14:00, an identifier too long for an index), every view would
stop at that position for good. So hostile values are thrown at the commands directly, below
the HTTP schemas: whatever a command accepts must then be applied by every view, and
rebuilding the views from the log must give the same rows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.config import store_settings
from application.desk import KaizenDesk
from application.errors import ApplicationError
from domain.actor import Actor
from domain.errors import DomainError
from projections.catalogue import all_views
from projections.runner import ProjectionRunner
from projections.store import ViewStore
from tests.conftest import ADMIN, REPORTER, VENDOR_SAP, ctx, enrol_assignees
from tests.integration.test_projections import dump

HOSTILE_CHARACTERS = st.sampled_from(["\x00", "\x07", "\x1b", "\x85", "\x9f", "\t", "\n", "\r", "\u2028", "\ud800"])
TEXT = st.one_of(
    st.text(min_size=1, max_size=40),
    st.builds(lambda a, c, b: a + c + b, st.text(max_size=8), HOSTILE_CHARACTERS, st.text(max_size=8)),
    st.sampled_from(["x" * 12_000, " ", "月结凭证无法过账", "=HYPERLINK(1)", "Ａlice"]),
)
OFFSETS = st.sampled_from(
    [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), timezone(timedelta(hours=5, minutes=45))]
)
TIMES = st.one_of(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=OFFSETS),
    st.builds(
        lambda d, tz: d.replace(tzinfo=tz),
        st.sampled_from([datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59), datetime(1969, 12, 31, 23)]),
        OFFSETS,
    ),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=OFFSETS),
)
DATES = st.one_of(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)), st.dates())
ACTORS = st.one_of(
    st.sampled_from([ADMIN, REPORTER, VENDOR_SAP]),
    st.builds(lambda name: Actor(name, "reporter"), TEXT),
    st.builds(lambda name: Actor("admin-wong", "admin", name), TEXT),
)

# Mostly someone the `following` fixture enrolled (an assignee must be a person or a group),
# sometimes anything at all, which the application refuses.
ASSIGNEES = st.one_of(st.sampled_from(["admin-wong", "erp-admins"]), TEXT)

Step = Callable[[KaizenDesk, str | None, str | None], Any]


def _issue_steps() -> st.SearchStrategy[Step]:
    """Commands on the latest issue (or a report when there is none yet)."""
    on_issue: list[st.SearchStrategy[Callable[[KaizenDesk, str, datetime], Any]]] = [
        st.builds(lambda a: lambda d, k, at: d.triage(ctx(at=at), k, assignee=a), ASSIGNEES),
        st.builds(lambda a: lambda d, k, at: d.assign(ctx(at=at), k, assignee=a), ASSIGNEES),
        st.builds(lambda m: lambda d, k, at: d.respond(ctx(at=at), k, message=m), TEXT),
        st.builds(
            lambda who, b: lambda d, k, at: d.comment_on_issue(ctx(who, at=at), k, body=b),
            st.sampled_from([ADMIN, REPORTER]),
            TEXT,
        ),
        st.builds(
            lambda v, t, p: lambda d, k, at: d.escalate(ctx(at=at), k, vendor=v, vendor_ticket=t, vendor_priority=p),
            st.one_of(st.just("sap"), TEXT),
            TEXT,
            st.one_of(st.none(), TEXT),
        ),
        st.builds(lambda m: lambda d, k, at: d.record_vendor_update(ctx(VENDOR_SAP, at=at), k, message=m), TEXT),
        st.builds(
            lambda on, r: lambda d, k, at: d.wait(ctx(at=at), k, on=on, reason=r),
            st.sampled_from(["reporter", "customer"]),
            TEXT,
        ),
        st.just(lambda d, k, at: d.resume(ctx(at=at), k)),
        st.builds(
            lambda text, by: (
                lambda d, k, at: d.record_workaround(
                    ctx(at=at), k, kind="manual_ledger", description=text, retire_by=by
                )
            ),
            TEXT,
            DATES,
        ),
        st.builds(
            lambda when, text: (
                lambda d, k, at: d.schedule_change(
                    ctx(at=at), k, scheduled_for=when, description=text, override_reason="drill"
                )
            ),
            TIMES,
            TEXT,
        ),
        st.builds(lambda r, c: lambda d, k, at: d.resolve(ctx(at=at), k, resolution=r, root_cause=c), TEXT, TEXT),
        st.builds(lambda r: lambda d, k, at: d.reopen(ctx(at=at), k, reason=r), TEXT),
        st.just(lambda d, k, at: d.close_issue(ctx(at=at), k)),
    ]

    def report(
        who: Actor, title: str, description: str, site: str | None, noticed: datetime | None, at: datetime
    ) -> Step:
        return lambda d, issue, suggestion: d.report(
            ctx(who, at=at),
            title=title,
            description=description,
            module="finance",
            impact_scope="team",
            urgency="degraded",
            vendor="sap",
            site=site,
            noticed_at=noticed,
        )

    def command(step: Callable[[KaizenDesk, str, datetime], Any], at: datetime) -> Step:
        return lambda d, issue, suggestion: step(d, issue, at) if issue else None

    return st.one_of(
        st.builds(report, ACTORS, TEXT, TEXT, st.one_of(st.none(), TEXT), st.one_of(st.none(), TIMES), TIMES),
        st.builds(command, st.one_of(on_issue), TIMES),
    )


def _suggestion_steps() -> st.SearchStrategy[Step]:
    def submit(who: Actor, title: str, description: str, at: datetime) -> Step:
        return lambda d, issue, suggestion: d.submit_suggestion(
            ctx(who, at=at), title=title, description=description, module="warehouse"
        )

    def vote(who: Actor, at: datetime) -> Step:
        return lambda d, issue, suggestion: d.vote(ctx(who, at=at), suggestion) if suggestion else None

    def comment(body: str, at: datetime) -> Step:
        return lambda d, issue, suggestion: (
            d.comment_on_suggestion(ctx(at=at), suggestion, body=body) if suggestion else None
        )

    return st.one_of(
        st.builds(submit, ACTORS, TEXT, TEXT, TIMES),
        st.builds(vote, ACTORS, TIMES),
        st.builds(comment, TEXT, TIMES),
    )


STEPS = st.lists(st.one_of(_issue_steps(), _suggestion_steps()), min_size=1, max_size=12)


@pytest.fixture
def following(store_url: str) -> Iterator[tuple[KaizenDesk, ProjectionRunner, ViewStore]]:
    desk = KaizenDesk(store_settings(store_url))
    store = ViewStore(store_settings(store_url))
    runner = ProjectionRunner(desk, store, all_views())
    runner.setup()
    enrol_assignees(desk, "admin-wong", groups=["erp-admins"])
    try:
        yield desk, runner, store
    finally:
        store.close()
        desk.close()


@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps=STEPS)
def test_every_accepted_command_is_applied_by_every_view_and_a_rebuild_agrees(
    following: tuple[KaizenDesk, ProjectionRunner, ViewStore], steps: list[Step]
) -> None:
    desk, runner, store = following
    issue: str | None = None
    suggestion: str | None = None
    for step in steps:
        receipt = None
        with contextlib.suppress(DomainError, ApplicationError, ValueError):  # refused: nothing stored
            receipt = step(desk, issue, suggestion)
        if receipt is not None and receipt.created:
            if receipt.key.startswith("KZ-"):
                issue = receipt.key
            else:
                suggestion = receipt.key
    head = runner.head()
    runner.catch_up()
    assert set(runner.positions().values()) == {head}, "a view stopped short of the log"
    applied = dump(store)
    runner.rebuild([view.name for view in all_views()])
    assert set(runner.positions().values()) == {head}
    assert dump(store) == applied
