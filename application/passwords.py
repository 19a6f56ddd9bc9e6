"""Argon2id hashing of passwords, with the parameters in one place.

The parameters are OWASP's recommended minimum for Argon2id (19 MiB, 2 passes, 1 lane):
a guess costs an attacker the same memory-hard work, while a sign-in stays quick on a small
server that also hashes for everyone else signing in at 8 o'clock (bench/sign_in.py measures
it). Hashes record their parameters, so raising them later re-hashes nothing: old hashes still
verify, and `needs_rehash` tells when one should be replaced at the next sign-in. An unknown login is still
hashed against a fixed dummy, so the answer takes as long whether or not the account exists.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash("not a password anyone has: the same work for unknown logins")


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not there is a hash to check against."""
    try:
        return _HASHER.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
