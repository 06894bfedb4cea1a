"""The processing-control slip read from a dossier's history: each hand-off between units with giver,
receiver and time to the minute, and the result against the time limit the receiving step answered."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from docx import Document
from fastapi.testclient import TestClient

from api.app import create_app
from config.settings import Settings
from documents.control_slip import EARLY, LATE, ON_TIME, _result, control_slip, minute
from tests.api.test_api import login
from tests.conftest import World
from tests.states.test_custody import concluded_in_custody

SECRET = "test-secret-key-of-at-least-thirty-two-chars"


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    settings = Settings(environment="test", secret_key=SECRET)
    with TestClient(create_app(settings, clock=world.clock, db=world.db, rulebook=world.rulebook)) as test_client:
        yield test_client


def test_early_on_time_and_late_are_judged_on_the_vietnamese_calendar_day() -> None:
    due = datetime(2026, 3, 2, 16, 59, tzinfo=UTC)  # 23:59 on 02/03 in Hà Nội
    assert _result(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), due, "met") == EARLY
    assert _result(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), due, "met") == ON_TIME
    assert _result(datetime(2026, 3, 1, 18, 0, tzinfo=UTC), due, "met") == ON_TIME  # 01:00 on 02/03 local
    assert _result(datetime(2026, 3, 2, 17, 0, tzinfo=UTC), due, "met") == LATE
    assert _result(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), due, "met_late") == LATE


def test_the_slip_lists_each_hand_off_with_giver_receiver_and_minute(world: World) -> None:
    dossier = concluded_in_custody(world)
    with world.db.reading() as repo:
        stored = repo.dossier(dossier.id)
        assert stored is not None
        slip = control_slip(repo, world.rulebook, stored)
    assert slip.person.startswith("Nguyễn Văn Thử") and slip.dossier_code == dossier.id
    handoffs = [(row.giver_unit, row.receiver_unit) for row in slip.rows if row.giver_unit != row.receiver_unit]
    assert ("Công an phường Hoàn Kiếm", "Cơ sở y tế số 1") in handoffs
    received = next(row for row in slip.rows if row.receiver_unit == "Cơ sở y tế số 1")
    assert minute(received.received_at) == "10 giờ 00 phút, ngày 02/03/2026"
    assert received.receiver_officer == "clerk" and received.giver_officer == "police"
    assert all(row.result in ("", EARLY, ON_TIME, LATE) for row in slip.rows)
    judged = [row for row in slip.rows if row.result]
    assert judged and all(
        row.note.startswith(tuple(d["title"] for d in dossier.saved()["deadlines"])) for row in judged
    )


def test_officers_of_the_dossier_download_it_and_others_are_told_it_does_not_exist(
    client: TestClient, world: World
) -> None:
    dossier = concluded_in_custody(world)
    response = client.get(f"/api/v1/dossiers/{dossier.id}/control-slip", headers=login(client, "police"))
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == f'attachment; filename="phieu-kiem-soat-{dossier.id[:8]}.docx"'
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text and dossier.id in text
    table = document.tables[0]
    assert [cell.text for cell in table.rows[0].cells][:3] == ["STT", "Bên giao", "Bên nhận"]
    cells = [[cell.text for cell in row.cells] for row in table.rows[1:]]
    assert any("Cơ sở y tế số 1" in row[2] and "Nhận: 10 giờ 00 phút, ngày 02/03/2026" in row[3] for row in cells)
    elsewhere = client.get(f"/api/v1/dossiers/{dossier.id}/control-slip", headers=login(client, "other_police"))
    unknown = client.get(
        "/api/v1/dossiers/00000000-0000-4000-8000-000000000000/control-slip", headers=login(client, "other_police")
    )
    assert elsewhere.status_code == unknown.status_code == 404
    assert elsewhere.json()["detail"].replace(dossier.id, "X") == unknown.json()["detail"].replace(
        "00000000-0000-4000-8000-000000000000", "X"
    )
