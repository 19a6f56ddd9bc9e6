"""How to sign in to the demo as each of its roles, printed by `kaizen demo` (and so `make serve`).

People sign in with API tokens today, so a fresh demo issues one token per role for a person
of the demo's own history (an administrator, a vendor consultant, a reporter) and an auditor,
and prints them once, as `kaizen token create` does: they are stored only as digests. On a
store that already holds events no token can be shown again, so the commands that make new
ones are printed instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from application.context import Context
from application.desk import KaizenDesk
from domain.actor import SYSTEM
from interfaces.demo.data.people import ADMINS, SITES, VENDOR_ACTORS

DEMO_PEOPLE: tuple[tuple[str, str], ...] = (
    ("admin", ADMINS[0]),
    ("auditor", "audit.chan"),
    ("vendor:sap", VENDOR_ACTORS["sap"][0]),
    ("reporter", SITES[0].staff[0]),
)
"""(role, subject): whose eyes each demo sign-in shows the desk through."""


@dataclass(frozen=True)
class DemoSignIn:
    role: str
    subject: str
    token: str


def issue_demo_tokens(desk: KaizenDesk) -> list[DemoSignIn]:
    """One new token per demo role (recorded as issued by the system, like any token)."""
    return [
        DemoSignIn(role, subject, desk.issue_token(Context(SYSTEM), role, subject)[1]) for role, subject in DEMO_PEOPLE
    ]


def sign_in_lines(tokens: list[DemoSignIn], console_url: str) -> list[str]:
    """The console address and each role's token, one line each, for the terminal."""
    lines = [f"Sign in at {console_url} by pasting a token (each is shown only this once):"]
    lines += [f"  {t.role:<11} {t.subject:<24} {t.token}" for t in tokens]
    return lines


def how_to_sign_in(console_url: str) -> list[str]:
    """For a store that already has events: the commands that make a token for each demo role."""
    lines = [f"Sign in at {console_url} with a token; make one per role with:"]
    lines += [f"  .venv/bin/kaizen token create --role {role} --subject {subject}" for role, subject in DEMO_PEOPLE]
    return lines
