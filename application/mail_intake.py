"""E-mail intake: each message becomes the command it means, or waits in quarantine, once.

The IMAP worker parses each message into an `InboundMessage` and calls
`MailIntake(desk, tickets).take(message)`; nothing here knows IMAP or MIME. The rules of
reading a message are the domain's (`domain.mail_triage`); the commands are the desk's own
(`report`, `comment_on_issue`, `record_vendor_update`), called with the sender's rights, so a
mailed comment is refused exactly where the same comment over HTTP would be.

Exactly once: the message's record (`domain.mail_record`, id derived from the Message-ID) is
saved in the same write as the command it caused, through the context's companion
(`application.context.Companion`), or alone as its quarantine. A second taking of the message
(a restart before the message was moved, a killed worker, a second worker) fails that write on
the event store's unique key; only after reading the record back is that called a duplicate.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.attachments import Upload
from application.context import Context, Receipt
from application.errors import ApplicationError, NotFound
from application.inbound_mail import InboundMessage
from domain.access import ADMIN_ONLY, AccessDenied, role_family
from domain.actor import Actor
from domain.attachment_types import AttachmentRefused
from domain.errors import DomainError, InvalidCommand, TransitionRefused
from domain.issue import Issue
from domain.mail_record import AppliedMail, QuarantinedMail, mail_record_id, message_id_of
from domain.mail_triage import (
    Acknowledgement,
    QuarantineReason,
    acknowledgement,
    excerpt,
    is_auto_reply,
    is_own_mail,
    issue_description,
    issue_title,
    matches_mail_from,
    named_key,
    readable,
    reply_text,
    ticket_named,
)
from domain.person import Person
from domain.vendor_terms_defaults import TERMS_VENDORS

if TYPE_CHECKING:
    from application.desk import KaizenDesk

VIA = "email"
"""The `via` of every event a message causes: an auditor tells "lina, by e-mail" from the console."""
REPORTED, COMMENTED, VENDOR_UPDATE = "reported", "commented", "vendor_update"
NEW_ISSUE: Final[dict[str, Any]] = {"module": "other", "impact_scope": "user", "urgency": "minor", "vendor": "internal"}
"""A mailed issue's facts the mail does not say: the least urgent, for the triage to correct."""
TICKET_SEARCH = 4000  # characters of the body searched for a vendor ticket after the subject


class VendorTickets(Protocol):
    """Where a vendor's mail finds the issue its ticket number names (`projections.mail_intake`)."""

    def open_tickets(self, vendor: str) -> Mapping[str, str]:
        """Ticket -> issue id, of the issues escalated to `vendor` and not closed."""
        ...


@dataclass(frozen=True)
class IntakeOutcome:
    """What taking one message did. `status`: `applied`, `duplicate` (it was taken before: the
    other fields say how) or `quarantined`. `reply`, only on the message that reported an
    issue, is the acknowledgement for the worker to send (see docs/email-intake.md)."""

    status: str
    message_id: str
    action: str | None = None  # reported | commented | vendor_update
    issue_key: str | None = None
    reason: str | None = None  # a QuarantineReason
    detail: str | None = None
    quarantine_id: str | None = None
    notes: tuple[str, ...] = ()
    position: int | None = None
    reply: Acknowledgement | None = None


@dataclass(frozen=True)
class _Plan:
    """A command the message means, to run with the sender's context."""

    action: str
    actor: Actor
    run: Callable[[Context], Receipt]
    title: str | None = None


@dataclass(frozen=True)
class _Quarantine:
    reason: QuarantineReason
    detail: str | None = None


@dataclass
class _Applied:
    """The companion of a message's command: its `AppliedMail`, saved in the command's write."""

    intake: MailIntake
    message_id: str
    uid_key: str
    sender: str
    action: str
    notes: list[str]
    actor: Actor
    at: datetime

    def record(self, receipt: Receipt) -> AppliedMail:
        return AppliedMail(
            message_id=self.message_id,
            uid_key=readable(self.uid_key, 300, multiline=False) or "-",
            sender=self.sender,
            outcome=self.action,
            issue_key=receipt.key,
            notes=self.notes,
            actor=self.actor,
            occurred_at=self.at,
        )

    def recorded(self) -> Receipt | None:
        found = self.intake.record_of(self.message_id)
        if found is None:
            return None
        return Receipt(key=getattr(found, "issue_key", "") or "", version=0, position=None, kind="mail", replayed=True)


