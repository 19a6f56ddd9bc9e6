"""`KaizenDesk` is composed of one class per aggregate; the order of its bases must carry no behaviour.

When two parts defined the same method, whichever came first in the bases answered: issue
commands once had a `freeze_window_at` that answered "not frozen", and only the order of the
bases let the freeze calendar's real answer win. Now a part that needs another derives from it,
and these tests keep it so.
"""

from __future__ import annotations

import itertools

import pytest

from application.base import DeskBase
from application.desk import KaizenDesk
from application.freeze_windows import FreezeWindows
from application.issues import IssueCommands


def desk_parts() -> list[type]:
    """The classes the desk is composed of (its own mechanics in `DeskBase` left out)."""
    return [part for part in KaizenDesk.__mro__[1:] if issubclass(part, DeskBase) and part is not DeskBase]


def test_no_two_parts_of_the_desk_define_the_same_name() -> None:
    """A name defined by two unrelated parts is answered by whichever comes first in the bases.
    A part may override one it derives from (that order is fixed by the class itself); dunder
    methods are left out because the parts' `__init__` are cooperative (each calls `super()`), and
    so is what the library sets on every subclass (eventsourcing's `Application.name`)."""
    set_by_the_library = set(vars(type("Probe", (DeskBase,), {})))
    clashes = []
    for first, second in itertools.combinations(desk_parts(), 2):
        if issubclass(first, second) or issubclass(second, first):
            continue
        shared = vars(first).keys() & vars(second).keys() - set_by_the_library
        shared = {name for name in shared if not name.startswith("__")}
        clashes += [f"{first.__name__}.{name} and {second.__name__}.{name}" for name in sorted(shared)]
    assert clashes == []


def test_the_freeze_rule_has_one_definition_and_issue_commands_depend_on_it() -> None:
    assert issubclass(IssueCommands, FreezeWindows)
    assert "freeze_window_at" not in vars(IssueCommands)
    assert KaizenDesk.freeze_window_at is FreezeWindows.freeze_window_at


@pytest.mark.parametrize("position", range(len(KaizenDesk.__bases__)))
def test_reordering_the_desk_cannot_silently_disable_freeze_windows(position: int) -> None:
    """Moving `FreezeWindows` anywhere among the bases either builds a desk whose issue commands
    ask the freeze calendar, or fails loudly while the class is defined."""
    bases = [base for base in KaizenDesk.__bases__ if base is not FreezeWindows]
    bases.insert(position, FreezeWindows)
    try:
        reordered = type("ReorderedDesk", tuple(bases), {})
    except TypeError as refused:
        assert "consistent method resolution" in str(refused)  # before IssueCommands, or after DeskBase
        return
    answering = next(part for part in reordered.__mro__ if "freeze_window_at" in vars(part))
    assert answering is FreezeWindows
