"""Through the API, as officers of different units: saved steps are never refusals, retries do not
duplicate, persons are found however their name is typed, and nothing leaks across jurisdictions."""

from __future__ import annotations

import unicodedata
from typing import Any

from fastapi.testclient import TestClient

from tests.api.test_api import POSITIVE, client, history_count, login, subject
from tests.conftest import World

__all__ = ["client"]


def _open(client: TestClient, headers: dict[str, str], body: dict[str, Any], **extra: str) -> Any:
    return client.post("/api/v1/dossiers", json=body, headers={**headers, **extra})


def _body(serial: int = 1, **changes: Any) -> dict[str, Any]:
    return {"procedure": "addiction_determination", "subject": {**subject(serial), **changes}}


def test_a_step_that_moves_the_dossier_away_is_answered_200_with_where_it_went(client: TestClient) -> None:
    police = login(client, "police")
    opened = _open(client, police, _body()).json()
    moved = client.post(
        f"/api/v1/dossiers/{opened['id']}/events",
        json={"event": "residence_changed", "expected_version": 1, "payload": {"new_commune_code": "00004"}},
        headers=police,
    )
    assert moved.status_code == 200, moved.text
    answer = moved.json()
    assert (answer["visible"], answer["version"], answer["commune_code"]) == (False, 2, "00004")
    assert answer["subject"] is None and answer["history"] == [] and answer["facts"] == {}
    # The new commune's police now hold it; the old one is refused without learning where it is.
    assert client.get(f"/api/v1/dossiers/{opened['id']}", headers=login(client, "other_police")).status_code == 200
    refused = client.get(f"/api/v1/dossiers/{opened['id']}", headers=police)
    assert refused.status_code == 404
    assert "00004" not in refused.text and "Ba Đình" not in refused.text


def test_idempotency_key_opens_one_dossier(client: TestClient, world: World) -> None:
    police = login(client, "police")
    first = _open(client, police, _body(), **{"Idempotency-Key": "mo-ho-so-0001"})
    again = _open(client, police, _body(), **{"Idempotency-Key": "mo-ho-so-0001"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert history_count(world) == 1
    other_body = _open(client, police, _body(serial=2), **{"Idempotency-Key": "mo-ho-so-0001"})
    assert other_body.status_code == 409
    assert other_body.json()["field"] == "Idempotency-Key"
    assert history_count(world) == 1


def test_a_second_open_dossier_is_refused_with_a_pointer(client: TestClient, world: World) -> None:
    police = login(client, "police")
    first = _open(client, police, _body()).json()
    second = _open(client, police, _body())
    assert second.status_code == 409
    assert first["id"] in second.json()["detail"]
    assert history_count(world) == 1


def test_another_units_dossier_neither_blocks_nor_leaks(client: TestClient, world: World) -> None:
    """Ba Đình police open a dossier for a person Hoàn Kiếm already follows: the answer is the same as for
    a new person, the dossier carries the details as given, and a review is opened for the province."""
    hoan_kiem = login(client, "police")
    known = _open(client, hoan_kiem, _body()).json()
    ba_dinh = login(client, "other_police")
    retyped = _open(client, ba_dinh, _body(full_name="Phan Văn Thanh", commune_code="00004"))
    assert retyped.status_code == 201, retyped.text
    answer = retyped.json()
    assert answer["subject"]["full_name"] == "Phan Văn Thanh"
    assert known["id"] not in retyped.text
    with world.db.reading() as repo:
        person = repo.person_by_id_number(subject()["id_number"])
        assert person is not None
        reviews = repo.identity_reviews(person["id"])
    assert [(r["dossier_id"], r["province_code"], r["given"]["full_name"]) for r in reviews] == [
        (answer["id"], "01", "Phan Văn Thanh")
    ]
    # Neither unit finds the other's dossier through the person search.
    found = client.get("/api/v1/persons", params={"name": "phan van"}, headers=ba_dinh).json()
    assert [d["id"] for p in found["items"] for d in p["dossiers"]] == [answer["id"]]


def test_persons_are_found_without_diacritics_and_in_decomposed_form(client: TestClient) -> None:
    police = login(client, "police")
    decomposed = unicodedata.normalize("NFD", "  Phan   Văn Thành ")
    opened = _open(client, police, _body(full_name=decomposed))
    assert opened.status_code == 201
    assert opened.json()["subject"]["full_name"] == "Phan Văn Thành"
    for query in ("phan van thanh", "PHAN VĂN THÀNH", unicodedata.normalize("NFD", "văn thành")):
        found = client.get("/api/v1/persons", params={"name": query}, headers=police)
        assert found.status_code == 200, found.text
        assert [p["full_name"] for p in found.json()["items"]] == ["Phan Văn Thành"]
    hidden = client.get("/api/v1/persons", params={"name": "phan van thanh"}, headers=login(client, "other_police"))
    assert hidden.json() == {"items": [], "total": 0, "next_cursor": None}


def test_invisible_and_direction_characters_are_refused(client: TestClient, world: World) -> None:
    police = login(client, "police")
    for name in ("Phan\u200bVăn Thành", "Phan Văn \u202eThành", "\ufeffPhan Văn Thành"):
        refused = _open(client, police, _body(full_name=name))
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "full_name"
    assert history_count(world) == 0
    opened = _open(client, police, _body()).json()
    step = client.post(
        f"/api/v1/dossiers/{opened['id']}/events",
        json={"event": "test_positive", "expected_version": 1, "payload": {**POSITIVE, "substances": "Heroin\u200d"}},
        headers=police,
    )
    assert step.status_code == 422
    assert "ẩn hoặc đổi hướng" in step.json()["detail"]


def test_future_facts_are_refused_in_vietnamese(client: TestClient, world: World) -> None:
    police = login(client, "police")
    opened = _open(client, police, _body()).json()
    step = client.post(
        f"/api/v1/dossiers/{opened['id']}/events",
        json={
            "event": "test_positive",
            "expected_version": 1,
            "payload": {**POSITIVE, "tested_at": "2026-03-02T09:00:00+07:00"},
        },
        headers=police,
    )
    assert step.status_code == 422
    assert "không thể ở tương lai" in step.json()["detail"]
    assert history_count(world) == 1
    future_open = _open(client, police, {**_body(serial=3), "occurred_on": "2026-03-05"})
    assert future_open.status_code == 422
    assert future_open.json()["field"] == "occurred_on"


def test_system_expiry_events_are_not_offered_before_they_are_due(client: TestClient) -> None:
    police = login(client, "police")
    opened = _open(client, police, _body()).json()
    fired = client.post(
        f"/api/v1/dossiers/{opened['id']}/events",
        json={"event": "test_positive", "expected_version": 1, "payload": POSITIVE},
        headers=police,
    ).json()
    status_check = next(a for a in fired["actions"] if a["event"] == "status_checked")
    # From 01/07/2025 the Penal Code art. 256a answer is required: the action says so.
    assert status_check["payload"]["penal_256a_window"]["required"] is True
    assert "penal_256a_window" in status_check["required"]
    assert all(a["event"] != "service_target_missed" for a in fired["actions"])
