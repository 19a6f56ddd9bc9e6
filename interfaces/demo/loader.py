"""`kaizen demo`: six months of believable history, so a new install shows its reports at once.

The loader does not write rows behind the application's back: it enrols the company's people
and groups first (so the story's reporters, assignees and vendor staff are people who can sign
in), then plans every command of every issue and suggestion with a business time (`Context.at`)
in the past, sorts the plan by time and issues the commands through `KaizenDesk`, so the demo's
events obey the same rules, hash chains and access checks as real ones, and projections see
them in business-time order.

Everything is drawn from `random.Random(seed)`: the same seed gives the same keys, titles and
life-cycles (times move with `now`). Commands planned after `now` are not issued, which is what
leaves the most recent issues open, waiting or escalated.
"""

from __future__ import annotations

import time as timer
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from random import Random
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from application.context import Context
from application.errors import ApplicationError
from domain.actor import SYSTEM, Actor
from domain.errors import DomainError
from interfaces.demo.data.issue_story import IssueStory, month_end
from interfaces.demo.data.people import ADMINS, SITE_WEIGHTS, SITES, Site, demo_people
from interfaces.demo.data.plan import Plan, Step, plan_suggestions

if TYPE_CHECKING:
    from application.desk import KaizenDesk

HISTORY_DAYS = 182
FULL_ISSUES = 150
FULL_SUGGESTIONS = 40
CREATES = frozenset({"report", "submit_suggestion"})


@dataclass
class DemoSummary:
    """What was loaded; `skipped` counts planned commands the domain refused (0 when healthy)."""

    issues: int = 0
    suggestions: int = 0
    people: int = 0
    groups: int = 0
    commands: Counter[str] = field(default_factory=Counter)
    open_issues: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    first_at: datetime | None = None
    last_at: datetime | None = None
    seconds: float = 0.0

    @property
    def events(self) -> int:
        return sum(self.commands.values())

    def lines(self) -> list[str]:
        c = self.commands
        return [
            f"people: {self.people} in {self.groups} groups (departments, vendor teams, administrators)",
            f"issues: {self.issues} ({self.open_issues} open, {c['resolve']} resolutions, "
            f"{c['reopen']} reopened, {c['close_issue']} closed)",
            f"escalations: {c['escalate']}, vendor updates: {c['record_vendor_update']}, "
            f"waits: {c['wait']}, workarounds: {c['record_workaround']} ({c['retire_workaround']} retired)",
            f"suggestions: {self.suggestions} ({c['vote']} votes, {c['merge']} merged, {c['review']} reviewed, "
            f"{c['mark_implemented']} implemented, {c['reward']} rewarded)",
            f"commands: {self.events}, skipped: {self.skipped}, "
            f"from {_day(self.first_at)} to {_day(self.last_at)}, in {self.seconds:.1f} s",
        ]


def _day(when: datetime | None) -> str:
    return when.date().isoformat() if when else "-"


