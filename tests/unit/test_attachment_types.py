"""Which files the desk keeps: the declared type must be allowed and match the first bytes."""

from __future__ import annotations

import pytest

from domain.attachment_types import (
    CSV,
    DOCX,
    GIF,
    JPEG,
    PDF,
    PNG,
    TEXT,
    WEBP,
    XLS,
    ZIP,
    AttachmentRefused,
    Limit,
    declared_type,
    judge,
    safe_name,
)

HEADS = {
    PNG: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    JPEG: b"\xff\xd8\xff\xe0\x00\x10JFIF",
    GIF: b"GIF89a\x01\x00",
    WEBP: b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    PDF: b"%PDF-1.7\n",
    ZIP: b"PK\x03\x04\x14\x00",
    DOCX: b"PK\x03\x04\x14\x00\x06\x00",
    XLS: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00",
    TEXT: "Lỗi khi ghi sổ — 过账失败\n".encode(),
    CSV: b"qty,sku\n1,A\n",
}


@pytest.mark.parametrize("content_type", sorted(HEADS))
def test_each_allowed_type_is_kept_when_its_bytes_match(content_type: str) -> None:
    assert judge(content_type, "file", HEADS[content_type]) == content_type


@pytest.mark.parametrize(
    ("content_type", "head"),
    [
        (PNG, HEADS[PDF]),  # a PDF declared as a PNG
        (PDF, HEADS[PNG]),
        (JPEG, HEADS[GIF]),
        (DOCX, HEADS[XLS]),
        (TEXT, b"<!DOCTYPE html><script>alert(1)</script>"),
        (TEXT, b"  <svg onload=alert(1)>"),
        (CSV, b"a,b\x00c"),
        (TEXT, b"\xff\xfe\xfa not utf-8"),
    ],
)
def test_bytes_that_are_not_the_declared_type_are_415(content_type: str, head: bytes) -> None:
    with pytest.raises(AttachmentRefused) as refused:
        judge(content_type, "file", head)
    assert refused.value.status == 415


@pytest.mark.parametrize(
    "content_type", ["text/html", "image/svg+xml", "application/x-msdownload", "application/javascript"]
)
def test_types_off_the_list_are_415(content_type: str) -> None:
    with pytest.raises(AttachmentRefused) as refused:
        judge(content_type, "file", b"<html></html>")
    assert refused.value.status == 415


def test_a_text_head_cut_inside_a_character_is_still_text() -> None:
    head = "过账".encode()[:-1]
    assert judge(TEXT, "notes.txt", head) == TEXT


def test_an_undeclared_type_is_read_from_the_extension() -> None:
    assert declared_type("application/octet-stream", "Report.XLSX").endswith("spreadsheetml.sheet")
    assert declared_type(None, "shot.png") == PNG
    assert declared_type("image/jpg", "x") == JPEG
    assert declared_type("", "no-extension") == "application/octet-stream"


def test_the_limit_is_413_one_byte_past_it() -> None:
    limit = Limit(20 * 1024 * 1024)
    limit.check(20 * 1024 * 1024)
    with pytest.raises(AttachmentRefused) as refused:
        limit.check(20 * 1024 * 1024 + 1)
    assert refused.value.status == 413 and "20 MB" in str(refused.value)


def test_names_lose_their_directories_and_control_characters() -> None:
    assert safe_name("C:\\Users\\lina\\..\\scan.pdf") == "scan.pdf"
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("a\r\nb.txt") == "ab.txt"
    assert safe_name("") == "attachment"
    assert safe_name("...") == "attachment"


def test_a_decompression_bomb_gets_no_thumbnail() -> None:
    """A small PNG that decodes to 100 million pixels is refused before it is decoded."""
    import io

    from PIL import Image

    from adapters.thumbnails import NotAnImage, thumbnail

    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")
    assert len(out.getvalue()) < 200_000
    with pytest.raises(NotAnImage):
        thumbnail("bomb", [out.getvalue()])


def test_a_thumbnail_is_a_png_of_at_most_320_px() -> None:
    import io

    from PIL import Image

    from adapters.thumbnails import thumbnail

    out = io.BytesIO()
    Image.new("RGB", (1200, 300), (1, 2, 3)).save(out, format="JPEG")
    with Image.open(io.BytesIO(thumbnail("wide", [out.getvalue()]))) as small:
        assert small.format == "PNG" and small.size == (320, 80)
