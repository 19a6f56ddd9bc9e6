"""KaizenDesk: the application every command, query by id and audit read goes through."""

from __future__ import annotations

from application.automation import AutomationCommands
from application.base import DeskBase
from application.freeze_windows import FreezeWindows
from application.health_checks import HealthCheckCommands
from application.issues import IssueCommands
from application.meetings import MeetingCommands
from application.people import PeopleCommands
from application.policies import PolicyCommands
from application.reading import Reading
from application.subscriptions import SubscriptionCommands
from application.suggestions import SuggestionCommands
from application.tokens import TokenCommands
from application.vendor_terms import VendorTermsCommands
from application.workarounds import WorkaroundCommands


class KaizenDesk(
    AutomationCommands,
    PolicyCommands,
    SubscriptionCommands,
    WorkaroundCommands,
    IssueCommands,
    MeetingCommands,
    FreezeWindows,
    VendorTermsCommands,
    PeopleCommands,
    SuggestionCommands,
    TokenCommands,
    HealthCheckCommands,
    Reading,
    DeskBase,
):
    """Composed from one module per aggregate; see `application.base` for the mechanics.

    The order of the bases carries no behaviour: no two parts define the same name
    (tests/unit/test_desk_composition.py). Where one part needs another, it derives from it
    (`IssueCommands` from `FreezeWindows`), so listing `FreezeWindows` first is a TypeError
    (no consistent MRO), never a desk whose freeze windows silently stop applying.
    """

    name = "kaizen"
