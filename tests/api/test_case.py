"""A person's case through the API: where they are now, until when, who acts next — and nothing for a unit
that follows none of their dossiers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.test_api import POSITIVE, client, login, subject

__all__ = ["client"]


def test_the_case_says_where_the_person_is_and_who_acts_next(client: TestClient) -> None:
    police = login(client, "police")
    person = subject()
    opened = client.post(
        "/api/v1/dossiers", json={"procedure": "addiction_determination", "subject": person}, headers=police
    ).json()
    client.post(
        f"/api/v1/dossiers/{opened['id']}/events",
        json={"event": "test_positive", "expected_version": 1, "payload": POSITIVE},
        headers=police,
    )
    case = client.get(f"/api/v1/persons/{person['id_number']}/case", headers=police)
    assert case.status_code == 200, case.text
    body = case.json()
    assert [d["state"] for d in body["now"]] == ["user_confirmed"]
    current = body["now"][0]
    assert current["next"][0]["holder_roles"] == ["commune_police"]
    assert [(d["rule_id"], d["nature"]) for d in current["until"]] == [("status_check_target", "time_limit")]
    assert current["until"][0]["due_at_local"].startswith("2026-03-02T23:59:59")
    assert "hạn cuối 23:59 ngày 02/03/2026" in current["until"][0]["explanation_vi"]


def test_another_unit_learns_nothing_from_the_case(client: TestClient) -> None:
    police = login(client, "police")
    person = subject()
    client.post("/api/v1/dossiers", json={"procedure": "addiction_determination", "subject": person}, headers=police)
    other = login(client, "other_police")
    followed_elsewhere = client.get(f"/api/v1/persons/{person['id_number']}/case", headers=other)
    unknown = client.get(f"/api/v1/persons/{subject(serial=77)['id_number']}/case", headers=other)
    assert followed_elsewhere.status_code == unknown.status_code == 404
    assert followed_elsewhere.json()["detail"] == unknown.json()["detail"]
    assert client.get("/api/v1/persons/12345/case", headers=other).status_code == 422
