"""Application-level refusals, mapped one-to-one onto HTTP status codes by the interface."""

from __future__ import annotations


class ApplicationError(Exception):
    """Base of what the application refuses (the domain's own refusals are DomainError)."""


class NotFound(ApplicationError):
    """No such aggregate, or not one this caller may see (both answer 404)."""


class StaleVersion(ApplicationError):
    """`If-Match` named a version that is no longer current (412)."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"expected version {expected} but the current version is {current}")
        self.expected = expected
        self.current = current


class IdempotencyKeyReused(ApplicationError):
    """The same Idempotency-Key came with a different request body (422)."""


class ConcurrencyExhausted(ApplicationError):
    """Too many concurrent writers kept winning; the caller may retry (409)."""


class SignInRefused(ApplicationError):
    """A sign-in that did not succeed; the message never says whether the account exists."""

    def __init__(self, message: str, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked
