"""Calendars per site, on both stores, through the HTTP contract and the console.

The internal team answers an issue in the office hours of the site it was reported at (the
internal policy's `site_calendars`); a freeze window may name the sites it freezes. Every due
time below is worked out by hand in the comments.

Dates: Wednesday 18 March 2026; Thursday 19 March is Nyepi (the Day of Silence), a public
holiday in Indonesia and not in Hong Kong; Friday 20 March is a working day in both. Jakarta is
UTC+7 (no DST), Hong Kong UTC+8; both offices open Mon-Fri 09:00-18:00 in the shipped default.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from interfaces.web.secret import SECRET_ENV
from tests.conftest import FakeClock, console_client
from tests.http.conftest import Api, build_app, issue_tokens

V1 = "/api/v1"
# 10:45 UTC: 17:45 in Jakarta (its office still open for 15 minutes), 18:45 in Hong Kong (closed).
REPORTED_AT = datetime(2026, 3, 18, 10, 45, tzinfo=UTC)
INTERNAL_ISSUE = {
    "title": "Stock count posting fails",
    "description": "The count cannot be posted",
    "module": "warehouse",
    "impact_scope": "company",
    "urgency": "blocking",  # company x blocking = P1: internal response PT30M, resolution PT8H
    "vendor": "internal",
}


@pytest.fixture
def site_api(store_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """An app whose projections run in-process (the SLA view answers `/issues/{key}/sla`)."""
    monkeypatch.setenv(SECRET_ENV, "site-calendars-console-test-signing-key-0123456789")
    clock.now = REPORTED_AT
    app = build_app(store_url, clock, run_projections=True)
    try:
        yield Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))
    finally:
        app.extensions["kaizen"].close()


def put(api: Api, path: str, body: Any, headers: dict[str, str] | None = None) -> TestResponse:
    return api.client.put(
        path, data=json.dumps(body), content_type="application/json", headers=api.headers("admin", headers)
    )


def reported(api: Api, **changes: Any) -> tuple[str, str]:
    """Report an issue; its key and the `min_position` that waits for the views to see it."""
    answer = api.post(f"{V1}/issues", {**INTERNAL_ISSUE, **changes}, as_="reporter")
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["key"], answer.headers["X-Event-Position"]


def internal_due(api: Api, key: str, position: str) -> dict[str, str]:
    answer = api.get(f"{V1}/issues/{key}/sla?min_position={position}")
    assert answer.status_code == 200, answer.get_json()
    clocks = answer.get_json()["clocks"]
    return {c["kind"]: c["due_at"] for c in clocks if c["kind"].startswith("internal_")}


def test_a_jakarta_issue_skips_nyepi_and_counts_jakarta_office_hours(site_api: Api) -> None:
    jakarta, _ = reported(site_api, site="JKT")
    hong_kong, _ = reported(site_api, site="HK")
    nowhere, position = reported(site_api)  # no site: the policy's own calendar (Hong Kong)

    # Jakarta: 15 minutes on Wed (17:45-18:00 WIB); Thu 19 Mar is Nyepi, closed; Fri 20 Mar opens
    # 09:00 WIB = 02:00Z. Response PT30M: the other 15 minutes -> 02:15Z. Resolution PT8H: 7h45m
    # more -> 16:45 WIB = 09:45Z on Friday.
    assert internal_due(site_api, jakarta, position) == {
        "internal_response": "2026-03-20T02:15:00Z",
        "internal_resolution": "2026-03-20T09:45:00Z",
    }
    # Hong Kong: closed at 18:45 HKT; Thu 19 Mar is a working day there, opening 09:00 HKT = 01:00Z.
    # Response PT30M -> 01:30Z; resolution PT8H -> 17:00 HKT = 09:00Z on Thursday.
    hong_kong_due = {"internal_response": "2026-03-19T01:30:00Z", "internal_resolution": "2026-03-19T09:00:00Z"}
    assert internal_due(site_api, hong_kong, position) == hong_kong_due
    assert internal_due(site_api, nowhere, position) == hong_kong_due

    # The compliance report still groups these clocks by site.
    by_site = site_api.get(f"{V1}/reports/sla-compliance?group_by=site&min_position={position}").get_json()
    assert {row["site"] for row in by_site["items"]} >= {"JKT", "HK"}


def test_the_internal_default_lists_the_five_offices_and_old_documents_still_load(site_api: Api) -> None:
    default = site_api.get(f"{V1}/vendors/internal/sla-policy").get_json()
    assert default["version"] == 0
    assert default["site_calendars"] == {
        "CMB": "cmb-office",
        "HCM": "hcm-office",
        "HK": "hk-office",
        "JKT": "jkt-office",
        "SG": "sg-office",
    }
    offices = {name: (cal["timezone"], cal["holidays"]["country"]) for name, cal in default["calendars"].items()}
    assert offices == {
        "hk-office": ("Asia/Hong_Kong", "HK"),
        "sg-office": ("Asia/Singapore", "SG"),
        "jkt-office": ("Asia/Jakarta", "ID"),
        "hcm-office": ("Asia/Ho_Chi_Minh", "VN"),
        "cmb-office": ("Asia/Colombo", "LK"),
    }

    # A document without site_calendars (as every policy published before them): accepted,
    # answered without the key, and every site's clocks count on the priority's calendar.
    old_style = {k: default[k] for k in ("calendars", "targets", "labels")}
    published = put(site_api, f"{V1}/vendors/internal/sla-policy", old_style)
    assert published.status_code == 200, published.get_json()
    assert "site_calendars" not in published.get_json()
    key, position = reported(site_api, site="JKT")
    assert internal_due(site_api, key, position) == {
        "internal_response": "2026-03-19T01:30:00Z",  # Hong Kong's hours: Nyepi is not skipped
        "internal_resolution": "2026-03-19T09:00:00Z",
    }

    # A site naming a calendar the policy does not have: 422 naming the path, nothing published.
    bad = put(site_api, f"{V1}/vendors/internal/sla-policy", {**old_style, "site_calendars": {"JKT": "nope"}})
    assert bad.status_code == 422
    assert "site_calendars.JKT: unknown calendar 'nope'" in bad.get_json()["detail"]
    twice = put(
        site_api,
        f"{V1}/vendors/internal/sla-policy",
        {**old_style, "site_calendars": {"JKT": "jkt-office", "jkt": "hk-office"}},
    )
    assert twice.status_code == 422 and "sites ignore case" in twice.get_json()["detail"]
    assert site_api.get(f"{V1}/vendors/internal/sla-policy").get_json()["version"] == 1


STOCKTAKE: dict[str, Any] = {
    "name": "Jakarta stocktake",
    "from": "2026-03-25T00:00:00+07:00",
    "to": "2026-03-27T00:00:00+07:00",
    "sites": ["JKT"],
}
FREEZE: dict[str, Any] = {
    "timezone": "Asia/Hong_Kong",
    "month_end": None,
    "windows": [
        STOCKTAKE,
        {"name": "ERP upgrade", "from": "2026-04-10T00:00:00+08:00", "to": "2026-04-11T00:00:00+08:00"},
    ],
}
IN_STOCKTAKE = "2026-03-26T10:00:00+07:00"


def test_a_site_freeze_window_refuses_only_that_sites_changes(site_api: Api) -> None:
    published = put(site_api, f"{V1}/freeze-windows", FREEZE)
    assert published.status_code == 200, published.get_json()
    assert published.get_json()["windows"][0]["sites"] == ["JKT"]
    assert "sites" not in published.get_json()["windows"][1]  # a window for every site, stored as before
    jakarta, _ = reported(site_api, site="JKT")
    colombo, _ = reported(site_api, site="CMB")
    nowhere, _ = reported(site_api)
    change = {"scheduled_for": IN_STOCKTAKE, "description": "apply the count fix"}

    refused = site_api.post(f"{V1}/issues/{jakarta}/changes", change)
    assert refused.status_code == 409 and "Jakarta stocktake" in refused.get_json()["detail"]
    overridden = {**change, "override_reason": "blocks the count"}
    assert site_api.post(f"{V1}/issues/{jakarta}/changes", overridden).status_code == 200
    assert site_api.post(f"{V1}/issues/{colombo}/changes", change).status_code == 200
    assert site_api.post(f"{V1}/issues/{nowhere}/changes", change).status_code == 200  # no site, not frozen
    # A window without sites still freezes every site.
    upgrade = {"scheduled_for": "2026-04-10T12:00:00+08:00", "description": "after the upgrade"}
    assert site_api.post(f"{V1}/issues/{colombo}/changes", upgrade).status_code == 409

    # The check and the occurrences answer per site when asked, and show every window otherwise.
    def check(site: str | None) -> Any:
        query = f"at={IN_STOCKTAKE.replace('+', '%2B')}" + (f"&site={site}" if site else "")
        return site_api.get(f"{V1}/freeze-windows/check?{query}").get_json()["window"]

    assert check(None)["name"] == "Jakarta stocktake" and check(None)["sites"] == ["JKT"]
    assert check("jkt")["name"] == "Jakarta stocktake"  # sites ignore case
    assert check("CMB") is None
    span = "from=2026-03-01T00:00:00Z&to=2026-05-01T00:00:00Z"
    every = site_api.get(f"{V1}/freeze-windows/occurrences?{span}").get_json()["items"]
    assert [w["name"] for w in every] == ["Jakarta stocktake", "ERP upgrade"]
    colombo_only = site_api.get(f"{V1}/freeze-windows/occurrences?{span}&site=CMB").get_json()["items"]
    assert [(w["name"], w["sites"]) for w in colombo_only] == [("ERP upgrade", [])]

    bad = put(site_api, f"{V1}/freeze-windows", {**FREEZE, "windows": [{**STOCKTAKE, "sites": "JKT"}]})
    assert bad.status_code == 422 and "windows[0].sites" in bad.get_json()["errors"]


# -- the console ----------------------------------------------------------------------------------


def _console(api: Api) -> FlaskClient:
    client: FlaskClient = console_client(api.app, token=api.tokens["admin"])
    return client


Form = dict[str, str] | list[tuple[str, str]]


def _form_post(client: FlaskClient, page_path: str, action: str, form: Form) -> TestResponse:
    page = client.get(page_path).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    version = re.search(
        rf'action="{re.escape(action)}"[^>]*>\s*<input[^>]*>\s*<input type="hidden" name="version" value="(\d*)"',
        page,
    )
    assert csrf is not None and version is not None
    pairs = list(form.items()) if isinstance(form, dict) else list(form)
    data = MultiDict([*pairs, ("csrf", csrf.group(1)), ("version", version.group(1))])
    return client.post(action, data=data)


def test_the_console_freeze_window_form_takes_sites(site_api: Api) -> None:
    client = _console(site_api)
    path = "/console/admin/freeze-windows"
    window = {"name": "Colombo go-live", "from": "2026-03-25T00:00", "to": "2026-03-26T00:00"}
    added = _form_post(client, path, path, {**window, "sites": "CMB, HCM"})
    assert added.status_code == 303, added.text
    stored = site_api.get(f"{V1}/freeze-windows").get_json()["windows"]
    assert [(w["name"], w["sites"]) for w in stored] == [("Colombo go-live", ["CMB", "HCM"])]
    page = client.get(path).text
    assert re.search(r'data-window="Colombo go-live">.*?CMB, HCM', page, re.S)

    # No sites typed: a window for every site. A malformed site is refused beside its input.
    assert _form_post(client, path, path, {**window, "name": "All hands", "sites": ""}).status_code == 303
    every = site_api.get(f"{V1}/freeze-windows").get_json()["windows"]
    assert "sites" not in next(w for w in every if w["name"] == "All hands")
    refused = _form_post(client, path, path, {**window, "name": "Twice", "sites": "JKT jkt"})
    assert refused.status_code == 422
    assert 'id="e-fw-sites"' in refused.text and 'value="JKT jkt"' in refused.text
    assert len(site_api.get(f"{V1}/freeze-windows").get_json()["windows"]) == 2


def test_the_console_policy_form_keeps_and_edits_site_calendars(site_api: Api) -> None:
    client = _console(site_api)
    path = "/console/admin/vendors/internal"
    page = client.get(path).text
    shown = re.search(r'<textarea id="in-site_calendars" name="site_calendars"[^>]*>([^<]*)</textarea>', page)
    assert shown is not None and "JKT jkt-office" in shown.group(1)
    # Save the form as shown, less Colombo's line: the other four sites are kept.
    kept = "\n".join(line for line in shown.group(1).splitlines() if not line.startswith("CMB"))
    form = [*_policy_form(page), ("site_calendars", kept)]
    saved = _form_post(client, path, path, form)
    assert saved.status_code == 303, saved.text
    policy = site_api.get(f"{V1}/vendors/internal/sla-policy").get_json()
    assert policy["version"] == 1 and set(policy["site_calendars"]) == {"HK", "SG", "JKT", "HCM"}
    refused = _form_post(client, path, path, [*_policy_form(page), ("site_calendars", "JKT no-such-calendar")])
    assert refused.status_code == 422 and 'id="e-in-site_calendars"' in refused.text
    assert site_api.get(f"{V1}/vendors/internal/sla-policy").get_json()["version"] == 1


def _policy_form(page: str) -> list[tuple[str, str]]:
    """The policy form as a browser would send it, less csrf, version (added when posting),
    unticked boxes and the site calendars (each test types its own)."""
    form_html = page[page.index('class="stacked policy-form"') :]
    form_html = form_html[: form_html.index("</form>")]
    pairs = [
        (name, html.unescape(value))
        for name, value in re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', form_html)
        if name not in ("csrf", "version") and not name.endswith(".remove")
    ]
    textareas = re.findall(r'<textarea[^>]*?name="([^"]+)"[^>]*>([^<]*)</textarea>', form_html)
    pairs += [(name, html.unescape(value)) for name, value in textareas if name != "site_calendars"]
    selects = re.findall(r'<select[^>]*?name="([^"]+)"[^>]*>.*?<option value="([^"]+)" selected', form_html, re.S)
    return pairs + selects
