"""The rules of notifications, kept pure so each can be checked by hand and tested without I/O.

- which event types exist and what a subscription's filter lets through;
- when an SLA clock is "at risk" or "breached", and whether that moment passed while the
  clock was running (so an alert is due);
- the retry schedule of deliveries;
- the HMAC signature receivers verify;
- what a target (URL or e-mail address) must look like, and how it is shown once stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from domain.errors import InvalidCommand

EVENT_TYPES: Final = (
    "issue.reported",
    "issue.escalated",
    "issue.resolved",
    "issue.status_changed",
    "sla.at_risk",
    "sla.breached",
    "suggestion.planned",
    "audit.checkpoint",
)
AT_RISK, BREACHED = "sla.at_risk", "sla.breached"
TARGET_KINDS: Final = ("webhook", "email", "dingtalk", "feishu", "teams")
URL_KINDS: Final = frozenset({"webhook", "dingtalk", "feishu", "teams"})
# A subscription's language: the people's five (`domain.person.LANGUAGES`; person.py imports
# this module, so the tuple is repeated and tests/unit/test_notification_messages.py checks they
# agree). Subscriptions from before the five were `zh`: Simplified Chinese, read as `zh-Hans`.
LANGUAGES: Final = ("en", "zh-Hans", "zh-Hant", "id", "vi")
LANGUAGE_ALIASES: Final = {"zh": "zh-Hans"}
FILTER_FIELDS: Final = ("vendor", "priority", "module", "site")

# Retries: the delay after the n-th failure (10 s, then x3), six attempts in all, ~20 minutes
# end to end: long enough to ride out a receiver's deploy or restart, short enough that a dead
# receiver is reported the same working hour.
RETRY_DELAYS: Final = (10, 30, 90, 270, 810)
MAX_ATTEMPTS: Final = len(RETRY_DELAYS) + 1
JITTER: Final = 0.2  # +-20 %, so receivers that failed together are not retried in lockstep

EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


# -- filters ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NotificationFilter:
    """Event types (at least one) and optional vendor / priority / module / site lists.

    A notice passes when its type is wanted and, for every list given, its value is in the list
    (OR within a list, AND across lists). A notice without a value for a filtered field (a
    suggestion has no vendor) does not pass that filter.
    """

    event_types: tuple[str, ...]
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, event_types: Sequence[str], filters: Mapping[str, Sequence[str]] | None) -> NotificationFilter:
        """Validate and normalise (duplicates dropped, order kept); raises InvalidCommand."""
        types = tuple(dict.fromkeys(event_types or ()))
        if not types:
            raise InvalidCommand("give at least one event type", "events")
        unknown = [t for t in types if t not in EVENT_TYPES]
        if unknown:
            raise InvalidCommand(f"unknown event type(s) {', '.join(unknown)}; use {', '.join(EVENT_TYPES)}", "events")
        chosen: dict[str, tuple[str, ...]] = {}
        for name, values in (filters or {}).items():
            if name not in FILTER_FIELDS:
                raise InvalidCommand(f"unknown filter {name!r}; use {', '.join(FILTER_FIELDS)}", "filters")
            stripped = (str(v).strip() for v in values if str(v).strip())
            cleaned = tuple(dict.fromkeys(v.lower() if name == "vendor" else v for v in stripped))
            if any(len(v) > 100 for v in cleaned) or len(cleaned) > 50:
                raise InvalidCommand(f"filter {name} takes at most 50 values of at most 100 characters", "filters")
            if cleaned:
                chosen[name] = cleaned
        return cls(types, chosen)

    def as_dict(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self.fields.items()}

    def chosen_type(self, notice_types: Sequence[str], notice: Mapping[str, Any]) -> str | None:
        """The first of the notice's types (most specific first) this filter takes, or None."""
        for name, wanted in self.fields.items():
            value = notice.get(name)
            if value is None or str(value) not in wanted:
                return None
        return next((t for t in notice_types if t in self.event_types), None)


def subscription_language(value: str) -> str:
    """The language code of a subscription as recorded (an old `zh` is `zh-Hans`); unchanged
    when it is not an alias, so whatever an old event holds still loads."""
    return LANGUAGE_ALIASES.get(value, value)


# -- followers ----------------------------------------------------------------------------------
def followers_of(reporter: str, duplicate_reporters: Sequence[str], affected: Sequence[str]) -> tuple[str, ...]:
    """Who is told when an issue is resolved besides its reporter: the reporters of the issues
    linked to it as duplicates (they follow the original), then the people who said "me too".

    Each person once, in the order they came; the reporter is never their own follower.
    """
    chosen = dict.fromkeys(p for p in (*duplicate_reporters, *affected) if p and p != reporter)
    return tuple(chosen)


