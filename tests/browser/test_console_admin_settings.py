"""The administrators' settings, acted out in the browser: an SLA policy edited as a form (and
refused exactly as the API refuses it), freeze windows added and removed, subscriptions created
and revoked; vendors and reporters are turned away and their posts write nothing.

These tests change the shared settings (a new SAP policy version, freeze windows), which other
modules' pages count, so this module runs its own small server on a fresh store of each kind
(the people of `PEOPLE` and one reported issue), not the shared demo server.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from werkzeug.serving import make_server

from application.config import store_settings
from application.context import Context
from application.desk import KaizenDesk
from domain.errors import TransitionRefused
from interfaces.http.app import create_app
from interfaces.http.settings import HttpSettings
from interfaces.web.secret import SECRET_ENV
from tests.browser.conftest import ADMIN, NOW, PEOPLE, SECRET, Console, ensure_person
from tests.conftest import STORES, fresh_store

pytestmark = pytest.mark.xdist_group("browser")

ISSUE_TITLE = "Posting period cannot be closed"


@pytest.fixture(scope="module", params=STORES)
def settings_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from fresh_store(request, tmp_path_factory.mktemp("settings"))


@pytest.fixture(scope="module")
def console(settings_store: str) -> Iterator[Console]:
    """This module's own server (overrides the shared one for `open_as`)."""
    seeding = KaizenDesk(store_settings(settings_store), clock=lambda: NOW)
    try:
        for who in PEOPLE.values():
            ensure_person(seeding, who)
    finally:
        seeding.close()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SECRET_ENV, SECRET)
        app = create_app(
            HttpSettings(database_url=settings_store, run_projections=True, clock=lambda: NOW, rate_limit=None)
        )
    services = app.extensions["kaizen"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="settings-server", daemon=True)
    thread.start()
    store = "sqlite" if settings_store.startswith("sqlite") else "postgres"
    try:
        yield Console(f"http://127.0.0.1:{server.server_port}", store, {}, {}, services.desk)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        services.close()


@pytest.fixture(scope="module")
def issue_key(console: Console) -> str:
    """An open SAP issue to schedule changes on."""
    receipt = console.desk.report(
        Context(ADMIN),
        title=ISSUE_TITLE,
        description="The June period stays open in FI.",
        module="finance",
        impact_scope="department",
        urgency="degraded",
        vendor="sap",
    )
    assert receipt.key is not None
    return receipt.key


