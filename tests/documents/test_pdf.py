"""The NĐ 30 template rendered to .docx and converted to PDF by LibreOffice: Vietnamese text, A4 pages,
a page image, a batch of two in one run, and the errors (corrupt input, missing binary, crash, timeout)."""

from __future__ import annotations

import re
import shutil
import stat
import struct
import subprocess
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from documents.pdf import PdfConversionError, PdfConverter
from tests.documents.test_layout import decision, render_bytes

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) không có trên máy: không kiểm tra được việc chuyển .docx sang PDF.",
)
needs_pdftoppm = pytest.mark.skipif(
    shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftoppm) không có trên máy: không dựng được ảnh trang PDF.",
)
A4_POINTS = (595.0, 842.0)
A4_AT_60_DPI = (496, 702)


def docx_bytes() -> bytes:
    return render_bytes(decision().as_template_data())


def flat(text: str) -> str:
    """NFC and single spaces: pypdf may decompose letters and break lines where the layout did."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) không có trên máy: không có bản PDF để kiểm tra.")
    path = tmp_path_factory.mktemp("pdf") / "quyet-dinh.pdf"
    path.write_bytes(PdfConverter().convert(docx_bytes()))
    return path


@needs_soffice
def test_pdf_keeps_the_national_title_and_motto_with_diacritics(pdf_file: Path) -> None:
    text = flat(" ".join(page.extract_text() for page in PdfReader(pdf_file).pages))
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Hoàn Kiếm, ngày 05"):
        assert flat(expected) in text, expected


@needs_soffice
def test_every_page_is_a4(pdf_file: Path) -> None:
    pages = PdfReader(pdf_file).pages
    assert pages
    for page in pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert all(abs(got - want) <= 2 for got, want in zip(size, A4_POINTS, strict=True)), size


@needs_soffice
@needs_pdftoppm
def test_first_page_renders_to_a_png(pdf_file: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "trang"
    command = ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf_file), str(prefix)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    [image] = tmp_path.glob("trang*.png")
    data = image.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 2_000
    width, height = struct.unpack(">II", data[16:24])
    assert all(abs(got - want) <= 2 for got, want in zip((width, height), A4_AT_60_DPI, strict=True))


@needs_soffice
def test_two_files_convert_in_one_call(tmp_path: Path) -> None:
    sources = [tmp_path / "quyet-dinh.docx", tmp_path / "thong-bao.docx"]
    for source in sources:
        source.write_bytes(docx_bytes())
    converted = PdfConverter().convert_many(sources, tmp_path / "pdf")
    assert set(converted) == set(sources)
    for source, target in converted.items():
        assert target == tmp_path / "pdf" / f"{source.stem}.pdf"
        assert "CỘNG HÒA" in flat(PdfReader(target).pages[0].extract_text())


@needs_soffice
def test_a_corrupt_docx_raises_a_vietnamese_error(tmp_path: Path) -> None:
    source = tmp_path / "hong.docx"
    source.write_bytes(b"PK\x03\x04 day khong phai tep docx")
    with pytest.raises(PdfConversionError, match=re.escape("không tạo được bản PDF cho: hong.docx")):
        PdfConverter().convert_many([source], tmp_path / "pdf")


def fake_soffice(directory: Path, body: str) -> Path:
    script = directory / "soffice"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_missing_binary_is_reported_not_crashed(tmp_path: Path) -> None:
    converter = PdfConverter(soffice=str(tmp_path / "khong-co" / "soffice"))
    assert not converter.available()
    assert "LibreOffice" in converter.unavailable_reason_vi()
    with pytest.raises(PdfConversionError, match="Không có LibreOffice"):
        converter.convert(b"PK")
    assert PdfConverter(soffice="soffice-khong-co-tren-may").available() is False


def test_a_crashing_soffice_raises_with_its_exit_code(tmp_path: Path) -> None:
    converter = PdfConverter(soffice=str(fake_soffice(tmp_path, "echo hong >&2; exit 3")))
    with pytest.raises(PdfConversionError, match="mã lỗi 3") as raised:
        converter.convert(b"PK")
    assert "hong" in raised.value.details["stderr"]


def test_a_hanging_soffice_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    converter = PdfConverter(soffice=str(fake_soffice(tmp_path, "sleep 30")), timeout_seconds=1)
    with pytest.raises(PdfConversionError, match="quá 1 giây"):
        converter.convert(b"PK")


def test_sources_with_one_name_and_an_empty_batch(tmp_path: Path) -> None:
    converter = PdfConverter(soffice=str(fake_soffice(tmp_path, "exit 0")))
    assert converter.convert_many([], tmp_path) == {}
    with pytest.raises(PdfConversionError, match="trùng tên"):
        converter.convert_many([tmp_path / "a" / "x.docx", tmp_path / "b" / "x.docx"], tmp_path / "pdf")
