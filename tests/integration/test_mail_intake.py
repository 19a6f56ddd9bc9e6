"""E-mail intake through its use case, on both stores: what each kind of message becomes, and
that each is applied once however often, and by however many workers, it is taken.

One desk per store for the module (messages differ by Message-ID, so tests do not meet); the
intake view runs in-process so that vendor tickets are found as the worker finds them.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from application.config import store_settings
from application.context import Context
from application.desk import KaizenDesk
from application.errors import NotFound
from application.inbound_mail import InboundAttachment, InboundMessage
from application.mail_intake import IntakeOutcome, MailIntake
from application.sla_facts import clocks_after_each_event
from domain.actor import SYSTEM, Actor
from domain.errors import TransitionRefused
from projections.mail_intake import IntakeView, VendorTicketQueries, list_quarantine
from projections.runner import ProjectionRunner
from projections.store import ViewStore
from tests.conftest import STORES, FakeClock, fresh_store

ADMIN = Actor("admin-wong", "admin")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
_numbers = itertools.count(1)


@dataclass
class Desk:
    desk: KaizenDesk
    url: str
    clock: FakeClock
    runner: ProjectionRunner
    views: ViewStore

    def intake(self, desk: KaizenDesk | None = None) -> MailIntake:
        self.runner.catch_up()
        return MailIntake(desk or self.desk, VendorTicketQueries(self.views), own_addresses=["desk@kaizen.example"])

    def report(self, actor: Actor, **changes: Any) -> str:
        body = {
            "title": "Posting fails",
            "description": "At 40%",
            "module": "finance",
            "impact_scope": "company",
            "urgency": "blocking",
            "vendor": "sap",
            **changes,
        }
        return self.desk.report(Context(actor), **body).key


@pytest.fixture(scope="module", params=STORES)
def mail(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    directory: Path = tmp_path_factory.mktemp("intake")
    yield from _desk(request, directory)


def _desk(request: pytest.FixtureRequest, directory: Path) -> Iterator[Desk]:
    for url in fresh_store(request, directory):
        clock = FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
        desk = KaizenDesk(store_settings(url), clock=clock)
        system = Context(SYSTEM)
        desk.create_person(system, "lina", name="Lina", email="lina@example.com", roles=["reporter"])
        desk.create_person(system, "minh", name="Minh", email="minh@example.com", roles=["reporter"])
        desk.create_person(system, "sap-consultant", name="SAP", email="consultant@sap.com", roles=["vendor:sap"])
        views = ViewStore(store_settings(url))
        runner = ProjectionRunner(desk, views, [IntakeView()])
        runner.setup()
        try:
            yield Desk(desk, url, clock, runner, views)
        finally:
            desk.close()


def message(**fields: Any) -> InboundMessage:
    number = next(_numbers)
    values: dict[str, Any] = {
        "message_id": f"m{number}-{id(fields)}@mail.example",
        "uid_key": f"INBOX/7/{number}",
        "from_address": "lina@example.com",
        "to_addresses": ("support@kaizen.example",),
        "subject": "GL posting fails",
        "text": "The posting run stops at 40%.",
        "headers": {},
        "raw": b"From: lina@example.com\r\nSubject: GL posting fails\r\n\r\nThe posting run stops at 40%.\r\n",
    }
    values.update(fields)
    return InboundMessage(**values)


def applied(outcome: IntakeOutcome, action: str) -> str:
    assert outcome.status == "applied", outcome
    assert outcome.action == action
    assert outcome.issue_key is not None
    return outcome.issue_key


# -- what a message becomes ----------------------------------------------------------------------
def test_a_known_persons_mail_reports_an_issue_with_its_attachments(mail: Desk) -> None:
    taken = mail.intake().take(
        message(
            subject="Re: GL posting fails at month end",
            attachments=(
                InboundAttachment("screen.png", "image/png", PNG),
                InboundAttachment("tool.exe", "application/x-msdownload", b"MZ" + bytes(64)),
            ),
        )
    )
    key = applied(taken, "reported")
    issue = mail.desk.get_issue(key)
    assert issue.reporter == "lina" and issue.title == "GL posting fails at month end"
    assert issue.description.startswith("The posting run stops at 40%.")
    assert "tool.exe was not kept" in issue.description  # refused by type: noted, not fatal
    assert [a["name"] for a in issue.attachments] == ["screen.png"]
    assert b"".join(mail.desk.attachment_bytes(issue.attachments[0]["sha256"])) == PNG
    assert taken.reply is not None and taken.reply.to == "lina@example.com"
    assert taken.reply.subject == f"[{key}] GL posting fails at month end"
    assert taken.reply.headers["Auto-Submitted"] == "auto-replied" and "X-Kaizen-Desk" in taken.reply.headers
    assert [e.actor.via for e in mail.desk.events_of(key)][:1] == ["email"]


def test_a_key_in_the_subject_or_a_plus_address_makes_a_public_comment(mail: Desk) -> None:
    key = mail.report(Actor("lina", "reporter"))
    by_subject = mail.intake().take(
        message(subject=f"RE: [{key}] Posting fails", text="It fails for plant 2 too.\n\nOn Monday, Ada wrote:\n> ok")
    )
    by_address = mail.intake().take(
        message(subject="more", to_addresses=(f"support+{key}@kaizen.example",), text="And plant 3.")
    )
    assert applied(by_subject, "commented") == key and applied(by_address, "commented") == key
    comments = mail.desk.get_issue(key).comments
    assert [(c["body"], str(c["visibility"]), c["author"]) for c in comments] == [
        ("It fails for plant 2 too.", "public", "lina"),
        ("And plant 3.", "public", "lina"),
    ]


def test_the_reporters_reply_resumes_an_issue_waiting_on_them(mail: Desk) -> None:
    key = mail.report(Actor("lina", "reporter"))
    mail.desk.wait(Context(ADMIN), key, on="reporter", reason="Which company code?")
    assert str(mail.desk.get_issue(key).status) == "waiting_on_reporter"
    applied(mail.intake().take(message(subject=f"[{key}] Posting fails", text="Company code 1000.")), "commented")
    assert str(mail.desk.get_issue(key).status) == "new"


def test_vendor_mail_naming_its_ticket_is_a_vendor_update_that_stops_the_response_clock(mail: Desk) -> None:
    key = mail.report(Actor("minh", "reporter"))
    mail.desk.escalate(Context(ADMIN), key, vendor="sap", vendor_ticket="4711/2026", vendor_priority="Very High")
    mail.clock.advance(minutes=20)
    taken = mail.intake().take(
        message(from_address="support@sap.com", subject="SAP incident 4711/2026: analysis", text="Note 123 applies.")
    )
    assert applied(taken, "vendor_update") == key
    issue = mail.desk.get_issue(key)
    assert issue.vendor_updates[-1]["message"] == "Note 123 applies."
    assert issue.vendor_updates[-1]["author"] == "support@sap.com"
    clocks = clocks_after_each_event(mail.desk.events_of(key), mail.desk.policy_resolver())[-1][1]
    response = next(c for c in clocks if c.kind == "vendor_response")
    assert response.stopped_at == mail.clock.now
    by_key = mail.intake().take(message(from_address="consultant@sap.com", subject=f"[{key}] fix", text="Done."))
    assert applied(by_key, "vendor_update") == key
    assert mail.desk.get_issue(key).vendor_updates[-1]["author"] == "sap-consultant"


def test_vendor_mail_naming_no_open_issue_waits_in_quarantine(mail: Desk) -> None:
    taken = mail.intake().take(message(from_address="support@sap.com", subject="Your incident 99999", text="?"))
    assert taken.status == "quarantined" and taken.reason == "vendor_unmatched"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"from_address": "stranger@elsewhere.example"}, "unknown_sender"),
        ({"headers": {"auto-submitted": "auto-replied"}}, "auto_reply"),
        ({"headers": {"precedence": "bulk"}}, "auto_reply"),
        ({"headers": {"x-autoreply": "yes"}}, "auto_reply"),
        ({"headers": {"x-kaizen-desk": "notification", "auto-submitted": "auto-generated"}}, "own_mail"),
        ({"from_address": "desk@kaizen.example"}, "own_mail"),
        ({"parse_error": "malformed MIME boundary", "text": "", "subject": ""}, "unparsable"),
        ({"subject": "[KZ-999999] about nothing"}, "unknown_issue"),
    ],
)
def test_what_the_desk_cannot_apply_waits_in_quarantine(mail: Desk, fields: dict[str, Any], reason: str) -> None:
    taken = mail.intake().take(message(**fields))
    assert taken.status == "quarantined" and taken.reason == reason
    assert taken.quarantine_id is not None
    kept = mail.intake().quarantined(taken.quarantine_id)
    assert kept.sender == fields.get("from_address", "lina@example.com")
    assert mail.intake().raw_message(ADMIN, taken.quarantine_id).startswith(b"From: lina@example.com")
    mail.runner.catch_up()
    listed = {row["id"]: row for row in list_quarantine(mail.views, "quarantined", 500)[0]}
    assert listed[taken.quarantine_id]["reason"] == reason
    assert listed[taken.quarantine_id]["excerpt"]


def test_a_comment_the_sender_may_not_make_waits_in_quarantine(mail: Desk) -> None:
    key = mail.report(Actor("lina", "reporter"))
    taken = mail.intake().take(message(from_address="minh@example.com", subject=f"[{key}] me too"))
    assert taken.status == "quarantined" and taken.reason == "unknown_issue"  # not minh's to see
    assert mail.desk.get_issue(key).comments == []


# -- exactly once --------------------------------------------------------------------------------
def test_the_same_message_taken_twice_is_applied_once(mail: Desk) -> None:
    key = mail.report(Actor("lina", "reporter"))
    mail_once = message(subject=f"[{key}] once", text="Only once, please.")
    first = mail.intake().take(mail_once)
    again = mail.intake().take(mail_once)
    moved = mail.intake().take(message(**{**mail_once.__dict__, "uid_key": "INBOX.Processed/7/1"}))
    assert first.status == "applied" and again.status == moved.status == "duplicate"
    assert again.issue_key == key and again.action == "commented"
    assert [c["body"] for c in mail.desk.get_issue(key).comments] == ["Only once, please."]
    spam = message(from_address="nobody@nowhere.example")
    assert [mail.intake().take(spam).status for _ in range(2)] == ["quarantined", "duplicate"]


def test_two_workers_taking_one_message_apply_it_once(mail: Desk) -> None:
    """Two desks on one store (two processes' worth), each from its own thread, for a new issue
    (a key allocated) and for a comment: one applies it, the other finds it applied."""
    other = KaizenDesk(store_settings(mail.url), clock=mail.clock)
    try:
        key = mail.report(Actor("lina", "reporter"))
        keys: list[str | None] = []
        for shared in (message(subject="Both workers read this"), message(subject=f"[{key}] both")):
            outcomes: list[IntakeOutcome] = []
            start = threading.Barrier(2)

            def take(
                desk: KaizenDesk,
                shared: InboundMessage = shared,
                start: threading.Barrier = start,
                outcomes: list[IntakeOutcome] = outcomes,
            ) -> None:
                intake = mail.intake(desk)
                start.wait()
                outcomes.append(intake.take(shared))

            threads = [threading.Thread(target=take, args=(d,)) for d in (mail.desk, other)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(o.status for o in outcomes) == ["applied", "duplicate"], outcomes
            assert outcomes[0].issue_key == outcomes[1].issue_key
            keys.append(outcomes[0].issue_key)
        assert len(mail.desk.get_issue(key).comments) == 1
        new_key = keys[0] or ""
        assert mail.desk.get_issue(new_key).title == "Both workers read this"
        with pytest.raises(NotFound):  # the losing worker's allocation was never saved
            mail.desk.get_issue(f"KZ-{int(new_key.split('-')[1]) + 1}")
    finally:
        other.close()


def test_a_quarantined_message_is_accepted_or_discarded_once(mail: Desk) -> None:
    key = mail.report(Actor("lina", "reporter"))
    first = mail.intake().take(message(from_address="lina.private@home.example", subject="Sent from home"))
    second = mail.intake().take(message(from_address="lina.private@home.example", subject="Also from home"))
    assert first.quarantine_id and second.quarantine_id
    receipt = mail.intake().accept(Context(ADMIN), first.quarantine_id, person="lina", key=key)
    assert receipt.key == key
    assert mail.desk.get_issue(key).comments[-1]["author"] == "lina"
    created = mail.intake().accept(Context(ADMIN), second.quarantine_id, person="lina")
    assert mail.desk.get_issue(created.key).title == "Also from home"
    with pytest.raises(TransitionRefused):
        mail.intake().discard(Context(ADMIN), first.quarantine_id)
    with pytest.raises(TransitionRefused):
        mail.intake().accept(Context(ADMIN), second.quarantine_id, person="lina")
    decided = mail.intake().quarantined(first.quarantine_id)
    assert decided.status == "accepted" and decided.decision is not None and decided.decision["by"] == ADMIN.id


def test_a_worker_that_missed_the_first_application_meets_it_in_the_store(
    mail: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst interleaving, forced: the second taking reads no record (the first had not
    committed yet), runs its command, and its write meets the record on the store's unique key;
    only the record read back after that makes it a duplicate."""
    key = mail.report(Actor("lina", "reporter"))
    raced = [message(subject=f"[{key}] raced"), message(subject="A raced report"), message(from_address="x@y.example")]
    firsts = [mail.intake().take(m) for m in raced]
    looked = {"n": 0}
    original = MailIntake.record_of

    def missed_once(self: MailIntake, message_id: str) -> Any:
        looked["n"] += 1
        return None if looked["n"] == 1 else original(self, message_id)

    monkeypatch.setattr(MailIntake, "record_of", missed_once)
    for first, again in zip(firsts, raced, strict=True):
        looked["n"] = 0
        second = mail.intake().take(again)
        assert second.status == "duplicate", second
        assert (second.issue_key, second.quarantine_id) == (first.issue_key, first.quarantine_id)
    assert [c["body"] for c in mail.desk.get_issue(key).comments] == ["The posting run stops at 40%."]
