"""The e-mail intake against a real IMAP server (Debian's Dovecot) and a real SMTP sink
(aiosmtpd), on both stores: real RFC 5322 messages are delivered into a mailbox, the worker's
rounds read them, the desk records what each one means, the sender gets the key by reply, and
every message ends `\\Seen` in `INBOX/Processed`.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path
from typing import Any

import pytest

from adapters.imap_mailbox import ImapMailbox, ImapSettings, MailboxError
from adapters.transports import send_mail
from application.context import Context
from application.mail_intake import MailIntake
from application.mail_rounds import MailRounds
from domain.actor import Actor
from domain.mail_record import QuarantinedMail
from domain.mail_triage import Acknowledgement
from projections.ports import SmtpSettings
from tests.conftest import STORES
from tests.fixtures.dovecot import Dovecot, running_dovecot
from tests.integration.test_mail_intake import ADMIN, PNG, Desk, _desk

DESK_ADDRESS = "support@kaizen.example"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


@pytest.fixture(scope="module", params=STORES)
def mail(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    directory: Path = tmp_path_factory.mktemp("imap-intake")
    yield from _desk(request, directory)


class Sink:
    """aiosmtpd on a spare port: the acknowledgements the desk sends, as received."""

    def __init__(self) -> None:
        import aiosmtpd.controller as controller_module

        self.received: list[Any] = []
        sink = self

        class Collect:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.received.append(message_from_bytes(envelope.content))
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.controller = controller_module.Controller(Collect(), hostname="127.0.0.1", port=self.port)


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    found = Sink()
    found.controller.start()
    try:
        yield found
    finally:
        found.controller.stop()


def rounds(mail: Desk, dovecot: Dovecot, user: str, sink: Sink, *, imaps: bool = False) -> MailRounds:
    settings = ImapSettings.from_url(dovecot.url(user, imaps=imaps), interval=1, ca_file=str(dovecot.ca_file))
    smtp = SmtpSettings(host="127.0.0.1", port=sink.port, sender=DESK_ADDRESS)

    def send_reply(reply: Acknowledgement) -> str | None:
        return send_mail(smtp, reply.to, reply.subject, reply.text, reply.headers).error

    return MailRounds(mail.intake(), lambda: ImapMailbox(settings), send_reply, interval=1, reply_to=DESK_ADDRESS)


# -- real messages, as clients write them ----------------------------------------------------------
def outlook_with_inline_screenshot(number: int) -> bytes:
    """multipart/related: an HTML body that shows an inline image by cid, and its text part."""
    related = MIMEMultipart("related")
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("Stock transfer 4711 fails with error M7 021.\nScreenshot below.", "plain", "utf-8"))
    alternative.attach(
        MIMEText('<p>Stock transfer 4711 fails with error M7 021.</p><img src="cid:shot1">', "html", "utf-8")
    )
    related.attach(alternative)
    image = MIMEImage(PNG, "png")
    image.add_header("Content-ID", "<shot1>")
    image.add_header("Content-Disposition", "inline", filename="error.png")
    related.attach(image)
    return _headers(related, "lina@example.com", "Stock transfer fails in MIGO", number)


def html_only(number: int) -> bytes:
    part = MIMEText(
        "<html><head><style>p{color:red}</style></head><body><p>The <b>AP aging</b> report is empty.</p>"
        "<p>Since Monday.</p></body></html>",
        "html",
        "utf-8",
    )
    return _headers(part, "lina@example.com", "AP aging report empty", number)


def chinese_subject_gbk_body(number: int) -> bytes:
    """A subject in RFC 2047 (UTF-8, base64) and a body in GBK, as many mainland clients send."""
    body = "月结凭证无法过账，系统提示余额不足。".encode("gbk")
    raw = (
        b"From: Minh <minh@example.com>\r\n"
        b"To: support@kaizen.example\r\n"
        b"Subject: =?UTF-8?B?" + base64.b64encode("月结凭证无法过账".encode()) + b"?=\r\n"
        b"Message-ID: <gbk-" + str(number).encode() + b"@mail.example>\r\n"
        b"Date: Mon, 02 Mar 2026 09:00:00 +0800\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=gbk\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n"
    )
    return raw


def reply_with_spreadsheet(number: int, key: str) -> bytes:
    mixed = MIMEMultipart("mixed")
    mixed.attach(MIMEText("The export is attached.\n\n> earlier text quoted\n", "plain", "utf-8"))
    sheet = MIMEApplication(_xlsx(), "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet.add_header("Content-Disposition", "attachment", filename="aging.xlsx")
    mixed.attach(sheet)
    return _headers(mixed, "lina@example.com", f"RE: [{key}] AP aging report empty", number)


def forwarded_vendor_mail(number: int, ticket: str) -> bytes:
    """SAP's case update, forwarded by its support address as an attached message."""
    inner = EmailMessage()
    inner["From"] = "noreply@sap.com"
    inner["Subject"] = f"SAP incident {ticket}: solution proposed"
    inner.set_content("Please apply note 3312 and confirm.")
    outer = EmailMessage()
    outer["From"] = "support@sap.com"
    outer["To"] = DESK_ADDRESS
    outer["Subject"] = f"Fwd: SAP incident {ticket}: solution proposed"
    outer["Message-ID"] = f"<fwd-{number}@sap.com>"
    outer.set_content("Forwarding the case update.")
    outer.add_attachment(inner)
    return bytes(outer)


