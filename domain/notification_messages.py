"""Human-readable notifications in the subscriber's language, and the chat tools' message formats.

Everything here is pure: a notice (the JSON the outbox projection stored) in, text or a
request body out, so the formats are tested without a network and rendering is the same on
every worker.

The words come from the same gettext catalogues as the console's (`make catalogues`), but this
module cannot load them (the domain imports nothing outside itself): every English message is
marked with `N_` so extraction finds it, and the caller hands `render` the translating function
of the subscription's language (`gettext`, English when none). Each label is translated with its
placeholder (`"Priority: {priority}"`), so a language puts its own colon and word order around
the value (Chinese writes a full-width colon). Status and clock names are the console's own
messages, so a notice and the page it links to name a status alike.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote_plus

Gettext = Callable[[str], str]


def N_(text: str) -> str:
    """Mark an English message for extraction (`make catalogues`); returns it unchanged."""
    return text


def english(text: str) -> str:
    """The untranslated message: what `render` says when no catalogue is given."""
    return text


STATUS = {
    "new": N_("new"),
    "triaged": N_("triaged"),
    "in_progress": N_("in progress"),
    "waiting_on_reporter": N_("waiting on reporter"),
    "waiting_on_customer": N_("waiting on customer"),
    "escalated": N_("escalated"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
}
CLOCKS = {
    "internal_response": N_("internal response"),
    "internal_resolution": N_("internal resolution"),
    "vendor_response": N_("vendor response"),
    "vendor_update": N_("vendor update"),
    "vendor_resolution": N_("vendor resolution"),
}
TITLES = {
    "issue.reported": N_("New issue"),
    "issue.escalated": N_("Escalated to {vendor}"),
    "issue.resolved": N_("Resolved"),
    "issue.status_changed": N_("Status: {previous} → {status}"),
    "sla.at_risk": N_("SLA at risk: {clock}"),
    "sla.breached": N_("SLA breached: {clock}"),
    "suggestion.planned": N_("Suggestion planned"),
    "audit.checkpoint": N_("Checkpoint signed"),
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


def render(notice: Mapping[str, Any], gettext: Gettext = english) -> tuple[str, str]:
    """(title, text) of a notice, its words through `gettext` (one language's catalogue).

    A message the catalogue lacks stays English; a status or clock this module does not know
    is shown as stored. Data (keys, titles, vendors, resolutions) is shown as entered.
    """

    def say(message: str, **values: Any) -> str:
        return gettext(message).format(**values)

    def named(names: Mapping[str, str], value: Any) -> str:
        return gettext(names[str(value)]) if str(value) in names else str(value or "-")

    subject: Mapping[str, Any] = notice.get("subject") or {}
    data: Mapping[str, Any] = notice.get("data") or {}
    kind = str(notice.get("type"))
    head = say(
        TITLES[kind] if kind in TITLES else kind.replace("{", "{{").replace("}", "}}"),
        vendor=data.get("vendor") or subject.get("vendor") or "-",
        previous=named(STATUS, subject.get("previous_status")),
        status=named(STATUS, subject.get("status")),
        clock=named(CLOCKS, data.get("clock")),
    )
    title = f"[{subject.get('key', '?')}] {head} — {subject.get('title', '')}".strip()
    lines: list[str] = []
    if kind.startswith("sla."):
        lines.append(
            say(
                N_("Due: {due} (target {target})"),
                due=_when(data.get("due_at")),
                target=_hours(data.get("target_seconds")),
            )
        )
        vendor = say(N_("Vendor: {vendor}"), vendor=data.get("vendor") or "-")
        lines.append(" · ".join((vendor, say(N_("Priority: {priority}"), priority=data.get("priority") or "-"))))
    elif kind == "audit.checkpoint":  # the API's field names: what an auditor compares
        lines.append(f"position {data.get('position')} · root {data.get('root')} · key {data.get('key_id')}")
        lines.append(f"signed_at {data.get('signed_at')} · signature {data.get('signature')}")
    elif subject.get("kind") == "suggestion":
        lines.append(say(N_("Target release: {release}"), release=data.get("target_release") or "-"))
    else:
        priority = say(N_("Priority: {priority}"), priority=subject.get("priority") or "-")
        vendor = say(N_("Vendor: {vendor}"), vendor=subject.get("vendor") or "-")
        lines.append(
            " · ".join((priority, vendor, say(N_("Status: {status}"), status=named(STATUS, subject.get("status")))))
        )
        if data.get("vendor_ticket"):
            lines.append(say(N_("Vendor ticket: {ticket}"), ticket=data["vendor_ticket"]))
        if data.get("resolution"):
            lines.append(say(N_("Resolution: {resolution}"), resolution=data["resolution"]))
    module = say(N_("Module: {module}"), module=subject.get("module") or "-")
    lines.append(" · ".join((module, say(N_("Site: {site}"), site=subject.get("site") or "-"))))
    actor = notice.get("actor") or {}
    if actor.get("id"):
        lines.append(" · ".join((say(N_("By: {actor}"), actor=actor["id"]), _when(notice.get("occurred_at")))))
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
