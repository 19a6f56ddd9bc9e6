"""One e-mail as the desk's intake sees it, whatever mailbox or parser it came through.

The IMAP reader (`adapters/imap_mailbox.py`) parses each RFC 5322 message into this shape
and hands it to the intake use case (`application/mail_intake.py`); the use case never sees
IMAP or MIME. `raw` is kept so that a quarantined message can be shown and re-read exactly as
it arrived, and `uid_key` names the message's place in its mailbox, so that the intake can
record it (beside the `Message-ID`) in the same transaction as the command it caused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class InboundAttachment:
    """A file carried by the message: inline images and attached documents alike."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class InboundMessage:
    """A parsed message. `parse_error` is set (and the rest may be empty) when the bytes could
    not be understood: such a message goes to quarantine and never stops the queue."""

    message_id: str
    """The `Message-ID` header without angle brackets; the parser derives a stable one from
    the bytes' SHA-256 when the header is missing."""
    uid_key: str
    """`<mailbox>/<UIDVALIDITY>/<UID>`: where the message sat when it was read."""
    from_address: str
    """The sender's address, lower-cased, without the display name."""
    to_addresses: tuple[str, ...]
    """Every `To` and `Cc` address, lower-cased: a plus-address (`support+KZ-12@…`) names a key."""
    subject: str
    """Decoded (RFC 2047), whitespace folded."""
    text: str
    """The plain-text body; for an HTML-only message, its text with the markup removed."""
    headers: dict[str, str]
    """Every header, names lower-cased, values decoded; a repeated header keeps its first value."""
    attachments: tuple[InboundAttachment, ...] = ()
    received_at: datetime | None = None
    raw: bytes = b""
    parse_error: str | None = None
    in_reply_to: tuple[str, ...] = field(default=())
    """`In-Reply-To` and `References` message ids, without angle brackets."""
