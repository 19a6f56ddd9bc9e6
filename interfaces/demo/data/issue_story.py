"""One demo issue's life, from report to close, as planned commands with rising business times.

The story follows what the brief describes: triage and a first answer, sometimes a question back
to the reporter, escalation to the vendor with a ticket in the vendor's own format, vendor
answers that slow down around month-end close (Multiable above all), waits on the customer,
workarounds kept beside the system (some never retired), scheduled vendor changes kept out of
the close window, resolution, the odd reopen, and closing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from domain.actor import Actor
from domain.priority_matrix import priority_for
from interfaces.demo.data import messages as msg
from interfaces.demo.data.issue_templates import ISSUE_TEMPLATES, IssueTemplate
from interfaces.demo.data.people import (
    DEVELOPER,
    MONTH_END_SLOWDOWN,
    SITES,
    VENDOR_ACTORS,
    VENDOR_LABELS,
    VENDOR_RESPONSE_HOURS,
    VENDOR_UPDATES,
    Site,
    vendor_team,
)
from interfaces.demo.data.plan import Plan, office_time

SPEED = {"P1": 0.25, "P2": 0.6, "P3": 1.2, "P4": 2.0}
MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "id": (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
}
CITY_ZH = {"HK": "香港", "SG": "新加坡", "JKT": "雅加達", "HCM": "胡志明市", "CMB": "科倫坡"}


def month_end(day: date) -> bool:
    """Roughly the close window: the last three and the first two days of a month."""
    return day.day <= 2 or (day + timedelta(days=3)).month != day.month


class IssueStory:
    """One issue's life, from report to close, as planned commands with rising business times."""

    def __init__(self, plan: Plan, rng: Random, ref: str, site: Site, now: datetime) -> None:
        self.plan, self.rng, self.ref, self.site, self.now = plan, rng, ref, site, now
        self.tz = ZoneInfo(site.timezone)
        self.admin = Actor(site.admin, "admin")
        self.at = now
        self.priority = "P3"
        self.has_workaround = False

    def tell(self, reported_at: datetime) -> None:
        rng, site = self.rng, self.site
        self.template = template = rng.choice([t for t in ISSUE_TEMPLATES if t.sites is None or site.code in t.sites])
        vendor = self._vendor(template)
        language = rng.choices([lang for lang, _ in site.languages], [w for _, w in site.languages])[0]
        language = language if language in template.titles else "en"
        urgency = template.urgency
        if rng.random() < 0.25:  # the same problem hurts less in some places
            urgency = {"blocking": "degraded", "degraded": "minor"}.get(urgency, urgency)
        self.priority = str(priority_for(template.scope, urgency))
        fill = self._placeholders(template, language, reported_at)
        reporter = Actor(rng.choice(site.staff), "reporter")
        noticed = reported_at - timedelta(hours=rng.uniform(1, 40)) if rng.random() < 0.4 else None
        self.at = reported_at
        self._add(
            "report",
            reporter,
            title=template.titles[language].format(**fill),
            description=template.description.format(**fill),
            module=template.module,
            impact_scope=template.scope,
            urgency=urgency,
            vendor=vendor,
            scenario=template.scenario,
            site=site.code,
            language=language,
            noticed_at=noticed,
        )
        self._first_line(template, language, reporter)
        escalate = vendor != "internal" and (template.fix == "vendor" or rng.random() < 0.6)
        workaround = template.workaround if template.workaround and rng.random() < 0.6 else None
        if escalate:
            resolved = self._with_vendor(vendor, workaround, reporter, language)
        else:
            if workaround:
                self._workaround(workaround, reporter)
            if rng.random() < 0.12:  # parked in the internal backlog: still open today
                self._after(4, 48)
                self._add("comment_on_issue", self.admin, body=rng.choice(msg.INTERNAL_NOTES), visibility="internal")
                return
            resolved = self._resolve(hours=(1, 60))
        if not resolved:
            return
        self._end(template, escalate, vendor, language)

    def _vendor(self, template: IssueTemplate) -> str:
        options = [(v, w) for v, w in self.site.vendors if template.vendors is None or v in template.vendors]
        if template.fix == "internal":
            return "internal"
        if template.fix == "vendor":
            options = [(v, w) for v, w in options if v != "internal"]
        if not options:
            return template.vendors[0] if template.vendors else "internal"
        return self.rng.choices([v for v, _ in options], [w for _, w in options])[0]

    def _placeholders(self, template: IssueTemplate, language: str, at: datetime) -> dict[str, str]:
        month = at.astimezone(self.tz).date()
        if "month_end" in template.tags and month.day <= 10:
            month = month.replace(day=1) - timedelta(days=1)
        if language == "zh":
            period = f"{month.year}年{month.month}月"
        elif language == "vi":
            period = f"tháng {month.month}/{month.year}"
        else:
            period = f"{MONTHS.get(language, MONTHS['en'])[month.month - 1]} {month.year}"
        partner = self.rng.choice([s for s in SITES if s.code != self.site.code])
        city = CITY_ZH[partner.code] if language == "zh" else partner.city
        return {
            "period": period,
            "wh": f"{self.site.code}-W{self.rng.randint(1, 4)}",
            "bank": self.site.bank,
            "site": city if template.name == "interco" else self.site.city,  # interco names the other side
            "n": str(self.rng.randint(*template.n)),
        }

    # -- planning helpers -------------------------------------------------------------------
    def _add(self, command: str, actor: Actor, **data: Any) -> None:
        self.plan.add(self.at, self.ref, command, actor, **data)

    def _after(self, low: float, high: float, scaled: bool = True, office: bool = True) -> datetime:
        """Move this issue's time on by a random number of hours; P1 work is not held to office hours."""
        hours = self.rng.uniform(low, high) * (SPEED[self.priority] if scaled else 1.0)
        self.at += timedelta(hours=hours, seconds=1)
        if office and self.priority != "P1":
            self.at = office_time(self.at, self.tz, self.rng)
        return self.at

    def _first_line(self, template: IssueTemplate, language: str, reporter: Actor) -> None:
        """Triage, answer, assign, and sometimes ask the reporter for more (pausing internal clocks)."""
        rng = self.rng
        self._after(0.2, 4)
        if self.priority in ("P2", "P3") and rng.random() < 0.08:
            self.priority = {"P2": "P1", "P3": "P2"}[self.priority]
            self._add("triage", self.admin, priority=self.priority, assignee=self.admin.id, reason=msg.OVERRIDE_REASON)
        else:
            self._add("triage", self.admin, assignee=self.admin.id)
        self._after(0.05, 1)
        self._add("respond", self.admin, message=msg.RESPONSES[language])
        self._after(0.1, 2)
        owner = DEVELOPER if template.fix == "internal" and rng.random() < 0.5 else self.admin.id
        self._add("assign", self.admin, assignee=owner)
        if rng.random() < 0.25:
            self._after(0.1, 1)
            self._add("wait", self.admin, on="reporter", reason=msg.WAIT_ON_REPORTER[language])
            self._after(2, 30, scaled=False)
            # The reporter's reply resumes the issue by itself (Issue.comment); the pause after it
            # stays, so the story's random draws, and every later step, are those of before.
            self._add("comment_on_issue", reporter, body=msg.REPORTER_REPLIES[language], visibility="public")
            self._after(0.1, 2)

    def _workaround(self, workaround: tuple[str, str], reporter: Actor) -> None:
        self._after(0.5, 8)
        retire_by = (self.at + timedelta(days=self.rng.randint(14, 56))).date()
        self._add(
            "record_workaround",
            self.admin,
            kind=workaround[0],
            description=workaround[1],
            retire_by=retire_by,
            owner=reporter.id,
        )
        self.has_workaround = True

    def _with_vendor(self, vendor: str, workaround: tuple[str, str] | None, reporter: Actor, language: str) -> bool:
        """Escalate, collect the vendor's answers (slow around month-end for some), maybe wait on us."""
        rng = self.rng
        self._after(0.3, 24)
        label = VENDOR_LABELS[vendor][int(self.priority[1]) - 1]
        self._add("escalate", self.admin, vendor=vendor, vendor_ticket=self._ticket(vendor), vendor_priority=label)
        if vendor == "multiable":  # the customer's fixed team (consultant and technical support) takes it on
            self._add("assign", self.admin, assignee=vendor_team(vendor))
        if rng.random() < 0.3:
            self._after(0.1, 2)
            self._add("comment_on_issue", self.admin, body=rng.choice(msg.INTERNAL_NOTES), visibility="internal")
        if workaround:
            self._workaround(workaround, reporter)
        closing = month_end(self.at.astimezone(self.tz).date())
        slowdown = MONTH_END_SLOWDOWN.get(vendor, 1.0) if closing else 1.0
        close_over = self._after_close()
        low, high = VENDOR_RESPONSE_HOURS[vendor][int(self.priority[1]) - 1]
        self._after(low * slowdown, high * slowdown, scaled=False)
        if closing and slowdown > 2 and self.priority != "P1":
            self.at = max(self.at, close_over)  # only a P1 gets through while every customer is closing
        stalled = rng.random() < 0.15
        updates = 20 if stalled else rng.randint(0, 3)
        waited = False
        for number in range(updates + 1):
            self._add("record_vendor_update", self._vendor_actor(vendor), message=self._vendor_message(vendor))
            if self.at > self.now:
                break
            if number == 0 and not waited and rng.random() < 0.25:
                waited = True
                self._after(0.5, 6, scaled=False)
                self._add("wait", self.admin, on="customer", reason=rng.choice(msg.WAIT_ON_CUSTOMER))
                self._after(4, 60, scaled=False)
                self._add("resume", self.admin, reason=rng.choice(msg.RESUME_NOTES))
            if rng.random() < 0.2:
                self._after(24, 72, scaled=False)
                self._add("comment_on_issue", reporter, body=msg.CHASERS[language], visibility="public")
            factor = MONTH_END_SLOWDOWN.get(vendor, 1.0) if month_end(self.at.astimezone(self.tz).date()) else 1.0
            self._after(12 * factor, (168 if stalled else 96) * factor, scaled=False)
        if stalled:
            return False
        if rng.random() < 0.3:
            self._schedule_change(vendor)
        return self._resolve(hours=(2, 48))

    def _after_close(self) -> datetime:
        """The 3rd of the month (or the next working day): a vendor busy with everyone's close is back."""
        local = self.at.astimezone(self.tz).date()
        month = local.replace(day=1) if local.day <= 2 else (local.replace(day=28) + timedelta(days=4)).replace(day=1)
        morning = datetime.combine(month.replace(day=3), time(9), self.tz) + timedelta(hours=self.rng.uniform(0.5, 8))
        return office_time(morning.astimezone(UTC), self.tz, self.rng)

    def _schedule_change(self, vendor: str) -> None:
        """Vendor changes go into a mid-month evening window, well away from month-end close."""
        local = (self.at + timedelta(days=2)).astimezone(self.tz).date()
        while not 10 <= local.day <= 20 or local.weekday() >= 5:
            local += timedelta(days=1)
        scheduled = datetime.combine(local, time(20), self.tz).astimezone(UTC)
        self._after(0.2, 2)
        self._add("schedule_change", self.admin, scheduled_for=scheduled, description=msg.CHANGE_DESCRIPTION[vendor])
        self.at = max(self.at, scheduled) + timedelta(hours=self.rng.uniform(1, 3))

    def _resolve(self, hours: tuple[float, float]) -> bool:
        self._after(*hours)
        self._add("resolve", self.admin, resolution=self.template.resolution, root_cause=self.template.root_cause)
        return True

    def _end(self, template: IssueTemplate, escalated: bool, vendor: str, language: str) -> None:
        """Retire the workaround (or forget to), sometimes reopen, and mostly close."""
        rng = self.rng
        if self.has_workaround and rng.random() < 0.7:
            self._after(2, 120, scaled=False)
            self._add("retire_workaround", self.admin, workaround_id="w1", note="Back to working in the system")
        if rng.random() < 0.08:
            self._after(24, 200, scaled=False)
            self._add("reopen", self.admin, reason=msg.REOPEN_REASONS[language])
            if escalated:
                self._after(4, 48, scaled=False)
                self._add("record_vendor_update", self._vendor_actor(vendor), message=self._vendor_message(vendor))
            self._after(8, 96)
            self._add(
                "resolve",
                self.admin,
                resolution=f"{template.resolution} Second fix verified over a full run.",
                root_cause=template.root_cause,
            )
        if rng.random() < 0.85:
            self._after(24, 160, scaled=False)
            self._add("close_issue", self.admin, note=msg.CLOSE_NOTE)

    def _vendor_actor(self, vendor: str) -> Actor:
        return Actor(self.rng.choice(VENDOR_ACTORS[vendor]), f"vendor:{vendor}")

    def _vendor_message(self, vendor: str) -> str:
        rng = self.rng
        return rng.choice(VENDOR_UPDATES[vendor]).format(
            note=rng.randint(3_000_000, 3_600_000),
            bug=rng.randint(35_000_000, 38_999_999),
            kb=f"KB{rng.randint(5_000_000, 5_099_999)}",
        )

    def _ticket(self, vendor: str) -> str:
        """Tickets in each vendor's own format: SAP incidents, Oracle SRs, Microsoft cases..."""
        rng, at = self.rng, self.at
        if vendor == "sap":
            return f"{rng.randint(100_000, 999_999):010d}/{at.year}"
        if vendor == "oracle":
            return f"3-{rng.randint(10**10, 10**11 - 1)}"
        if vendor == "microsoft":
            return f"{at:%y%m%d}00{rng.randint(40_000_000, 49_999_999)}"
        if vendor == "yonyou":
            return f"YY{at:%Y%m%d}{rng.randint(1000, 9999)}"
        return f"MA-{self.site.code}-{at:%y}{rng.randint(10_000, 99_999)}"
