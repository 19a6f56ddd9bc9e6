"""Domain errors: what the rules refuse, phrased so a user can act on it."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every refusal the domain makes."""


class InvalidCommand(DomainError):
    """The command's data breaks a rule that does not depend on the aggregate's state."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TransitionRefused(DomainError):
    """The command is not allowed in the aggregate's current state (HTTP 409).

    It names the current state so that the caller learns why without another request.
    """

    def __init__(self, action: str, current_state: str, detail: str | None = None) -> None:
        message = f"cannot {action} when status is {current_state}"
        if detail:
            message = f"{message}: {detail}"
        super().__init__(message)
        self.action = action
        self.current_state = current_state
        self.state: dict[str, Any] | None = None
