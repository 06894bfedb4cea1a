"""Purpose-bound reads: every look at a dossier, a person or a document is recorded with the officer, the time
and the declared purpose; a minor's dossier is not shown without a purpose; the head of the unit and the
officers who worked on a dossier see who read it, and nobody else does."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi.testclient import TestClient

from tests.api.test_api import client, login
from tests.conftest import World, add_officers

__all__ = ["client"]
PURPOSE = "Thụ lý hồ sơ đề nghị số 12/ĐN"


def test_reads_are_recorded_with_their_purpose_and_shown_to_head_and_handlers(client: TestClient, world: World) -> None:
    add_officers(world, {"police2": ("commune_police", "CAX-00070")})
    dossier = world.open(full_name="Nguyễn Văn Đọc")
    police, chief = login(client, "police"), login(client, "chief")
    encoded = {**police, "X-Purpose": quote(PURPOSE)}
    assert client.get(f"/api/v1/dossiers/{dossier.id}", headers=encoded).status_code == 200
    raw = client.get(
        f"/api/v1/dossiers/{dossier.id}/documents",
        headers={**police, "X-Purpose": PURPOSE.encode()},
    )
    assert raw.status_code == 200
    assert (
        client.get("/api/v1/dossiers", params={"purpose": "Rà soát hồ sơ quá hạn"}, headers=police).status_code == 200
    )
    assert client.get(f"/api/v1/dossiers/{dossier.id}/history/verify", headers=chief).status_code == 200

    seen = client.get("/api/v1/audit/reads", params={"dossier": dossier.id}, headers=chief)
    assert seen.status_code == 200, seen.text
    rows = seen.json()
    assert [(r["username"], r["kind"], r["purpose"]) for r in rows] == [
        ("chief", "history", None),
        ("police", "document", PURPOSE),
        ("police", "dossier", PURPOSE),
    ]
    assert rows[1]["role_title"] == "Cán bộ Công an cấp xã" and rows[1]["unit_code"] == "CAX-00070"
    # The officer who opened the dossier sees the record too; a colleague who never touched it does not;
    # another unit is answered as for an unknown dossier.
    assert client.get("/api/v1/audit/reads", params={"dossier": dossier.id}, headers=police).status_code == 200
    refused = client.get("/api/v1/audit/reads", params={"dossier": dossier.id}, headers=login(client, "police2"))
    assert refused.status_code == 403 and "thủ trưởng" in refused.json()["detail"]
    foreign = client.get("/api/v1/audit/reads", params={"dossier": dossier.id}, headers=login(client, "other_police"))
    assert foreign.status_code == 404


def test_a_minors_dossier_is_shown_only_for_a_declared_purpose(client: TestClient, world: World) -> None:
    minor = world.open(full_name="Trần Văn Nhỏ", date_of_birth=date(2010, 5, 1))
    police = login(client, "police")
    refused = client.get(f"/api/v1/dossiers/{minor.id}", headers=police)
    assert refused.status_code == 422
    assert "người chưa thành niên" in refused.json()["detail"] and refused.json()["field"] == "purpose"
    assert "Trần Văn Nhỏ" not in refused.text
    for path in (f"/api/v1/dossiers/{minor.id}/documents", f"/api/v1/dossiers/{minor.id}/control-slip"):
        assert client.get(path, headers=police).status_code == 422
    shown = client.get(f"/api/v1/dossiers/{minor.id}", params={"purpose": PURPOSE}, headers=police)
    assert shown.status_code == 200
    number = shown.json()["subject"]["id_number"]
    assert client.get(f"/api/v1/persons/{number}/case", headers=police).status_code == 422
    assert client.get(f"/api/v1/persons/{number}/case", params={"purpose": PURPOSE}, headers=police).status_code == 200
    rows = client.get("/api/v1/audit/reads", params={"dossier": minor.id}, headers=login(client, "chief")).json()
    # Refused reads showed nothing and are not recorded as reads.
    assert [(r["kind"], r["purpose"]) for r in rows] == [("dossier", PURPOSE)]


def test_a_purpose_with_hidden_characters_is_refused(client: TestClient, world: World) -> None:
    dossier = world.open()
    police = login(client, "police")
    answer = client.get(f"/api/v1/dossiers/{dossier.id}", params={"purpose": "xem\u202etrộm"}, headers=police)
    assert answer.status_code == 422 and answer.json()["field"] == "purpose"
    unknown = client.get("/api/v1/audit/reads", params={"dossier": "khong-phai-ma"}, headers=police)
    assert unknown.status_code in (404, 422)