def vacation_reply(number: int) -> bytes:
    part = MIMEText("I am out of the office until Monday.", "plain", "utf-8")
    part["Auto-Submitted"] = "auto-replied"
    return _headers(part, "lina@example.com", "Out of office", number)


def _headers(part: Any, sender: str, subject: str, number: int) -> bytes:
    part["From"] = sender
    part["To"] = DESK_ADDRESS
    part["Subject"] = str(make_header([(subject.encode(), "utf-8")])) if not subject.isascii() else subject
    part["Message-ID"] = f"<imap-{number}-{abs(hash(subject))}@mail.example>"
    part["Date"] = "Mon, 02 Mar 2026 09:00:00 +0800"
    return bytes(part.as_bytes())


def _xlsx() -> bytes:
    """A real (tiny) workbook: a ZIP with the OOXML parts the type check looks for."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
    return buffer.getvalue()


def subjects(sink: Sink) -> list[str]:
    return [str(make_header(decode_header(m["Subject"]))) for m in sink.received]


# -- the tests ------------------------------------------------------------------------------------
def test_real_messages_from_a_mailbox_become_issues_comments_and_vendor_updates(
    mail: Desk, dovecot: Dovecot, sink: Sink
) -> None:
    user = dovecot.new_user()
    # An issue escalated to SAP under a ticket, so that SAP's forwarded mail finds it.
    escalated = mail.report(Actor("minh", "reporter"))
    mail.desk.escalate(Context(ADMIN), escalated, vendor="sap", vendor_ticket="8810/2026", vendor_priority="High")
    dovecot.deliver(
        user,
        outlook_with_inline_screenshot(1),
        html_only(2),
        chinese_subject_gbk_body(3),
        forwarded_vendor_mail(4, "8810/2026"),
        vacation_reply(5),
    )
    before = len(sink.received)
    worker = rounds(mail, dovecot, user, sink)
    assert worker.round() == 5
    figures = worker.figures
    assert (figures.applied, figures.quarantined, figures.duplicates) == (4, 1, 0)
    assert figures.by_action == {"reported": 3, "vendor_update": 1}

    acks = sink.received[before:]
    by_subject = {str(make_header(decode_header(m["Subject"]))): m for m in acks}
    keys = {title: subject.split("]")[0].lstrip("[") for subject in by_subject for title in [subject.split("] ", 1)[1]]}
    assert set(keys) == {"Stock transfer fails in MIGO", "AP aging report empty", "月结凭证无法过账"}
    for m in acks:
        assert m["Auto-Submitted"] == "auto-replied" and m["Reply-To"].startswith("support+KZ-")
        assert m["Message-ID"].endswith("@kaizen-desk>")

    screenshot = mail.desk.get_issue(keys["Stock transfer fails in MIGO"])
    assert screenshot.reporter == "lina" and screenshot.description.startswith("Stock transfer 4711 fails")
    assert [(a["name"], a["content_type"]) for a in screenshot.attachments] == [("error.png", "image/png")]
    assert b"".join(mail.desk.attachment_bytes(screenshot.attachments[0]["sha256"])) == PNG

    html = mail.desk.get_issue(keys["AP aging report empty"])
    assert "The AP aging report is empty." in html.description and "<" not in html.description
    assert "color:red" not in html.description

    gbk = mail.desk.get_issue(keys["月结凭证无法过账"])
    assert gbk.reporter == "minh" and gbk.description.startswith("月结凭证无法过账，系统提示余额不足。")

    vendor = mail.desk.get_issue(escalated)
    assert vendor.vendor_updates[-1]["author"] == "support@sap.com"
    assert "Forwarding the case update." in vendor.vendor_updates[-1]["message"]
    assert "Please apply note 3312 and confirm." in vendor.vendor_updates[-1]["message"]  # the forwarded mail

    # Everything was filed: nothing waits in the inbox, and each message is \Seen in Processed.
    assert dovecot.uids(user) == []
    assert len(dovecot.uids(user, "INBOX/Processed")) == 5
    assert all("\\Seen" in line for line in dovecot.flags(user, "INBOX/Processed"))

    # A reply (by subject) with a spreadsheet is a comment with the file, on the right issue.
    key = keys["AP aging report empty"]
    dovecot.deliver(user, reply_with_spreadsheet(6, key))
    assert worker.round() == 1
    issue = mail.desk.get_issue(key)
    assert [c["body"] for c in issue.comments] == ["The export is attached."]
    assert [a["name"] for a in issue.attachments] == ["aging.xlsx"]
    assert worker.round() == 0  # nothing left: nothing taken twice


def test_a_worker_killed_before_filing_a_message_leaves_it_for_the_next_which_applies_nothing_twice(
    mail: Desk, dovecot: Dovecot, sink: Sink
) -> None:
    user = dovecot.new_user()
    dovecot.deliver(user, html_only(20))
    settings = ImapSettings.from_url(dovecot.url(user), ca_file=str(dovecot.ca_file))
    with ImapMailbox(settings) as mailbox:  # the first worker: takes the message, dies before filing it
        [message] = mailbox.waiting()
        first = mail.intake().take(message)
    assert first.status == "applied" and first.issue_key is not None
    assert dovecot.uids(user) != []  # still in the inbox
    before = len(sink.received)
    worker = rounds(mail, dovecot, user, sink)
    assert worker.round() == 1
    assert (worker.figures.applied, worker.figures.duplicates) == (0, 1)
    assert dovecot.uids(user) == [] and len(dovecot.uids(user, "INBOX/Processed")) == 1
    # The acknowledgement the first worker may never have sent goes out now, once more at most,
    # under the Message-ID derived from the message, which clients fold into one.
    [again] = sink.received[before:]
    assert str(make_header(decode_header(again["Subject"]))) == f"[{first.issue_key}] AP aging report empty"
    titles = [mail.desk.get_issue(first.issue_key).title]
    assert titles == ["AP aging report empty"]


def test_imaps_and_a_refused_login_say_what_happened_in_one_line(mail: Desk, dovecot: Dovecot, sink: Sink) -> None:
    user = dovecot.new_user()
    dovecot.deliver(user, vacation_reply(30))
    worker = rounds(mail, dovecot, user, sink, imaps=True)
    assert worker.round() == 1 and worker.figures.quarantined == 1
    wrong = ImapSettings.from_url(
        dovecot.url(user).replace(":secret@", ":wrong-password@"), ca_file=str(dovecot.ca_file)
    )
    with pytest.raises(MailboxError) as refused:
        ImapMailbox(wrong, timeout=10)
    assert "cannot log in" in str(refused.value) and "wrong-password" not in str(refused.value)
    untrusted = ImapSettings.from_url(dovecot.url(user))  # the system's CAs do not know this server
    with pytest.raises(MailboxError):
        ImapMailbox(untrusted, timeout=10)


@pytest.mark.parametrize(
    "url",
    ["pop3://a:b@h/INBOX", "imaps://host/INBOX", "imaps://a:b@h:port/INBOX", 'imap://a:b@h/IN"BOX'],
)
def test_a_malformed_mailbox_url_is_refused_in_one_line(url: str) -> None:
    with pytest.raises(ValueError, match="KAIZEN_IMAP_URL"):
        ImapSettings.from_env({"KAIZEN_IMAP_URL": url})
    assert ImapSettings.from_env({}) is None


def test_a_message_the_desk_keeps_failing_on_is_set_aside_and_the_queue_moves_on(
    mail: Desk, dovecot: Dovecot, sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault of the desk's own on one message (simulated: its plan raises) fails the round
    and is retried; the third time the message goes to quarantine and the next one is applied."""
    user = dovecot.new_user()
    poison = _headers(MIMEText("Crashes the intake.", "plain", "utf-8"), "lina@example.com", "Poison pill", 40)
    dovecot.deliver(user, poison, html_only(41))
    original = MailIntake._plan

    def failing(self: MailIntake, message: Any, *args: Any) -> Any:
        if message.subject == "Poison pill":
            raise RuntimeError("simulated fault")
        return original(self, message, *args)

    monkeypatch.setattr(MailIntake, "_plan", failing)
    worker = rounds(mail, dovecot, user, sink)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            worker.round()
        assert len(dovecot.uids(user)) == 2  # nothing filed, nothing lost
    assert worker.round() == 2
    assert (worker.figures.quarantined, worker.figures.applied) == (1, 1)
    assert dovecot.uids(user) == []
    record = MailIntake(mail.desk).record_of(f"imap-40-{abs(hash('Poison pill'))}@mail.example")
    assert isinstance(record, QuarantinedMail) and "simulated fault" in (record.detail or "")
