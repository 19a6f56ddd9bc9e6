"""Human-readable notifications in English and Chinese, and the chat tools' message formats.

Everything here is pure: a notice (the JSON the outbox projection stored) in, text or a
request body out, so the formats are tested without a network and rendering is the same on
every worker.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

STATUS = {
    "en": {
        "new": "new",
        "triaged": "triaged",
        "in_progress": "in progress",
        "waiting_on_reporter": "waiting on reporter",
        "waiting_on_customer": "waiting on customer",
        "escalated": "escalated",
        "resolved": "resolved",
        "closed": "closed",
    },
    "zh": {
        "new": "新建",
        "triaged": "已分诊",
        "in_progress": "处理中",
        "waiting_on_reporter": "等待报告人",
        "waiting_on_customer": "等待客户",
        "escalated": "已升级至供应商",
        "resolved": "已解决",
        "closed": "已关闭",
    },
}
CLOCKS = {
    "en": {
        "internal_response": "internal response",
        "internal_resolution": "internal resolution",
        "vendor_response": "vendor response",
        "vendor_update": "vendor update",
        "vendor_resolution": "vendor resolution",
    },
    "zh": {
        "internal_response": "内部响应",
        "internal_resolution": "内部解决",
        "vendor_response": "供应商响应",
        "vendor_update": "供应商更新",
        "vendor_resolution": "供应商解决",
    },
}
TITLES = {
    "en": {
        "issue.reported": "New issue",
        "issue.escalated": "Escalated to {vendor}",
        "issue.resolved": "Resolved",
        "issue.status_changed": "Status: {previous} → {status}",
        "sla.at_risk": "SLA at risk: {clock}",
        "sla.breached": "SLA breached: {clock}",
        "suggestion.planned": "Suggestion planned",
    },
    "zh": {
        "issue.reported": "新问题",
        "issue.escalated": "已升级至 {vendor}",
        "issue.resolved": "已解决",
        "issue.status_changed": "状态变更：{previous} → {status}",
        "sla.at_risk": "SLA 即将超时：{clock}",
        "sla.breached": "SLA 已超时：{clock}",
        "suggestion.planned": "建议已列入计划",
    },
}
LABELS = {
    "en": {
        "priority": "Priority",
        "module": "Module",
        "site": "Site",
        "vendor": "Vendor",
        "status": "Status",
        "ticket": "Vendor ticket",
        "resolution": "Resolution",
        "due": "Due",
        "release": "Target release",
        "by": "By",
        "target": "Target",
    },
    "zh": {
        "priority": "优先级",
        "module": "模块",
        "site": "地点",
        "vendor": "供应商",
        "status": "状态",
        "ticket": "供应商工单",
        "resolution": "解决方案",
        "due": "到期",
        "release": "目标版本",
        "by": "操作人",
        "target": "目标时长",
    },
}


def _when(stamp: str | None) -> str:
    """`2026-03-02T09:00:00.000000Z` -> `2026-03-02 09:00 UTC` (the views' fixed-width UTC text)."""
    if not stamp:
        return "-"
    return f"{stamp[:10]} {stamp[11:16]} UTC"


def _hours(seconds: Any) -> str:
    value = int(seconds or 0)
    hours, minutes = divmod(value // 60, 60)
    return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"


def render(notice: Mapping[str, Any], language: str) -> tuple[str, str]:
    """(title, text) of a notice in `language` (en or zh; anything else falls back to en)."""
    lang = language if language in TITLES else "en"
    subject: Mapping[str, Any] = notice.get("subject") or {}
    data: Mapping[str, Any] = notice.get("data") or {}
    label = LABELS[lang]
    c = "：" if lang == "zh" else ": "  # full-width colon in Chinese text
    status_names = STATUS[lang]
    kind = str(notice.get("type"))
    clock = CLOCKS[lang].get(str(data.get("clock")), str(data.get("clock")))
    head = (
        TITLES[lang]
        .get(kind, kind)
        .format(
            vendor=data.get("vendor") or subject.get("vendor") or "-",
            previous=status_names.get(str(subject.get("previous_status")), subject.get("previous_status") or "-"),
            status=status_names.get(str(subject.get("status")), subject.get("status") or "-"),
            clock=clock,
        )
    )
    title = f"[{subject.get('key', '?')}] {head} — {subject.get('title', '')}".strip()
    lines: list[str] = []
    if kind.startswith("sla."):
        lines.append(
            f"{label['due']}{c}{_when(data.get('due_at'))} ({label['target']} {_hours(data.get('target_seconds'))})"
        )
        lines.append(
            f"{label['vendor']}{c}{data.get('vendor') or '-'} · {label['priority']}{c}{data.get('priority') or '-'}"
        )
    elif subject.get("kind") == "suggestion":
        lines.append(f"{label['release']}{c}{data.get('target_release') or '-'}")
    else:
        lines.append(
            f"{label['priority']}{c}{subject.get('priority') or '-'} · {label['vendor']}{c}"
            f"{subject.get('vendor') or '-'} · {label['status']}{c}"
            f"{status_names.get(str(subject.get('status')), subject.get('status') or '-')}"
        )
        if data.get("vendor_ticket"):
            lines.append(f"{label['ticket']}{c}{data['vendor_ticket']}")
        if data.get("resolution"):
            lines.append(f"{label['resolution']}{c}{data['resolution']}")
    lines.append(f"{label['module']}{c}{subject.get('module') or '-'} · {label['site']}{c}{subject.get('site') or '-'}")
    actor = notice.get("actor") or {}
    if actor.get("id"):
        lines.append(f"{label['by']}{c}{actor['id']} · {_when(notice.get('occurred_at'))}")
    return title, "\n".join(lines)


# -- chat tools --------------------------------------------------------------------------------
def dingtalk_request(title: str, text: str, secret: str | None, now_ms: int) -> tuple[str, dict[str, Any]]:
    """(query to append to the robot URL, JSON body) for a DingTalk custom robot.

    With the robot's "加签" secret: `timestamp` (ms) and `sign` = base64 HMAC-SHA256 of
    `"{timestamp}\\n{secret}"` keyed by the secret, URL-encoded.
    """
    body = {
        "msgtype": "markdown",
        "markdown": {"title": title[:64], "text": f"#### {title}\n\n" + text.replace("\n", "\n\n")},
    }
    if not secret:
        return "", body
    mac = hmac.new(secret.encode("utf-8"), f"{now_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return f"timestamp={now_ms}&sign={quote_plus(base64.b64encode(mac).decode())}", body


def feishu_body(title: str, text: str, secret: str | None, now_s: int) -> dict[str, Any]:
    """JSON body for a Feishu / Lark custom bot; with its signature secret, `timestamp` (s) and
    `sign` = base64 HMAC-SHA256 of the empty string keyed by `"{timestamp}\\n{secret}"`."""
    body: dict[str, Any] = {"msg_type": "text", "content": {"text": f"{title}\n{text}"}}
    if secret:
        mac = hmac.new(f"{now_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
        body = {"timestamp": str(now_s), "sign": base64.b64encode(mac).decode(), **body}
    return body


def teams_body(title: str, text: str) -> dict[str, Any]:
    """A Microsoft Teams message with an Adaptive Card, the format Teams Workflows (Power
    Automate "post to a channel when a webhook request is received") incoming webhooks take."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True},
                        *(
                            {"type": "TextBlock", "text": line, "wrap": True, "spacing": "None"}
                            for line in text.split("\n")
                        ),
                    ],
                },
            }
        ],
    }


def chat_refusal(kind: str, status: int, body: bytes) -> str | None:
    """None when the chat tool accepted the message, else why not.

    DingTalk and Feishu answer HTTP 200 with an error code in the body (a wrong signature, a
    keyword rule, a rate limit), so a 200 alone is not a delivery.
    """
    if not 200 <= status < 300:
        return f"HTTP {status}"
    if kind not in ("dingtalk", "feishu"):
        return None
    try:
        answer = json.loads(body.decode("utf-8") or "{}")
    except (ValueError, UnicodeDecodeError):
        return "the answer is not JSON"
    if not isinstance(answer, dict):
        return "the answer is not a JSON object"
    code = answer.get("errcode") if kind == "dingtalk" else answer.get("code", answer.get("StatusCode", 0))
    if code in (0, None):
        return None
    message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
    return f"{kind} refused the message: code {code} {message}".strip()
