"""The query parameters each console page reads, declared beside its route.

The API's parameters are in its OpenAPI document (made from the schemas that parse them); the
console has no such document, so each GET view states its own with `@reads(...)`. The fuzz
tests enumerate the console's GET routes from Flask's url_map and feed every declared parameter
hostile values; a GET view without a declaration fails them, so a new page cannot be forgotten.
`lang` is read by every page (`session.remember_language`) and is not repeated on each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

EVERY_PAGE = ("lang",)
ATTRIBUTE = "console_query_parameters"


def reads(*names: str) -> Callable[[F], F]:
    """Declare the query parameters a console view reads (none: `@reads()`)."""

    def declare(view: F) -> F:
        setattr(view, ATTRIBUTE, (*names, *EVERY_PAGE))
        return view

    return declare


def declared(view: Callable[..., Any]) -> tuple[str, ...] | None:
    """What `view` declared with `@reads`, or None if it declared nothing."""
    found: tuple[str, ...] | None = getattr(view, ATTRIBUTE, None)
    return found


def tab_state(value: str | None, tabs: tuple[tuple[str, str], ...], default: str) -> str:
    """The chosen tab of a page's (value, label) filter tabs; anything else is the default tab
    (a hand-edited `?state=` shows the page, not an error)."""
    return value if value in dict(tabs) else default
