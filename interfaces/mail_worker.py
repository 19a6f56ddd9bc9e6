"""The elected worker's e-mail intake: `KAIZEN_IMAP_URL` read every `KAIZEN_IMAP_INTERVAL`.

A composition point: it wires the IMAP mailbox and the SMTP sender (adapters) and the vendor
tickets (a projection) into the intake's rounds (`application.mail_rounds`). It runs in a
daemon thread beside the projection runner, in the leader only (it shares their election), so
two workers never read the mailbox at once in the ordinary course; if they ever do (a
leadership handed over mid-round), the intake's record still applies each message once.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from adapters.imap_mailbox import ImapMailbox, ImapSettings
from adapters.transports import send_mail
from application.mail_intake import MailIntake
from application.mail_rounds import MailRounds
from domain.mail_triage import Acknowledgement
from projections.mail_intake import VendorTicketQueries
from projections.ports import SmtpSettings
from projections.store import ViewStore


def mail_rounds(desk: Any, store: ViewStore, settings: ImapSettings, election: Any = None) -> MailRounds:
    """The rounds over `settings`' mailbox, answering through `KAIZEN_SMTP_*`."""
    env = dict(os.environ)
    smtp = SmtpSettings.from_env(env)
    reply_to = smtp.reply_to or smtp.sender

    def send_reply(reply: Acknowledgement) -> str | None:
        return send_mail(smtp, reply.to, reply.subject, reply.text, reply.headers).error

    def leading() -> bool:
        return election is None or bool(election.is_leader)

    own = {smtp.sender, reply_to}
    intake = MailIntake(desk, VendorTicketQueries(store), own_addresses=sorted(own))
    return MailRounds(
        intake,
        lambda: ImapMailbox(settings),
        send_reply,
        interval=settings.interval,
        reply_to=reply_to,
        leading=leading,
    )


def start_mail_intake(desk: Any, store: ViewStore, election: Any, stop: threading.Event) -> threading.Thread | None:
    """Start the rounds in a daemon thread (None when no mailbox is configured). A malformed
    `KAIZEN_IMAP_URL` stops the start with its one-line reason (ValueError)."""
    settings = ImapSettings.from_env(os.environ)
    if settings is None:
        return None
    rounds = mail_rounds(desk, store, settings, election)
    thread = threading.Thread(target=rounds.run, args=(stop,), daemon=True, name="kaizen-mail-intake")
    thread.start()
    return thread
