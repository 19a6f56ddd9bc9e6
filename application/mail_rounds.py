"""The elected worker's rounds over the desk's mailbox: take each message, answer, file it.

A round reads what waits in the mailbox, gives each message to the intake (which applies it
once, or quarantines it), sends the acknowledgement of a message that reported an issue, and
only then asks the mailbox to file the message (`\\Seen`, moved to `Processed`). The order
is what makes a killed worker harmless: a message the intake recorded but the mailbox did not
file is read again by the next worker, and the intake answers "duplicate" from its record.
The acknowledgement is therefore sent at least once, never lost: a duplicate of a reported
message is acknowledged again under the same Message-ID, which mail clients fold into one.

Nothing here knows IMAP or SMTP: the composition point (`interfaces/mail_worker.py`) hands in
the mailbox and the sender.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from eventsourcing.persistence import InterfaceError, OperationalError

from application.inbound_mail import InboundMessage
from application.mail_intake import REPORTED, IntakeOutcome, MailIntake
from domain.mail_triage import OWN_MESSAGE_ID_DOMAIN, Acknowledgement, acknowledgement, reply_address

log = logging.getLogger("kaizen.mail")
RETRY_MAX_S = 300.0
POISON_AFTER = 3
"""Rounds in a row one message may fail in (a fault of the desk's, not of the store) before it is
set aside in the quarantine, so that one message never holds up the rest of the mailbox."""
INFRASTRUCTURE = (OperationalError, InterfaceError, OSError)


class Mailbox(Protocol):
    def waiting(self) -> list[InboundMessage]:
        """Messages still in the mailbox, oldest first (a bounded batch)."""
        ...

    def processed(self, message: InboundMessage) -> None:
        """File the message away: the intake has recorded it."""
        ...

    def still_there(self) -> bool: ...

    def close(self) -> None: ...


SendReply = Callable[[Acknowledgement], str | None]
"""Send one acknowledgement; the error's text, or None when it was sent."""


@dataclass
class RoundFigures:
    """What the rounds did since start, for the log, the metrics and the fault drill."""

    applied: int = 0
    duplicates: int = 0
    quarantined: int = 0
    replies: int = 0
    reply_failures: int = 0
    failures: int = 0
    by_action: dict[str, int] = field(default_factory=dict)


class MailRounds:
    def __init__(
        self,
        intake: MailIntake,
        open_mailbox: Callable[[], Mailbox],
        send_reply: SendReply,
        *,
        interval: float,
        reply_to: str | None = None,
        leading: Callable[[], bool] = lambda: True,
    ) -> None:
        self.intake = intake
        self.open_mailbox = open_mailbox
        self.send_reply = send_reply
        self.interval = interval
        self.reply_to = reply_to
        self.leading = leading
        self.figures = RoundFigures()
        self._mailbox: Mailbox | None = None
        self._failures: dict[str, int] = {}

    def round(self) -> int:
        """Take every message waiting now (batch after batch); returns how many were taken."""
        taken = 0
        while self.leading():
            mailbox = self._connected()
            batch = mailbox.waiting()
            if not batch:
                break
            for message in batch:
                if not self.leading():
                    return taken  # another worker leads now: it reads what is left
                self._take(mailbox, message)
                taken += 1
        return taken

    def _take(self, mailbox: Mailbox, message: InboundMessage) -> None:
        try:
            outcome = self.intake.take(message)
        except INFRASTRUCTURE:
            raise  # the store is away: the round is retried, the message is not to blame
        except Exception as exc:
            failed = self._failures[message.message_id] = self._failures.get(message.message_id, 0) + 1
            if failed < POISON_AFTER:
                raise
            log.exception("mail %s failed %d times; set aside in the quarantine", message.message_id, failed)
            outcome = self.intake.set_aside(message, f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500])
        self._failures.pop(message.message_id, None)
        self._count(outcome)
        reply = outcome.reply or self._again(outcome, message)
        if reply is not None:
            self._send(reply, message)
        mailbox.processed(message)
        log.info(
            "mail %s from %s: %s %s",
            outcome.message_id,
            message.from_address or "?",
            outcome.status,
            outcome.issue_key or outcome.reason or "",
        )

    def _again(self, outcome: IntakeOutcome, message: InboundMessage) -> Acknowledgement | None:
        """The acknowledgement of a reported message taken before (its filing did not happen)."""
        if outcome.status != "duplicate" or outcome.action != REPORTED or not outcome.issue_key:
            return None
        title = self.intake.issue_title(outcome.issue_key)
        return acknowledgement(message.from_address, outcome.issue_key, title, outcome.message_id, message.in_reply_to)

    def _send(self, reply: Acknowledgement, message: InboundMessage) -> None:
        headers = dict(reply.headers)
        digest = hashlib.sha256(message.message_id.encode()).hexdigest()[:40]
        headers["Message-ID"] = f"<ack-{digest}{OWN_MESSAGE_ID_DOMAIN}>"
        if self.reply_to and reply.key:
            headers["Reply-To"] = reply_address(self.reply_to, reply.key)
        error = self.send_reply(Acknowledgement(reply.to, reply.subject, reply.text, headers, reply.key))
        if error is None:
            self.figures.replies += 1
        else:  # the issue exists and is listed in the person's "My issues": log, do not hold the queue
            self.figures.reply_failures += 1
            log.warning("acknowledgement of %s to %s not sent: %s", message.message_id, reply.to, error)

    def _count(self, outcome: IntakeOutcome) -> None:
        f = self.figures
        if outcome.status == "applied":
            f.applied += 1
            f.by_action[outcome.action or "?"] = f.by_action.get(outcome.action or "?", 0) + 1
        elif outcome.status == "duplicate":
            f.duplicates += 1
        else:
            f.quarantined += 1

    def _connected(self) -> Mailbox:
        if self._mailbox is not None and not self._mailbox.still_there():
            self._drop()
        if self._mailbox is None:
            self._mailbox = self.open_mailbox()
        return self._mailbox

    def _drop(self) -> None:
        if self._mailbox is not None:
            self._mailbox.close()
            self._mailbox = None

    def run(self, stop: threading.Event) -> None:
        """Poll every `interval` while this process leads; a failure is logged in one line and
        retried with a growing wait (a mailbox away for an hour does not fill the log)."""
        wait, last_error = self.interval, ""
        while not stop.is_set():
            if not self.leading():
                self._drop()
                stop.wait(1.0)
                continue
            try:
                self.round()
                wait, last_error = self.interval, ""
            except Exception as exc:
                self.figures.failures += 1
                self._drop()
                error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
                log.warning(
                    "mail intake round failed (%s); retrying in %.0f s", error, wait, exc_info=error != last_error
                )
                last_error = error
                stop.wait(wait)
                wait = min(wait * 2, max(RETRY_MAX_S, self.interval))
                continue
            stop.wait(self.interval)
        self._drop()