def load_demo(
    desk: KaizenDesk,
    seed: int = 7,
    now: datetime | None = None,
    scale: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Plan and issue the demo's commands; `scale` shrinks the data set (tests use ~0.1)."""
    started = timer.monotonic()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    start = datetime.combine(now.date() - timedelta(days=HISTORY_DAYS), time(0), UTC)
    rng = Random(seed)
    plan = Plan()
    for index, (at, site) in enumerate(_report_times(rng, start, max(1, round(FULL_ISSUES * scale)))):
        # Each issue draws from its own stream, so where one story stops (at `now`) never changes the next.
        IssueStory(plan, Random(f"{seed}:issue:{index}"), f"i{index}", site, now).tell(at)
    plan_suggestions(plan, rng, start, now, max(1, round(FULL_SUGGESTIONS * scale)))
    people, groups = enrol_people(desk, start - timedelta(days=1))
    summary = _execute(desk, plan.due(now), progress)
    summary.people, summary.groups = people, groups
    _plan_the_loop(desk, now)
    summary.seconds = timer.monotonic() - started
    return summary


def enrol_people(desk: KaizenDesk, at: datetime) -> tuple[int, int]:
    """Everyone the story names, and their groups, enrolled the day before the history starts.

    Through the same commands an administrator uses, so the demo's people are listed, can be
    assigned issues and can sign in once they have a password (see `interfaces.demo.sign_in`).
    Their invitations are left to expire: nobody holds those links.
    """
    people, groups = demo_people()
    ctx = Context(SYSTEM, at=at)
    for person in people:
        desk.create_person(
            ctx,
            person.id,
            name=person.name,
            email=person.email,
            roles=list(person.roles),
            site=person.site,
            language=person.language,
            time_zone=person.time_zone,
        )
    for group in groups:
        members = [{"person": who, "duty": duty} for who, duty in group.members]
        desk.create_group(ctx, group.id, name=group.name, kind=group.kind, vendor=group.vendor, members=members)
    return len(people), len(groups)


MEETING_ATTENDEES = (
    {"name": "Ms Chan", "department": "finance"},
    {"name": "Budi Santoso", "department": "warehouse"},
    {"name": "Nguyen Van An", "department": "production"},
    {"name": "Wong Tai Man", "department": "it"},
)
FREEZE_DOCUMENT = {
    "timezone": "Asia/Hong_Kong",
    "month_end": {
        "last_working_days": 3,
        "first_working_days": 2,
        "calendar": {
            "timezone": "Asia/Hong_Kong",
            "hours": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
            "holidays": {"country": "HK", "subdivision": None},
            "closed_days": [],
        },
    },
    "windows": [],
}


def _plan_the_loop(desk: KaizenDesk, now: datetime) -> None:
    """The continuous-improvement loop the brief asks for: month-end close frozen for vendor
    changes, and next month's improvement meeting on the calendar (its agenda is built from
    the data above). Published at `now`, after the history, so no past change is re-judged."""
    admin = Context(Actor(ADMINS[0], "admin"), at=now)
    desk.put_freeze_windows(admin, FREEZE_DOCUMENT)
    _post_health_measurements(desk, now)
    first_of_next = (now.date().replace(day=1) + timedelta(days=32)).replace(day=1)
    meeting_day = first_of_next + timedelta(days=(1 - first_of_next.weekday()) % 7 + 7)  # second Tuesday
    desk.schedule_meeting(
        admin, cadence="monthly", date=meeting_day, attendees=MEETING_ATTENDEES, title="Monthly ERP improvement meeting"
    )


# What Multiable's quarterly health check measures, per module: (data accuracy, process execution
# rate, user activity) for the quarter before last and the last full quarter. Warehouse slips
# (its issues rise too), so the health check recommends training there.
MEASUREMENTS = {
    "finance": ((0.97, 0.86, 0.78), (0.98, 0.88, 0.81)),
    "warehouse": ((0.95, 0.79, 0.70), (0.93, 0.71, 0.66)),
    "production": ((0.96, 0.82, 0.64), (0.96, 0.84, 0.67)),
    "sales": ((0.98, 0.90, 0.83), (0.98, 0.91, 0.85)),
    "purchasing": ((0.94, 0.68, 0.61), (0.95, 0.72, 0.63)),
    "hr": ((0.99, 0.93, 0.55), (0.99, 0.94, 0.58)),
    "reporting": ((0.91, 0.80, 0.72), (0.92, 0.81, 0.74)),
}


def _post_health_measurements(desk: KaizenDesk, now: datetime) -> None:
    """The ERP integration's figures for the two last full quarters (posted as an app would)."""
    from domain.health import Quarter

    last = Quarter.containing(now).previous
    integration = Context(Actor("erp-health-probe", "app", via="multiable-health-check"), at=now)
    for quarter, index in ((last.previous, 0), (last, 1)):
        for module, figures in MEASUREMENTS.items():
            accuracy, execution, activity = figures[index]
            desk.record_measurement(
                integration,
                str(quarter),
                module=module,
                data_accuracy=accuracy,
                process_execution_rate=execution,
                user_activity=activity,
                source="multiable quarterly health check",
            )


def _report_times(rng: Random, start: datetime, count: int) -> list[tuple[datetime, Site]]:
    """Report times in office hours, busier on working days and around month-end close."""
    days = [start.date() + timedelta(days=d) for d in range(HISTORY_DAYS + 1)]
    weights = [(0.08 if d.weekday() >= 5 else 1.0) + (1.5 if month_end(d) else 0.0) for d in days]
    sites = [next(s for s in SITES if s.code == code) for code in SITE_WEIGHTS]
    chosen = []
    for day in rng.choices(days, weights, k=count):
        site = rng.choices(sites, [SITE_WEIGHTS[s.code] for s in sites])[0]
        local = datetime.combine(day, time(8, 30), ZoneInfo(site.timezone)) + timedelta(minutes=rng.uniform(0, 560))
        chosen.append((local.astimezone(UTC), site))
    return sorted(chosen, key=lambda pair: pair[0])


def _execute(desk: KaizenDesk, steps: list[Step], progress: Callable[[int, int], None] | None) -> DemoSummary:
    """Issue the planned commands in time order; a refused command skips the rest of its aggregate."""
    summary = DemoSummary()
    keys: dict[str, str] = {}
    failed: set[str] = set()
    status: dict[str, str] = {}
    for done, step in enumerate(steps, start=1):
        if progress and (done % 50 == 0 or done == len(steps)):
            progress(done, len(steps))
        if step.ref in failed:
            summary.skipped += 1
            continue
        ctx = Context(step.actor, at=step.at)
        data = dict(step.data)
        try:
            if step.command in CREATES:
                keys[step.ref] = getattr(desk, step.command)(ctx, **data).key
            else:
                if "into" in data:
                    data["into"] = keys[data["into"]]
                getattr(desk, step.command)(ctx, keys[step.ref], **data)
        except (DomainError, ApplicationError, KeyError) as exc:
            failed.add(step.ref)
            summary.skipped += 1
            summary.problems.append(f"{step.ref} {step.command} at {step.at.isoformat()}: {exc}")
            continue
        summary.commands[step.command] += 1
        summary.first_at = summary.first_at or step.at
        summary.last_at = step.at
        if step.command in ("report", "resolve", "reopen"):
            status[step.ref] = step.command
    summary.issues = summary.commands["report"]
    summary.suggestions = summary.commands["submit_suggestion"]
    summary.open_issues = sum(1 for s in status.values() if s != "resolve")
    return summary
