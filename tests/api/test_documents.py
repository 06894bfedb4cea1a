"""Issued documents through the API: listed and downloaded within jurisdiction only, never served once the
stored file was altered, and checked by anyone (by code or by file) without learning who they concern."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli_app
from api.errors import MAX_BODY_BYTES
from api.routes.documents import DOCX_MEDIA_TYPE, ascii_file_name
from config.settings import Settings, get_settings
from documents.issue import Issuer, pending_requests
from tests.api.test_api import login
from tests.conftest import World
from tests.states.test_custody import held

SECRET = "test-secret-key-of-at-least-thirty-two-chars"
UNKNOWN_FILE = "Tệp không khớp với văn bản nào do hoso ban hành: có thể đã bị sửa đổi"
NO_SIGNATURE_IN_DOCX = "Tệp .docx không mang chữ ký số; bản PDF của văn bản mới mang chữ ký số của đơn vị ban hành"


@pytest.fixture
def documents_dir(tmp_path: Path) -> Path:
    return tmp_path / "van-ban"


@pytest.fixture
def client(world: World, documents_dir: Path) -> Iterator[TestClient]:
    settings = Settings(environment="test", secret_key=SECRET, documents_dir=documents_dir)
    app = create_app(settings, clock=world.clock, db=world.db, rulebook=world.rulebook)
    with TestClient(app) as test_client:
        yield test_client


def issued(world: World, documents_dir: Path) -> tuple[str, dict[str, Any]]:
    """A dossier in custody with its documents issued; the custody order's row."""
    dossier = held(world)
    issuer = Issuer.create(world.db, world.rulebook, documents_dir)
    now = world.clock.now()
    for outbox_id in pending_requests(world.db, worker="thu-nghiem", now=now, lease_seconds=60, limit=50):
        assert issuer.issue(outbox_id, now).outcome == "issued"
    with world.db.reading() as repo:
        rows = repo.documents.documents_of(dossier.id)
    order = next(row for row in rows if row["form_code"] == "xlvphc.tam_giu")
    return dossier.id, order


def test_the_dossier_lists_its_documents_and_another_unit_gets_404(
    client: TestClient, world: World, documents_dir: Path
) -> None:
    dossier_id, order = issued(world, documents_dir)
    response = client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=login(client, "police"))
    assert response.status_code == 200, response.text
    listed = {item["form_code"]: item for item in response.json()}
    item = listed["xlvphc.tam_giu"]
    assert item["id"] == order["id"] and item["number_symbol"] == "01/QĐ-CAX"
    assert (item["unit"], item["unit_name"]) == ("CAX-00070", "Công an phường Hoàn Kiếm")
    assert (item["sha256"], item["size"]) == (order["sha256"], order["size_bytes"])
    assert item["verification_code"] == order["verification_code"]
    assert item["history_seq"] == order["history_seq"]
    assert item["issued_at"].endswith("+00:00")

    other = client.get(f"/api/v1/dossiers/{dossier_id}/documents", headers=login(client, "other_police"))
    unknown_id = "00000000-0000-4000-8000-000000000000"
    unknown = client.get(f"/api/v1/dossiers/{unknown_id}/documents", headers=login(client, "other_police"))
    assert other.status_code == unknown.status_code == 404
    assert other.json()["code"] == unknown.json()["code"] == "not_found"
    assert other.json()["detail"].replace(dossier_id, unknown_id) == unknown.json()["detail"]
    assert client.get(f"/api/v1/dossiers/{dossier_id}/documents").status_code == 401


