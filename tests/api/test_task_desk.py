"""The officers' task desk through the API: the unit queue and each officer's inbox, sorted by legal urgency;
claim races (one wins), release, delegation with return to the owner, substitutes for an absence, bulk
reassignment with one event per task — and nothing of another unit's tasks is seen, taken or named."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from config.settings import Settings
from states.errors import ConflictError
from states.legal_time import VN_TZ
from states.taskdesk import TaskDesk
from tests.api.test_api import login
from tests.conftest import Dossier, World, add_officers
from tests.states.test_custody import POSITIVE, held

COLLEAGUES = {
    "police2": ("commune_police", "CAX-00070"),
    "police3": ("commune_police", "CAX-00070"),
}


@pytest.fixture
def desk(world: World) -> World:
    return add_officers(world, COLLEAGUES)


@pytest.fixture
def client(desk: World) -> Iterator[TestClient]:
    settings = Settings(environment="test", secret_key="test-secret-key-of-at-least-thirty-two-chars")
    with TestClient(create_app(settings, clock=desk.clock, db=desk.db, rulebook=desk.rulebook)) as test_client:
        yield test_client


def task_of(world: World, dossier: Dossier) -> int:
    with world.db.reading() as repo:
        (task,) = [row for row in repo.tasks(dossier.id) if row["status"] == "open"]
    return int(task["id"])


def ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


def user_id(world: World, username: str) -> int:
    return world.actors[username].user_id


def test_the_queue_is_the_units_and_most_urgent_first_and_a_claim_moves_a_task_to_the_inbox(
    client: TestClient, desk: World
) -> None:
    plain = desk.open(full_name="Lê Văn Chờ")
    urgent = held(desk)  # in custody: 12 hours
    elsewhere = desk.open("other_police", commune_code="00004", full_name="Lê Văn Khác")
    police, police2, other = login(client, "police"), login(client, "police2"), login(client, "other_police")
    queue = client.get("/api/v1/tasks/queue", headers=police).json()
    assert ids(queue) == [task_of(desk, urgent), task_of(desk, plain)] and queue["total"] == 2
    first = queue["items"][0]
    assert first["due_at"] is not None and first["working_days_left"] == 0 and first["overdue"] is False
    assert first["person_name"] and first["state_title"] and first["role_title"] == "Cán bộ Công an cấp xã"
    assert queue["items"][1]["due_at"] is None
    assert ids(client.get("/api/v1/tasks/queue", headers=other).json()) == [task_of(desk, elsewhere)]

    claimed = client.post(f"/api/v1/tasks/{task_of(desk, plain)}/claim", headers=police)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["assignee_id"] == user_id(desk, "police")
    assert ids(client.get("/api/v1/tasks/inbox", headers=police).json()) == [task_of(desk, plain)]
    assert ids(client.get("/api/v1/tasks/queue", headers=police2).json()) == [task_of(desk, urgent)]
    taken = client.post(f"/api/v1/tasks/{task_of(desk, plain)}/claim", headers=police2)
    assert taken.status_code == 409 and "police" in taken.json()["detail"]
    # Another unit's task is answered as an unknown one, and neither can be claimed.
    foreign = client.post(f"/api/v1/tasks/{task_of(desk, elsewhere)}/claim", headers=police)
    unknown = client.post("/api/v1/tasks/999999/claim", headers=police)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["detail"].replace(str(task_of(desk, elsewhere)), "#") == unknown.json()["detail"].replace(
        "999999", "#"
    )
    # Releasing puts it back; the step that ends the task moves it to the archive of the officer who recorded it.
    released = client.post(f"/api/v1/tasks/{task_of(desk, plain)}/release", headers=police)
    assert released.status_code == 200 and released.json()["assignee_id"] is None
    plain_task = task_of(desk, plain)
    plain.fire("police", "test_positive", {**POSITIVE, "substances": "Heroin"})
    archive = client.get("/api/v1/tasks/archive", headers=police).json()
    assert plain_task in ids(archive)
    assert client.post(f"/api/v1/tasks/{plain_task}/claim", headers=police).status_code == 409


def test_two_officers_claiming_one_task_at_once_one_wins(desk: World) -> None:
    dossier = desk.open()
    task_id = task_of(desk, dossier)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def claim(username: str) -> None:
        engine_desk = TaskDesk(desk.rulebook, desk.db, desk.clock)
        barrier.wait()
        try:
            engine_desk.claim(desk.actors[username], task_id)
            outcomes[username] = "won"
        except ConflictError as refused:
            outcomes[username] = refused.message

    threads = [threading.Thread(target=claim, args=(name,)) for name in ("police", "police2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values())[-1] == "won" and list(outcomes.values()).count("won") == 1
    loser = next(name for name, outcome in outcomes.items() if outcome != "won")
    assert "vừa được giao" in outcomes[loser]
    with desk.db.reading() as repo:
        events = repo.taskdesk.events(task_id)
    assert [event["action"] for event in events] == ["claimed"]


def test_a_delegated_task_comes_back_to_its_owner(client: TestClient, desk: World) -> None:
    task_id = task_of(desk, desk.open())
    police, police2 = login(client, "police"), login(client, "police2")
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=police).status_code == 200
    # Only the holder may delegate, and only to an officer of the unit.
    assert client.post(f"/api/v1/tasks/{task_id}/delegate", json={"user_id": 1}, headers=police2).status_code == 409
    outsider = client.post(
        f"/api/v1/tasks/{task_id}/delegate", json={"user_id": user_id(desk, "other_police")}, headers=police
    )
    assert outsider.status_code == 422 and "đơn vị của bạn" in outsider.json()["detail"]
    delegated = client.post(
        f"/api/v1/tasks/{task_id}/delegate",
        json={"user_id": user_id(desk, "police2"), "note": "Nhờ đồng chí lấy lời khai"},
        headers=police,
    )
    assert delegated.status_code == 200, delegated.text
    assert delegated.json()["assignee_id"] == user_id(desk, "police2")
    assert delegated.json()["owner_id"] == user_id(desk, "police")
    assert ids(client.get("/api/v1/tasks/inbox", headers=police2).json()) == [task_id]
    assert client.get("/api/v1/tasks/inbox", headers=police).json()["total"] == 0
    back = client.post(f"/api/v1/tasks/{task_id}/return", json={"note": "Đã xong"}, headers=police2)
    assert back.status_code == 200 and back.json()["assignee_id"] == user_id(desk, "police")
    assert back.json()["owner_id"] is None
    events = client.get(f"/api/v1/tasks/{task_id}/events", headers=police).json()
    assert [(e["action"], e["from_user"], e["to_user"]) for e in events] == [
        ("claimed", None, "police"),
        ("delegated", "police", "police2"),
        ("returned", "police2", "police"),
    ]
    assert events[1]["note"] == "Nhờ đồng chí lấy lời khai"
    assert client.get(f"/api/v1/tasks/{task_id}/events", headers=login(client, "other_police")).status_code == 404


def test_a_task_given_to_an_absent_officer_goes_to_the_substitute(client: TestClient, desk: World) -> None:
    first, later = desk.open(full_name="Lê Văn Một"), desk.open(full_name="Lê Văn Hai")
    police2, chief = login(client, "police2"), login(client, "chief")
    today = desk.clock.now().astimezone(VN_TZ).date()
    away = client.post(
        "/api/v1/substitutes",
        json={
            "substitute_id": user_id(desk, "police3"),
            "from_day": today.isoformat(),
            "to_day": (today + timedelta(days=2)).isoformat(),
            "reason": "Đi học tập trung",
        },
        headers=police2,
    )
    assert away.status_code == 201, away.text
    assert away.json()["user_name"] == "police2" and away.json()["substitute_name"] == "police3"
    given = client.post(
        f"/api/v1/tasks/{task_of(desk, first)}/assign", json={"user_id": user_id(desk, "police2")}, headers=chief
    )
    assert given.status_code == 200, given.text
    assert given.json()["assignee_id"] == user_id(desk, "police3")
    events = client.get(f"/api/v1/tasks/{task_of(desk, first)}/events", headers=chief).json()
    assert events[-1]["action"] == "assigned" and events[-1]["instead_of"] == "police2"
    # After the absence, a task given to the officer is theirs.
    desk.clock.set(desk.clock.now() + timedelta(days=3))
    chief = login(client, "chief")
    back = client.post(
        f"/api/v1/tasks/{task_of(desk, later)}/assign", json={"user_id": user_id(desk, "police2")}, headers=chief
    )
    assert back.json()["assignee_id"] == user_id(desk, "police2")
    # Only the head assigns; a substitute must share the role; the dates must make sense.
    police = login(client, "police")
    refused = client.post(
        f"/api/v1/tasks/{task_of(desk, later)}/assign", json={"user_id": user_id(desk, "police")}, headers=police
    )
    assert refused.status_code == 403 and "Trưởng Công an cấp xã" in refused.json()["detail"]
    for body, words in (
        ({"substitute_id": user_id(desk, "chief"), "from_day": "2026-03-06", "to_day": "2026-03-07"}, "cùng vai trò"),
        ({"substitute_id": user_id(desk, "police3"), "from_day": "2026-03-09", "to_day": "2026-03-06"}, "trước"),
        ({"substitute_id": user_id(desk, "police3"), "from_day": "2026-02-30", "to_day": "2026-03-06"}, None),
        ({"substitute_id": user_id(desk, "police"), "from_day": "2026-03-06", "to_day": "2026-03-07"}, "cán bộ khác"),
    ):
        answer = client.post("/api/v1/substitutes", json=body, headers=police)
        assert answer.status_code == 422, (body, answer.text)
        if words is not None:
            assert words in answer.json()["detail"], answer.text


def test_the_head_moves_an_officers_tasks_at_once_with_one_event_each(client: TestClient, desk: World) -> None:
    dossiers = [desk.open(full_name=f"Lê Văn Số {n}") for n in range(3)]
    tasks = [task_of(desk, dossier) for dossier in dossiers]
    police, chief = login(client, "police"), login(client, "chief")
    for task_id in tasks:
        assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=police).status_code == 200
    body = {"from_user_id": user_id(desk, "police"), "to_user_id": user_id(desk, "police2")}
    assert client.post("/api/v1/tasks/reassign", json=body, headers=police).status_code == 403
    partly_wrong = client.post("/api/v1/tasks/reassign", json={**body, "task_ids": [tasks[0], 999999]}, headers=chief)
    assert partly_wrong.status_code == 422 and "999999" in partly_wrong.json()["detail"]
    assert client.get("/api/v1/tasks/inbox", headers=police).json()["total"] == 3  # nothing moved
    moved = client.post("/api/v1/tasks/reassign", json={**body, "note": "Điều động"}, headers=chief)
    assert moved.status_code == 200 and moved.json() == {"moved": 3, "task_ids": sorted(tasks)}
    assert sorted(ids(client.get("/api/v1/tasks/inbox", headers=login(client, "police2")).json())) == sorted(tasks)
    for task_id in tasks:
        events = client.get(f"/api/v1/tasks/{task_id}/events", headers=chief).json()
        assert [(e["action"], e["actor"], e["to_user"]) for e in events][-1] == ("reassigned", "chief", "police2")
    unit = client.get("/api/v1/tasks/unit", headers=chief).json()
    assert set(tasks) <= set(ids(unit))
    assert client.get("/api/v1/tasks/unit", headers=police).status_code == 403
    officers = client.get("/api/v1/officers", headers=chief).json()
    assert {o["full_name"] for o in officers} >= {"police", "police2", "police3", "chief"}
    assert all(o["full_name"] != "other_police" for o in officers)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/tasks/1/delegate", {"user_id": 2, "note": "a\u202eb"}),
        ("/api/v1/tasks/1/assign", {"user_id": 0}),
        ("/api/v1/tasks/1/assign", {"user_id": 2, "extra": 1}),
        ("/api/v1/tasks/reassign", {"from_user_id": 1, "to_user_id": 2, "task_ids": list(range(1, 1002))}),
        ("/api/v1/substitutes", {"substitute_id": 2, "from_day": "2026-13-01", "to_day": "2026-03-01"}),
    ],
)
def test_malformed_requests_are_refused_and_change_nothing(
    client: TestClient, desk: World, path: str, body: dict[str, Any]
) -> None:
    task_of(desk, desk.open())
    answer = client.post(path, json=body, headers=login(client, "chief"))
    assert answer.status_code in (403, 404, 409, 422), answer.text
    assert answer.json()["detail"]
    with desk.db.reading() as repo:
        assert all(row["assignee_id"] is None for row in repo.tasks(desk_dossier_ids(desk)[0]))


def desk_dossier_ids(world: World) -> list[str]:
    with world.db.reading() as repo:
        return repo.open_dossier_ids("addiction_determination")


def test_a_bad_cursor_is_refused(client: TestClient) -> None:
    answer = client.get("/api/v1/tasks/queue", params={"cursor": "eHl6"}, headers=login(client, "police"))
    assert answer.status_code == 422 and "Con trỏ trang" in answer.json()["detail"]


def test_the_queue_pages_in_urgency_order_without_gaps_or_repeats(client: TestClient, desk: World) -> None:
    plain = [desk.open(full_name=f"Lê Văn Trang {n}") for n in range(3)]
    urgent = held(desk)
    police = login(client, "police")
    seen: list[int] = []
    page = client.get("/api/v1/tasks/queue", params={"limit": 1}, headers=police).json()
    assert page["total"] == 4
    while True:
        seen += ids(page)
        if page["next_cursor"] is None:
            break
        page = client.get("/api/v1/tasks/queue", params={"limit": 1, "cursor": page["next_cursor"]}, headers=police)
        page = page.json()
    assert seen[0] == task_of(desk, urgent)
    assert seen[1:] == sorted(task_of(desk, dossier) for dossier in plain)
