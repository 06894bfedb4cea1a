"""A compulsory-rehab dossier through the court, as its three users act on it over the API: the regional court
finds it in its list and queue, accepts it, asks for a supplement (the time limit pauses) and opens the session;
the regional procuracy finds the same dossier, takes its task and gives its opinion; the court decides; the
procuracy protests within the window; the provincial court, to which the protest is routed, reviews it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from config.settings import Settings
from states.legal_time import VN_TZ
from states.units_data import COURTS_FILE, default_units, sync_units
from tests.api.test_api import login
from tests.api.test_jurisdiction import at_court, person
from tests.conftest import Dossier, World, add_officers

OFFICERS = {
    "judge": ("regional_court", "TAKV-01-01"),
    "procurator": ("regional_procuracy", "VKSKV-01-01"),
    "review_judge": ("provincial_court", "TAND-T-01"),
    "other_procurator": ("regional_procuracy", "VKSKV-01-02"),
}
UNITS = (
    {
        "code": "TAND-T-01",
        "name": "Tòa án nhân dân thành phố Hà Nội",
        "kind": "provincial_court",
        "province_code": "01",
    },
)


@pytest.fixture
def courts(world: World) -> World:
    with world.db.transaction() as repo:
        report = sync_units(repo, world.rulebook.regimes, default_units(), files=[COURTS_FILE])
    assert not report.conflicts
    return add_officers(world, OFFICERS, units=UNITS)


@pytest.fixture
def client(courts: World) -> Iterator[TestClient]:
    settings = Settings(environment="test", secret_key="test-secret-key-of-at-least-thirty-two-chars")
    with TestClient(create_app(settings, clock=courts.clock, db=courts.db, rulebook=courts.rulebook)) as test_client:
        yield test_client


class Officer:
    """One user acting through the API on one dossier, always at the world's current time."""

    def __init__(self, client: TestClient, world: World, username: str, dossier_id: str) -> None:
        self.client, self.world, self.dossier_id, self.username = client, world, dossier_id, username

    @property
    def headers(self) -> dict[str, str]:
        # Days pass in the story and an access token lives 30 minutes: each request logs in afresh.
        return login(self.client, self.username)

    def view(self) -> dict[str, Any]:
        answer = self.client.get(f"/api/v1/dossiers/{self.dossier_id}", headers=self.headers)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def fire(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        view = self.view()
        assert event in {action["event"] for action in view["actions"]}, (event, view["state"])
        answer = self.client.post(
            f"/api/v1/dossiers/{self.dossier_id}/events",
            json={"event": event, "expected_version": view["version"], "payload": payload},
            headers=self.headers,
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        answer = self.client.get(path, params=params, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def later(world: World, minutes: int = 30) -> str:
    moment = world.clock.now().astimezone(VN_TZ) + timedelta(minutes=minutes)
    world.at(moment.isoformat())
    return moment.isoformat()


def test_court_procuracy_and_review_court_take_the_dossier_to_an_effective_decision(
    client: TestClient, courts: World
) -> None:
    dossier = at_court(courts, **person(41))
    judge = Officer(client, courts, "judge", dossier.id)
    procurator = Officer(client, courts, "procurator", dossier.id)
    review = Officer(client, courts, "review_judge", dossier.id)

    # The court finds what was submitted to it, in its list and in its queue.
    listed = judge.get("/api/v1/dossiers", state="at_court_registry")
    assert [d["id"] for d in listed["items"]] == [dossier.id]
    (waiting,) = [t for t in judge.get("/api/v1/tasks/queue")["items"] if t["dossier_id"] == dossier.id]
    assert client.post(f"/api/v1/tasks/{waiting['id']}/claim", headers=judge.headers).status_code == 200

    at = later(courts)
    judge.fire("accepted", {"consideration_started_at": at, "case_number": "41/2026/TLST-CNBB"})
    judge.fire("judge_assigned", {"assigned_at": later(courts), "judge_name": "Thẩm phán Nguyễn Thu Hà"})
    asked = judge.fire("supplement_requested", {"requested_at": later(courts), "items": "Bản tường trình"})
    assert asked["state"] == "awaiting_supplement"
    assert {d["status"] for d in asked["deadlines"] if d["rule_id"] == "decision_limit"} == {"paused"}
    resumed = judge.fire("supplement_received", {"received_at": later(courts, 60 * 24)})
    assert {d["status"] for d in resumed["deadlines"] if d["rule_id"] == "decision_limit"} == {"open"}
    day = courts.clock.now().astimezone(VN_TZ).date().isoformat()
    judge.fire("session_opened", {"decided_on": day, "planned_for": "08:00 ngày mai, trực tuyến", "online": True})

    # The procuracy sees the same dossier, takes its task and gives its opinion; another procuracy sees nothing.
    assert [d["id"] for d in procurator.get("/api/v1/dossiers", procedure="compulsory_rehab_adult")["items"]] == [
        dossier.id
    ]
    other = login(client, "other_procurator")
    assert client.get(f"/api/v1/dossiers/{dossier.id}", headers=other).status_code == 404
    assert client.get("/api/v1/dossiers", headers=other).json()["total"] == 0
    (task,) = [t for t in procurator.get("/api/v1/tasks/queue")["items"] if t["dossier_id"] == dossier.id]
    assert task["role"] in ("regional_procuracy", "district_procuracy")
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=procurator.headers).status_code == 200
    procurator.fire(
        "procuracy_opinion_given",
        {"given_at": later(courts), "procurator": "Kiểm sát viên Vũ Thị Lan", "opinion": "Đề nghị áp dụng biện pháp"},
    )
    judge.fire("session_held", {"held_at": later(courts, 60 * 18), "procurator_present": True, "online": True})
    decided = judge.fire(
        "decide_apply",
        {"announced_at": later(courts), "decision_number": "41/2026/QĐ-TA", "term_months": 18},
    )
    assert decided["state"] == "decided_apply"

    # The procuracy protests within the window; the protest is routed to the provincial court.
    filed_on = courts.clock.now().astimezone(VN_TZ).date().isoformat()
    protested = procurator.fire(
        "protest_filed", {"filed_on": filed_on, "document_number": "03/QĐ-VKS", "grounds": "Thời hạn chưa đúng"}
    )
    assert protested["state"] == "under_review_apply"
    judge.fire("file_forwarded", {"forwarded_at": later(courts)})
    queued = [t for t in review.get("/api/v1/tasks/queue")["items"] if t["dossier_id"] == dossier.id]
    assert queued and queued[0]["role"] == "provincial_court"
    assert queued[0]["due_at"] is not None  # the review time limit runs
    upheld = review.fire(
        "review_upholds",
        {"decided_on": courts.clock.now().astimezone(VN_TZ).date().isoformat(), "review_decision_number": "7/QĐ-XL"},
    )
    assert upheld["state"] == "effective_apply"
    history = [(row["event"], row["actor_role"]) for row in review.view()["history"]]
    assert ("procuracy_opinion_given", "regional_procuracy") in history
    assert ("protest_filed", "regional_procuracy") in history
    assert ("review_upholds", "provincial_court") in history
    Dossier(courts, dossier.id).record_history()
