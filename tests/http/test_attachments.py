"""Attachments through the API on both stores: upload, download headers, thumbnail, refusals,
who may read, and the audit and export that cover the files' bytes."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from conftest import Api
from PIL import Image
from werkzeug.test import TestResponse

from application.attachments import owner_key
from application.audit import export_with_attachments, verify
from application.errors import NotFound


def png_bytes(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def upload(
    api: Api, path: str, data: bytes, name: str, content_type: str, as_: str = "reporter", **form: str
) -> TestResponse:
    fields: dict[str, Any] = {"file": (io.BytesIO(data), name, content_type), **form}
    return api.client.post(path, data=fields, content_type="multipart/form-data", headers=api.headers(as_, None))


def test_upload_then_download_as_an_attachment(api: Api) -> None:
    key = api.report()
    answer = upload(
        api, f"/api/v1/issues/{key}/attachments", PDF, "Beleg März.pdf", "application/pdf", comment="the slip"
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert {"id", "sha256", "name", "content_type", "size", "uploaded_by", "uploaded_at"} <= set(body)
    assert body["size"] == len(PDF) and body["uploaded_by"] == "lina" and body["content_type"] == "application/pdf"
    issue = api.get(f"/api/v1/issues/{key}", as_="reporter").get_json()
    assert [a["id"] for a in issue["attachments"]] == [body["id"]]
    assert issue["comments"][-1]["body"] == "the slip"
    got = api.get(f"/api/v1/attachments/{body['id']}", as_="reporter")
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''Beleg%20M%C3%A4rz.pdf" in disposition


def test_the_same_bytes_are_stored_once(api: Api) -> None:
    key = api.report()
    first = upload(api, f"/api/v1/issues/{key}/attachments", PDF, "a.pdf", "application/pdf").get_json()
    second = upload(api, f"/api/v1/issues/{key}/attachments", PDF, "b.pdf", "application/pdf").get_json()
    assert first["sha256"] == second["sha256"] and first["id"] != second["id"]
    assert api.desk.blobs.exists(first["sha256"])


def test_images_have_a_small_png_thumbnail(api: Api) -> None:
    key = api.report()
    body = upload(api, f"/api/v1/issues/{key}/attachments", png_bytes(), "screen.png", "image/png").get_json()
    thumb = api.get(f"/api/v1/attachments/{body['id']}/thumbnail", as_="reporter")
    assert thumb.status_code == 200 and thumb.mimetype == "image/png"
    with Image.open(io.BytesIO(thumb.data)) as image:
        assert max(image.size) <= 320
    pdf = upload(api, f"/api/v1/issues/{key}/attachments", PDF, "x.pdf", "application/pdf").get_json()
    assert api.get(f"/api/v1/attachments/{pdf['id']}/thumbnail", as_="reporter").status_code == 404


def test_a_file_over_the_limit_is_refused_with_413_and_nothing_written(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAIZEN_ATTACHMENT_MAX_MB", "1")
    key = api.report()
    before = api.get(f"/api/v1/issues/{key}", as_="reporter").get_json()["version"]
    big = b"a" * (1024 * 1024 + 10)
    answer = upload(api, f"/api/v1/issues/{key}/attachments", big, "big.txt", "text/plain")
    assert answer.status_code == 413 and answer.mimetype == "application/problem+json"
    assert api.get(f"/api/v1/issues/{key}", as_="reporter").get_json()["version"] == before


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (PDF, "looks.png", "image/png"),  # a PDF declared as a PNG
        (b"<!DOCTYPE html><script>alert(1)</script>", "page.html", "text/html"),
        (b"<html><body>hi</body></html>", "page.txt", "text/plain"),  # HTML declared as text
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "logo.svg", "image/svg+xml"),
    ],
)
def test_a_type_off_the_list_or_not_matching_its_bytes_is_415(
    api: Api, data: bytes, name: str, content_type: str
) -> None:
    key = api.report()
    answer = upload(api, f"/api/v1/issues/{key}/attachments", data, name, content_type)
    assert answer.status_code == 415 and answer.mimetype == "application/problem+json"
    assert api.get(f"/api/v1/issues/{key}", as_="reporter").get_json()["attachments"] == []


def test_another_reporter_learns_nothing(api: Api) -> None:
    key = api.report()
    body = upload(api, f"/api/v1/issues/{key}/attachments", PDF, "a.pdf", "application/pdf").get_json()
    assert api.get(f"/api/v1/attachments/{body['id']}", as_="reporter2").status_code == 404
    assert api.get(f"/api/v1/attachments/{body['id']}/thumbnail", as_="reporter2").status_code == 404
    assert (
        upload(api, f"/api/v1/issues/{key}/attachments", PDF, "b.pdf", "application/pdf", as_="reporter2").status_code
        == 404
    )
    assert api.get("/api/v1/attachments/KZ-999-a1", as_="admin").status_code == 404
    assert api.get("/api/v1/attachments/nonsense", as_="admin").status_code == 404
    assert api.get("/api/v1/attachments/KZ-x-a1", as_="admin").status_code == 404
    assert api.get("/api/v1/attachments/SG-99999999999999999999-a1", as_="admin").status_code == 404
    with pytest.raises(NotFound):
        owner_key("XX-1-a1")


def test_suggestions_take_files_too(api: Api) -> None:
    key = api.submit()
    answer = upload(api, f"/api/v1/suggestions/{key}/attachments", b"qty,sku\n1,A\n", "count.csv", "text/csv")
    assert answer.status_code == 201, answer.get_json()
    suggestion = api.get(f"/api/v1/suggestions/{key}", as_="reporter2").get_json()
    assert suggestion["attachments"][0]["name"] == "count.csv"
    assert api.get(f"/api/v1/attachments/{answer.get_json()['id']}", as_="sap").status_code == 404


def test_no_multipart_is_415(api: Api) -> None:
    key = api.report()
    assert api.post(f"/api/v1/issues/{key}/attachments", {"file": "x"}, as_="reporter").status_code == 415


def edit_blob(api: Api, sha256: str) -> None:
    """What someone with write access to the database could do: change a file's bytes."""
    blobs: Any = api.desk.blobs
    with blobs.datastore.transaction(commit=True) as curs:
        curs.execute(
            blobs._sql(f"UPDATE {blobs.table} SET data = ? WHERE sha256 = ? AND n = 0"), (b"%PDF-forged", sha256)
        )


