"""Hostile query values and a small seeded desk, shared by the bad-input regression and fuzz tests.

The values are what broke the desk before (each kind has a regression test in
test_http_bad_query.py): times no calendar survives, integers past PostgreSQL's bigint, NUL and
other control characters, forged and oversized cursors, sign-in targets that leave the console
or split a header. The fuzz tests draw from them for every query parameter of every GET route.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, timedelta, timezone
from typing import Any

import pytest
from conftest import PARTIES, Api, issue_tokens
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st

from application.inbound_mail import InboundMessage
from application.mail_intake import MailIntake
from interfaces.http.app import create_app
from interfaces.http.settings import HttpSettings
from tests.conftest import STORES, FakeClock, console_client, enrol_with_password, fresh_store

SECRET = "hostile-input-console-signing-key-0123456789"
CONSOLE_PARTIES = ("admin", "auditor", "reporter", "sap")
BIGINT = 2**63 - 1


def forged(text: str) -> str:
    """A cursor in this server's own wrapping (base64url without padding) around `text`."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


TIMES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "1969-12-31T23:59:59Z",
    "2201-01-01T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-01-01T00:00:00+99:00",
]
INTEGERS = [
    str(BIGINT),
    str(BIGINT + 1),
    str(-BIGINT - 2),
    "99999999999999999999999999999",
    "-1",
    "1e400",
    "²",
    "١٢",
    "0x10",
]
TEXTS = ["a\x00b", "\x00", "x\x01y", "\r\n", "tab\there", "\x7f", "\x85", "\u2028", "€" * 600, "x" * 5000, "月结🙂"]
MONTHS = ["0000-01", "0001-01", "9999-12", "1969-12", "2201-01", "2026-00", "2026-13", "2026-1"]
QUARTERS = ["0000Q1", "9999Q4", "1999Q4", "2101Q1", "2026Q0", "2026Q5"]
CURSORS = [
    forged("i:99999999999999999999999"),
    forged("i:-99999999999999999999"),
    forged(f"i:{BIGINT + 1}"),
    forged("d:99999999999999999999999"),
    forged("d:-1"),
    forged("i:1\x00"),
    forged('{"s":"votes","k":1,"v":"x"}'),
    forged('{"s":"votes","k":true,"v":null}'),
    forged('{"s":"votes","k":99999999999999999999999,"v":1}'),
    forged('{"s":"recent","k":-99999999999999999999999}'),
    forged('{"s":"trending","k":1,"v":1e400,"t":"0001-01-01T00:00:00+14:00"}'),
    forged('{"s":"score","k":1,"v":[1],"t":5}'),
    forged("[" * 5000),
    "A" * 501,
    "%00",
    "not base64!",
]
TARGETS = [
    "//evil.example",
    "https://evil.example/console",
    "/console\r\nSet-Cookie: stolen=1",
    "/console/\r\nLocation: https://evil.example",
    "/\t/evil.example",
    "/console/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/console/issues\x00",
]
WITHIN = ["99999h", "0h", "9999h", "-1h", "4d"]

KNOWN = TIMES + INTEGERS + TEXTS + MONTHS + QUARTERS + CURSORS + TARGETS + WITHIN


def _json_values() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=False),
        st.text(max_size=8),
    )
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=3), max_leaves=4)


def forged_cursors() -> st.SearchStrategy[str]:
    """Cursors built like this server's, with the wrong contents: tags, numbers, JSON fields."""
    position = st.builds(
        lambda tag, number: forged(f"{tag}:{number}"),
        st.sampled_from(["i", "d", "x", ""]),
        st.one_of(st.integers(min_value=-(2**80), max_value=2**80), st.text(max_size=6)),
    )
    payload = st.builds(
        lambda fields: forged(json.dumps(fields)),
        st.fixed_dictionaries(
            {"s": st.sampled_from(["votes", "trending", "score", "recent", "x"])},
            optional={"k": _json_values(), "v": _json_values(), "t": _json_values()},
        ),
    )
    return st.one_of(position, payload, st.text(alphabet="ABCDEFabcdef0123456789-_=", max_size=600))


def hostile_text() -> st.SearchStrategy[str]:
    """Any Unicode except lone surrogates (a URL cannot carry them), control characters included."""
    return st.text(st.characters(codec="utf-8", min_codepoint=0), max_size=40)


def hostile_values() -> st.SearchStrategy[str]:
    """One value for any query parameter: a known breaker, or one generated of each kind."""
    return st.one_of(
        st.sampled_from(KNOWN),
        hostile_text(),
        _integers(),
        _times(),
        _months(),
        st.builds(lambda y, q: f"{y:04d}Q{q}", st.integers(0, 9999), st.integers(0, 9)),
        forged_cursors(),
    )


