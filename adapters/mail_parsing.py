"""RFC 5322 bytes into the `InboundMessage` the intake use case reads.

Mail arrives from every client the company's staff and vendors use: Outlook's multipart
alternatives with inline screenshots, HTML-only mail from web forms, Chinese subjects in
RFC 2047, bodies in GBK (sometimes labelled as something else), and vendor updates forwarded as
attached messages. The intake must still make one issue or one comment of each, so this module
takes what it can from any message and never raises: bytes it cannot understand come back with
`parse_error` set, and the use case quarantines them instead of stopping the queue.
"""

from __future__ import annotations

import codecs
import hashlib
import mimetypes
import re
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from application.inbound_mail import InboundAttachment, InboundMessage
from domain.mail_triage import FORWARDED_HEADING

MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    ]
)
HIDDEN = frozenset({"head", "script", "style", "template", "title"})
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "big5": "big5hkscs"}
"""Labels clients write for a narrower charset than the one they used: Outlook labels GBK as
gb2312, and Hong Kong mail labelled big5 carries HKSCS characters."""
WEAK_LABELS = frozenset({"", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252"})
"""Labels that old clients put on anything: a body with bytes above 127 under one of these is
tried as UTF-8 and GBK before the label is believed (any byte string is valid Latin-1)."""
GUESSES = ("utf-8", "gb18030", "big5hkscs")


def parse_message(raw: bytes, uid_key: str, received_at: datetime | None = None) -> InboundMessage:
    """The message in `raw`, read from `uid_key`; never raises."""
    try:
        return _parse(raw, uid_key, received_at)
    except Exception as exc:  # any failure of the stdlib parser or of a part: quarantine, never stop
        reason = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
        return unreadable(raw, uid_key, reason, received_at)


def unreadable(raw: bytes, uid_key: str, reason: str, received_at: datetime | None = None) -> InboundMessage:
    """What the intake records of a message it cannot read: enough to quarantine and show it."""
    return InboundMessage(
        message_id=_derived_id(raw),
        uid_key=uid_key,
        from_address="",
        to_addresses=(),
        subject="",
        text="",
        headers={},
        received_at=received_at,
        raw=raw,
        parse_error=reason,
    )


def _parse(raw: bytes, uid_key: str, received_at: datetime | None) -> InboundMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    headers = _headers(message)
    if not raw.strip() or not headers:
        return unreadable(raw, uid_key, "no headers: not an e-mail message", received_at)
    if not any(name in headers for name in ("from", "sender", "subject", "message-id", "date")):
        return unreadable(raw, uid_key, "no From, Subject, Date or Message-ID header", received_at)
    ids = MESSAGE_ID.findall(headers.get("message-id", ""))
    body = _Body()
    body.read(message)
    senders = _addresses(message, "from") or _addresses(message, "sender")
    return InboundMessage(
        message_id=ids[0] if ids else _derived_id(raw),
        uid_key=uid_key,
        from_address=senders[0] if senders else "",
        to_addresses=tuple(dict.fromkeys(_addresses(message, "to") + _addresses(message, "cc"))),
        subject=" ".join(headers.get("subject", "").split()),
        text=body.text(),
        headers=headers,
        attachments=tuple(body.attachments),
        received_at=received_at or _date(headers.get("date", "")),
        raw=raw,
        in_reply_to=tuple(
            dict.fromkeys(MESSAGE_ID.findall(headers.get("in-reply-to", "") + " " + headers.get("references", "")))
        ),
    )


def _derived_id(raw: bytes) -> str:
    """A stable id for a message without `Message-ID`: the same bytes delivered twice are one."""
    return f"sha256-{hashlib.sha256(raw).hexdigest()}@kaizen-desk.invalid"


def _headers(message: Message) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in message.raw_items():
        key = name.lower()
        if key in found:
            continue
        try:
            found[key] = " ".join(str(message.policy.header_fetch_parse(name, value)).split())
        except Exception:  # a header the registry cannot parse stays as it came, undecoded
            found[key] = " ".join(str(value).split())
    return found


def _addresses(message: Message, name: str) -> list[str]:
    """Addresses of every `name` header, lower-cased, display names dropped."""
    found: list[str] = []
    for value in message.get_all(name, []):
        try:
            addresses = getattr(value, "addresses", None)
            if addresses is not None:
                found += [a.addr_spec.lower() for a in addresses if isinstance(a, Address) and a.addr_spec]
                continue
        except Exception:  # an unparseable structured header falls back to the lenient reading
            pass
        found += [address.lower() for _, address in getaddresses([str(value)]) if "@" in address]
    return found


def _date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None


def decode_text(data: bytes, label: str | None) -> str:
    """`data` as text, trusting `label` only as far as the bytes allow (module docstring)."""
    name = (label or "").strip().lower()
    try:
        name = codecs.lookup(name).name if name else ""
    except LookupError:
        name = ""  # an unknown label says nothing: guess
    name = SUPERSETS.get(name, name)
    if name and (name not in WEAK_LABELS or data.isascii()):
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            pass
    for guess in GUESSES:
        try:
            text = data.decode(guess)
        except UnicodeDecodeError:
            continue
        if guess == "utf-8" or _mostly_cjk(text):
            return text
    if name:
        return data.decode(name, errors="replace")
    return data.decode("utf-8", errors="replace")


def _mostly_cjk(text: str) -> bool:
    """Latin-1 accents often pair into valid GBK bytes: a GBK reading is only believed when what
    it yields is Chinese (ideographs, CJK punctuation, full-width forms), not a scatter of rare
    characters."""
    wide = [c for c in text if ord(c) > 127]
    cjk = sum(1 for c in wide if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef")
    return bool(wide) and cjk >= 0.8 * len(wide)


class _Body:
    """The text and the files of a message, walking its MIME tree once."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[InboundAttachment] = []

    def text(self) -> str:
        parts = self.plain or self.html
        return "\n\n".join(p for p in parts if p).strip()

    def read(self, part: Message) -> None:
        kind = part.get_content_type()
        if part.is_multipart() and kind == "multipart/alternative":
            self._alternative(part)
        elif kind == "message/rfc822":
            self._forwarded(part)
        elif part.is_multipart():
            for child in part.get_payload():
                if isinstance(child, Message):
                    self.read(child)
        else:
            self._leaf(part)

    def _alternative(self, part: Message) -> None:
        """The plain version when there is one, else the richest; files in any version are kept."""
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        chosen = next((c for c in children if c.get_content_type() == "text/plain" and not _is_file(c)), None)
        if chosen is None:
            chosen = children[-1] if children else None
        for child in children:
            if child is chosen:
                self.read(child)
            elif child.is_multipart():  # e.g. multipart/related: its inline images
                files = _Body()
                files.read(child)
                self.attachments += files.attachments

    def _forwarded(self, part: Message) -> None:
        """A vendor's mail forwarded as an attachment: its words belong in the description."""
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            self._leaf(part)
            return
        nested = _Body()
        nested.read(inner)
        heading = [FORWARDED_HEADING]
        for name in ("From", "Date", "Subject", "To"):
            value = inner.get(name)
            if value:
                heading.append(f"{name}: {' '.join(str(value).split())}")
        self.plain.append("\n".join(heading) + "\n\n" + nested.text())
        self.attachments += nested.attachments

    def _leaf(self, part: Message) -> None:
        kind = part.get_content_type()
        if _is_file(part) or not kind.startswith("text/"):
            data = _payload(part)
            if data:
                self.attachments.append(InboundAttachment(_file_name(part, len(self.attachments)), kind, data))
            return
        text = decode_text(_payload(part), part.get_content_charset())
        if kind == "text/html":
            self.html.append(html_text(text))
        else:
            self.plain.append(_tidy(text))


def _is_file(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or (disposition == "inline" and part.get_filename() is not None)


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    content = part.get_payload()
    return content.encode("utf-8", errors="replace") if isinstance(content, str) else b""


def _file_name(part: Message, index: int) -> str:
    try:
        name = part.get_filename()
    except Exception:  # a mangled RFC 2231 name: the file is kept under a made-up one
        name = None
    if name:
        return " ".join(name.replace("/", "_").replace("\\", "_").split())
    extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
    stem = "message" if part.get_content_type() == "message/rfc822" else "part"
    return f"{stem}-{index + 1}{extension}"


def _tidy(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1
        elif tag == "pre":
            self.pre += 1
        if tag == "li":
            self.out.append("\n- ")
        elif tag in BLOCKS:
            self.out.append("\n")
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in BLOCKS and tag != "br":
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        self.out.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_text(markup: str) -> str:
    """What a reader sees of an HTML body: text, with paragraphs, line breaks and list items kept."""
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    lines = [line.strip() for line in "".join(parser.out).replace("\xa0", " ").split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
