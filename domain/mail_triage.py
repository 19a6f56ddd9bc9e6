"""How the desk reads an incoming e-mail before anything is recorded: pure rules, no I/O.

- which issue a message names: `[KZ-123]` in the subject (after any `Re:`/`AW:`/`Fwd:`), or
  a plus-address among the recipients (`support+KZ-123@…`);
- whether a message was written by a machine answering another message (RFC 3834
  `Auto-Submitted` other than `no`, `Precedence: bulk|junk|list`, `X-Autoreply`,
  `X-Autorespond`): such a message is never a person's comment, and answering it would loop;
- whether a message is the desk's own (a notification or an acknowledgement coming back);
- whether a sender is one of a vendor's addresses (`mail_from`: an address or `@domain`), and
  which of the vendor's open tickets a message names;
- the readable, storable form of what a message says (an excerpt for the quarantine list,
  a title and a description for a new issue).

Every mail the desk sends carries `X-Kaizen-Desk` (the loop marker, `LOOP_HEADER`) and
`Auto-Submitted: auto-generated` (notifications) or `auto-replied` (acknowledgements);
notifications also carry `X-Kaizen-Delivery` and a Message-ID in `@kaizen-desk`, and either
is recognised as well, so mail sent before the marker existed is still known as the desk's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

LOOP_HEADER: Final = "X-Kaizen-Desk"
"""Set (to any value) on every message the desk sends; a message carrying it is the desk's own."""
OWN_HEADERS: Final = ("x-kaizen-desk", "x-kaizen-delivery")
OWN_MESSAGE_ID_DOMAIN: Final = "@kaizen-desk"
"""Notifications' Message-IDs end with this (`projections/delivery.py`)."""

_KEY_IN_SUBJECT = re.compile(r"\[\s*(KZ-[1-9][0-9]{0,9})\s*\]", re.IGNORECASE)
_KEY_IN_ADDRESS = re.compile(r"^[^@+]+\+(KZ-[1-9][0-9]{0,9})@", re.IGNORECASE)
_BULK_PRECEDENCE: Final = frozenset({"bulk", "junk", "list"})
_AUTOREPLY_HEADERS: Final = ("x-autoreply", "x-autorespond")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|fw|fwd|wg|tr|答复|回复|转发)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE
)

TITLE_LIMIT: Final = 300  # the issue's title field
EXCERPT_LIMIT: Final = 600
DESCRIPTION_LIMIT: Final = 20_000  # domain.values.TEXT_LIMIT
NO_SUBJECT: Final = "(no subject)"
NO_TEXT: Final = "(the message had no text)"


class QuarantineReason(StrEnum):
    """Why a message was set aside for an administrator rather than applied."""

    UNPARSABLE = "unparsable"
    OWN_MAIL = "own_mail"
    AUTO_REPLY = "auto_reply"
    UNKNOWN_SENDER = "unknown_sender"
    UNKNOWN_ISSUE = "unknown_issue"
    VENDOR_UNMATCHED = "vendor_unmatched"
    REFUSED = "refused"


def key_in_subject(subject: str) -> str | None:
    """`[KZ-123]` anywhere in the subject (`Re: [KZ-123] …`, `AW: Re: [kz-123]`), upper-cased."""
    found = _KEY_IN_SUBJECT.search(subject or "")
    return found.group(1).upper() if found else None


def key_in_addresses(addresses: Iterable[str]) -> str | None:
    """The key of the first plus-address among the recipients (`support+KZ-123@desk.example`)."""
    for address in addresses:
        found = _KEY_IN_ADDRESS.match((address or "").strip())
        if found:
            return found.group(1).upper()
    return None


def named_key(subject: str, addresses: Iterable[str]) -> str | None:
    """The subject's key first: a person who replies to one issue's mail while copying another
    issue's address means the issue they are replying about."""
    return key_in_subject(subject) or key_in_addresses(addresses)


def is_auto_reply(headers: Mapping[str, str]) -> bool:
    """RFC 3834 `Auto-Submitted` other than `no`, `Precedence: bulk|junk|list`, or the
    vacation responders' own `X-Autoreply` / `X-Autorespond` (any value)."""
    submitted = (headers.get("auto-submitted") or "").split(";")[0].strip().lower()
    if submitted and submitted != "no":
        return True
    if (headers.get("precedence") or "").strip().lower() in _BULK_PRECEDENCE:
        return True
    return any(name in headers for name in _AUTOREPLY_HEADERS)


def is_own_mail(headers: Mapping[str, str], message_id: str, sender: str, own_addresses: Iterable[str] = ()) -> bool:
    """The desk's own message coming back: it carries the loop marker (or a notification's
    delivery id), has a notification's Message-ID, or was sent from the desk's own address."""
    if any(name in headers for name in OWN_HEADERS):
        return True
    if (message_id or "").lower().rstrip(">").endswith(OWN_MESSAGE_ID_DOMAIN):
        return True
    own = {address.strip().lower() for address in own_addresses if address.strip()}
    return (sender or "").strip().lower() in own