def test_the_file_is_served_intact_to_its_officers_only(client: TestClient, world: World, documents_dir: Path) -> None:
    _, order = issued(world, documents_dir)
    response = client.get(f"/api/v1/documents/{order['id']}/file", headers=login(client, "police"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == DOCX_MEDIA_TYPE
    disposition = response.headers["content-disposition"]
    assert disposition == 'attachment; filename="xlvphc.tam_giu-01-QD-CAX.docx"'
    assert disposition.isascii()
    assert hashlib.sha256(response.content).hexdigest() == order["sha256"]

    for who, document_id in (("other_police", order["id"]), ("police", 999_999)):
        refused = client.get(f"/api/v1/documents/{document_id}/file", headers=login(client, who))
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == f"Không tìm thấy văn bản {document_id}"
    assert client.get(f"/api/v1/documents/{order['id']}/file").status_code == 401


def test_an_altered_stored_file_is_never_served(client: TestClient, world: World, documents_dir: Path) -> None:
    _, order = issued(world, documents_dir)
    stored = documents_dir / order["file_path"]
    data = bytearray(stored.read_bytes())
    data[-1] ^= 0x01
    stored.write_bytes(bytes(data))
    response = client.get(f"/api/v1/documents/{order['id']}/file", headers=login(client, "police"))
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "đã bị thay đổi" in response.json()["detail"]
    code = client.get(f"/api/v1/documents/verify/{order['verification_code']}").json()
    assert (code["valid"], code["stored_intact"]) == (False, False)
    assert "đã bị thay đổi" in code["reason"]


def test_anyone_verifies_a_code_without_learning_the_person_or_the_dossier(
    client: TestClient, world: World, documents_dir: Path
) -> None:
    dossier_id, order = issued(world, documents_dir)
    response = client.get(f"/api/v1/documents/verify/{order['verification_code']}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["valid"], body["stored_intact"], body["reason"]) == (True, True, None)
    assert body["document"] == {
        "form_code": "xlvphc.tam_giu",
        "title": order["title"],
        "number_symbol": "01/QĐ-CAX",
        "unit_name": "Công an phường Hoàn Kiếm",
        "issued_at": order["issued_at"].isoformat(),
    }
    assert body["signature"] is None and body["signature_note"].startswith("Văn bản chưa có bản PDF")
    assert "Nguyễn Văn Thử" not in response.text and dossier_id not in response.text
    assert dossier_id[:8] not in response.text

    unknown = client.get("/api/v1/documents/verify/khong-co-ma-nay")
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "Không có văn bản nào mang mã xác minh này"


def test_an_uploaded_file_is_valid_only_unchanged(client: TestClient, world: World, documents_dir: Path) -> None:
    dossier_id, order = issued(world, documents_dir)
    data = (documents_dir / order["file_path"]).read_bytes()
    files = {"file": ("quyet-dinh.docx", data, DOCX_MEDIA_TYPE)}
    response = client.post("/api/v1/documents/verify", files=files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is True and body["document"]["number_symbol"] == "01/QĐ-CAX"
    assert body["signature"] is None and body["signature_note"] == NO_SIGNATURE_IN_DOCX
    assert "Nguyễn Văn Thử" not in response.text and dossier_id not in response.text

    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    files = {"file": ("quyet-dinh.docx", bytes(changed), DOCX_MEDIA_TYPE)}
    refused = client.post("/api/v1/documents/verify", files=files).json()
    assert refused == {
        "valid": False,
        "reason": UNKNOWN_FILE,
        "stored_intact": None,
        "document": None,
        "signature": None,
        "signature_note": "",
    }


def test_an_upload_over_the_cap_is_refused(client: TestClient) -> None:
    files = {"file": ("lon.docx", b"\0" * (MAX_BODY_BYTES + 1), DOCX_MEDIA_TYPE)}
    response = client.post("/api/v1/documents/verify", files=files)
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_the_command_line_check_exits_0_for_an_issued_file_and_1_otherwise(
    world: World, documents_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, order = issued(world, documents_dir)
    monkeypatch.setenv("HOSO_DATABASE_URL", world.db.url)
    monkeypatch.setenv("HOSO_DOCUMENTS_DIR", str(documents_dir))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        genuine = tmp_path / "that.docx"
        genuine.write_bytes((documents_dir / order["file_path"]).read_bytes())
        result = runner.invoke(cli_app, ["documents", "verify", str(genuine)])
        assert result.exit_code == 0, result.output
        assert "Hợp lệ" in result.output and "01/QĐ-CAX" in result.output and "không mang chữ ký số" in result.output
        altered = tmp_path / "sua.docx"
        altered.write_bytes(genuine.read_bytes() + b"\0")
        result = runner.invoke(cli_app, ["documents", "verify", str(altered)])
        assert result.exit_code == 1, result.output
        assert "Không hợp lệ" in result.output
    finally:
        get_settings.cache_clear()


def test_download_names_are_plain_ascii() -> None:
    assert ascii_file_name("xlvphc.tam_giu", "01/QĐ-CAX", 3) == "xlvphc.tam_giu-01-QD-CAX.docx"
    assert ascii_file_name("don.xin", None, 7) == "don.xin-7.docx"
    assert ascii_file_name("Đơn", "", 9) == "Don-9.docx"
