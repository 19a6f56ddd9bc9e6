"""Messages in English and Chinese, and the chat tools' payload formats (no network)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qs

from domain.notification_messages import chat_refusal, dingtalk_request, feishu_body, render, teams_body

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


def test_escalation_in_english_and_chinese() -> None:
    title, text = render(notice("issue.escalated", vendor="sap", vendor_ticket="INC-1"), "en")
    assert title == "[KZ-7] Escalated to sap — GL posting fails"
    assert "Vendor ticket: INC-1" in text and "By: admin-wong · 2026-03-02 01:00 UTC" in text
    title, text = render(notice("issue.escalated", vendor="sap", vendor_ticket="INC-1"), "zh")
    assert title == "[KZ-7] 已升级至 sap — GL posting fails" and "供应商工单：INC-1" in text


def test_sla_alerts_name_the_clock_and_due_time() -> None:
    data = {
        "clock": "vendor_response",
        "vendor": "sap",
        "priority": "P1",
        "due_at": "2026-03-02T02:00:00.000000Z",
        "target_seconds": 5400,
    }
    assert render(notice("sla.breached", **data), "en")[0] == "[KZ-7] SLA breached: vendor response — GL posting fails"
    title, text = render(notice("sla.at_risk", **data), "zh")
    assert title.startswith("[KZ-7] SLA 即将超时：供应商响应") and "到期：2026-03-02 02:00 UTC（" not in text
    assert "到期：2026-03-02 02:00 UTC (目标时长 1h30m)" in text


def test_status_change_and_unknown_language_falls_back_to_english() -> None:
    assert render(notice("issue.status_changed"), "fr")[0] == "[KZ-7] Status: triaged → escalated — GL posting fails"
    assert render(notice("issue.status_changed"), "zh")[0].startswith("[KZ-7] 状态变更：已分诊 → 已升级至供应商")


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