OFFSETS = [None, UTC, *(timezone(timedelta(hours=h, minutes=m)) for h, m in ((14, 0), (-14, 0), (8, 0), (5, 45)))]
"""The extremes and a few ordinary ones; `st.timezones()` costs more to draw than a request costs."""


def _times() -> st.SearchStrategy[str]:
    when = st.datetimes(timezones=st.sampled_from(OFFSETS))
    return st.one_of(when.map(lambda t: t.isoformat()), when.map(lambda t: t.isoformat(timespec="minutes")))


def _integers() -> st.SearchStrategy[str]:
    return st.integers(min_value=-(2**80), max_value=2**80).map(str)


# What a parameter's name says it holds: its known breakers and a generator of its own kind.
# The console's `from`/`to` are months where the API's are times, so they get both.
KINDS: dict[str, tuple[list[str], Any]] = {
    "time": (TIMES + MONTHS, lambda: st.one_of(_times(), _months())),
    "integer": (INTEGERS, _integers),
    "cursor": (CURSORS + INTEGERS, forged_cursors),
    "quarter": (QUARTERS, lambda: st.builds(lambda y, q: f"{y:04d}Q{q}", st.integers(0, 9999), st.integers(0, 9))),
    "text": (TEXTS, hostile_text),
    "target": (TARGETS, lambda: st.builds(lambda t: "/console/" + t, hostile_text())),
    "within": (
        WITHIN,
        lambda: st.builds(lambda n, u: f"{n}{u}", st.integers(-(2**70), 2**70), st.sampled_from("hmds")),
    ),
}
NAMES = {
    "time": ("from", "to", "at", "as_of"),
    "integer": ("after", "min_position", "limit", "version"),
    "cursor": ("cursor",),
    "quarter": ("quarter",),
    "text": ("text", "site", "reporter", "vendor", "owner", "key"),
    "target": ("next",),
    "within": ("within",),
}
KIND_OF = {name: kind for kind, names in NAMES.items() for name in names}


def _months() -> st.SearchStrategy[str]:
    return st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(0, 9999), st.integers(0, 13))


def values_for(name: str) -> st.SearchStrategy[str]:
    """Generated values for the parameter `name`: of its own kind, and any hostile value as well,
    since a route may read a name in a way nobody expected (the known breakers are swept first)."""
    kind = KIND_OF.get(name)
    if kind is None:
        return hostile_values()
    generated = KINDS[kind][1]
    return st.one_of(generated(), hostile_values())


ANY_NAME = ["\x00", "a\x00b", "\r\n", "x" * 5000, str(BIGINT + 1), "-1", "0001-01-01T00:00:00+14:00", CURSORS[0]]
"""For a parameter whose name says nothing of its kind (a sort, a state, a format)."""


def known_breakers(name: str) -> list[str]:
    """Every known breaker of the kind `name` holds, for the sweep that precedes generation."""
    kind = KIND_OF.get(name)
    return KINDS[kind][0] if kind is not None else ANY_NAME


def _parts(response: Any) -> tuple[int, str, bytes]:
    """Status, media type and body of a Flask test response or a schemathesis one (whose header
    names are lower case and whose values are lists)."""
    if isinstance(response.headers, dict):
        content_type = (response.headers.get("content-type") or [""])[0]
        body = response.content
    else:
        content_type = response.headers.get("Content-Type", "")
        body = response.get_data()
    return response.status_code, content_type.split(";")[0].strip().lower(), body


def problem_or_page(response: Any, console: bool) -> str | None:
    """Why an answer is wrong (None when it is right): never 5xx; a 4xx of the API is
    problem+json with the status and a detail, a 4xx of the console an HTML page saying why."""
    status, mimetype, body = _parts(response)
    if status >= 500:
        return f"{status}"
    if status < 400:
        return None
    if console:
        if mimetype != "text/html":
            return f"{status} as {mimetype}"
        text = body.decode("utf-8", "replace")
        if 'class="lede"' not in text and 'role="alert"' not in text:
            return f"{status} without a message"
        return None
    if mimetype != "application/problem+json":
        return f"{status} as {mimetype}"
    problem = json.loads(body)
    if problem.get("status") != status or not problem.get("detail"):
        return f"{status} with body {problem!r:.200}"
    return None


@dataclass
class World:
    """A desk with one of everything a GET route can name, and who may call."""

    app: Flask
    api: Api
    paths: dict[str, str]
    consoles: dict[str, FlaskClient] = field(default_factory=dict)
    tried: int = 0
    failures: list[str] = field(default_factory=list)

    def check(self, label: str, response: Any, console: bool) -> None:
        self.tried += 1
        wrong = problem_or_page(response, console)
        if wrong is not None:
            self.failures.append(f"{label}: {wrong}")

    @property
    def server_errors(self) -> list[str]:
        return [f for f in self.failures if re.search(r": 5\d\d$", f)]


