"""KaizenDesk: the application every command, query by id and audit read goes through."""

from __future__ import annotations

from application.base import DeskBase
from application.issues import IssueCommands
from application.policies import PolicyCommands
from application.reading import Reading
from application.suggestions import SuggestionCommands
from application.tokens import TokenCommands


class KaizenDesk(IssueCommands, SuggestionCommands, PolicyCommands, TokenCommands, Reading, DeskBase):
    """Composed from one module per aggregate; see `application.base` for the mechanics."""

    name = "kaizen"
