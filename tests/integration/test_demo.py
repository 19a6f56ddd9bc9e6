"""The demo data set: deterministic per seed, obeys every rule, tells the story the brief asks for."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from application.config import store_settings
from application.desk import KaizenDesk
from application.errors import SignInRefused
from domain.actor import Actor
from domain.issue import Issue
from domain.suggestion import Suggestion
from interfaces.demo.data.people import SITES
from interfaces.demo.loader import DemoSummary, load_demo
from interfaces.demo.sign_in import set_demo_passwords, sign_in_lines

NOW = datetime(2026, 4, 15, 9, 30, tzinfo=UTC)
TICKETS = {
    "sap": r"^\d{10}/20\d\d$",
    "oracle": r"^3-\d{11}$",
    "microsoft": r"^\d{16}$",
    "yonyou": r"^YY\d{12}$",
    "multiable": r"^MA-(HK|SG|JKT|HCM|CMB)-\d{7}$",
}


def load(url: str, seed: int, scale: float, now: datetime = NOW) -> tuple[KaizenDesk, DemoSummary]:
    desk = KaizenDesk(store_settings(url))
    return desk, load_demo(desk, seed=seed, now=now, scale=scale)


def issues(desk: KaizenDesk, summary: DemoSummary) -> list[Issue]:
    return [desk.get_issue(f"KZ-{n}") for n in range(1, summary.issues + 1)]


def suggestions(desk: KaizenDesk, summary: DemoSummary) -> list[Suggestion]:
    return [desk.get_suggestion(f"SG-{n}") for n in range(1, summary.suggestions + 1)]


def fingerprint(desk: KaizenDesk, summary: DemoSummary) -> list[tuple[Any, ...]]:
    return [(i.key, i.title, i.status, i.priority, i.vendor, i.version) for i in issues(desk, summary)] + [
        (s.key, s.title, s.status, s.votes) for s in suggestions(desk, summary)
    ]


def multiable_month_end_slowdown(found: list[Issue]) -> float:
    """The brief: Multiable's first answer slips when many customers close their month at once."""
    zones = {site.code: ZoneInfo(site.timezone) for site in SITES}
    delays: dict[bool, list[float]] = {True: [], False: []}
    for issue in found:
        if issue.escalation and issue.escalation["vendor"] == "multiable" and issue.vendor_updates:
            at = issue.escalation["escalated_at"]
            day = at.astimezone(zones[issue.site or ""]).date()
            month_end = day.day <= 2 or (day + timedelta(days=3)).month != day.month
            delays[month_end].append((issue.vendor_updates[0]["at"] - at).total_seconds())
    return statistics.median(delays[True]) / statistics.median(delays[False])


def test_same_seed_same_data_on_any_store(store_url: str, tmp_path: Path) -> None:
    first, a = load(store_url, seed=11, scale=0.1)
    second, b = load(f"sqlite:///{tmp_path / 'again.db'}", seed=11, scale=0.1)
    other, c = load(f"sqlite:///{tmp_path / 'other.db'}", seed=12, scale=0.1)
    later, d = load(f"sqlite:///{tmp_path / 'later.db'}", seed=11, scale=0.1, now=NOW + timedelta(hours=6))
    try:
        assert a.skipped == b.skipped == d.skipped == 0 and a.issues >= 12
        assert fingerprint(first, a) == fingerprint(second, b)
        assert [i.title for i in issues(first, a)] != [i.title for i in issues(other, c)]
        # Later the same day: the same issues under the same keys, some further along.
        assert [(i.key, i.title) for i in issues(first, a)] == [(i.key, i.title) for i in issues(later, d)][: a.issues]
    finally:
        for desk in (first, second, other, later):
            desk.close()


def test_full_demo_tells_six_months_of_the_story(store_url: str) -> None:
    desk, summary = load(store_url, seed=7, scale=1.0)
    try:
        assert summary.skipped == 0, summary.problems[:3]
        assert 140 <= summary.issues <= 150 and summary.suggestions == 40
        found = issues(desk, summary)
        assert min(i.reported_at for i in found) >= NOW - timedelta(days=183)
        assert max(i.updated_at for i in found) <= NOW
        assert {i.vendor for i in found} == {"sap", "oracle", "microsoft", "yonyou", "multiable", "internal"}
        assert {i.site for i in found} == {"HK", "SG", "JKT", "HCM", "CMB"}
        assert {"en", "zh", "id", "vi"} <= {i.language for i in found}
        statuses = Counter(str(i.status) for i in found)
        assert statuses["closed"] > 60 and statuses["resolved"] > 5
        assert statuses["escalated"] + statuses["in_progress"] + statuses["waiting_on_customer"] >= 10
        assert sum(i.reopen_count for i in found) >= 3
        escalated = [i for i in found if i.escalation]
        assert len(escalated) > 50
        for issue in escalated:
            assert issue.escalation is not None
            assert re.match(TICKETS[issue.escalation["vendor"]], issue.escalation["vendor_ticket"]), issue.key
        workarounds = [w for i in found for w in i.workarounds.values()]
        assert {"approval_outside_system", "manual_ledger", "manual_report"} <= {str(w["kind"]) for w in workarounds}
        assert any(w["retired_at"] is None and w["retire_by"] < NOW.date() for w in workarounds)  # overdue
        assert multiable_month_end_slowdown(found) > 2
        ideas = suggestions(desk, summary)
        assert {"submitted", "reviewed", "planned", "declined", "implemented", "merged"} <= {
            str(s.status) for s in ideas
        }
        assert len({voter for s in ideas for voter in s.voters}) > 30
        assert {r["currency"] for s in ideas for r in s.rewards} >= {"HKD"} and any(s.rewards for s in ideas)
    finally:
        desk.close()