HOSTILE_PASSWORD = "Seven tired herons at the Tsuen Wan depot"


def sign_in(app: Flask, party: str) -> FlaskClient:
    """The party's console session, through the login form as its person (tokens pasted into the
    console are an administrators' fallback only)."""
    role, login = PARTIES[party]
    enrol_with_password(app.extensions["kaizen"].desk, login, [role], HOSTILE_PASSWORD)
    client: FlaskClient = console_client(app, login=login, password=HOSTILE_PASSWORD)
    return client


def seed(app: Flask) -> World:
    api = Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))
    key = api.report()
    api.post(f"/api/v1/issues/{key}/escalate", {"vendor": "sap", "vendor_ticket": "INC-1"})
    api.post(f"/api/v1/issues/{key}/workarounds", {"kind": "other", "description": "d", "retire_by": "2026-05-01"})
    suggestion = api.submit()
    api.post(f"/api/v1/suggestions/{suggestion}/votes", as_="reporter2")
    meeting = api.post(
        "/api/v1/meetings",
        {"cadence": "monthly", "date": "2026-03-20", "attendees": [{"name": "Ms Chan", "department": "finance"}]},
    ).get_json()["key"]
    created = api.post(
        "/api/v1/subscriptions", {"kind": "email", "target": "ops@example.com", "events": ["issue.reported"]}
    )
    api.post("/api/v1/groups", {"id": "finance", "name": "Finance", "kind": "department"})
    terms = {"labels_enforced": True, "labels": {"P1": "Very High", "P2": "High", "P3": "Medium", "P4": "Low"}}
    api.client.put("/api/v1/vendors/sap/terms", json=terms, headers=api.headers("admin", None))  # a version 1
    attached = api.client.post(
        f"/api/v1/issues/{key}/attachments",
        data={"file": (io.BytesIO(b"qty,sku\n1,A\n"), "count.csv", "text/csv")},
        content_type="multipart/form-data",
        headers=api.headers("admin", None),
    )
    rule: dict[str, Any] = {"trigger": "vendor_update_overdue", "vendor": "sap", "after": "PT3H"}
    rule["action"] = {"type": "remind_vendor_team"}
    api.client.put("/api/v1/automation/rules/remind-sap", json=rule, headers=api.headers("admin", None))
    stray = InboundMessage(
        message_id="stray@home.example",
        uid_key="INBOX/1/1",
        from_address="someone@home.example",
        to_addresses=("support@kaizen.example",),
        subject="Printer",
        text="It jams.",
        headers={},
        raw=b"From: someone@home.example\r\nSubject: Printer\r\n\r\nIt jams.\r\n",
    )
    quarantined = MailIntake(app.extensions["kaizen"].desk).take(stray)
    last = api.post(f"/api/v1/issues/{key}/comments", {"body": "seen"})
    position = int(last.headers["X-Event-Position"])
    app.extensions["kaizen"].read.wait_for(position, 10)
    paths = {
        "key": key,
        "suggestion": suggestion,
        "meeting": meeting,
        "subscription_id": created.get_json()["id"],
        "vendor": "sap",
        "quarter": "2026Q1",
        "delivery_id": "1",
        "person": PARTIES["reporter"][1],
        "secret": "x" * 43,
        "person_id": PARTIES["reporter"][1],
        "group_id": "finance",
        "attachment_id": attached.get_json()["id"],
        "rule_id": "remind-sap",
        "quarantine_id": quarantined.quarantine_id or "",
    }
    world = World(app, api, paths)
    world.consoles = {party: sign_in(app, party) for party in CONSOLE_PARTIES}
    return world


@pytest.fixture(scope="module", params=STORES)
def hostile_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`store_url`'s two stores, shared by a module's tests: they only read (GETs, sign-ins), and
    seeding a desk per test cost more than every request they send."""
    yield from fresh_store(request, tmp_path_factory.mktemp("hostile"))


@pytest.fixture(name="world", scope="module")
def world_fixture(hostile_store: str) -> Iterator[World]:
    """The seeded desk with its projections running and the console on (PostgreSQL needs the key)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KAIZEN_SECRET_KEY", SECRET)
        app = create_app(
            HttpSettings(database_url=hostile_store, run_projections=True, clock=FakeClock(), rate_limit=None)
        )
        try:
            yield seed(app)
        finally:
            app.extensions["kaizen"].close()


__all__ = [
    "World",
    "forged",
    "hostile_store",
    "hostile_values",
    "problem_or_page",
    "seed",
    "values_for",
    "world_fixture",
]
