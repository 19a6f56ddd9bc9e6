"""Every string that names an event in a dispatch table names an event the domain really records.

Views, the SLA facts and the presenters dispatch on names such as `"Issue.EscalatedToVendor"`
(`domain.base.event_name`). A typo there is silent: the handler never runs, the view simply
misses the event. These tests resolve every such name against the events the aggregates declare.

The declared events are read from the aggregates' source (each is an `@event("Name")` method of
a `KaizenAggregate`) and checked against the loaded classes, so the list can neither invent an
event nor miss one. No event has been renamed, so there are no old names to accept; a stored
event of an older shape keeps its name and is upcast (`Issue.Reported` version 1).
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable
from pathlib import Path

import pytest

from application.sla_facts import FACT_OF_EVENT
from domain import sla_clocks
from domain.base import KaizenAggregate, event_name
from interfaces.http.presenters import VOTE_EVENTS
from projections.catalogue import all_views
from projections.outbox import NOT_SUBJECT_EVENTS

ROOT = Path(__file__).resolve().parents[2]


def declared_events() -> dict[str, set[str]]:
    """Aggregate class name -> the names of the events its `@event(...)` methods record."""
    declared: dict[str, set[str]] = {}
    for layer in ("domain", "application"):
        for path in sorted((ROOT / layer).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in tree.body:
                if not isinstance(node, ast.ClassDef):
                    continue
                names = {
                    decorator.args[0].value
                    for method in node.body
                    if isinstance(method, ast.FunctionDef)
                    for decorator in method.decorator_list
                    if isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Name)
                    and decorator.func.id == "event"
                    and decorator.args
                    and isinstance(decorator.args[0], ast.Constant)
                    and isinstance(decorator.args[0].value, str)
                }
                if names:
                    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                    aggregate = getattr(importlib.import_module(module), node.name)
                    assert issubclass(aggregate, KaizenAggregate), f"{module}.{node.name} records events"
                    declared[node.name] = names
    return declared


EVENTS = declared_events()
EVENT_NAMES = frozenset(f"{aggregate}.{name}" for aggregate, names in EVENTS.items() for name in names)


def unknown(keys: Iterable[str]) -> list[str]:
    """The keys that name no declared event."""
    return sorted(set(keys) - EVENT_NAMES)


def test_the_declared_events_are_the_loaded_event_classes() -> None:
    """Reading the source found every aggregate, and each name is a class `event_name` spells so."""
    assert {"Issue", "Suggestion", "ImprovementMeeting", "SlaPolicy", "FreezeCalendar", "HealthCheck"} <= set(EVENTS)
    assert {"ApiToken", "Subscription", "SlaAlert", "KeySequence", "IdempotencyRecord"} <= set(EVENTS)
    modules = {cls.__name__: cls for cls in _aggregate_classes()}
    for name in EVENT_NAMES:
        aggregate, fact = name.split(".")
        event_class = getattr(modules[aggregate], fact)
        assert issubclass(event_class, KaizenAggregate.Event)
        assert event_name(object.__new__(event_class)) == name


def _aggregate_classes() -> list[type]:
    found: list[type] = []
    pending: list[type] = [KaizenAggregate]
    while pending:
        sub: type
        for sub in pending.pop().__subclasses__():
            found.append(sub)
            pending.append(sub)
    return found


@pytest.mark.parametrize("view", all_views(), ids=lambda view: view.name)
def test_every_view_handles_only_events_that_exist(view: object) -> None:
    handlers = view.handlers()  # type: ignore[attr-defined]
    assert handlers, "a view that handles no event never changes"
    assert unknown(handlers) == []


def test_the_sla_facts_and_the_outbox_name_events_that_exist() -> None:
    assert unknown(FACT_OF_EVENT) == []
    assert unknown(NOT_SUBJECT_EVENTS) == []


def test_every_sla_fact_kind_has_its_clock_handler() -> None:
    """The clock engine dispatches a fact on `_on_<kind>`: each kind the SLA facts produce has one."""
    assert set(FACT_OF_EVENT.values()) <= set(sla_clocks.FACT_KINDS)
    timeline = sla_clocks._Timeline
    missing = [kind for kind in sla_clocks.FACT_KINDS if not callable(getattr(timeline, f"_on_{kind}", None))]
    assert missing == []


def test_the_vote_events_hidden_from_other_readers_are_suggestion_events() -> None:
    """The history presenter names events by their short type (`application.reading.event_type`)."""
    assert VOTE_EVENTS
    assert set(VOTE_EVENTS) - EVENTS["Suggestion"] == set()


def test_a_misspelt_handler_key_is_caught() -> None:
    """The check itself: a typo, or a fact without its aggregate, names no event."""
    keys = {"Issue.EscalatedToVendor": 1, "Issue.EscalatedToVender": 2, "Escalated": 3}
    assert unknown(keys) == ["Escalated", "Issue.EscalatedToVender"]