# -- SLA alert thresholds -----------------------------------------------------------------------
@dataclass(frozen=True)
class ClockState:
    """What the SLA view says about one clock (times in UTC)."""

    due_at: datetime
    target_seconds: int
    stopped_at: datetime | None
    paused: bool
    paused_since: datetime | None = None


def threshold_times(due_at: datetime, target_seconds: int, at_risk_fraction: float) -> dict[str, datetime]:
    """`sla.at_risk` when `1 - fraction` of the target's length is left before due; `sla.breached` at due.

    The lead is measured in elapsed time (a business-hours clock is warned no later than its
    business-time 80 % point, since elapsed time >= business time), which is what someone on
    call can act on.
    """
    lead = timedelta(seconds=max(0, int(target_seconds)) * (1.0 - at_risk_fraction))
    return {AT_RISK: due_at - lead, BREACHED: due_at}


def alerts_due(clock: ClockState, now: datetime, at_risk_fraction: float, horizon: timedelta) -> dict[str, datetime]:
    """The thresholds of `clock` that passed while it was running, at or before `now`, and not
    longer ago than `horizon` (older ones are history, not news: an import, a first start).

    A stopped clock counts only thresholds before its stop; a paused clock only those before the
    pause began (while paused, its due time is provisional and keeps moving). When the breach is
    due, a not-yet-raised at-risk alert is dropped: the breach supersedes it.
    """
    due: dict[str, datetime] = {}
    for threshold, at in threshold_times(clock.due_at, clock.target_seconds, at_risk_fraction).items():
        if at > now or at < now - horizon:
            continue
        if clock.stopped_at is not None and clock.stopped_at <= at:
            continue
        if clock.paused and (clock.paused_since is None or clock.paused_since <= at):
            continue
        due[threshold] = at
    if BREACHED in due:
        due.pop(AT_RISK, None)  # superseded: "at risk" after the breach would be noise, not a warning
    return due


# -- retries ------------------------------------------------------------------------------------
def retry_delay(failures: int, rand: Callable[[], float]) -> timedelta | None:
    """The wait before the next attempt after `failures` failures; None once the delivery is dead.

    `rand()` returns a float in [0, 1) (injected, so tests are exact).
    """
    if failures < 1:
        return timedelta(0)
    if failures >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[failures - 1]
    return timedelta(seconds=base * (1.0 - JITTER + 2 * JITTER * rand()))


# -- signatures ---------------------------------------------------------------------------------
def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex>`: HMAC-SHA256 over `f"{timestamp}.{body}"` with the subscription's secret.

    The timestamp is inside the signed text, so a captured request cannot be replayed later
    with a fresh timestamp.
    """
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float, tolerance: float = 300.0) -> bool:
    """What a receiver does: constant-time compare, and refuse timestamps too far from now."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs(now - stamp) > tolerance:
        return False
    expected = sign(secret, stamp, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in signature.split(","))


# -- targets ------------------------------------------------------------------------------------
def check_target(kind: str, target: str) -> str:
    """The normalised target for its kind; raises InvalidCommand (field `target`)."""
    if kind not in TARGET_KINDS:
        raise InvalidCommand(f"kind must be one of {', '.join(TARGET_KINDS)}", "kind")
    if not isinstance(target, str) or not target.strip() or len(target) > 2000:
        raise InvalidCommand("target must be a URL or an e-mail address of at most 2000 characters", "target")
    target = target.strip()
    if any(ch in target for ch in "\r\n\t\x00 "):
        raise InvalidCommand("target must not contain spaces or control characters", "target")
    if kind == "email":
        if not EMAIL.match(target) or len(target) > 254:
            raise InvalidCommand(f"{target!r} is not an e-mail address", "target")
        return target
    parts = urlsplit(target)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidCommand("target must be an http(s) URL with a host", "target")
    if kind != "webhook" and parts.scheme != "https":
        raise InvalidCommand(f"a {kind} incoming-webhook URL is https", "target")
    if parts.username is not None or parts.password is not None:
        raise InvalidCommand("target must not carry credentials (user:password@)", "target")
    if parts.fragment:
        raise InvalidCommand("target must not have a #fragment", "target")
    try:
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise InvalidCommand("target has a malformed port", "target") from None
    return target


def target_host(target: str) -> tuple[str, int]:
    """Host and port of a URL target (default ports by scheme)."""
    parts = urlsplit(target)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def redact_target(kind: str, target: str) -> str:
    """The target as shown after creation: chat webhook URLs are credentials (DingTalk's
    access_token, Feishu's and Teams' hook ids), so query values and, for chat kinds, the last
    path segment are masked."""
    if kind == "email":
        return target
    parts = urlsplit(target)
    query = urlencode([(k, "***") for k, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    path = parts.path
    if kind in ("feishu", "teams") and "/" in path.rstrip("/"):
        path = path.rstrip("/").rsplit("/", 1)[0] + "/***"
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))