@dataclass
class _Decision:
    """The companion of an accepted quarantined message: its `Accepted`, in the command's write."""

    intake: MailIntake
    record_id: UUID
    person: str
    action: str
    admin: Actor
    at: datetime
    decided: list[QuarantinedMail] = field(default_factory=list)

    def record(self, receipt: Receipt) -> QuarantinedMail:
        record = self.intake.quarantined(self.record_id)
        record.accept(self.person, receipt.key, self.action, self.admin, self.at)
        self.decided[:] = [record]
        return record

    def recorded(self) -> Receipt | None:
        return None  # a second decision is refused (409), never replayed


class MailIntake:
    """The intake's commands: `take` a message; list, `accept` or `discard` quarantined ones.

    `tickets` finds an issue by its vendor ticket (without it, a vendor's mail must name the
    key); `own_addresses` are the desk's sending addresses (default `KAIZEN_SMTP_FROM`): mail
    from them is the desk's own, coming back."""

    def __init__(
        self, desk: KaizenDesk, tickets: VendorTickets | None = None, own_addresses: Sequence[str] | None = None
    ) -> None:
        self.desk = desk
        self.tickets = tickets
        if own_addresses is None:
            own_addresses = [os.environ.get("KAIZEN_SMTP_FROM") or "kaizen-desk@localhost"]
        self.own_addresses = tuple(a.strip().lower() for a in own_addresses if a.strip())

    # -- reading records ---------------------------------------------------------------------------
    def record_of(self, message_id: str) -> AppliedMail | QuarantinedMail | None:
        """The record of a message already taken, applied or quarantined, or None."""
        try:
            found: Any = self.desk.repository.get(mail_record_id(message_id))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, AppliedMail | QuarantinedMail) else None

    def quarantined(self, record_id: UUID | str) -> QuarantinedMail:
        try:
            checked = record_id if isinstance(record_id, UUID) else UUID(str(record_id))
        except ValueError:
            raise NotFound(f"quarantined message {record_id} was not found") from None
        return self.desk._load(checked, QuarantinedMail, f"quarantined message {record_id}")

    def get_quarantined(self, actor: Actor, record_id: str) -> QuarantinedMail:
        _authorise(actor)
        return self.quarantined(record_id)

    def raw_message(self, actor: Actor, record_id: str) -> bytes:
        """The message's bytes as they arrived (empty when none were kept)."""
        record = self.get_quarantined(actor, record_id)
        if not record.raw_sha256:
            return b""
        return b"".join(self.desk.attachment_bytes(record.raw_sha256))

    # -- taking a message ----------------------------------------------------------------------------
    def take(self, message: InboundMessage) -> IntakeOutcome:
        """Apply the message once, or quarantine it; never raises for what the message says."""
        message_id = _checked_message_id(message)
        done = self.record_of(message_id)
        if done is not None:
            return _duplicate(message_id, done)
        found = self._triage(message)
        if isinstance(found, _Quarantine):
            return self._quarantine(message, message_id, found.reason, found.detail, named_key_of(message))
        files, notes = self._stored_files(message)
        plan = self._plan(message, found, files, notes)
        if isinstance(plan, _Quarantine):
            return self._quarantine(message, message_id, plan.reason, plan.detail, named_key_of(message))
        companion = _Applied(
            self, message_id, message.uid_key, _sender(message), plan.action, notes, plan.actor, self.desk.clock()
        )
        try:
            receipt = plan.run(Context(plan.actor, companion=companion))
        except (DomainError, ApplicationError) as exc:
            reason = _refusal_reason(exc)
            return self._quarantine(message, message_id, reason, str(exc), named_key_of(message))
        if receipt.replayed:
            again = self.record_of(message_id)
            assert again is not None  # `recorded` read it before answering with a replay
            return _duplicate(message_id, again)
        reply = None
        if plan.action == REPORTED:
            reply = acknowledgement(_sender(message), receipt.key, plan.title or "", message_id, message.in_reply_to)
        return IntakeOutcome(
            status="applied",
            message_id=message_id,
            action=plan.action,
            issue_key=receipt.key,
            notes=tuple(notes),
            position=receipt.position,
            reply=reply,
        )

    def _triage(self, message: InboundMessage) -> _Quarantine | str | None:
        """A quarantine, or the key the message names (None: none)."""
        if message.parse_error:
            return _Quarantine(QuarantineReason.UNPARSABLE, readable(message.parse_error, 500))
        headers = {name.lower(): value for name, value in message.headers.items()}
        if is_own_mail(headers, message.message_id, _sender(message), self.own_addresses):
            return _Quarantine(QuarantineReason.OWN_MAIL)
        if is_auto_reply(headers):
            return _Quarantine(QuarantineReason.AUTO_REPLY)
        return named_key_of(message)

    def _plan(self, message: InboundMessage, key: str | None, files: list[dict[str, Any]], notes: list[str]) -> Any:
        """The command the message means (`_Plan`), or why it is set aside (`_Quarantine`)."""
        sender = _sender(message)
        vendor_plan = self._vendor_plan(message, key, files, notes)
        if vendor_plan is not None:
            return vendor_plan
        person = self.desk.person_by_login(sender) if sender else None
        if person is None or not person.active:
            return _Quarantine(QuarantineReason.UNKNOWN_SENDER)
        actor = Actor(person.person_id, person.role, VIA)
        return self._person_plan(actor, person, message.subject, message.text, key, files, notes)

    def _person_plan(
        self,
        actor: Actor,
        person: Person,
        subject: str,
        text: str,
        key: str | None,
        files: list[dict[str, Any]],
        notes: list[str],
    ) -> _Plan:
        if key is not None:
            body = issue_description(reply_text(text), notes)
            return _Plan(COMMENTED, actor, lambda ctx: self.desk.comment_on_issue(ctx, key, body=body, files=files))
        title = issue_title(subject)
        description = issue_description(text, notes)
        language = getattr(person, "language", None)
        return _Plan(
            REPORTED,
            actor,
            lambda ctx: self.desk.report(
                ctx, title=title, description=description, language=language, files=files, **NEW_ISSUE
            ),
            title,
        )

    def _vendor_plan(
        self, message: InboundMessage, key: str | None, files: list[dict[str, Any]], notes: list[str]
    ) -> _Plan | _Quarantine | None:
        """A vendor update, when the sender is one of a vendor's `mail_from` addresses and the
        message names an issue escalated to that vendor (by key, or by the vendor's ticket);
        None when the sender is no vendor's."""
        sender = _sender(message)
        issue = self._issue_named(key) if key is not None else None
        escalated = [issue.escalation["vendor"]] if issue is not None and issue.escalation is not None else []
        candidates = dict.fromkeys([*escalated, *TERMS_VENDORS])
        vendors = [v for v in candidates if matches_mail_from(sender, self._mail_from(v))]
        if not vendors:
            return None
        named: tuple[str, str] | None = None
        if issue is not None and issue.escalation is not None and issue.escalation["vendor"] in vendors:
            named = (issue.escalation["vendor"], issue.key)
        else:
            named = self._ticket_named(vendors, message)
        if named is None:
            person = self.desk.person_by_login(sender)
            if person is not None and person.active and not person.is_vendor:
                return None  # one of the company's own people on the vendor's domain (a consultant)
            detail = f"no open issue escalated to {', '.join(vendors)} is named by key or vendor ticket"
            return _Quarantine(QuarantineReason.VENDOR_UNMATCHED, detail)
        vendor, target = named
        actor = self._vendor_actor(sender, vendor)
        message_text = issue_description(reply_text(message.text), notes)
        return _Plan(
            VENDOR_UPDATE,
            actor,
            lambda ctx: self.desk.record_vendor_update(ctx, target, message=message_text, files=files),
        )

    def _vendor_actor(self, sender: str, vendor: str) -> Actor:
        """The vendor's enrolled person when the address is theirs; else the address itself, with
        the vendor's role (the vendor's mail_from vouches for it)."""
        person = self.desk.person_by_login(sender)
        if person is not None and person.active and f"vendor:{vendor}" in person.roles:
            return Actor(person.person_id, f"vendor:{vendor}", VIA)
        return Actor(readable(sender, 200, multiline=False), f"vendor:{vendor}", VIA)

    def _mail_from(self, vendor: str) -> list[str]:
        document = self.desk.get_vendor_terms(vendor).document or {}
        return list(document.get("mail_from") or [])

    def issue_title(self, key: str) -> str:
        """The title of the issue a message reported (for its acknowledgement sent again)."""
        issue = self._issue_named(key)
        return issue.title if issue is not None else ""

    def _issue_named(self, key: str) -> Issue | None:
        try:
            return self.desk.get_issue(key)
        except (NotFound, InvalidCommand):
            return None

    def _ticket_named(self, vendors: Sequence[str], message: InboundMessage) -> tuple[str, str] | None:
        """(vendor, key) of the open escalation whose ticket the subject (or the body's start) names."""
        if self.tickets is None:
            return None
        for vendor in vendors:
            tickets = dict(self.tickets.open_tickets(vendor))
            if not tickets:
                continue
            issue_id = ticket_named(message.subject, tickets) or ticket_named(message.text[:TICKET_SEARCH], tickets)
            if issue_id is None:
                continue
            try:
                found = self.desk._load(UUID(issue_id), Issue, "issue")
            except (NotFound, ValueError):
                continue
            return vendor, found.key
        return None

    def _stored_files(self, message: InboundMessage) -> tuple[list[dict[str, Any]], list[str]]:
        """Each attachment judged and stored as an upload is; one refused is noted, not fatal."""
        files: list[dict[str, Any]] = []
        notes: list[str] = []
        for attachment in message.attachments:
            name = readable(attachment.name, 200, multiline=False) or "attachment"
            try:
                files.append(
                    self.desk.store_upload(
                        Upload(io.BytesIO(attachment.data), name, attachment.content_type, len(attachment.data))
                    )
                )
            except AttachmentRefused as exc:
                notes.append(f"attachment {name} was not kept: {exc}")
        return files, notes

    # -- quarantine --------------------------------------------------------------------------------
    def set_aside(self, message: InboundMessage, failure: str) -> IntakeOutcome:
        """Quarantine a message the intake itself failed on, again and again (a fault of the
        desk's, not something the message says), so that it does not hold up the queue. Its
        attachments are not read again: the administrator has the raw message."""
        message_id = _checked_message_id(message)
        done = self.record_of(message_id)
        if done is not None:
            return _duplicate(message_id, done)
        unread = replace(message, parse_error=failure)
        detail = f"the desk failed on this message: {failure}"
        return self._quarantine(unread, message_id, QuarantineReason.REFUSED, detail, named_key_of(message))

    def _quarantine(
        self,
        message: InboundMessage,
        message_id: str,
        reason: QuarantineReason,
        detail: str | None,
        key: str | None,
    ) -> IntakeOutcome:
        """Keep the raw bytes (a blob) and the facts an administrator decides on, in one event."""
        raw_sha = self.desk.blobs.put(io.BytesIO(message.raw)).sha256 if message.raw else None
        files, notes = ([], []) if message.parse_error else self._stored_files(message)
        record = QuarantinedMail(
            message_id=message_id,
            uid_key=readable(message.uid_key, 300, multiline=False) or "-",
            sender=_sender(message) or "-",
            subject=readable(message.subject, 300, multiline=False),
            reason=reason,
            detail=readable(detail, 2000) if detail else None,
            excerpt=excerpt(message.text, message.raw),
            body=readable(message.text, 19_000),
            files=files,
            notes=notes,
            received_at=message.received_at,
            raw_sha256=raw_sha,
            raw_size=len(message.raw),
            named_key=key,
            actor=_INTAKE,
            occurred_at=self.desk.clock(),
        )
        try:
            recordings = self.desk.save(record)
        except IntegrityError:
            done = self.record_of(message_id)
            if done is None:
                raise
            return _duplicate(message_id, done)
        return IntakeOutcome(
            status="quarantined",
            message_id=message_id,
            reason=str(reason),
            detail=record.detail,
            quarantine_id=record.quarantine_id,
            notes=tuple(notes),
            position=max((r.notification.id for r in recordings), default=None),
        )

    def accept(self, ctx: Context, record_id: str, *, person: str, key: str | None = None) -> Receipt:
        """Apply a quarantined message as `person` (active): onto issue `key` as their comment,
        or, without a key, as a new issue they report; decided once (409 after)."""
        _authorise(ctx.actor)
        record = self.quarantined(record_id)
        if record.status != "quarantined":
            raise TransitionRefused("accept this message", record.status, "it was already decided")
        found = self.desk.person_now(person)
        if found is None or not found.active:
            raise InvalidCommand(f"person {person!r} is not an active person", "person")
        actor = Actor(found.person_id, found.role, VIA)
        files = [dict(f) for f in record.files]
        plan = self._person_plan(actor, found, record.subject, record.body, key, files, list(record.notes))
        decision = _Decision(self, record.id, found.person_id, plan.action, ctx.actor, self.desk.now(ctx))
        as_person = Context(
            actor,
            idempotency_key=ctx.idempotency_key,
            fingerprint=ctx.fingerprint,
            principal=ctx.idempotency_principal,
            companion=decision,
        )
        try:
            return plan.run(as_person)
        except AccessDenied as exc:
            if key is None:
                raise InvalidCommand(f"{person} may not report issues", "person") from None
            raise InvalidCommand(f"{person} may not comment on {key}: {exc}", "person") from None

    def discard(self, ctx: Context, record_id: str) -> Receipt:
        _authorise(ctx.actor)
        record = self.quarantined(record_id)
        return self.desk._change(
            ctx,
            record.id,
            QuarantinedMail,
            f"quarantined message {record_id}",
            "mail",
            lambda r: r.discard(ctx.actor, self.desk.now(ctx)),
        )


