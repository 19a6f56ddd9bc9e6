"""The pure rules of reading an incoming message (domain/mail_triage.py)."""

from __future__ import annotations

import pytest

from domain.mail_triage import (
    FORWARDED_HEADING,
    acknowledgement,
    excerpt,
    is_auto_reply,
    is_own_mail,
    issue_title,
    key_in_addresses,
    key_in_subject,
    matches_mail_from,
    named_key,
    readable,
    reply_text,
    ticket_named,
)


@pytest.mark.parametrize(
    ("subject", "key"),
    [
        ("[KZ-123] Posting fails", "KZ-123"),
        ("Re: [KZ-123] Posting fails", "KZ-123"),
        ("AW: RE: Fwd: [ kz-7 ] x", "KZ-7"),
        ("回复: [KZ-42] 月结", "KZ-42"),
        ("KZ-123 without brackets", None),
        ("[KZ-0] no such key", None),
        ("[SG-3] a suggestion", None),
    ],
)
def test_a_key_in_the_subject(subject: str, key: str | None) -> None:
    assert key_in_subject(subject) == key


def test_a_plus_address_names_a_key_and_the_subject_wins() -> None:
    assert key_in_addresses(["ops@x.example", "support+KZ-12@desk.example"]) == "KZ-12"
    assert key_in_addresses(["support+urgent@desk.example", "support@desk.example"]) is None
    assert named_key("[KZ-1] a", ["support+KZ-2@desk.example"]) == "KZ-1"
    assert named_key("no key", ["support+kz-2@desk.example"]) == "KZ-2"


@pytest.mark.parametrize(
    ("headers", "auto"),
    [
        ({"auto-submitted": "auto-replied"}, True),
        ({"auto-submitted": "auto-generated; owner-email=x@y"}, True),
        ({"auto-submitted": "No"}, False),
        ({"precedence": "bulk"}, True),
        ({"precedence": "list"}, True),
        ({"precedence": "junk"}, True),
        ({"precedence": "first-class"}, False),
        ({"x-autoreply": "yes"}, True),
        ({"x-autorespond": "Out of office"}, True),
        ({}, False),
    ],
)
def test_auto_replies(headers: dict[str, str], auto: bool) -> None:
    assert is_auto_reply(headers) is auto


def test_the_desks_own_mail() -> None:
    assert is_own_mail({"x-kaizen-desk": "notification"}, "a@b", "x@y")
    assert is_own_mail({"x-kaizen-delivery": "d1"}, "a@b", "x@y")
    assert is_own_mail({}, "d1@kaizen-desk", "x@y")
    assert is_own_mail({}, "a@b", "Desk@Kaizen.example", ["desk@kaizen.example"])
    assert not is_own_mail({"in-reply-to": "<d1@kaizen-desk>"}, "reply@mail.example", "lina@example.com")


def test_vendor_addresses_and_domains() -> None:
    assert matches_mail_from("Support@SAP.com", ["@sap.com"])
    assert matches_mail_from("one@partner.example", ["one@partner.example"])
    assert not matches_mail_from("x@eu.sap.com", ["@sap.com"])
    assert not matches_mail_from("sap.com", ["@sap.com"])
    assert not matches_mail_from("two@partner.example", ["one@partner.example"])


def test_a_vendor_ticket_is_named_as_a_whole_token_longest_first() -> None:
    tickets = {"4711": "a", "INC-12": "b", "INC-123": "c"}
    assert ticket_named("Incident 4711 updated", tickets) == "a"
    assert ticket_named("Incident 47110 updated", tickets) is None
    assert ticket_named("re inc-123: done", tickets) == "c"


def test_what_is_recorded_is_storable_and_readable() -> None:
    assert readable("a\x00b\x1b[31m c", 100, multiline=False) == "ab[31m c"
    assert readable("x" * 50, 10) == "x" * 9 + "…"
    assert issue_title("Re: Fwd:   ") == "(no subject)"
    assert issue_title("RE: AW: Posting\nfails") == "Posting fails"
    assert excerpt("", b"From: a\r\n\r\n\xffbody").startswith("From: a")


def test_a_reply_keeps_what_it_adds() -> None:
    assert reply_text("Fixed now.\n\nOn Mon, 2 Mar 2026, Ada wrote:\n> old") == "Fixed now."
    assert reply_text("Thanks\n-----Original Message-----\nFrom: x") == "Thanks"
    assert reply_text("> only a quote") == "> only a quote"


def test_the_acknowledgement_names_the_key_and_is_marked_as_the_desks() -> None:
    ack = acknowledgement("lina@example.com", "KZ-7", "Posting fails", "m1@mail.example", ["m0@mail.example"])
    assert ack.subject == "[KZ-7] Posting fails" and key_in_subject(ack.subject) == "KZ-7"
    assert ack.headers["In-Reply-To"] == "<m1@mail.example>"
    assert ack.headers["References"] == "<m0@mail.example> <m1@mail.example>"
    lowered = {k.lower(): v for k, v in ack.headers.items()}
    assert is_auto_reply(lowered) and is_own_mail(lowered, "", "")


def test_a_forwarded_message_is_kept_whole_where_a_quote_is_cut() -> None:
    forwarded = f"See below.\n\n{FORWARDED_HEADING}\nFrom: noreply@sap.com\n\nApply note 3312."
    assert reply_text(forwarded) == forwarded
    assert reply_text("Thanks.\n\nOn Mon, Lina wrote:\n> the old text") == "Thanks."
