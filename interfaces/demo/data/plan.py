"""The demo's plan: commands with business times, and the suggestions' life at monthly meetings.

Planning is separate from issuing so that every aggregate's story can be written front to back
(report, triage, escalate...) while the commands still reach the store in global time order.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from domain.actor import Actor
from interfaces.demo.data.people import ADMINS, SITES
from interfaces.demo.data.suggestion_templates import DECLINE_REASONS, SUGGESTION_TEMPLATES

MEETING_TZ = ZoneInfo("Asia/Hong_Kong")
REWARD_ROUNDING = {"HKD": 50, "SGD": 10, "IDR": 50_000, "VND": 100_000, "LKR": 500}
SUPPORT_COMMENTS = (
    "+1, we have the same problem at our site every week.",
    "This would save our team about an hour a day.",
    "Please also cover the mobile screens.",
    "Agree. We keep a spreadsheet for this today.",
)


@dataclass(frozen=True)
class Step:
    """One command: which aggregate (by plan reference), what, who, when (business time)."""

    at: datetime
    seq: int
    ref: str
    command: str
    actor: Actor
    data: dict[str, Any] = field(default_factory=dict)


class Plan:
    def __init__(self) -> None:
        self.steps: list[Step] = []
        self._seq = itertools.count()

    def add(self, at: datetime, ref: str, command: str, actor: Actor, **data: Any) -> None:
        self.steps.append(Step(at, next(self._seq), ref, command, actor, data))

    def due(self, now: datetime) -> list[Step]:
        """The steps up to `now`, in time order (plan order breaks ties, keeping causes first)."""
        return sorted((s for s in self.steps if s.at <= now), key=lambda s: (s.at, s.seq))


def office_time(at: datetime, tz: ZoneInfo, rng: Random) -> datetime:
    """`at`, or the next opening (Mon-Fri 09:00-18:00 local) plus a little, if the office is closed."""
    local = at.astimezone(tz)
    if local.weekday() < 5 and 9 <= local.hour < 18:
        return at
    day = local.date() if local.hour < 9 else local.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    opening = datetime.combine(day, time(9), tz) + timedelta(minutes=rng.uniform(5, 75))
    return opening.astimezone(UTC)


def meetings(start: datetime, now: datetime) -> list[datetime]:
    """Monthly improvement meetings: the first Thursday of each month, 10:00 Hong Kong time."""
    found = []
    month = start.date().replace(day=1)
    while month <= now.date() + timedelta(days=62):
        day = month
        while day.weekday() != 3:
            day += timedelta(days=1)
        found.append(datetime.combine(day, time(10), MEETING_TZ).astimezone(UTC))
        month = (month + timedelta(days=32)).replace(day=1)
    return found


def plan_suggestions(plan: Plan, rng: Random, start: datetime, now: datetime, count: int) -> None:
    """Submit, vote, merge duplicates, review at meetings, plan or decline, implement, reward."""
    templates = SUGGESTION_TEMPLATES[:count]
    names = {t.name for t in templates}
    staff = [(site, person) for site in SITES for person in site.staff]
    sites = {site.code: site for site in SITES}
    admin = Actor(ADMINS[0], "admin")
    submitted: dict[str, tuple[datetime, str]] = {}
    merged_by: dict[str, datetime] = {}
    # First pass: when each idea is raised and when duplicates are folded in, so a target's
    # review is always after the last merge into it.
    for tpl in templates:
        site = sites[tpl.site]
        tz = ZoneInfo(site.timezone)
        if tpl.duplicate_of and tpl.duplicate_of in submitted:
            at = office_time(submitted[tpl.duplicate_of][0] + timedelta(days=rng.uniform(1, 6)), tz, rng)
            merge_at = office_time(at + timedelta(days=rng.uniform(1, 4)), tz, rng)
            merged_by[tpl.duplicate_of] = max(merged_by.get(tpl.duplicate_of, merge_at), merge_at)
            merged_by[tpl.name] = merge_at
        else:
            at = office_time(start + timedelta(days=rng.uniform(2, 178)), tz, rng)
        submitted[tpl.name] = (at, rng.choice(site.staff))
    schedule = meetings(start, now)
    voted: dict[str, set[str]] = {}
    for tpl in templates:
        at, submitter = submitted[tpl.name]
        site = sites[tpl.site]
        ref = f"s:{tpl.name}"
        plan.add(
            at,
            ref,
            "submit_suggestion",
            Actor(submitter, "reporter"),
            title=tpl.title,
            description=tpl.description,
            module=tpl.module,
        )
        is_duplicate = bool(tpl.duplicate_of and tpl.duplicate_of in names)
        if is_duplicate:
            deadline = merged_by[tpl.name]
        else:
            earliest = max(at + timedelta(days=10), merged_by.get(tpl.name, at) + timedelta(days=1))
            deadline = next(m for m in schedule if m >= earliest)
        # A duplicate's voters move to its target on merge, so they must not vote there later.
        taken = voted.setdefault(tpl.duplicate_of or tpl.name, set())
        taken |= _votes_and_comments(plan, rng, ref, tpl.popularity, at, deadline, submitter, staff, taken)
        if is_duplicate:
            plan.add(deadline, ref, "merge", admin, into=f"s:{tpl.duplicate_of}")
            continue
        _decide(
            plan,
            rng,
            ref,
            tpl.impact,
            tpl.effort,
            deadline,
            schedule,
            submitter,
            site.currency,
            site.reward_range,
            admin,
        )


def _votes_and_comments(
    plan: Plan,
    rng: Random,
    ref: str,
    popularity: int,
    at: datetime,
    deadline: datetime,
    submitter: str,
    staff: list[Any],
    taken: set[str],
) -> set[str]:
    """Colleagues from every site vote over the following days; only votes before the deadline count."""
    voters = [person for _, person in staff if person != submitter]
    chosen = set()
    for voter in rng.sample(voters, min(len(voters), popularity * rng.randint(2, 5))):
        when = at + timedelta(hours=rng.expovariate(1 / 72) + 0.5)
        if when < deadline and voter not in taken:
            plan.add(when, ref, "vote", Actor(voter, "reporter"))
            chosen.add(voter)
    for _ in range(rng.randint(0, 2)):
        when = at + timedelta(hours=rng.uniform(2, 96))
        if when < deadline:
            plan.add(
                when,
                ref,
                "comment_on_suggestion",
                Actor(rng.choice(voters), "reporter"),
                body=rng.choice(SUPPORT_COMMENTS),
            )
    return chosen


def _decide(
    plan: Plan,
    rng: Random,
    ref: str,
    impact: int,
    effort: int,
    meeting: datetime,
    schedule: list[datetime],
    submitter: str,
    currency: str,
    reward_range: tuple[int, int],
    admin: Actor,
) -> None:
    """Score at the meeting; a clear case is decided on the spot, a borderline one at the next."""
    label = f"{meeting.astimezone(MEETING_TZ):%Y-%m} monthly improvement meeting"
    at = meeting + timedelta(minutes=rng.uniform(5, 80))
    plan.add(at, ref, "review", admin, impact=impact, effort=effort, meeting=label)
    score = impact * 2 - effort + rng.choice((-1, 0, 0, 1))
    if score <= 3:
        reason = rng.choice(DECLINE_REASONS)
        plan.add(at + timedelta(minutes=5), ref, "decide", admin, outcome="declined", reason=reason)
        return
    if score < 6:
        if rng.random() < 0.5:
            return  # stays reviewed: needs more information before a decision
        later = [m for m in schedule if m > meeting]
        at = later[0] + timedelta(minutes=rng.uniform(5, 80)) if later else at
    release_month = (at + timedelta(days=rng.randint(20, 50))).date()
    release = f"{release_month:%Y.%m}"
    plan.add(
        at + timedelta(minutes=5),
        ref,
        "decide",
        admin,
        outcome="planned",
        target_release=release,
        reason="Agreed at the improvement meeting",
    )
    if rng.random() < 0.25:
        return
    done_at = datetime.combine(release_month, time(4), UTC) + timedelta(days=rng.uniform(0, 20))
    plan.add(done_at, ref, "mark_implemented", admin, note=f"Released in {release}")
    if rng.random() < 0.8:
        low, high = reward_range
        step = REWARD_ROUNDING.get(currency, 1)
        amount = max(step, round(rng.randint(low, high) / step) * step)
        plan.add(
            done_at + timedelta(days=rng.uniform(2, 14)),
            ref,
            "reward",
            admin,
            amount={"amount": str(amount), "currency": currency},
            note=f"Thank you {submitter}: this saves the team time every week",
        )