_INTAKE = Actor("mail-intake", "system", VIA)
"""The actor of a quarantine: no person did it; the desk set the message aside."""


def _authorise(actor: Actor) -> None:
    if role_family(actor) not in ADMIN_ONLY:
        raise AccessDenied(f"role {actor.role} may not decide on quarantined mail", visible=True)


def _sender(message: InboundMessage) -> str:
    return readable(message.from_address, 254, multiline=False).lower()


def named_key_of(message: InboundMessage) -> str | None:
    return named_key(message.subject or "", message.to_addresses)


def _checked_message_id(message: InboundMessage) -> str:
    """The Message-ID, or one derived from the bytes when it cannot be stored as it is."""
    try:
        return message_id_of(message.message_id)
    except InvalidCommand:
        material = message.raw or repr(message).encode("utf-8", errors="replace")
        return f"sha256-{hashlib.sha256(material).hexdigest()}@kaizen-intake"


def _refusal_reason(exc: Exception) -> QuarantineReason:
    if isinstance(exc, NotFound) or (isinstance(exc, AccessDenied) and not exc.visible):
        return QuarantineReason.UNKNOWN_ISSUE
    return QuarantineReason.REFUSED


def _duplicate(message_id: str, record: AppliedMail | QuarantinedMail) -> IntakeOutcome:
    if isinstance(record, AppliedMail):
        return IntakeOutcome(
            status="duplicate",
            message_id=message_id,
            action=record.outcome,
            issue_key=record.issue_key,
            notes=tuple(record.notes),
        )
    return IntakeOutcome(
        status="duplicate",
        message_id=message_id,
        reason=str(record.reason),
        quarantine_id=record.quarantine_id,
        issue_key=(record.decision or {}).get("issue_key"),
    )
