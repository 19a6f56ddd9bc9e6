"""The desk's mailbox over IMAP (`KAIZEN_IMAP_URL`): read what waits, then file it away.

`imaps://user:password@host[:port]/MAILBOX` (TLS from the first byte, port 993) or
`imap://…` (port 143, upgraded with STARTTLS before the password is sent: a server that cannot
upgrade is refused, never spoken to in clear). The standard library's `imaplib` is enough: the
desk needs LOGIN, SELECT, UID SEARCH/FETCH/STORE and MOVE (or COPY + EXPUNGE where the
server has no MOVE), nothing a larger client library would add.

A message is read with `BODY.PEEK[]` so reading alone changes nothing on the server; only
after the intake has recorded it (`processed`) is it flagged `\\Seen` and moved to
`MAILBOX/Processed`. A worker killed in between leaves the message where it was, and the next
worker takes it again: the intake answers "duplicate" from its own record, so nothing is
applied twice (application/mail_intake.py). Each message is named by `uid_key`
(`MAILBOX/UIDVALIDITY/UID`), recorded beside its Message-ID.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import unquote, urlsplit

from adapters.mail_parsing import parse_message, unreadable
from application.inbound_mail import InboundMessage

DEFAULT_INTERVAL: Final = 30.0
PROCESSED: Final = "Processed"
MAX_MESSAGE_BYTES: Final = 64 * 1024 * 1024
"""A larger message is not fetched whole: its headers go to quarantine as unreadable."""
BATCH: Final = 50
"""Messages read per round; the rest wait for the next round (a full inbox does not hold the
worker's leadership check back for minutes)."""
_FETCHED = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_LIST_DELIMITER = re.compile(rb'\([^)]*\) "(.)"')


class MailboxError(Exception):
    """The mailbox could not be reached or refused a step; the worker retries later."""


@dataclass(frozen=True)
class ImapSettings:
    """`KAIZEN_IMAP_URL`, `KAIZEN_IMAP_INTERVAL` (seconds between polls, default 30) and
    `KAIZEN_IMAP_CA_FILE` (a CA bundle to trust instead of the system's, for a company CA)."""

    scheme: str
    host: str
    port: int
    user: str
    password: str
    mailbox: str
    interval: float = DEFAULT_INTERVAL
    ca_file: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ImapSettings | None:
        """None when no mailbox is configured; ValueError (one line) for a malformed one."""
        url = (env.get("KAIZEN_IMAP_URL") or "").strip()
        if not url:
            return None
        try:
            interval = float(env.get("KAIZEN_IMAP_INTERVAL") or DEFAULT_INTERVAL)
        except ValueError:
            raise ValueError("KAIZEN_IMAP_INTERVAL must be a number of seconds") from None
        if not 1 <= interval <= 3600:
            raise ValueError("KAIZEN_IMAP_INTERVAL must be between 1 and 3600 seconds")
        return cls.from_url(url, interval, (env.get("KAIZEN_IMAP_CA_FILE") or "").strip() or None)

    @classmethod
    def from_url(cls, url: str, interval: float = DEFAULT_INTERVAL, ca_file: str | None = None) -> ImapSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps"):
            raise ValueError("KAIZEN_IMAP_URL must start with imaps:// or imap:// (STARTTLS)")
        try:
            port = parts.port or (993 if parts.scheme == "imaps" else 143)
        except ValueError:
            raise ValueError("KAIZEN_IMAP_URL has a port that is not a number") from None
        if not parts.hostname or not parts.username or parts.password is None:
            raise ValueError("KAIZEN_IMAP_URL must name user:password@host")
        mailbox = unquote(parts.path.lstrip("/")) or "INBOX"
        if any(ch in mailbox for ch in '"\\\r\n') or len(mailbox) > 200:
            raise ValueError("KAIZEN_IMAP_URL names a mailbox the desk cannot quote")
        return cls(
            parts.scheme,
            parts.hostname,
            port,
            unquote(parts.username),
            unquote(parts.password),
            mailbox,
            interval,
            ca_file,
        )

    @property
    def redacted(self) -> str:
        return f"{self.scheme}://{self.user}@{self.host}:{self.port}/{self.mailbox}"

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)


