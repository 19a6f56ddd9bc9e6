"""The pages themselves: filters, CSV, charts, the issue timeline and its versions, improvement
pages, the Chinese labels, a phone-width layout; each page's screenshot for docs/screenshots."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.xdist_group("browser")


def rows_of(page: Any, section: str) -> list[list[str]]:
    cells = page.locator(f"section[aria-labelledby={section}] tbody tr")
    return [[c.strip() for c in row.locator("th, td").all_inner_texts()] for row in cells.all()]


def test_compliance_filters_charts_and_csv_of_what_is_shown(open_as: Any, tmp_path: Path, shoot: Any) -> None:
    page = open_as("admin")
    assert page.locator("h1").inner_text() == "SLA compliance"
    assert page.locator("svg.chart.bars").count() >= 2  # all vendors, then one per vendor
    assert page.locator("svg.chart title").first.text_content().startswith("% met per month")
    shoot(page, "compliance")

    page.select_option("#f-vendor", "sap")
    page.select_option("#f-within", "72h")
    page.fill("#f-from", "2026-01")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    query = parse_qs(urlsplit(page.url).query)
    assert query["vendor"] == ["sap"] and query["from"] == ["2026-01"] and query["within"] == ["72h"]
    assert page.locator("ul.multiples > li").count() == 1
    assert page.locator("ul.multiples figcaption a").inner_text() == "sap"
    shown = rows_of(page, "h-breaches")
    assert shown and all(row[4] == "sap" for row in shown)

    with page.expect_download() as download_info:
        page.click("section[aria-labelledby=h-breaches] a.download")
    download = download_info.value
    assert download.suggested_filename == "sla-breaches-2026-01-to-2026-06.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(str(saved))
    with saved.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [r["key"] for r in table] == [row[0] for row in shown]
    assert {r["vendor"] for r in table} == {"sap"}

    page.select_option("#f-priority", "P2")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert all(row[3] == "P2" for row in rows_of(page, "h-breaches"))
    selected = page.locator("section[aria-labelledby=h-breakdown] tr.selected th")
    assert selected.first.inner_text().startswith("P2")

    page.fill("#f-from", "2026-07")  # after "to": reported, and the period shrinks to the "to" month
    page.click("form.filters button[type=submit]")
    assert page.locator(".filters .message.error").inner_text() == "The period must start before it ends."


def test_vendor_page_shows_distribution_policy_and_its_history(open_as: Any, console: Any, shoot: Any) -> None:
    page = open_as("admin")
    page.goto(console.url("/console/compliance"))
    page.click("ul.multiples figcaption a:text-is('sap')")
    page.wait_for_url(re.compile(r"/console/vendors/sap\?"))
    assert page.locator("h1").inner_text() == "Vendor: sap"
    assert page.locator("svg.chart.ranges g.range").count() > 0
    assert page.locator("#cap-summary").is_visible()
    assert "Version 2" in page.locator("section[aria-labelledby=h-policy]").inner_text()
    versions = page.locator("ul.versions > li strong").all_inner_texts()
    assert versions == ["Version 2", "Version 1"]
    p2 = page.locator("section[aria-labelledby=h-policy] tbody tr", has=page.locator("th:text-is('P2')"))
    assert "PT3H" in p2.inner_text()
    shoot(page, "vendor")


def test_issue_timeline_versions_and_chain(open_as: Any, console: Any, shoot: Any) -> None:
    page = open_as("auditor")
    page.goto(console.url("/console/issues?vendor=sap&breached=true&status=closed"))
    page.locator("table.issues tbody th a").first.click()
    page.wait_for_url(re.compile(r"/console/issues/KZ-\d+$"))
    key = page.url.rsplit("/", 1)[1]
    assert page.locator(".chain.ok .verdict").inner_text().startswith("✔ Chain verified")
    assert page.locator("svg.timeline g.clock").count() >= 2
    assert page.locator("svg.timeline rect.span.overdue").count() >= 1  # breached: past due drawn red
    latest = int(page.locator("#version").get_attribute("max"))
    events = page.locator("table.events tbody tr")
    assert events.count() == latest
    first = events.first.locator("td").all_inner_texts()
    assert first[0] == "Reported" and re.search(
        r"\d{4}-\d\d-\d\d \d\d:\d\d Asia/Hong_Kong", first[3]
    )  # the viewer's zone, named
    shoot(page, "issue")

    slider = page.locator("#version")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert page.locator("#version-out").inner_text() == str(latest - 2)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/console/issues/{key}\?version={latest - 2}$"))
    assert f"Showing version {latest - 2} of {latest}" in page.locator(".as-of").inner_text()
    assert page.locator("table.events tbody tr.later").count() == 2
    page.click("a[rel=prev]")
    page.wait_for_url(re.compile(rf"version={latest - 3}$"))
    page.goto(console.url(f"/console/issues/{key}?version=1"))
    assert page.locator("dt:text-is('Status') + dd").inner_text() == "new"
    page.click("a:text-is('Current')")
    assert page.locator(".as-of").inner_text().startswith("Showing the current version")

    page.fill("#as_of", "2000-01-01T00:00")
    page.click(".version-form:has(#as_of) button")
    assert "did not exist yet" in page.locator(".versions-nav .message.error").inner_text()
    assert page.goto(console.url(f"/console/issues/{key}?version={latest + 1}")).status == 404


def test_improvement_pages_board_agenda_and_printable_health_check(open_as: Any, console: Any, shoot: Any) -> None:
    page = open_as("admin")
    page.goto(console.url("/console/suggestions?sort=votes"))
    votes = [int(v) for v in page.locator("li.suggestion .votes .n").all_inner_texts()]
    assert votes and votes == sorted(votes, reverse=True)
    shoot(page, "suggestions")
    page.click("nav.tabs a:text-is('Sort: trending')")
    assert page.locator("nav.tabs a[aria-current=page]").inner_text() == "Sort: trending"

    page.click("nav.main-nav >> text=Agenda")
    assert "July improvement meeting" in page.locator(".lede").inner_text()
    assert page.locator("section[aria-labelledby=h-ag-breach] tbody th a").count() >= 1
    shoot(page, "agenda")

    page.click("nav.main-nav >> text=Health check")
    assert page.locator("h1").inner_text() == "ERP health check — 2026Q2"
    page.wait_for_load_state()  # the click returns once the new page parses, before its script runs
    assert page.locator("button[data-print]").is_visible()  # the script enabled it
    page.emulate_media(media="print")
    assert page.locator("header.masthead").is_hidden() and page.locator("form.filters").is_hidden()
    page.emulate_media(media="screen")
    shoot(page, "health-check")


def test_chinese_labels_are_remembered_and_the_phone_layout_fits(open_as: Any, console: Any, shoot: Any) -> None:
    page = open_as("admin", width=390, height=844, lang="zh")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("h1").inner_text() == "SLA 合规"
    page.goto(console.url("/console/issues"))  # no ?lang: the session remembers it
    assert page.locator("h1").inner_text() == "问题"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # nothing overflows the page
    page.goto(console.url("/console/compliance"))
    shoot(page, "compliance-phone-zh", full_page=False)
    page.click("a[hreflang=en]")
    assert page.locator("h1").inner_text() == "SLA compliance"
