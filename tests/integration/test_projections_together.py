"""One transaction per batch for all views (PostgreSQL): exactly once survives a lost race.

A runner applies a batch to every view at once when they all stand at the same position. If
another runner commits the batch for some view in between, the whole transaction rolls back
and each view takes, on its own, only what it still lacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from application.config import store_settings
from application.desk import KaizenDesk
from projections.catalogue import all_views
from projections.runner import ProjectionRunner
from projections.store import ViewStore
from projections.view import View
from tests.conftest import FakeClock
from tests.integration.test_projections import dump, populate


class Racing(ProjectionRunner):
    """Lets `rival` commit the batch for one view just before this runner's own transaction."""

    def __init__(self, rival: ProjectionRunner, view: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rival, self.view, self.together_tried = rival, view, 0

    def _apply_together(self, views: Sequence[View], events: Sequence[tuple[Any, int]]) -> None:
        self.together_tried += 1
        self.rival.step([v for v in self.rival.views if v.name == self.view])
        super()._apply_together(views, events)


# Only PostgreSQL applies a batch to all views in one transaction; `desk` (tests/conftest.py)
# is built on this store.
pytestmark = pytest.mark.parametrize("store_url", ["postgres"], indirect=True)


def test_a_batch_lost_to_another_runner_for_one_view_is_applied_to_the_others_once(
    desk: KaizenDesk, store_url: str, clock: FakeClock
) -> None:
    populate(desk, clock, issues=6)
    head = int(desk.recorder.max_notification_id() or 0)

    reference_store = ViewStore(store_settings(store_url))
    reference = ProjectionRunner(desk, reference_store, all_views())
    reference.setup()
    reference.catch_up()
    expected = dump(reference_store)
    for view in all_views():  # empty again: the race starts from nothing
        with reference_store.transaction() as sql:
            view.drop(sql)
            reference_store.forget(sql, view.name)
            view.create(sql)

    store = ViewStore(store_settings(store_url))
    rival = ProjectionRunner(desk, store, all_views(), batch_size=head)
    racing = Racing(rival, "sla", desk, store, all_views(), batch_size=head)
    assert racing.step() == head
    assert racing.together_tried == 1
    assert set(racing.positions().values()) == {head}
    assert dump(store) == expected
    assert racing.step() == 0
    store.close()
    reference_store.close()


def test_views_at_different_positions_each_take_their_own_part(
    desk: KaizenDesk, store_url: str, clock: FakeClock
) -> None:
    populate(desk, clock, issues=4)
    store = ViewStore(store_settings(store_url))
    runner = ProjectionRunner(desk, store, all_views(), batch_size=3)
    runner.setup()
    runner.step([v for v in runner.views if v.name == "issue_list"])  # issue_list ahead by one batch
    runner.catch_up()
    ahead = dump(store)
    runner.rebuild([v.name for v in all_views()])
    assert dump(store) == ahead
    store.close()
