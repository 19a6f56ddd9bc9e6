"""The priority matrix: impact scope x urgency -> priority, and the impact class.

Kept as data so the table in the README and the rule in code are the same thing.
"""

from __future__ import annotations

from domain.vocabulary import ImpactClass, ImpactScope, Priority, Urgency

MATRIX: dict[tuple[ImpactScope, Urgency], Priority] = {
    (ImpactScope.COMPANY, Urgency.BLOCKING): Priority.P1,
    (ImpactScope.COMPANY, Urgency.DEGRADED): Priority.P2,
    (ImpactScope.COMPANY, Urgency.MINOR): Priority.P3,
    (ImpactScope.DEPARTMENT, Urgency.BLOCKING): Priority.P1,
    (ImpactScope.DEPARTMENT, Urgency.DEGRADED): Priority.P2,
    (ImpactScope.DEPARTMENT, Urgency.MINOR): Priority.P3,
    (ImpactScope.TEAM, Urgency.BLOCKING): Priority.P2,
    (ImpactScope.TEAM, Urgency.DEGRADED): Priority.P3,
    (ImpactScope.TEAM, Urgency.MINOR): Priority.P4,
    (ImpactScope.USER, Urgency.BLOCKING): Priority.P3,
    (ImpactScope.USER, Urgency.DEGRADED): Priority.P4,
    (ImpactScope.USER, Urgency.MINOR): Priority.P4,
}


def priority_for(scope: ImpactScope | str, urgency: Urgency | str) -> Priority:
    """The priority the matrix gives; every (scope, urgency) pair has one."""
    return MATRIX[(ImpactScope(scope), Urgency(urgency))]


def impact_class_for(urgency: Urgency | str) -> ImpactClass:
    """Blocking or degraded work stops the business; minor trouble only spoils the experience."""
    if Urgency(urgency) in (Urgency.BLOCKING, Urgency.DEGRADED):
        return ImpactClass.BUSINESS_BLOCKING
    return ImpactClass.EXPERIENCE
