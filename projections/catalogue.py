"""Every view the product keeps, in one list, so runners, rebuilds and status agree."""

from __future__ import annotations

from projections.issue_list import IssueListView
from projections.view import View


def all_views() -> list[View]:
    from projections.agenda import MeetingView
    from projections.health_check import HealthView
    from projections.mail_intake import IntakeView
    from projections.outbox import OutboxView
    from projections.scorecard import ScorecardView
    from projections.sla_view import SlaView
    from projections.suggestion_ranking import SuggestionRankingView
    from projections.workarounds import WorkaroundView

    return [
        IssueListView(),
        SlaView(),
        SuggestionRankingView(),
        WorkaroundView(),
        MeetingView(),
        HealthView(),
        OutboxView(),
        IntakeView(),
        ScorecardView(),
    ]
