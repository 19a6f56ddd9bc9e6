"""What makes a password acceptable: long enough, and not one that attackers try first.

The list of common passwords is Django's (about 20,000 entries, BSD licence), shipped in
`domain/data/common-passwords.txt.gz`. Most entries are shorter than the 12 characters asked for
anyway; the list matters for the long ones (`1qaz2wsx3edc`), and for a common word with digits
or signs added at the end (`password2026!`), which is the usual way people stretch a short one.
Hashing is not here: the domain decides what is allowed, `application.passwords` hashes.
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from importlib.resources import files

from domain.errors import InvalidCommand

MIN_LENGTH = 12
MAX_LENGTH = 256  # a bound on what is hashed per attempt; passphrases fit easily
_TRAILING_EXTRAS = re.compile(r"[\d\W_]+$")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-cased; read once per process."""
    raw = files("domain").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(line.strip().lower() for line in gzip.decompress(raw).decode("utf-8").splitlines() if line.strip())


def check_password(password: str, *, login: str | None = None, email: str | None = None) -> str:
    """The password, or InvalidCommand saying what to change (field `password`)."""
    if not isinstance(password, str):
        raise InvalidCommand("password must be text", "password")
    if len(password) < MIN_LENGTH:
        raise InvalidCommand(f"password must be at least {MIN_LENGTH} characters long", "password")
    if len(password) > MAX_LENGTH:
        raise InvalidCommand(f"password must be at most {MAX_LENGTH} characters long", "password")
    lowered = password.lower()
    stem = _TRAILING_EXTRAS.sub("", lowered)
    common = common_passwords()
    if lowered in common or (len(stem) >= 4 and stem in common):
        raise InvalidCommand("this password is one of the most common passwords; choose another", "password")
    for own in (login, email, (email or "").split("@")[0]):
        if own and len(own) >= 4 and own.lower() in lowered:
            raise InvalidCommand("the password must not contain your login or e-mail address", "password")
    return password