class ImapMailbox:
    """One logged-in session on the desk's mailbox; `close` it (or use it as a context)."""

    def __init__(self, settings: ImapSettings, timeout: float = 30.0) -> None:
        self.settings = settings
        self.imap = self._login(timeout)
        self.processed_folder = self._processed_folder()
        self.uidvalidity = self._select()
        self.can_move = "MOVE" in self.imap.capabilities
        self.uidplus = "UIDPLUS" in self.imap.capabilities

    def __enter__(self) -> ImapMailbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _login(self, timeout: float) -> imaplib.IMAP4:
        s = self.settings
        try:
            if s.scheme == "imaps":
                imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(s.host, s.port, ssl_context=s.tls(), timeout=timeout)
            else:
                imap = imaplib.IMAP4(s.host, s.port, timeout=timeout)
                imap.starttls(s.tls())  # refuses (raises) rather than log in over a clear line
            imap.login(s.user, s.password)
        except (imaplib.IMAP4.error, OSError, ssl.SSLError) as exc:
            raise MailboxError(f"cannot log in to {s.redacted}: {_said(exc)}") from None
        return imap

    def _processed_folder(self) -> str:
        """`MAILBOX<delimiter>Processed`, created on first use."""
        typ, data = self.imap.list('""', _quoted(self.settings.mailbox))
        delimiter = "/"
        for line in data or []:
            found = _LIST_DELIMITER.match(line) if isinstance(line, bytes) else None
            if found:
                delimiter = found.group(1).decode()
        folder = f"{self.settings.mailbox}{delimiter}{PROCESSED}"
        typ, _ = self.imap.list('""', _quoted(folder))
        if typ == "OK" and _ is not None and any(isinstance(line, bytes) for line in _):
            return folder
        typ, data = self.imap.create(_quoted(folder))
        if typ != "OK" and b"exists" not in b" ".join(d for d in data if isinstance(d, bytes)).lower():
            raise MailboxError(f"cannot create {folder}: {data!r}"[:300])
        self.imap.subscribe(_quoted(folder))
        return folder

    def _select(self) -> int:
        typ, data = self.imap.select(_quoted(self.settings.mailbox))
        if typ != "OK":
            raise MailboxError(f"cannot open {self.settings.mailbox}: {data!r}"[:300])
        _, validity = self.imap.response("UIDVALIDITY")
        try:
            return int((validity or [b"0"])[0] or b"0")
        except ValueError:
            return 0

    def waiting(self, limit: int = BATCH) -> list[InboundMessage]:
        """The messages still in the mailbox (read or not: everything there is work to do),
        oldest first, at most `limit`."""
        typ, data = self.imap.uid("SEARCH", "UNDELETED")
        if typ != "OK":
            raise MailboxError(f"cannot search {self.settings.mailbox}: {data!r}"[:300])
        uids = [int(uid) for uid in (data[0] or b"").split()][:limit]
        return [self._read(uid) for uid in uids]

    def _read(self, uid: int) -> InboundMessage:
        uid_key = f"{self.settings.mailbox}/{self.uidvalidity}/{uid}"
        _, data = self.imap.uid("FETCH", str(uid), "(RFC822.SIZE INTERNALDATE)")
        meta = b" ".join(part if isinstance(part, bytes) else part[0] for part in data or [] if part)
        size = _SIZE.search(meta)
        received = _received(meta)
        if size and int(size.group(1)) > MAX_MESSAGE_BYTES:
            head = self._fetch(uid, "BODY.PEEK[HEADER]")
            return unreadable(head, uid_key, f"message of {int(size.group(1))} bytes is over the intake's limit")
        raw = self._fetch(uid, "BODY.PEEK[]")
        return parse_message(raw, uid_key, received)

    def _fetch(self, uid: int, item: str) -> bytes:
        typ, data = self.imap.uid("FETCH", str(uid), f"({item})")
        if typ != "OK":
            raise MailboxError(f"cannot fetch UID {uid}: {data!r}"[:300])
        for part in data or []:
            if isinstance(part, tuple) and _FETCHED.search(part[0]):
                return bytes(part[1])
        raise MailboxError(f"UID {uid} is gone from {self.settings.mailbox}")

    def processed(self, message: InboundMessage) -> None:
        """Flag the message `\\Seen` and move it to `Processed`: the intake has recorded it."""
        uid = message.uid_key.rsplit("/", 1)[-1]
        self.imap.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
        if self.can_move:
            typ, data = self.imap.uid("MOVE", uid, _quoted(self.processed_folder))
        else:
            typ, data = self.imap.uid("COPY", uid, _quoted(self.processed_folder))
            if typ == "OK":
                self.imap.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
                if self.uidplus:
                    self.imap.uid("EXPUNGE", uid)
                else:
                    self.imap.expunge()
        if typ != "OK":
            raise MailboxError(f"cannot move UID {uid} to {self.processed_folder}: {data!r}"[:300])

    def still_there(self) -> bool:
        """A cheap NOOP: False when the connection died (the worker logs in again)."""
        try:
            return self.imap.noop()[0] == "OK"
        except (imaplib.IMAP4.error, OSError):
            return False

    def close(self) -> None:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self.imap.close()
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self.imap.logout()


def open_mailbox(settings: ImapSettings) -> ImapMailbox:
    return ImapMailbox(settings)


def _quoted(name: str) -> str:
    return f'"{name}"'


def _received(meta: bytes) -> datetime | None:
    found = _INTERNALDATE.search(meta)
    if not found:
        return None
    with contextlib.suppress(ValueError):
        return datetime.strptime(found.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z").astimezone(UTC)
    return None


def _said(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__
