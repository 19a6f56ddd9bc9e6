"""A person's own language and time zone in the console: Vietnamese, times in Asia/Ho_Chi_Minh,
and `?lang=` switching to Traditional Chinese for the rest of the session (both stores)."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from application.context import Context
from domain.actor import SYSTEM
from interfaces.web import catalogues
from tests.browser.conftest import Console, KnownPerson, ensure_person

pytestmark = pytest.mark.xdist_group("browser")
SHOWN = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d Asia/Ho_Chi_Minh$")


def vietnamese_admin(console: Console) -> KnownPerson:
    who = KnownPerson("lan.nguyen", "Lan Nguyen", ("admin",))
    ensure_person(console.desk, who)
    console.desk.update_person(Context(SYSTEM), who.login, {"language": "vi", "time_zone": "Asia/Ho_Chi_Minh"})
    return who


def test_a_vietnamese_person_reads_the_issue_page_in_vietnamese_in_their_zone(open_as: Any, console: Console) -> None:
    page = open_as(vietnamese_admin(console).login)
    page.goto(console.url("/console/issues"))
    assert page.locator("html").get_attribute("lang") == "vi"
    key = page.locator("a[href*='/console/issues/KZ-']").first.inner_text().strip()
    page.goto(console.url(f"/console/issues/{key}"))
    assert page.locator("html").get_attribute("lang") == "vi"
    reported = page.locator("dl dd").nth(page.locator("dl dt").all_inner_texts().index("Đã báo cáo")).inner_text()
    assert SHOWN.match(reported), reported
    at = console.desk.get_issue(key).reported_at
    assert reported == at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m-%d %H:%M") + " Asia/Ho_Chi_Minh"
    assert "Asia/Ho_Chi_Minh" in page.locator("#cap-clocks").inner_text()
    footer = page.locator("footer").inner_text()
    assert "Asia/Ho_Chi_Minh" in footer and "UTC" not in footer
    assert "Sign out" not in page.locator("header").inner_text()  # the masthead is Vietnamese too
    text = page.locator("body").inner_text()
    left = [english for english in english_texts("vi") if english in text]
    assert not left, f"shown in English on a Vietnamese page: {left}"


def english_texts(locale: str) -> list[str]:
    """Console texts long enough not to occur by chance inside data, whose translation differs."""
    return [
        str(m.id)
        for m in catalogues.read(locale)
        if m.id and m.string != m.id and len(str(m.id)) >= 12 and "{" not in str(m.id) and "%(" not in str(m.id)
    ]


def test_lang_switches_to_traditional_chinese_and_is_remembered(open_as: Any, console: Console) -> None:
    page = open_as(vietnamese_admin(console).login)
    page.goto(console.url("/console/issues?lang=zh-Hant"))
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    assert page.locator("h1").inner_text() == "問題"
    page.goto(console.url("/console/issues"))  # no ?lang: the session remembers it
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    assert page.locator(".languages a[aria-current=true]").inner_text() == "繁體中文"
    page.goto(console.url("/console/issues?lang=zh"))  # an old link: Simplified Chinese
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("h1").inner_text() == "问题"