def test_audit_verify_catches_edited_bytes(api: Api) -> None:
    key = api.report()
    body = upload(api, f"/api/v1/issues/{key}/attachments", PDF, "a.pdf", "application/pdf").get_json()
    assert verify(api.desk).ok
    edit_blob(api, body["sha256"])
    report = verify(api.desk)
    assert not report.ok
    assert f"{key}: attachment {body['id']} bytes changed" in [b.line() for b in report.broken]


def test_export_with_attachments_writes_events_and_files(api: Api, tmp_path: Path) -> None:
    key = api.report()
    body = upload(api, f"/api/v1/issues/{key}/attachments", PDF, "a.pdf", "application/pdf").get_json()
    target = tmp_path / "export.tar"
    with target.open("wb") as stream:
        count = export_with_attachments(api.desk, stream)
    with tarfile.open(target) as tar:
        names = tar.getnames()
        assert f"files/{body['sha256']}" in names
        file = tar.extractfile(f"files/{body['sha256']}")
        assert file is not None and file.read() == PDF
        events = tar.extractfile("events.jsonl")
        assert events is not None
        lines = [json.loads(line) for line in events.read().decode().splitlines()]
    assert len(lines) == count and any(line["type"].endswith("AttachmentAdded") for line in lines)


PASSWORD = "Seven tired herons at the Tsuen Wan depot"


