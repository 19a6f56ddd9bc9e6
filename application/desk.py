"""KaizenDesk: the application every command, query by id and audit read goes through."""

from __future__ import annotations

from application.base import DeskBase
from application.freeze_windows import FreezeWindows
from application.health_checks import HealthCheckCommands
from application.issues import IssueCommands
from application.meetings import MeetingCommands
from application.policies import PolicyCommands
from application.reading import Reading
from application.subscriptions import SubscriptionCommands
from application.suggestions import SuggestionCommands
from application.tokens import TokenCommands


class KaizenDesk(
    FreezeWindows,
    IssueCommands,
    SuggestionCommands,
    PolicyCommands,
    TokenCommands,
    MeetingCommands,
    HealthCheckCommands,
    SubscriptionCommands,
    Reading,
    DeskBase,
):
    """Composed from one module per aggregate; see `application.base` for the mechanics.

    `FreezeWindows` comes before `IssueCommands` so that its `freeze_window_at` is the one
    `schedule_change` asks.
    """

    name = "kaizen"