@pytest.mark.parametrize("scale", [0.01, 0.05])
def test_tiny_demo_sets_still_load_cleanly(tmp_path: Path, scale: float) -> None:
    desk, summary = load(f"sqlite:///{tmp_path / 'tiny.db'}", seed=5, scale=scale)
    try:
        assert summary.skipped == 0 and summary.issues >= 1 and summary.suggestions >= 1
        assert all(line for line in summary.lines())
    finally:
        desk.close()


def test_demo_puts_the_improvement_loop_on_the_calendar(store_url: str) -> None:
    desk, _ = load(store_url, seed=7, scale=0.1)
    try:
        assert desk.get_freeze_windows().version == 1
        meeting = desk.get_meeting("MT-1")
        assert meeting.cadence == "monthly" and meeting.meeting_date > NOW.date()
        assert {a["department"] for a in meeting.attendees} >= {"finance", "warehouse", "production"}
        from domain.health import Quarter

        last_quarter = Quarter.containing(NOW).previous
        assert desk.get_health_check(str(last_quarter)) is not None  # the ERP integration's figures
    finally:
        desk.close()


def test_the_demo_enrols_everyone_its_story_names(store_url: str) -> None:
    """Reporters see "My issues", assignees are people or groups, every vendor has its fixed team."""
    desk, summary = load(store_url, seed=7, scale=0.2)
    try:
        assert summary.skipped == 0, summary.problems[:3]
        people = {p.person_id: p for p in desk.list_people(Actor("audit.chan", "auditor"))}
        found = issues(desk, summary)
        assert {i.reporter for i in found} <= set(people)
        assert {i.assignee for i in found if i.assignee} and all(desk.is_assignable(i.assignee or "") for i in found)
        groups = {g.group_id: g for g in desk.list_groups()}
        teams = {g.vendor: g for g in groups.values() if g.kind == "vendor_team"}
        assert set(teams) == {"sap", "oracle", "microsoft", "yonyou", "multiable", "internal"}
        assert all("consultant" in team.members.values() for team in teams.values())
        multiable = teams["multiable"]
        assert sorted(str(duty) for duty in multiable.members.values()) == ["consultant", "technical_support"]
        assert all(people[p].roles == ["vendor:multiable"] for p in multiable.members)
        assert any(i.assignee == multiable.group_id for i in found)  # escalations go to the fixed team
        departments = {g.group_id for g in groups.values() if g.kind == "department"}
        assert departments >= {"finance", "warehouse", "production", "sales", "purchasing"}
        assert {i.module for i in found} & departments
        key_users = [p for p in people.values() if p.roles == ["reporter"]]
        assert key_users and all(set(p.groups) & departments and p.site for p in key_users)
        admins = next(g for g in groups.values() if g.kind == "admin_team")
        assert set(admins.members) == {"ada.wong", "kelvin.tan"}
        assert all(people[a].role == "admin" for a in admins.members)
        assert people["audit.chan"].role == "auditor"
        assert {"zh-Hant", "zh-Hans", "id", "vi"} <= {p.language for p in people.values()}
        assert {"Asia/Hong_Kong", "Asia/Shanghai", "Asia/Jakarta", "Asia/Ho_Chi_Minh"} <= {
            p.time_zone for p in people.values()
        }
    finally:
        desk.close()


def test_the_printed_sign_ins_work_and_are_new_each_time(store_url: str, tmp_path: Path) -> None:
    desk, _ = load(store_url, seed=7, scale=0.05)
    other, _ = load(f"sqlite:///{tmp_path / 'other.db'}", seed=7, scale=0.05)
    try:
        sign_ins = set_demo_passwords(desk)
        assert [(s.kind, desk.person_now(s.person).role) for s in sign_ins] == [  # type: ignore[union-attr]
            ("admin", "admin"),
            ("reporter", "reporter"),
            ("vendor", "vendor:multiable"),
            ("auditor", "auditor"),
        ]
        for sign_in in sign_ins:
            assert desk.sign_in_with_password(sign_in.person, sign_in.password).person_id == sign_in.person
            principal = desk.authenticate(sign_in.token)
            assert principal is not None and principal.person == sign_in.person
        with pytest.raises(SignInRefused):
            desk.sign_in_with_password("kelvin.tan", sign_ins[0].password)  # nobody else has a password
        lines = sign_in_lines(sign_ins, "http://127.0.0.1:8000/console/")
        assert "http://127.0.0.1:8000/console/" in lines[0]
        admin_line = next(line for line in lines if "password:" in line)
        assert admin_line.split() == ["admin", "ada.wong", "password:", sign_ins[0].password]
        # Random per load, never a password kept in the repository.
        again = set_demo_passwords(other)
        assert not {s.password for s in sign_ins} & {s.password for s in again}
    finally:
        desk.close()
        other.close()