@pytest.fixture
def console_api(store_url: str, clock: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`api` with the console on (PostgreSQL deployments need the signing key set)."""
    from conftest import build_app, issue_tokens

    from interfaces.web.secret import SECRET_ENV

    monkeypatch.setenv(SECRET_ENV, "attachments-console-test-signing-key-0123456789")
    app = build_app(store_url, clock)
    try:
        yield Api(app, app.test_client(), issue_tokens(app.extensions["kaizen"].desk))
    finally:
        app.extensions["kaizen"].close()


def signed_in(api: Api, party: str) -> Any:
    from conftest import PARTIES

    from tests.conftest import console_client, enrol_with_password

    role, login = PARTIES[party]
    enrol_with_password(api.desk, login, [role], PASSWORD)
    return console_client(api.app, login=login, password=PASSWORD)


def console_csrf(client: Any, path: str) -> str:
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def test_console_attach_file_shows_the_thumbnail(console_api: Api) -> None:
    api = console_api
    key = api.report()
    client = signed_in(api, "reporter")
    page = client.get(f"/console/issues/{key}").text
    assert 'data-action="attachments"' in page and 'enctype="multipart/form-data"' in page
    form = {
        "csrf": console_csrf(client, f"/console/issues/{key}"),
        "comment": "the screen",
        "file": (io.BytesIO(png_bytes()), "s.png", "image/png"),
    }
    answer = client.post(f"/console/issues/{key}/attachments", data=form, content_type="multipart/form-data")
    assert answer.status_code == 303, answer.text
    page = client.get(f"/console/issues/{key}").text
    assert f'data-thumbnail="{key}-a1"' in page
    thumb = client.get(f"/console/attachments/{key}-a1/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/png"


def test_console_refusal_is_shown_beside_the_form(console_api: Api) -> None:
    api = console_api
    key = api.report()
    client = signed_in(api, "reporter")
    form = {
        "csrf": console_csrf(client, f"/console/issues/{key}"),
        "comment": "kept",
        "file": (io.BytesIO(PDF), "s.png", "image/png"),
    }
    answer = client.post(f"/console/issues/{key}/attachments", data=form, content_type="multipart/form-data")
    assert answer.status_code == 415
    assert 'data-refused="attachments"' in answer.text and ">kept</textarea>" in answer.text
    assert api.get(f"/api/v1/issues/{key}", as_="reporter").get_json()["attachments"] == []


def report_form(client: Any, file: tuple[Any, str, str]) -> dict[str, Any]:
    return {
        "csrf": console_csrf(client, "/console/issues/new"),
        "title": "Goods receipt screen freezes",
        "description": "After scanning the third pallet",
        "module": "warehouse",
        "impact_scope": "team",
        "urgency": "degraded",
        "vendor": "internal",
        "file": file,
    }


def test_console_report_with_a_file_attaches_it(console_api: Api) -> None:
    api = console_api
    client = signed_in(api, "reporter")
    form = report_form(client, (io.BytesIO(png_bytes()), "freeze.png", "image/png"))
    answer = client.post("/console/issues/new", data=form, content_type="multipart/form-data")
    assert answer.status_code == 303, answer.text
    key = answer.headers["Location"].rstrip("/").split("/")[-1].split("?")[0]
    issue = api.get(f"/api/v1/issues/{key}", as_="reporter").get_json()
    assert [a["name"] for a in issue["attachments"]] == ["freeze.png"]


def test_console_report_with_a_refused_file_reports_nothing(console_api: Api) -> None:
    api = console_api
    client = signed_in(api, "reporter")
    form = report_form(client, (io.BytesIO(b"<html>x</html>"), "page.html", "text/html"))
    answer = client.post("/console/issues/new", data=form, content_type="multipart/form-data")
    assert answer.status_code == 415 and "Goods receipt screen freezes" in answer.text
    assert api.get("/api/v1/issues?reporter=lina", as_="reporter").get_json()["items"] == []


def test_a_file_of_several_mib_goes_through_in_chunks(api: Api) -> None:
    """Past the 1 MiB of every other body, and past one 1 MiB chunk row of the blob store."""
    import hashlib
    import os

    key = api.report()
    data = b"%PDF-1.7\n" + os.urandom(3 * 1024 * 1024 + 17)
    body = upload(api, f"/api/v1/issues/{key}/attachments", data, "scan.pdf", "application/pdf").get_json()
    assert body["size"] == len(data) and body["sha256"] == hashlib.sha256(data).hexdigest()
    assert api.get(f"/api/v1/attachments/{body['id']}", as_="reporter").data == data


def test_console_attach_file_on_a_suggestion_page(console_api: Api) -> None:
    api = console_api
    key = api.submit()
    client = signed_in(api, "reporter")
    page = client.get(f"/console/suggestions/{key}").text
    assert 'data-action="attachments"' in page
    refused = {
        "csrf": console_csrf(client, f"/console/suggestions/{key}"),
        "comment": "kept",
        "file": (io.BytesIO(PDF), "s.png", "image/png"),
    }
    answer = client.post(f"/console/suggestions/{key}/attachments", data=refused, content_type="multipart/form-data")
    assert answer.status_code == 415 and ">kept</textarea>" in answer.text
    form = {
        "csrf": console_csrf(client, f"/console/suggestions/{key}"),
        "file": (io.BytesIO(png_bytes()), "label.png", "image/png"),
    }
    answer = client.post(f"/console/suggestions/{key}/attachments", data=form, content_type="multipart/form-data")
    assert answer.status_code == 303, answer.text
    assert f'data-thumbnail="{key}-a1"' in client.get(f"/console/suggestions/{key}").text
    assert [a["name"] for a in api.get(f"/api/v1/suggestions/{key}", as_="reporter").get_json()["attachments"]] == [
        "label.png"
    ]
