"""Issued documents become signed PDFs: converted with LibreOffice, signed (PAdES) with the issuing unit's key
from a local test CA, read back with pypdf and pdftoppm, and verified by code, by upload and offline — a
one-byte change or a signature by another key fails. Without LibreOffice the document stays .docx and says why.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli_app
from config.settings import Settings, get_settings
from documents.demo_ca import ensure_demo_ca, ensure_unit_key
from documents.issue import issue_batch, qr_png
from documents.pdf_stage import PdfOutcome, SigningSetup, pdf_batch
from documents.setup import DocumentSetup
from documents.signing import KeyFileSigner, check_pdf, load_trust_roots, sign_pdf
from tests.api.test_api import login
from tests.conftest import World
from tests.states.test_custody import held

SECRET = "test-secret-key-of-at-least-thirty-two-chars"
UNIT = ("CAX-00070", "Công an phường Hoàn Kiếm")
needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) không có trên máy: không chuyển được .docx sang PDF (make setup cài gói "
    "libreoffice-writer-nogui khi có quyền root)",
)
needs_pdftoppm = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="Không có pdftoppm (gói poppler-utils): không vẽ được trang PDF"
)


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    directory = tmp_path / "pki"
    ensure_demo_ca(directory)
    ensure_unit_key(directory, *UNIT)
    return directory


def setup_for(tmp_path: Path, pki: Path, soffice: str = "soffice") -> DocumentSetup:
    return DocumentSetup(
        documents_dir=tmp_path / "van-ban",
        public_url="https://hoso.example.gov.vn",
        soffice=soffice,
        signing=SigningSetup(keys_dir=pki, trust_roots=(pki / "ca.cert.pem",)),
    )


def issue_and_sign(world: World, setup: DocumentSetup) -> tuple[str, list[PdfOutcome]]:
    dossier = held(world)
    now = world.clock.now()
    issued = issue_batch(setup.issuer(world.db, world.rulebook), worker="kiem-thu", now=now, batch_size=50)
    assert issued and all(outcome.outcome == "issued" for outcome in issued)
    signed = pdf_batch(
        setup.finisher(world.db), worker="kiem-thu", now=now, batch_size=20, lease_seconds=60, retry_seconds=30
    )
    return dossier.id, signed


def order_of(world: World, dossier_id: str) -> dict[str, Any]:
    with world.db.reading() as repo:
        rows = repo.documents.documents_of(dossier_id)
    return next(row for row in rows if row["form_code"] == "xlvphc.tam_giu")


@pytest.fixture
def signed(world: World, tmp_path: Path, pki: Path) -> tuple[DocumentSetup, dict[str, Any]]:
    setup = setup_for(tmp_path, pki)
    dossier_id, outcomes = issue_and_sign(world, setup)
    assert {outcome.outcome for outcome in outcomes} == {"signed"}, outcomes
    return setup, order_of(world, dossier_id)


@pytest.fixture
def client(world: World, signed: tuple[DocumentSetup, dict[str, Any]], pki: Path) -> Iterator[TestClient]:
    setup, _ = signed
    settings = Settings(
        environment="test",
        secret_key=SECRET,
        documents_dir=setup.documents_dir,
        signing_trust_roots=[pki / "ca.cert.pem"],
    )
    with TestClient(create_app(settings, clock=world.clock, db=world.db, rulebook=world.rulebook)) as test_client:
        yield test_client


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


@needs_soffice
def test_an_issued_decision_becomes_a_signed_pdf_with_its_text_and_qr_code(
    world: World, signed: tuple[DocumentSetup, dict[str, Any]], pki: Path, tmp_path: Path
) -> None:
    setup, order = signed
    assert order["pdf_status"] == "signed"
    pdf = setup.files.read(order["pdf_path"])
    assert hashlib.sha256(pdf).hexdigest() == order["pdf_sha256"] and len(pdf) == order["pdf_size_bytes"]
    text = pdf_text(pdf)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "CÔNG AN PHƯỜNG HOÀN KIẾM",
        "Số: 01/QĐ-CAX",
        "Hoàn Kiếm, ngày 02 tháng 3 năm 2026",
        "QUYẾT ĐỊNH",
        "Về việc tạm giữ người theo thủ tục hành chính",
        "Nguyễn Văn Thử",
        f"Mã xác thực: {order['verification_code']}",
    ):
        assert expected in text, expected
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert abs(float(page.mediabox.width) - 595.3) < 2 and abs(float(page.mediabox.height) - 841.9) < 2
    check = check_pdf(pdf, load_trust_roots([pki / "ca.cert.pem"]))
    assert (check.signed, check.intact, check.trusted, check.valid) == (True, True, True, True)
    assert check.signer_unit_code == "CAX-00070" and check.signer_subject and "Hoàn Kiếm" in check.signer_subject
    docx = setup.files.read(order["file_path"])
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        images = [package.read(name) for name in package.namelist() if name.startswith("word/media/")]
    url = f"https://hoso.example.gov.vn/api/v1/documents/verify/{order['verification_code']}"
    assert images == [qr_png(url)]


@needs_soffice
@needs_pdftoppm
def test_page_one_renders_to_png_with_ink_on_it(signed: tuple[DocumentSetup, dict[str, Any]], tmp_path: Path) -> None:
    setup, order = signed
    source = tmp_path / "van-ban.pdf"
    source.write_bytes(setup.files.read(order["pdf_path"]))
    for kind in ("-png", "-gray"):
        subprocess.run(
            ["pdftoppm", "-r", "50", kind, "-f", "1", "-l", "1", str(source), str(tmp_path / "trang")],
            check=True,
            timeout=60,
        )
    png = next(tmp_path.glob("trang*.png")).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert abs(width - 413) <= 1 and abs(height - 585) <= 1  # A4 at 50 dpi
    magic, size, depth, pixels = next(tmp_path.glob("trang*.pgm")).read_bytes().split(b"\n", 3)
    assert magic == b"P5" and depth == b"255" and size.split() == [str(width).encode(), str(height).encode()]
    dark = sum(1 for value in pixels if value < 128)
    assert 0.005 < dark / len(pixels) < 0.3, "trang 1 phải có chữ (không trắng trơn, không đen kín)"


@needs_soffice
def test_a_second_pass_converts_nothing_again(world: World, signed: tuple[DocumentSetup, dict[str, Any]]) -> None:
    setup, order = signed
    again = pdf_batch(
        setup.finisher(world.db),
        worker="kiem-thu",
        now=world.clock.now(),
        batch_size=20,
        lease_seconds=60,
        retry_seconds=30,
    )
    assert again == []
    assert order_of(world, order["dossier_id"])["pdf_sha256"] == order["pdf_sha256"]


@needs_soffice
def test_verification_by_code_and_upload_checks_the_signature(
    client: TestClient, signed: tuple[DocumentSetup, dict[str, Any]], pki: Path, tmp_path: Path
) -> None:
    setup, order = signed
    by_code = client.get(f"/api/v1/documents/verify/{order['verification_code']}").json()
    assert by_code["valid"] is True and by_code["signature"]["valid"] is True
    assert by_code["signature"]["signer_unit_code"] == "CAX-00070"

    pdf = setup.files.read(order["pdf_path"])
    upload = client.post("/api/v1/documents/verify", files={"file": ("qd.pdf", pdf, "application/pdf")}).json()
    assert upload["valid"] is True and upload["document"]["number_symbol"] == "01/QĐ-CAX"
    assert upload["signature"]["valid"] is True and upload["signature"]["trusted"] is True

    changed = bytearray(pdf)
    middle = len(changed) // 3
    changed[middle] = (changed[middle] + 1) % 256
    altered = client.post(
        "/api/v1/documents/verify", files={"file": ("qd.pdf", bytes(changed), "application/pdf")}
    ).json()
    assert altered["valid"] is False and altered["document"] is None
    assert altered["signature"] is None or altered["signature"]["valid"] is False

    other = tmp_path / "ca-khac"
    ensure_demo_ca(other)
    ensure_unit_key(other, *UNIT)
    resigned = sign_pdf(
        pdf,
        KeyFileSigner(UNIT[0], cert_path=other / f"{UNIT[0]}.cert.pem", key_path=other / f"{UNIT[0]}.key.pem"),
        reason="Ký lại",
        location="Nơi khác",
        field_name="ChuKySoKhac",
    )
    forged = client.post("/api/v1/documents/verify", files={"file": ("qd.pdf", resigned, "application/pdf")}).json()
    assert forged["valid"] is False and forged["document"] is None
    assert forged["signature"]["trusted"] is False and forged["signature"]["valid"] is False


@needs_soffice
def test_officers_download_the_pdf_and_the_command_line_checks_it_offline(
    client: TestClient,
    world: World,
    signed: tuple[DocumentSetup, dict[str, Any]],
    pki: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup, order = signed
    listed = client.get(f"/api/v1/dossiers/{order['dossier_id']}/documents", headers=login(client, "police")).json()
    row = next(item for item in listed if item["id"] == order["id"])
    assert row["pdf_status"] == "signed" and row["pdf_sha256"] == order["pdf_sha256"]
    response = client.get(f"/api/v1/documents/{order['id']}/pdf", headers=login(client, "police"))
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content == setup.files.read(order["pdf_path"])
    assert 'filename="xlvphc.tam_giu-01-QD-CAX.pdf"' in response.headers["content-disposition"]
    elsewhere = client.get(f"/api/v1/documents/{order['id']}/pdf", headers=login(client, "other_police"))
    assert elsewhere.status_code == 404

    monkeypatch.setenv("HOSO_DATABASE_URL", world.db.url)
    monkeypatch.setenv("HOSO_DOCUMENTS_DIR", str(setup.documents_dir))
    monkeypatch.setenv("HOSO_SIGNING_TRUST_ROOTS", f'["{pki / "ca.cert.pem"}"]')
    get_settings.cache_clear()
    try:
        genuine = tmp_path / "qd.pdf"
        genuine.write_bytes(response.content)
        result = CliRunner().invoke(cli_app, ["documents", "verify", str(genuine)])
        assert result.exit_code == 0, result.output
        assert "Hợp lệ" in result.output and "Chữ ký số hợp lệ" in result.output
        genuine.write_bytes(response.content[:-40] + b"%% them vao cuoi tep\n" + response.content[-40:])
        result = CliRunner().invoke(cli_app, ["documents", "verify", str(genuine)])
        assert result.exit_code == 1, result.output
    finally:
        get_settings.cache_clear()


def test_without_libreoffice_the_document_stays_docx_and_says_why(world: World, tmp_path: Path, pki: Path) -> None:
    setup = setup_for(tmp_path, pki, soffice=str(tmp_path / "khong-co-soffice"))
    dossier_id, outcomes = issue_and_sign(world, setup)
    assert outcomes and {outcome.outcome for outcome in outcomes} == {"unavailable"}
    order = order_of(world, dossier_id)
    assert order["pdf_status"] == "unavailable" and order["pdf_path"] is None
    assert "LibreOffice" in order["pdf_note"]
    settings = Settings(environment="test", secret_key=SECRET, documents_dir=setup.documents_dir)
    with TestClient(create_app(settings, clock=world.clock, db=world.db, rulebook=world.rulebook)) as client:
        refused = client.get(f"/api/v1/documents/{order['id']}/pdf", headers=login(client, "police"))
        assert refused.status_code == 409 and "LibreOffice" in refused.json()["detail"]
        listed = client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=login(client, "police")).json()
        assert {item["pdf_status"] for item in listed} == {"unavailable"}
        code = client.get(f"/api/v1/documents/verify/{order['verification_code']}").json()
        assert code["valid"] is True and "LibreOffice" in code["signature_note"]


@needs_soffice
def test_a_unit_without_a_key_gets_an_unsigned_pdf_that_says_so(world: World, tmp_path: Path) -> None:
    empty = tmp_path / "khong-khoa"
    ensure_demo_ca(empty)
    setup = setup_for(tmp_path, empty)
    dossier_id, outcomes = issue_and_sign(world, setup)
    assert {outcome.outcome for outcome in outcomes} == {"unsigned"}
    order = order_of(world, dossier_id)
    assert order["pdf_status"] == "unsigned" and "chưa có khóa ký số" in order["pdf_note"]
    assert check_pdf(setup.files.read(order["pdf_path"]), []).signed is False