def press(page: Any, selector: str) -> Any:
    """Click a button that posts a form; the answer to that post."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(selector)
    page.wait_for_load_state()
    return answer.value


def test_admin_edits_a_target_and_a_new_version_appears(open_as: Any, console: Console, shoot: Any) -> None:
    before = console.desk.get_policy("sap").version
    admin = open_as("admin")
    admin.click("nav.main-nav >> text=Settings")
    admin.click("text=Vendors' SLA policies")
    admin.click("tr[data-vendor=sap] th a")
    admin.wait_for_url(re.compile(r"/console/admin/vendors/sap$"))
    response = admin.locator('[name="targets.P2.response"]')
    old = response.input_value()
    assert old  # pre-filled with the version in force
    response.fill("PT3H30M")
    assert press(admin, "button[data-action=sla-policy]").status == 303
    policy = console.desk.get_policy("sap")
    assert policy.version == before + 1
    assert policy.document["targets"]["P2"]["response"] == "PT3H30M"
    assert admin.locator('[name="targets.P2.response"]').input_value() == "PT3H30M"
    newest = admin.locator("ul.policy-versions > li").first
    assert newest.get_attribute("data-version") == str(policy.version)
    assert "targets.P2.response" in newest.inner_text() and "PT3H30M" in newest.inner_text()
    shoot(admin, "admin-vendor")
    newest.locator("a", has_text="View").click()
    assert "PT3H30M" in admin.locator("section.past-version pre").inner_text()
    admin.click("text=This vendor's SLA figures")
    admin.wait_for_url(re.compile(r"/console/vendors/sap$"))


@pytest.mark.parametrize("typed", ["PT0H", "nonsense"])
def test_a_bad_target_is_refused_beside_its_input_and_nothing_changes(
    open_as: Any, console: Console, typed: str
) -> None:
    before = console.desk.get_policy("sap")
    admin = open_as("admin")
    admin.goto(console.url("/console/admin/vendors/sap"))
    admin.fill('[name="targets.P2.response"]', typed)
    admin.fill('[name="labels.P1"]', "Sehr hoch")
    assert press(admin, "button[data-action=sla-policy]").status == 422
    error = admin.locator("#e-in-targets-P2-response")
    assert "targets.P2.response: must be a positive ISO 8601 duration" in error.inner_text()
    assert error.get_attribute("role") == "alert"
    assert admin.locator('[name="targets.P2.response"]').input_value() == typed  # kept as typed
    assert admin.locator('[name="labels.P1"]').input_value() == "Sehr hoch"
    assert "422" in admin.locator("#policy-error").inner_text()
    after = console.desk.get_policy("sap")
    assert (after.version, after.document) == (before.version, before.document)


def test_a_calendar_error_is_shown_beside_the_hours_and_a_stale_form_is_refused(
    open_as: Any, browser: Any, console: Console
) -> None:
    admin = open_as("admin")
    admin.goto(console.url("/console/admin/vendors/sap"))
    admin.fill('[name="new_calendar.name"]', "night-shift")
    admin.fill('[name="new_calendar.timezone"]', "Asia/Hong_Kong")
    admin.fill('[name="new_calendar.hours"]', "mon 18:00-09:00")
    assert press(admin, "button[data-action=sla-policy]").status == 422
    assert "calendars.night-shift.hours.mon[0]" in admin.locator("#e-in-new_calendar-hours").inner_text()
    assert admin.locator('[name="new_calendar.hours"]').input_value() == "mon 18:00-09:00"

    other = open_as("admin")  # a second administrator, on the same version
    other.goto(console.url("/console/admin/vendors/sap"))
    admin.goto(console.url("/console/admin/vendors/sap"))
    admin.fill('[name="targets.P4.resolution"]', "PT100H")
    assert press(admin, "button[data-action=sla-policy]").status == 303
    published = console.desk.get_policy("sap")
    other.fill('[name="targets.P3.response"]', "PT9H")
    assert press(other, "button[data-action=sla-policy]").status == 412
    assert "412" in other.locator("#policy-error").inner_text()
    assert other.locator('[name="targets.P3.response"]').input_value() == "PT9H"
    assert console.desk.get_policy("sap").version == published.version


def test_admin_adds_and_removes_a_freeze_window_that_refuses_changes(
    open_as: Any, console: Console, issue_key: str, shoot: Any
) -> None:
    admin = open_as("admin")
    admin.goto(console.url("/console/admin/freeze-windows"))
    admin.fill("#fw-name", "ERP upgrade")
    admin.fill("#fw-from", "2026-07-10T00:00")
    admin.fill("#fw-to", "2026-07-09T00:00")  # before from: refused as the API refuses it
    assert press(admin, "button[data-action=freeze-windows]").status == 422
    assert "must be after from" in admin.locator("#e-fw-to").inner_text()
    assert admin.locator("#fw-name").input_value() == "ERP upgrade"
    assert console.desk.get_freeze_windows().document["windows"] == []
    admin.fill("#fw-to", "2026-07-12T00:00")
    assert press(admin, "button[data-action=freeze-windows]").status == 303
    row = admin.locator("tr[data-window='ERP upgrade']")
    assert "2026-07-10 00:00" in row.inner_text()
    shoot(admin, "freeze-windows")

    key = issue_key
    inside = datetime(2026, 7, 11, 3, 0, tzinfo=UTC)
    with pytest.raises(TransitionRefused, match="inside the freeze window ERP upgrade"):
        console.desk.schedule_change(Context(ADMIN), key, scheduled_for=inside, description="Apply SAP note")
    console.desk.schedule_change(
        Context(ADMIN), key, scheduled_for=inside, description="Apply SAP note", override_reason="Fix is urgent"
    )

    assert press(admin, "tr[data-window='ERP upgrade'] button[data-action=freeze-windows]").status == 303
    assert admin.locator("tr[data-window='ERP upgrade']").count() == 0
    assert console.desk.freeze_window_at(inside) is None


def test_admin_creates_and_revokes_a_subscription(open_as: Any, console: Console, shoot: Any) -> None:
    admin = open_as("admin")
    admin.goto(console.url("/console/admin/subscriptions"))
    admin.fill("#sub-name", "Ops hook")
    admin.select_option("#sub-kind", "webhook")
    admin.fill("#sub-target", "https://127.0.0.1/hook")  # loopback: refused by the egress policy
    admin.check("input[name=events] >> nth=0")
    assert press(admin, "button[data-action=subscriptions]").status == 422
    assert "target refused" in admin.locator("#e-sub-target").inner_text()
    assert admin.locator("#sub-name").input_value() == "Ops hook"
    assert console.desk.list_subscriptions() == []

    admin.select_option("#sub-kind", "email")
    admin.fill("#sub-target", "it-ops@example.com")
    admin.check("input[name='filters.vendor'][value=sap]")
    assert press(admin, "button[data-action=subscriptions]").status == 201
    secret = admin.locator("#subscription-secret").input_value()
    assert len(secret) >= 16
    (created,) = console.desk.list_subscriptions()
    row = admin.locator(f"tr[data-subscription={created.key}]")
    assert "vendor: sap" in row.inner_text()
    shoot(admin, "subscriptions")
    admin.goto(console.url("/console/admin/subscriptions"))
    assert secret not in admin.content()  # shown once, never again
    assert press(admin, f"tr[data-subscription={created.key}] button[data-action=revoke]").status == 303
    assert admin.locator(f"tr[data-subscription={created.key}]").get_attribute("data-status") == "revoked"
    assert console.desk.get_subscription(created.key).revoked_at is not None


PAGES = ("/console/admin/vendors/sap", "/console/admin/freeze-windows", "/console/admin/subscriptions")


@pytest.mark.parametrize("party", ["sap", "reporter"])
def test_vendors_and_reporters_are_refused_and_write_nothing(open_as: Any, console: Console, party: str) -> None:
    page = open_as(party)
    for path in (*PAGES, "/console/admin", "/console/admin/vendors"):
        assert page.goto(console.url(path)).status == 403, path
    assert page.locator("nav.main-nav >> text=Settings").count() == 0
    before = (console.desk.get_policy("sap").version, console.desk.get_freeze_windows().version)
    subscriptions = len(console.desk.list_subscriptions())
    token = re.search(r'name="csrf" value="([^"]+)"', page.goto(console.url("/console/me")).text())
    assert token is not None
    posts = {
        "/console/admin/vendors/sap": {"targets.P2.response": "PT1H", "targets.P2.calendar": "x"},
        "/console/admin/freeze-windows": {"name": "Sneaky", "from": "2026-07-01T00:00", "to": "2026-07-02T00:00"},
        "/console/admin/subscriptions": {"kind": "email", "target": "x@example.com", "events": "issue.reported"},
    }
    for path, form in posts.items():
        answer = page.request.post(console.url(path), form={**form, "csrf": token.group(1)})
        assert answer.status == 403, path
    assert (console.desk.get_policy("sap").version, console.desk.get_freeze_windows().version) == before
    assert len(console.desk.list_subscriptions()) == subscriptions


def test_the_auditor_reads_without_forms(open_as: Any, console: Console) -> None:
    auditor = open_as("auditor")
    for path in PAGES:
        assert auditor.goto(console.url(path)).status == 200, path
        assert auditor.locator("button[data-action]").count() == 0, path
