"""`kaizen audit verify` covers the files' bytes, and `kaizen export --with-attachments` writes
them, on both stores: the blob rows are edited with plain SQL, as someone with write access to
the database could, and verify names the attachment."""

from __future__ import annotations

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
