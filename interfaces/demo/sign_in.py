"""How to sign in to the demo as each kind of user, printed by `kaizen demo` (and so `make serve`).

The demo's people sign in with a login and a password, like real ones. No password is written
in the repository: a fresh demo makes a random one for each printed person (an administrator,
a reporter, a vendor consultant and the auditor), sets it through the one-time link an
administrator would send (`reset_person`, then `accept_invitation`, so it is checked and hashed
like any password) and prints it once. Only those four get a password: each Argon2id hash costs
about 50 ms, and the other demo people are signed in by nobody.

Scripts get an API token per printed person too, belonging to that person (`kaizen token create
--person`). On a store that already holds events nothing can be shown again, so the commands
that make a new link or token are printed instead.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from application.context import Context
from application.desk import KaizenDesk
from domain.actor import SYSTEM
from interfaces.demo.data.people import ADMINS, AUDITOR, SITES, VENDOR_TEAMS

DEMO_SIGN_INS: tuple[tuple[str, str], ...] = (
    ("admin", ADMINS[0]),
    ("reporter", SITES[0].staff[0]),
    ("vendor", VENDOR_TEAMS["multiable"][1][0][0]),  # Multiable's consultant
    ("auditor", AUDITOR),
)
"""(kind of user, person): whose eyes each printed sign-in shows the desk through."""


@dataclass(frozen=True)
class DemoSignIn:
    kind: str
    person: str
    password: str
    token: str


PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 20


def demo_password() -> str:
    """Random: 20 letters and digits (about 119 bits), none that stops a double-click selecting it."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def set_demo_passwords(desk: KaizenDesk) -> list[DemoSignIn]:
    """A new password and person token for each printed demo person (recorded as set by the system)."""
    system = Context(SYSTEM)
    made = []
    for kind, person in DEMO_SIGN_INS:
        link = desk.reset_person(system, person).invitation_path
        password = demo_password()
        desk.accept_invitation(person, link.rsplit("/", 1)[1], password, password)
        made.append(DemoSignIn(kind, person, password, desk.issue_person_token(system, person)[1]))
    return made


def sign_in_lines(sign_ins: list[DemoSignIn], console_url: str) -> list[str]:
    """The console address and each printed person's login and password, then their tokens."""
    width = max(len(s.person) for s in sign_ins)
    lines = [f"Sign in at {console_url} with a login and password (shown only this once):"]
    lines += [f"  {s.kind:<10} {s.person:<{width}}  password: {s.password}" for s in sign_ins]
    lines.append("API tokens for scripts (Authorization: Bearer …), each acting as that person:")
    lines += [f"  {s.kind:<10} {s.person:<{width}}  {s.token}" for s in sign_ins]
    return lines


def how_to_sign_in(console_url: str) -> list[str]:
    """For a store that already has events: the commands that give each demo person a new way in."""
    width = max(len(person) for _, person in DEMO_SIGN_INS)
    lines = [f"Sign in at {console_url}; demo passwords are shown only when the demo is loaded."]
    lines.append("For a new one, open the link this prints (it sets the password):")
    lines += [f"  .venv/bin/kaizen people reset {person:<{width}}  # {kind}" for kind, person in DEMO_SIGN_INS]
    lines.append("For an API token: .venv/bin/kaizen token create --person ID")
    return lines
