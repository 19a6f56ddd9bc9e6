"""Vendor terms edited in the browser on the vendor's settings page: saved as the API stores them,
and a bad fee refused beside its input with what was typed kept and nothing written.

Runs on the settings module's own server (`tests/browser/test_console_admin_settings.py`): these
tests change the shared settings, which the demo server's other pages count.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.accessibility import assert_accessible, require_axe
from tests.browser.conftest import Console
from tests.browser.test_console_admin_settings import console, press, settings_store  # noqa: F401 (fixtures)

pytestmark = pytest.mark.xdist_group("browser")


def test_admin_saves_oracles_terms_and_the_api_reads_them(open_as: Any, console: Console) -> None:  # noqa: F811
    admin = open_as("admin")
    admin.goto(console.url("/console/admin/vendors/oracle"))
    section = admin.locator("section.vendor-terms")
    assert "incident_quota" in (section.locator("[data-placeholders]").get_attribute("data-placeholders") or "")
    assert admin.locator('[name="terms.labels.P1"]').input_value() == "Severity 1"
    admin.fill('[name="terms.escalation_fees.currency"]', "USD")
    admin.fill('[name="terms.escalation_fees.P1"]', "500")
    admin.select_option('[name="terms.incident_quota.period"]', "quarter")
    admin.fill('[name="terms.incident_quota.count"]', "6")
    assert press(admin, "button[data-action=vendor-terms]").status == 303
    terms = console.desk.get_vendor_terms("oracle")
    assert terms.document is not None and terms.version >= 1
    assert terms.document["escalation_fees"]["P1"] == {"amount": "500.00", "currency": "USD"}
    assert terms.document["incident_quota"] == {"period": "quarter", "count": 6}
    assert admin.locator('[name="terms.escalation_fees.P1"]').input_value() == "500.00"


def test_a_bad_fee_is_refused_beside_its_input(open_as: Any, console: Console) -> None:  # noqa: F811
    before = console.desk.get_vendor_terms("microsoft")
    admin = open_as("admin")
    admin.goto(console.url("/console/admin/vendors/microsoft"))
    admin.fill('[name="terms.escalation_fees.currency"]', "USD")
    admin.fill('[name="terms.escalation_fees.P2"]', "12.345")
    assert press(admin, "button[data-action=vendor-terms]").status == 422
    error = admin.locator("#e-vt-escalation_fees-P2")
    assert "escalation_fees.P2" in error.inner_text() and error.get_attribute("role") == "alert"
    assert admin.locator('[name="terms.escalation_fees.P2"]').input_value() == "12.345"
    assert "422" in admin.locator("#terms-error").inner_text()
    after = console.desk.get_vendor_terms("microsoft")
    assert (after.version, after.document) == (before.version, before.document)


@pytest.mark.parametrize("party", ["admin", "auditor"])
def test_the_terms_section_has_no_serious_accessibility_violation(
    open_as: Any,
    console: Console,  # noqa: F811
    party: str,
) -> None:
    require_axe()
    page = open_as(party)
    page.goto(console.url("/console/admin/vendors/sap"))
    assert page.locator("#h-terms").count() == 1
    assert (page.locator("button[data-action=vendor-terms]").count() == 1) == (party == "admin")
    assert_accessible(page)
