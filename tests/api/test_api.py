"""The public API contract: login, open, read, fire, verify — and clear 4xx answers that change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from config.settings import Settings
from states.identity import make_id_number
from states.store.tables import history
from tests.conftest import PASSWORD, World

SNAPSHOT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
POSITIVE = {
    "tested_at": "2026-03-02T08:00:00+07:00",
    "test_ground": "caught_using",
    "sample_type": "urine",
    "substances": "Heroin",
}


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    settings = Settings(environment="test", secret_key="test-secret-key-of-at-least-thirty-two-chars")
    app = create_app(settings, clock=world.clock, db=world.db, rulebook=world.rulebook)
    with TestClient(app) as test_client:
        yield test_client


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    return {"Authorization": f"Bearer {body['access_token']}"}


def subject(serial: int = 1, commune_code: str = "00070") -> dict[str, Any]:
    born = date(1992, 4, 5)
    return {
        "full_name": "Phan Văn Thành",
        "date_of_birth": born.isoformat(),
        "id_number": make_id_number("001", born, "male", serial),
        "commune_code": commune_code,
    }


def open_dossier(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post(
        "/api/v1/dossiers", json={"procedure": "addiction_determination", "subject": subject()}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def history_count(world: World) -> int:
    with world.db.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(history)) or 0)


def test_login_refuses_wrong_password_and_unknown_user(client: TestClient) -> None:
    for username, password in (("police", "wrong-password"), ("nobody", PASSWORD)):
        response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert response.status_code == 401
        assert response.json()["detail"] == "Tên đăng nhập hoặc mật khẩu không đúng"


def test_requests_without_a_valid_token_are_refused(client: TestClient) -> None:
    response = client.get("/api/v1/dossiers/x")
    assert (response.status_code, response.headers["www-authenticate"]) == (401, "Bearer")
    assert response.json()["detail"] == "Chưa đăng nhập hoặc mã truy cập không hợp lệ"
    assert client.get("/api/v1/dossiers/x", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_framework_errors_are_in_vietnamese(client: TestClient) -> None:
    assert client.get("/api/v1/nowhere").json()["detail"] == "Không tìm thấy địa chỉ yêu cầu"
    response = client.delete("/api/v1/me")
    assert (response.status_code, response.json()["detail"]) == (405, "Phương thức không được hỗ trợ cho địa chỉ này")


def test_token_expires_on_the_clock(client: TestClient, world: World) -> None:
    headers = login(client, "police")
    assert client.get("/api/v1/me", headers=headers).json()["role"] == "commune_police"
    world.clock.set(world.clock.now() + timedelta(minutes=31))
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert "hết hạn" in response.json()["detail"]


def test_open_read_fire_and_verify(client: TestClient) -> None:
    headers = login(client, "police")
    created = open_dossier(client, headers)
    assert created["procedure"] == "addiction_determination"
    assert created["procedure_version"] == "2022-01-01"
    assert created["state"] == "opened"
    assert created["version"] == 1
    assert {a["event"] for a in created["actions"]} >= {"test_positive", "test_negative"}
    assert "application_filed" not in {a["event"] for a in created["actions"]}
    assert created["tasks"][0]["role"] == "commune_police"

    response = client.post(
        f"/api/v1/dossiers/{created['id']}/events",
        json={"event": "test_positive", "expected_version": 1, "payload": POSITIVE},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    fired = response.json()
    assert (fired["state"], fired["version"]) == ("user_confirmed", 2)
    deadline = fired["deadlines"][0]
    assert deadline["due_at"] and deadline["explanation"]["legal_basis"]
    assert [entry["event"] for entry in fired["history"]] == ["dossier_opened", "test_positive"]

    read = client.get(f"/api/v1/dossiers/{created['id']}", headers=headers).json()
    assert read["version"] == 2
    verified = client.get(f"/api/v1/dossiers/{created['id']}/history/verify", headers=headers).json()
    assert verified["valid"] is True and verified["rows"] == 2


@pytest.mark.parametrize(
    ("who", "body", "status", "detail"),
    [
        ("police", {"event": "no_such_step", "expected_version": 1, "payload": {}}, 422, "không có bước"),
        ("police", {"event": "test_positive", "expected_version": 1, "payload": {}}, 422, "thiếu trường bắt buộc"),
        ("police", {"event": "test_positive", "expected_version": 1, "payload": {**POSITIVE, "x": 1}}, 422, "'x'"),
        ("police", {"event": "received", "expected_version": 1, "payload": {}}, 409, "Không thể thực hiện"),
        ("police", {"event": "test_positive", "expected_version": 7, "payload": POSITIVE}, 409, "phiên bản hiện tại 1"),
        ("chair", {"event": "test_positive", "expected_version": 1, "payload": POSITIVE}, 403, "không được"),
        ("other_police", {"event": "test_positive", "expected_version": 1, "payload": POSITIVE}, 404, "Không tìm thấy"),
        ("police", {"event": "test_positive", "payload": POSITIVE}, 422, "expected_version"),
        ("police", {"event": "test_positive", "expected_version": "một", "payload": {}}, 422, "số nguyên"),
        ("police", {"event": "test_positive", "expected_version": 1, "payload": [1]}, 422, "payload"),
    ],
    ids=[
        "unknown-event",
        "missing-field",
        "extra-field",
        "wrong-state",
        "stale-version",
        "wrong-role",
        "other-commune",
        "no-version",
        "mistyped-version",
        "payload-not-object",
    ],
)
def test_bad_requests_get_a_clear_answer_and_change_nothing(
    client: TestClient, world: World, who: str, body: dict[str, Any], status: int, detail: str
) -> None:
    created = open_dossier(client, login(client, "police"))
    rows_before = history_count(world)
    response = client.post(f"/api/v1/dossiers/{created['id']}/events", json=body, headers=login(client, who))
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"]
    assert history_count(world) == rows_before
    after = client.get(f"/api/v1/dossiers/{created['id']}", headers=login(client, "police")).json()
    assert (after["state"], after["version"]) == ("opened", 1)


@pytest.mark.parametrize(
    ("change", "status", "detail"),
    [
        ({"id_number": "12345"}, 422, "id_number"),
        ({"id_number": "999090000001"}, 422, "mã tỉnh"),
        ({"id_number": make_id_number("001", date(1993, 4, 5), "male", 1)}, 422, "năm sinh 1993"),
        ({"commune_code": "99999"}, 422, "99999"),
        ({"commune_code": "00004"}, 403, "thẩm quyền"),
        ({"date_of_birth": "2099-01-01"}, 422, "Ngày sinh"),
    ],
)
def test_bad_subjects_are_refused(client: TestClient, change: dict[str, Any], status: int, detail: str) -> None:
    body = {"procedure": "addiction_determination", "subject": {**subject(), **change}}
    response = client.post("/api/v1/dossiers", json=body, headers=login(client, "police"))
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"]


def test_opening_is_bound_to_role_and_procedure(client: TestClient) -> None:
    body = {"procedure": "addiction_determination", "subject": subject()}
    response = client.post("/api/v1/dossiers", json=body, headers=login(client, "chair"))
    assert response.status_code == 403
    response = client.post(
        "/api/v1/dossiers", json={**body, "procedure": "no_such_procedure"}, headers=login(client, "police")
    )
    assert response.status_code == 404


def test_same_id_number_with_another_name_is_a_conflict(client: TestClient) -> None:
    headers = login(client, "police")
    open_dossier(client, headers)
    other = {**subject(), "full_name": "Người Khác"}
    response = client.post(
        "/api/v1/dossiers", json={"procedure": "addiction_determination", "subject": other}, headers=headers
    )
    assert response.status_code == 409


def test_another_jurisdiction_cannot_tell_a_dossier_from_an_unknown_id(client: TestClient) -> None:
    created = open_dossier(client, login(client, "police"))
    other = login(client, "other_police")
    unknown = "00000000-0000-0000-0000-000000000000"
    for path in ("", "/history/verify"):
        hidden = client.get(f"/api/v1/dossiers/{created['id']}{path}", headers=other)
        missing = client.get(f"/api/v1/dossiers/{unknown}{path}", headers=other)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["detail"].replace(created["id"], unknown) == missing.json()["detail"]
    step = {"event": "test_positive", "expected_version": 1, "payload": POSITIVE}
    hidden = client.post(f"/api/v1/dossiers/{created['id']}/events", json=step, headers=other)
    missing = client.post(f"/api/v1/dossiers/{unknown}/events", json=step, headers=other)
    assert hidden.status_code == missing.status_code == 404
    assert set(hidden.json()) == set(missing.json())


def test_openapi_matches_the_committed_contract(client: TestClient) -> None:
    current = client.get("/openapi.json").json()
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert current == committed, "the API contract changed: run `hoso openapi > docs/openapi.json` and review"


def test_control_characters_are_refused_not_stored(client: TestClient) -> None:
    headers = login(client, "police")
    body = {"procedure": "addiction_determination", "subject": {**subject(), "full_name": "Phan\x00Văn"}}
    response = client.post("/api/v1/dossiers", json=body, headers=headers)
    assert response.status_code == 422
    created = open_dossier(client, headers)
    response = client.post(
        f"/api/v1/dossiers/{created['id']}/events",
        json={"event": "test_positive", "expected_version": 1, "payload": {**POSITIVE, "substances": "He\x00roin"}},
        headers=headers,
    )
    assert response.status_code == 422
    assert "ký tự điều khiển" in response.json()["detail"]


def test_sex_must_match_the_id_number(client: TestClient) -> None:
    body = {"procedure": "addiction_determination", "subject": {**subject(), "sex": "female"}}
    response = client.post("/api/v1/dossiers", json=body, headers=login(client, "police"))
    assert response.status_code == 422
    assert "Giới tính" in response.json()["detail"]
    created = open_dossier(client, login(client, "police"))
    assert created["subject"]["sex"] == "male"


def test_nul_bytes_in_login_and_ids_are_plain_client_errors(client: TestClient) -> None:
    response = client.post("/api/v1/auth/token", data={"username": "pol\x00ice", "password": PASSWORD})
    assert response.status_code == 401
    headers = login(client, "police")
    for path in ("/api/v1/dossiers/%00", "/api/v1/dossiers/not-a-uuid/history/verify"):
        assert client.get(path, headers=headers).status_code == 404
    response = client.post(
        "/api/v1/dossiers/x%00y/events", json={"event": "test_positive", "expected_version": 1}, headers=headers
    )
    assert response.status_code == 404