def matches_mail_from(sender: str, mail_from: Sequence[str]) -> bool:
    """`mail_from` entries are whole addresses (`support@sap.com`) or domains (`@sap.com`); a
    domain does not take its subdomains (`@sap.com` is not `x@eu.sap.com`), as the vendor's
    terms list each domain it writes from."""
    address = (sender or "").strip().lower()
    if "@" not in address:
        return False
    domain = address[address.rindex("@") :]
    for entry in mail_from:
        wanted = entry.strip().lower()
        if wanted == address or (wanted.startswith("@") and wanted == domain):
            return True
    return False


def ticket_named(text: str, tickets: Mapping[str, str]) -> str | None:
    """The key of the issue whose vendor ticket appears in `text` as a whole token (ticket
    `4711` is named by "Incident 4711 updated", not by "47110"); the longest ticket wins, so
    `INC-12` does not shadow `INC-123`."""
    haystack = text or ""
    for ticket in sorted(tickets, key=len, reverse=True):
        if ticket and re.search(rf"(?<![0-9A-Za-z]){re.escape(ticket)}(?![0-9A-Za-z])", haystack, re.IGNORECASE):
            return tickets[ticket]
    return None


def readable(value: str, limit: int, multiline: bool = True) -> str:
    """`value` with what no stored text may hold removed (controls, lone surrogates), blanks
    folded on a single line, cut to `limit` characters with an ellipsis: whatever a sender put in
    a header or body, the recorded fact is storable, so a hostile message cannot stop the queue."""
    cleaned = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    cleaned = _CONTROLS.sub("", cleaned)
    if not multiline:
        cleaned = " ".join(cleaned.replace("\u2028", " ").replace("\u2029", " ").split())
    else:
        cleaned = re.sub(r"\n{3,}", "\n\n", cleaned).strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


FORWARDED_HEADING: Final = "---------- Forwarded message ----------"
"""The line the parser puts above a forwarded message's own text (`adapters/mail_parsing.py`)."""
_QUOTE_HEADER = re.compile(
    r"^(?:-{2,}\s*Original Message\s*-{2,}|_{5,}|On .{0,300}wrote:|From: .+"
    r"|-{2,}\s*原始邮件\s*-{2,}|在.{0,200}写道[:：])\s*$",
    re.IGNORECASE,
)


def reply_text(text: str) -> str:
    """What a reply adds: the text above the quoted message ("On … wrote:", "-----Original
    Message-----", a block of `>` lines). The whole text when nothing is left above the quote
    (a reply written below it). A forwarded message is not a quote: forwarding it is the point
    (a vendor's case update sent on), so from its heading on, everything is kept."""
    lines = (text or "").replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for number, line in enumerate(lines):
        if line.strip() == FORWARDED_HEADING:
            kept += lines[number:]
            break
        if _QUOTE_HEADER.match(line.strip()) or line.lstrip().startswith(">"):
            break
        kept.append(line)
    own = "\n".join(kept).strip()
    return own if own else (text or "")


def issue_title(subject: str) -> str:
    """A new issue's title: the subject without its reply prefixes, on one line."""
    title = readable(_REPLY_PREFIX.sub("", subject or ""), TITLE_LIMIT, multiline=False)
    return title or NO_SUBJECT


def issue_description(text: str, notes: Sequence[str] = ()) -> str:
    """The body as the description (or comment), with a line for each attachment not kept."""
    body = readable(text, DESCRIPTION_LIMIT - 1000) or NO_TEXT
    if notes:
        body = body + "\n\n" + "\n".join(f"[{note}]" for note in notes)
    return body


def excerpt(text: str, raw: bytes = b"") -> str:
    """What an administrator reads in the quarantine list: the body, or for a message that
    could not be parsed, the start of its bytes as text."""
    if (text or "").strip():
        return readable(text, EXCERPT_LIMIT)
    return readable(raw[: EXCERPT_LIMIT * 4].decode("utf-8", errors="replace"), EXCERPT_LIMIT)


@dataclass(frozen=True)
class Acknowledgement:
    """The reply that tells a sender the key of the issue their mail became."""

    to: str
    subject: str
    text: str
    headers: dict[str, str]
    key: str | None = None


def acknowledgement(to: str, key: str, title: str, message_id: str, references: Sequence[str] = ()) -> Acknowledgement:
    """`[KZ-7] <title>`: replying to it (the key in the subject) comments on the issue.

    `Auto-Submitted: auto-replied` (RFC 3834: a response to one message) stops a well-behaved
    responder from answering it, and `X-Kaizen-Desk` stops the desk from taking it back in."""
    thread = [*references, message_id] if message_id else list(references)
    headers = {"Auto-Submitted": "auto-replied", LOOP_HEADER: "acknowledgement"}
    if message_id:
        headers["In-Reply-To"] = f"<{message_id}>"
        headers["References"] = " ".join(f"<{m}>" for m in thread[-10:])
    text = (
        f"Your message was recorded as issue {key}: {title}\n\n"
        f"Reply to this message (keep [{key}] in the subject) to add a comment to the issue.\n"
    )
    return Acknowledgement(to=to, subject=f"[{key}] {title}", text=text, headers=headers, key=key)


def reply_address(address: str, key: str) -> str:
    """`support@example.com` with `KZ-7` → `support+KZ-7@example.com`: a reply names its issue
    by address even when a mail client rewrites the subject. An address that already has a
    plus part keeps its own and gets the key instead."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return address
    return f"{local.split('+', 1)[0]}+{key}@{domain}"
