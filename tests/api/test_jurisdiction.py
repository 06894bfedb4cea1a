"""Jurisdiction through the API: a regional court acts on the dossiers of the communes NQ 81/2025 gives it, a
rehab facility on those it was designated for — and another court or facility of the same province can
neither read nor act on them, and learns nothing about them (not their place, not the person)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from states.identity import make_id_number
from states.legal_time import VN_TZ
from states.units_data import COURTS_FILE, REHAB_FILE, default_units, sync_units
from tests.api.test_api import client, history_count, login
from tests.conftest import Dossier, World, add_officers

__all__ = ["client"]

DONG_DA = "00235"  # Phường Đống Đa: Tòa án nhân dân khu vực 2 - Hà Nội
OFFICERS = {
    "judge": ("regional_court", "TAKV-01-01"),  # khu vực 1 - Hà Nội: Hoàn Kiếm (00070), Ba Đình …
    "other_judge": ("regional_court", "TAKV-01-02"),  # khu vực 2 - Hà Nội: Đống Đa, Thanh Xuân …
    "hcm_judge": ("regional_court", "TAKV-79-01"),
    "director": ("rehab_facility_director", "CSCN-01-01"),
    "other_director": ("rehab_facility_director", "CSCN-01-02"),
    "police_dongda": ("commune_police", "CAX-00235"),
}
UNITS = ({"code": "CAX-00235", "name": "Công an phường Đống Đa", "kind": "commune_police", "commune_code": DONG_DA},)


@pytest.fixture
def courts(world: World) -> World:
    """The base world plus the regional courts and rehab facilities of the data files, loaded as
    ``hoso units load`` does, and their officers."""
    with world.db.transaction() as repo:
        report = sync_units(repo, world.rulebook.regimes, default_units(), files=[COURTS_FILE, REHAB_FILE])
    assert not report.conflicts
    return add_officers(world, OFFICERS, units=UNITS)


BORN = date(1990, 6, 15)


def person(serial: int, commune_code: str = "00070") -> dict[str, Any]:
    """A subject as the API takes it."""
    return {
        "full_name": "Trần Văn Khu",
        "date_of_birth": BORN.isoformat(),
        "id_number": make_id_number("001", BORN, "male", serial),
        "commune_code": commune_code,
    }


def at_court(world: World, police: str = "police", **subject: Any) -> Dossier:
    """A compulsory-rehab dossier prepared by the commune police and sent to the court (VN2025B)."""
    dossier = world.open(police, "compulsory_rehab_adult", **{**subject, "date_of_birth": BORN})
    now = world.clock.now().astimezone(VN_TZ)
    steps: list[tuple[str, Any]] = [
        (
            "violation_recorded",
            lambda t: {
                "detected_at": t.isoformat(),
                "record_number": "01/BB",
                "art32_case": "voluntary_not_done",
                "addiction_status": "determined",
                "penal_256a_window": "none",
            },
        ),
        (
            "interim_management_set",
            lambda t: {"interim_from": t.date().isoformat(), "placement": "home", "family_member": "Mẹ"},
        ),
        ("dossier_completed", lambda t: {"notified_at": t.isoformat(), "notified_to": "subject"}),
        ("reading_done", lambda t: {"read_at": t.isoformat(), "notes": "Không có ý kiến"}),
        ("check_passed", lambda t: {"checked_on": t.date().isoformat()}),
        ("proposal_sent", lambda t: {"received_by_court_at": t.isoformat(), "proposal_number": "09/ĐN"}),
    ]
    for event, payload in steps:
        now += timedelta(minutes=10)
        world.at(now.isoformat())
        dossier.fire(police, event, payload(now))
    assert dossier.state == "at_court_registry"
    return dossier


def refused_without_a_trace(response: Any, *secrets: str) -> None:
    """404 as for an unknown id, and nothing in the answer about the dossier's place, nor the ``secrets`` (the
    person, the units that may see it)."""
    assert response.status_code == 404, response.text
    for leak in ("00070", "Hoàn Kiếm", "Hà Nội", "province", "commune", "parties", "subject", *secrets):
        assert leak not in response.text


def test_the_competent_regional_court_reads_and_acts(client: TestClient, courts: World) -> None:
    dossier = at_court(courts, **person(1))
    judge = login(client, "judge")
    view = client.get(f"/api/v1/dossiers/{dossier.id}", headers=judge)
    assert view.status_code == 200, view.text
    assert "accepted" in {action["event"] for action in view.json()["actions"]}
    at = courts.clock.now().astimezone(VN_TZ) + timedelta(minutes=10)
    courts.at(at.isoformat())
    fired = client.post(
        f"/api/v1/dossiers/{dossier.id}/events",
        json={
            "event": "accepted",
            "expected_version": view.json()["version"],
            "payload": {"consideration_started_at": at.isoformat(), "case_number": "12/TL"},
        },
        headers=judge,
    )
    assert fired.status_code == 200, fired.text
    assert fired.json()["state"] == "accepted"


def test_another_regional_court_of_the_province_neither_sees_nor_acts(client: TestClient, courts: World) -> None:
    subject = person(2)
    dossier = at_court(courts, **subject)
    version = dossier.saved()["version"]
    rows = history_count(courts)
    at = courts.clock.now().astimezone(VN_TZ).isoformat()
    for who in ("other_judge", "hcm_judge"):
        headers = login(client, who)
        secrets = (subject["full_name"], subject["id_number"], "TAKV-01-01", "CAX-00070")
        refused_without_a_trace(client.get(f"/api/v1/dossiers/{dossier.id}", headers=headers), *secrets)
        refused_without_a_trace(client.get(f"/api/v1/dossiers/{dossier.id}/history/verify", headers=headers), *secrets)
        fired = client.post(
            f"/api/v1/dossiers/{dossier.id}/events",
            json={
                "event": "accepted",
                "expected_version": version,
                "payload": {"consideration_started_at": at, "case_number": "12/TL"},
            },
            headers=headers,
        )
        refused_without_a_trace(fired, *secrets)
        # Nor does the person lead to the dossier: the case is answered as for an unknown person.
        case = client.get(f"/api/v1/persons/{subject['id_number']}/case", headers=headers)
        unknown = client.get(f"/api/v1/persons/{person(99)['id_number']}/case", headers=headers)
        assert case.status_code == unknown.status_code == 404
        assert case.json()["detail"] == unknown.json()["detail"]
        found = client.get("/api/v1/persons", params={"id_number": subject["id_number"]}, headers=headers)
        assert found.status_code == 200 and found.json() == {"items": [], "total": 0, "next_cursor": None}
    assert history_count(courts) == rows
    assert dossier.saved()["version"] == version


def test_the_competent_court_comes_from_the_persons_commune(client: TestClient, courts: World) -> None:
    dossier = at_court(courts, police="police_dongda", **person(3, commune_code=DONG_DA))
    assert client.get(f"/api/v1/dossiers/{dossier.id}", headers=login(client, "other_judge")).status_code == 200
    refused = client.get(f"/api/v1/dossiers/{dossier.id}", headers=login(client, "judge"))
    assert refused.status_code == 404
    assert DONG_DA not in refused.text and "Đống Đa" not in refused.text


def test_a_court_opens_only_in_its_area(client: TestClient, courts: World) -> None:
    body = {"procedure": "compulsory_rehab_execution", "subject": person(4)}
    refused = client.post("/api/v1/dossiers", json=body, headers=login(client, "other_judge"))
    assert refused.status_code == 403, refused.text
    assert "00070" not in refused.text and "TAKV-01-01" not in refused.text
    opened = client.post("/api/v1/dossiers", json=body, headers=login(client, "judge"))
    assert opened.status_code == 201, opened.text


def test_only_the_designated_rehab_facility_sees_and_acts(client: TestClient, courts: World) -> None:
    subject = person(5)
    judge = login(client, "judge")
    opened = client.post(
        "/api/v1/dossiers", json={"procedure": "compulsory_rehab_execution", "subject": subject}, headers=judge
    )
    assert opened.status_code == 201, opened.text
    dossier_id = opened.json()["id"]
    now = courts.clock.now().astimezone(VN_TZ)
    for who in ("director", "other_director"):  # not designated yet: no facility sees it
        refused_without_a_trace(client.get(f"/api/v1/dossiers/{dossier_id}", headers=login(client, who)))
    sent = client.post(
        f"/api/v1/dossiers/{dossier_id}/events",
        json={
            "event": "decision_sent",
            "expected_version": opened.json()["version"],
            "payload": {
                "sent_at": now.isoformat(),
                "decision_number": "05/2026/QĐ-TA",
                "decision_date": (now - timedelta(days=12)).date().isoformat(),
                "decision_effective_at": (now - timedelta(days=1)).isoformat(),
                "term_months": 18,
                "facility_unit": "CSCN-01-01",
                "rehab_kind": "adult_compulsory",
            },
        },
        headers=judge,
    )
    assert sent.status_code == 200, sent.text
    version = sent.json()["version"]
    designated = client.get(f"/api/v1/dossiers/{dossier_id}", headers=login(client, "director"))
    assert designated.status_code == 200, designated.text
    assert "handed_over" in {action["event"] for action in designated.json()["actions"]}

    other = login(client, "other_director")
    secrets = (subject["full_name"], subject["id_number"], "CSCN-01-01", "TAKV-01-01")
    refused_without_a_trace(client.get(f"/api/v1/dossiers/{dossier_id}", headers=other), *secrets)
    admitted = now + timedelta(minutes=10)
    courts.at(admitted.isoformat())
    payload = {
        "admitted_at": admitted.isoformat(),
        "held_days": 0,
        "term_end_at": datetime(2027, 9, 2, tzinfo=VN_TZ).isoformat(),
        "zone": "adult",
    }
    rows = history_count(courts)
    fired = client.post(
        f"/api/v1/dossiers/{dossier_id}/events",
        json={"event": "handed_over", "expected_version": version, "payload": payload},
        headers=other,
    )
    refused_without_a_trace(fired, *secrets)
    assert history_count(courts) == rows
    handed = client.post(
        f"/api/v1/dossiers/{dossier_id}/events",
        json={"event": "handed_over", "expected_version": version, "payload": payload},
        headers=login(client, "director"),
    )
    assert handed.status_code == 200, handed.text
    assert handed.json()["state"] == "serving"
