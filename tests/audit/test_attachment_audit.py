"""`kaizen audit verify` covers the files' bytes, and `kaizen export --with-attachments` writes
them, on both stores: the blob rows are edited with plain SQL, as someone with write access to
the database could, and verify names the attachment."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from application.attachments import Upload
from application.desk import KaizenDesk
from application.inbound_mail import InboundAttachment, InboundMessage
from application.mail_intake import MailIntake
from interfaces.cli import main
from tests.conftest import REPORTER, ctx

Kaizen = Callable[..., tuple[int, str, str]]
PDF = b"%PDF-1.7\n" + b"x" * 5000 + b"\n%%EOF\n"


@pytest.fixture
def kaizen(store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Kaizen]:
    monkeypatch.setenv("KAIZEN_DATABASE_URL", store_url)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run


def attached(desk: KaizenDesk) -> tuple[str, dict[str, object]]:
    key = desk.report(
        ctx(REPORTER), title="Slip", description="see file", module="finance", impact_scope="team", urgency="minor"
    ).key
    receipt = desk.attach_to_issue(ctx(REPORTER), key, Upload(io.BytesIO(PDF), "slip.pdf", "application/pdf"))
    return key, next(a for a in desk.get_issue(key).attachments if a["id"] == receipt.extra["attachment_id"])


def run_sql(store_url: str, statement: str, *params: object) -> None:
    if store_url.startswith("sqlite"):
        with sqlite3.connect(store_url.removeprefix("sqlite:///")) as conn:
            conn.execute(statement, params)
    else:
        with psycopg.connect(store_url, autocommit=True) as conn:
            conn.execute(statement.replace("?", "%s"), params)


def test_verify_names_an_attachment_whose_bytes_were_edited(desk: KaizenDesk, store_url: str, kaizen: Kaizen) -> None:
    key, file = attached(desk)
    code, out, _ = kaizen("audit", "verify")
    assert code == 0, out
    run_sql(store_url, "UPDATE attachment_blobs SET data = ? WHERE sha256 = ?", b"%PDF-1.7 forged", file["sha256"])
    code, out, _ = kaizen("audit", "verify")
    assert code == 1
    assert f"{key}: attachment {file['id']} bytes changed" in out


def test_verify_names_an_attachment_whose_bytes_were_deleted(desk: KaizenDesk, store_url: str, kaizen: Kaizen) -> None:
    key, file = attached(desk)
    run_sql(store_url, "DELETE FROM attachment_blobs WHERE sha256 = ?", file["sha256"])
    code, out, _ = kaizen("audit", "verify")
    assert code == 1 and f"{key}: attachment {file['id']} bytes are missing" in out


def test_export_with_attachments_writes_a_tar(desk: KaizenDesk, kaizen: Kaizen, tmp_path: Path) -> None:
    _, file = attached(desk)
    target = tmp_path / "audit.tar"
    code, _out, err = kaizen("export", "--format", "jsonl", "--with-attachments", str(target))
    assert code == 0, err
    with tarfile.open(target) as tar:
        member = tar.extractfile(f"files/{file['sha256']}")
        assert member is not None and member.read() == PDF
        events = tar.extractfile("events.jsonl")
        assert events is not None
        types = [json.loads(line)["type"] for line in events.read().decode().splitlines()]
    assert any(t.endswith("Issue.AttachmentAdded") for t in types)


def test_a_quarantined_messages_bytes_are_verified_and_exported(
    desk: KaizenDesk, store_url: str, kaizen: Kaizen, tmp_path: Path
) -> None:
    """The raw message an administrator reads in the quarantine, and the file kept from it, are
    evidence too: verify covers their bytes and the auditor's archive holds them."""
    raw = b"From: stranger@home.example\r\nSubject: Invoice\r\n\r\nSee the attached PDF.\r\n"
    taken = MailIntake(desk).take(
        InboundMessage(
            message_id="audit-q1@home.example",
            uid_key="INBOX/1/1",
            from_address="stranger@home.example",
            to_addresses=("support@kaizen.example",),
            subject="Invoice",
            text="See the attached PDF.",
            headers={},
            attachments=(InboundAttachment("invoice.pdf", "application/pdf", PDF),),
            raw=raw,
        )
    )
    assert taken.status == "quarantined"
    raw_sha = hashlib.sha256(raw).hexdigest()
    target = tmp_path / "audit.tar"
    assert kaizen("export", "--format", "jsonl", "--with-attachments", str(target))[0] == 0
    with tarfile.open(target) as tar:
        names = set(tar.getnames())
    assert {f"files/{raw_sha}", f"files/{hashlib.sha256(PDF).hexdigest()}"} <= names
    assert kaizen("audit", "verify")[0] == 0
    run_sql(store_url, "UPDATE attachment_blobs SET data = ? WHERE sha256 = ?", b"From: someone else", raw_sha)
    code, out, _ = kaizen("audit", "verify")
    assert code == 1 and "attachment raw message bytes changed" in out
