"""Messages in each subscription's language (the console's gettext catalogues), and the chat
tools' payload formats (no network)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import pytest

from adapters.catalogues import gettext_for
from domain.actor import Actor
from domain.notification_messages import chat_refusal, dingtalk_request, feishu_body, render, teams_body
from domain.notification_rules import LANGUAGES, subscription_language
from domain.person import LANGUAGES as PERSON_LANGUAGES
from domain.subscription import Subscription

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ADMIN = Actor("admin-wong", "admin")
ISSUE = {
    "kind": "issue",
    "key": "KZ-7",
    "title": "GL posting fails",
    "status": "escalated",
    "previous_status": "triaged",
    "priority": "P1",
    "vendor": "sap",
    "module": "finance",
    "site": "HK",
}


def notice(kind: str, **data: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "position": 42,
        "subject": ISSUE,
        "data": data,
        "occurred_at": "2026-03-02T01:00:00.000000Z",
        "actor": {"id": "admin-wong", "role": "admin", "via": None},
    }


def in_language(kind: str, language: str, **data: Any) -> tuple[str, str]:
    """What a subscription in `language` is sent (the delivery hands `render` its gettext)."""
    return render(notice(kind, **data), gettext_for(language))


def test_escalation_in_english_and_chinese() -> None:
    title, text = in_language("issue.escalated", "en", vendor="sap", vendor_ticket="INC-1")
    assert title == "[KZ-7] Escalated to sap — GL posting fails"
    assert "Vendor ticket: INC-1" in text and "By: admin-wong · 2026-03-02 01:00 UTC" in text
    title, text = in_language("issue.escalated", "zh-Hans", vendor="sap", vendor_ticket="INC-1")
    assert title == "[KZ-7] 已升级至 sap — GL posting fails" and "供应商工单：INC-1" in text
    assert render(notice("issue.escalated", vendor="sap"))[0] == "[KZ-7] Escalated to sap — GL posting fails"


def test_sla_alerts_name_the_clock_and_due_time() -> None:
    data = {
        "clock": "vendor_response",
        "vendor": "sap",
        "priority": "P1",
        "due_at": "2026-03-02T02:00:00.000000Z",
        "target_seconds": 5400,
    }
    assert in_language("sla.breached", "en", **data)[0] == "[KZ-7] SLA breached: vendor response — GL posting fails"
    assert "Due: 2026-03-02 02:00 UTC (target 1h30m)" in in_language("sla.breached", "en", **data)[1]
    title, text = in_language("sla.at_risk", "zh-Hans", **data)
    assert title.startswith("[KZ-7] SLA 即将超时：供应商响应") and "到期：2026-03-02 02:00 UTC（" not in text
    assert "到期：2026-03-02 02:00 UTC (目标时长 1h30m)" in text


def test_status_change_and_unknown_language_falls_back_to_english() -> None:
    assert in_language("issue.status_changed", "fr")[0] == "[KZ-7] Status: triaged → escalated — GL posting fails"
    # the status names are the console's own words for them
    assert in_language("issue.status_changed", "zh-Hans")[0].startswith("[KZ-7] 状态变更：已分级 → 已升级 —")


@pytest.mark.parametrize(
    ("language", "title", "line"),
    [
        ("vi", "[KZ-7] Đã chuyển lên sap — GL posting fails", "Phiếu của nhà cung cấp: INC-1"),
        ("id", "[KZ-7] Dieskalasi ke sap — GL posting fails", "Tiket vendor: INC-1"),
        ("zh-Hant", "[KZ-7] 已轉交 sap 跟進 — GL posting fails", "供應商工單：INC-1"),
    ],
)
def test_a_subscription_in_vi_id_or_zh_hant_is_told_in_its_language(language: str, title: str, line: str) -> None:
    subscription, _secret = Subscription.create(
        kind="webhook",
        target="https://hooks.example.com/k",
        event_types=["issue.escalated"],
        filters=None,
        language=language,
        actor=ADMIN,
        occurred_at=T0,
    )
    assert subscription.language == language
    got_title, text = in_language("issue.escalated", subscription.language, vendor="sap", vendor_ticket="INC-1")
    assert got_title == title and line in text.splitlines()
    assert "Vendor ticket" not in text and "admin-wong" in text  # no English left; data as entered


def test_an_old_zh_subscription_reads_as_simplified_chinese() -> None:
    """A subscription recorded as `zh` before the five languages: the event loads unchanged and
    the subscription (and its messages) read as zh-Hans."""
    old = Subscription(  # the Created event as written then, `zh` and all
        subscription_id="sub_0123456789abcdef",
        name="ops",
        kind="webhook",
        target="https://hooks.example.com/k",
        event_types=["issue.reported"],
        filters={},
        language="zh",
        secret="whsec_x",
        signing_secret=None,
        actor=ADMIN,
        occurred_at=T0,
    )
    [created] = old.collect_events()
    assert created.__dict__["language"] == "zh"  # the log is not rewritten
    subscription = created.mutate(None)
    assert subscription is not None and subscription.language == "zh-Hans" == subscription_language("zh")
    assert subscription.public_view()["language"] == "zh-Hans"
    assert in_language("issue.reported", "zh")[0] == in_language("issue.reported", "zh-Hans")[0]
    assert in_language("issue.reported", "zh")[0].startswith("[KZ-7] 新问题")


def test_subscriptions_speak_the_languages_people_do() -> None:
    assert LANGUAGES == PERSON_LANGUAGES


def test_dingtalk_signs_the_url_and_sends_markdown() -> None:
    query, body = dingtalk_request("T", "a\nb", "SECxyz", 1_700_000_000_000)
    params = parse_qs(query)
    expected = base64.b64encode(hmac.new(b"SECxyz", b"1700000000000\nSECxyz", hashlib.sha256).digest()).decode()
    assert params["timestamp"] == ["1700000000000"] and params["sign"] == [expected]
    assert body == {"msgtype": "markdown", "markdown": {"title": "T", "text": "#### T\n\na\n\nb"}}
    assert dingtalk_request("T", "x", None, 1)[0] == ""


def test_feishu_signs_the_body() -> None:
    body = feishu_body("T", "x", "s3cret", 1_700_000_000)
    expected = base64.b64encode(hmac.new(b"1700000000\ns3cret", b"", hashlib.sha256).digest()).decode()
    assert body == {"timestamp": "1700000000", "sign": expected, "msg_type": "text", "content": {"text": "T\nx"}}
    assert "sign" not in feishu_body("T", "x", None, 1)


def test_teams_gets_an_adaptive_card() -> None:
    body = teams_body("T", "a\nb")
    card = body["attachments"][0]["content"]
    assert body["type"] == "message" and card["type"] == "AdaptiveCard"
    assert [block["text"] for block in card["body"]] == ["T", "a", "b"]


def test_chat_answers_that_are_refusals() -> None:
    assert chat_refusal("dingtalk", 200, b'{"errcode":0,"errmsg":"ok"}') is None
    assert "310000" in (chat_refusal("dingtalk", 200, b'{"errcode":310000,"errmsg":"sign not match"}') or "")
    assert chat_refusal("feishu", 200, b'{"code":19021,"msg":"sign match fail"}') is not None
    assert chat_refusal("feishu", 200, b'{"StatusCode":0}') is None
    assert chat_refusal("teams", 202, b"") is None and chat_refusal("teams", 400, b"") == "HTTP 400"
    assert chat_refusal("feishu", 200, b"<html>") == "the answer is not JSON"
