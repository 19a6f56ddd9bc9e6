"""Every view the product keeps, in one list, so runners, rebuilds and status agree."""

from __future__ import annotations

from projections.issue_list import IssueListView
from projections.view import View


def all_views() -> list[View]:
    from projections.sla_view import SlaView

    return [IssueListView(), SlaView()]


def view_names() -> list[str]:
    return [view.name for view in all_views()]
