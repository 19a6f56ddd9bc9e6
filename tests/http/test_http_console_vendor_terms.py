"""The vendor terms section of /console/admin/vendors/{vendor}, on both stores: the default's
placeholders shown, a save that the API then reads, and a refusal shown beside its input with
what was typed kept, the API's status, and nothing written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.context import Context
from domain.actor import SYSTEM
from interfaces.http.app import create_app
from interfaces.http.settings import HttpSettings
from interfaces.web.secret import SECRET_ENV
from tests.conftest import ADMIN, FakeClock, console_client

FORM = {
    "terms.labels_enforced": "1",
    "terms.labels.P1": "Very High",
    "terms.labels.P2": "High",
    "terms.labels.P3": "Medium",
    "terms.labels.P4": "Low",
    "terms.incident_quota.period": "year",
    "terms.incident_quota.count": "12",
    "terms.escalation_fees.currency": "USD",
    "terms.escalation_fees.P1": "500.00",
    "terms.mail_from": "@sap.com\nsupport@sap.com",
    "terms.service_credits": "95 5\n90 10",
    "terms.fixed_team": "",
}


@pytest.fixture
def admin(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, FlaskClient]]:
    monkeypatch.setenv(SECRET_ENV, "vendor-terms-console-test-signing-key-0123456789")
    app = create_app(HttpSettings(database_url=store_url, clock=FakeClock(), rate_limit=None))
    token = app.extensions["kaizen"].desk.issue_token(Context(SYSTEM), "admin", ADMIN.id)[1]
    try:
        yield app, console_client(app, token=token)
    finally:
        app.extensions["kaizen"].close()


def post(client: FlaskClient, vendor: str, form: dict[str, str]) -> Any:
    page = client.get(f"/console/admin/vendors/{vendor}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    version = re.search(
        r'action="/console/admin/vendors/[a-z]+/terms"[^>]*>\s*<input[^>]*>\s*<input type="hidden" '
        r'name="version" value="(\d*)"',
        page,
    )
    assert csrf is not None and version is not None
    data = {**form, "csrf": csrf.group(1), "version": version.group(1)}
    return client.post(f"/console/admin/vendors/{vendor}/terms", data=data)


def test_the_default_terms_show_their_placeholders(admin: tuple[Flask, FlaskClient]) -> None:
    page = admin[1].get("/console/admin/vendors/sap")
    assert page.status_code == 200
    assert 'id="h-terms"' in page.text and 'data-action="vendor-terms"' in page.text
    assert re.search(r'data-placeholders="[^"]*incident_quota', page.text)
    assert 'name="terms.labels.P1" value="Very High"' in page.text


def test_saved_terms_are_what_the_api_reads(admin: tuple[Flask, FlaskClient]) -> None:
    app, client = admin
    answer = post(client, "sap", FORM)
    assert answer.status_code == 303, answer.text
    view = app.extensions["kaizen"].desk.get_vendor_terms("sap")
    assert view.version == 1
    assert view.document["escalation_fees"] == {"P1": {"amount": "500.00", "currency": "USD"}}
    assert view.document["incident_quota"] == {"period": "year", "count": 12}
    assert view.document["service_credits"][1] == {"below_percent_met": 90, "credit_percent": 10}


def test_a_refused_form_keeps_what_was_typed_and_writes_nothing(admin: tuple[Flask, FlaskClient]) -> None:
    app, client = admin
    answer = post(client, "sap", {**FORM, "terms.escalation_fees.P1": "-5"})
    assert answer.status_code == 422
    assert re.search(r'<span class="field-error" role="alert" id="e-vt-escalation_fees-P1">', answer.text)
    assert 'value="-5"' in answer.text and "support@sap.com" in answer.text
    assert app.extensions["kaizen"].desk.get_vendor_terms("sap").version == 0
