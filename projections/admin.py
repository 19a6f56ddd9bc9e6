"""Operations on the read side used by `kaizen projections status|rebuild` and `kaizen worker`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from application.config import StoreSettings
from application.desk import KaizenDesk
from projections import stalls
from projections.catalogue import all_views
from projections.runner import ProjectionRunner
from projections.store import ViewStore


class UnknownView(ValueError):
    pass


def _runner(settings: StoreSettings) -> tuple[KaizenDesk, ViewStore, ProjectionRunner]:
    desk = KaizenDesk(settings)
    store = ViewStore(settings)
    runner = ProjectionRunner(desk, store, all_views())
    runner.setup()
    return desk, store, runner


def status(settings: StoreSettings) -> list[dict[str, Any]]:
    """Each view's position and lag, and `failure` (a `ViewFailure`, else None): the event it
    fails on, as recorded by whichever process runs the projections."""
    desk, store, runner = _runner(settings)
    try:
        head = runner.head()
        positions = runner.positions()
        failures = {failure.view: failure for failure in stalls.current(store, positions)}
        return [
            {
                "view": name,
                "position": position,
                "head": head,
                "lag": max(0, head - position),
                "failure": failures.get(name),
            }
            for name, position in positions.items()
        ]
    finally:
        store.close()
        desk.close()


def rebuild(
    settings: StoreSettings, name: str, progress: Callable[[int, int], None] | None = None, policy_now: bool = False
) -> int:
    """Drop and replay one view (or `all`); returns the number of log entries read."""
    names = [v.name for v in all_views()]
    if name != "all" and name not in names:
        raise UnknownView(f"no view named {name!r}; views: {', '.join(names)}, all")
    desk, store, runner = _runner(settings)
    try:
        for view in runner.views:
            if getattr(view, "policy_now", None) is not None:
                view.policy_now = policy_now  # type: ignore[attr-defined]
        return runner.rebuild(names if name == "all" else [name], progress)
    finally:
        store.close()
        desk.close()
