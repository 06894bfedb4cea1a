"""The authorization matrix: for each role (in and out of the dossier's jurisdiction) and each endpoint that
reads or lists a dossier, a person, a task or the record of reads, the expected status — and nothing of a
dossier outside the caller's jurisdiction appears in any answer: not in a list, a count, a search or an error."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from config.settings import Settings
from states.units_data import COURTS_FILE, default_units, sync_units
from tests.api.test_api import login
from tests.conftest import World, add_officers
from tests.states.test_custody import held

NAME = "Hoàng Thị Ma Trận"
COURT_OFFICERS = {
    "judge": ("regional_court", "TAKV-01-01"),  # competent for Phường Hoàn Kiếm
    "other_judge": ("regional_court", "TAKV-01-02"),
}
SEES = ("police", "chief", "pc04", "judge", "admin")
"""Officers whose unit covers a custody dossier of Phường Hoàn Kiếm: its commune police (officer and head), the
provincial police, the competent regional court, the national unit."""
BLIND = ("other_police", "clerk", "other_clerk", "hcm_clerk", "other_judge")
"""Another commune's police, health facilities the dossier was never sent to, another regional court."""
HANDLERS = ("police", "chief")
"""Who may see the record of reads: the officer who opened the dossier and the head of the commune police."""


@pytest.fixture
def matrix(world: World) -> World:
    with world.db.transaction() as repo:
        sync_units(repo, world.rulebook.regimes, default_units(), files=[COURTS_FILE])
    return add_officers(world, COURT_OFFICERS)


@pytest.fixture
def client(matrix: World) -> Iterator[TestClient]:
    settings = Settings(environment="test", secret_key="test-secret-key-of-at-least-thirty-two-chars")
    with TestClient(create_app(settings, clock=matrix.clock, db=matrix.db, rulebook=matrix.rulebook)) as test_client:
        yield test_client


Call = Callable[[TestClient, dict[str, str]], httpx.Response]


def endpoints(dossier_id: str, id_number: str, task_id: int) -> dict[str, tuple[Call, Callable[[str], int]]]:
    """Endpoint → (the call, the status expected for each officer)."""

    def sees(ok: int = 200) -> Callable[[str], int]:
        return lambda who: ok if who in SEES else 404

    def get(path: str, **params: Any) -> Call:
        return lambda client, headers: client.get(path, params=params, headers=headers)

    return {
        "dossier": (get(f"/api/v1/dossiers/{dossier_id}"), sees()),
        "history": (get(f"/api/v1/dossiers/{dossier_id}/history/verify"), sees()),
        "documents": (get(f"/api/v1/dossiers/{dossier_id}/documents"), sees()),
        "control_slip": (get(f"/api/v1/dossiers/{dossier_id}/control-slip"), sees()),
        "case": (get(f"/api/v1/persons/{id_number}/case"), sees()),
        "task_events": (get(f"/api/v1/tasks/{task_id}/events"), sees()),
        "reads": (
            get("/api/v1/audit/reads", dossier=dossier_id),
            lambda who: 200 if who in HANDLERS else 403 if who in SEES else 404,
        ),
        "dossier_list": (get("/api/v1/dossiers", limit=200), lambda who: 200),
        "filtered_list": (get("/api/v1/dossiers", commune="00070", state="in_custody"), lambda who: 200),
        "person_search": (get("/api/v1/persons", name="hoang thi ma tran"), lambda who: 200),
        "id_search": (get("/api/v1/persons", id_number=id_number), lambda who: 200),
        "queue": (get("/api/v1/tasks/queue", limit=200), lambda who: 200),
        "inbox": (get("/api/v1/tasks/inbox"), lambda who: 200),
    }


def test_every_role_gets_the_expected_status_and_nothing_from_outside_its_jurisdiction(
    client: TestClient, matrix: World
) -> None:
    dossier = held(matrix)
    view = dossier.view()
    assert view["subject"]["full_name"] == NAME
    id_number = view["subject"]["id_number"]
    with matrix.db.reading() as repo:
        (task,) = [row for row in repo.tasks(dossier.id) if row["status"] == "open"]
    secrets = (NAME, id_number, dossier.id)
    failures: list[tuple[Any, ...]] = []
    for who in (*SEES, *BLIND):
        headers = login(client, who)
        for name, (call, expected) in endpoints(dossier.id, id_number, int(task["id"])).items():
            answer = call(client, headers)
            if answer.status_code != expected(who):
                failures.append((who, name, answer.status_code, expected(who)))
                continue
            if who in BLIND:
                text = answer.text
                if answer.status_code == 404:
                    text = text.replace(dossier.id, "").replace(id_number, "")  # the id the caller sent, echoed
                leaks = [secret for secret in secrets if secret in text]
                if leaks or '"total":1' in text.replace(" ", ""):
                    failures.append((who, name, "leak", leaks))
            elif name in ("dossier_list", "filtered_list", "person_search", "id_search"):
                assert dossier.id in answer.text, (who, name)
    assert not failures, failures


@pytest.fixture(autouse=True)
def named(monkeypatch: pytest.MonkeyPatch) -> None:
    """The held dossier's person carries a name no other test uses, so that a leak is unmistakable."""
    from tests import conftest, factories

    def with_name(**subject: Any) -> Any:
        return factories.SubjectFactory(**{"full_name": NAME, **subject})

    monkeypatch.setattr(conftest, "SubjectFactory", with_name)


def test_officers_outside_the_jurisdiction_can_change_nothing_and_learn_nothing(
    client: TestClient, matrix: World
) -> None:
    dossier = held(matrix)
    version = dossier.saved()["version"]
    with matrix.db.reading() as repo:
        (task,) = [row for row in repo.tasks(dossier.id) if row["status"] == "open"]
    task_id = int(task["id"])
    changes: dict[str, Callable[[TestClient, dict[str, str]], httpx.Response]] = {
        "fire": lambda c, h: c.post(
            f"/api/v1/dossiers/{dossier.id}/events",
            json={"event": "custody_ended", "expected_version": version, "payload": {}},
            headers=h,
        ),
        "claim": lambda c, h: c.post(f"/api/v1/tasks/{task_id}/claim", headers=h),
        "release": lambda c, h: c.post(f"/api/v1/tasks/{task_id}/release", headers=h),
        "delegate": lambda c, h: c.post(f"/api/v1/tasks/{task_id}/delegate", json={"user_id": 1}, headers=h),
        "return": lambda c, h: c.post(f"/api/v1/tasks/{task_id}/return", json={}, headers=h),
    }
    failures = []
    for who in BLIND:
        headers = login(client, who)
        for name, call in changes.items():
            answer = call(client, headers)
            if answer.status_code != 404 or NAME in answer.text or "00070" in answer.text:
                failures.append((who, name, answer.status_code, answer.text[:200]))
    assert not failures, failures
    assert dossier.saved()["version"] == version
    with matrix.db.reading() as repo:
        assert repo.taskdesk.events(task_id) == []
        assert all(row["assignee_id"] is None for row in repo.tasks(dossier.id))


def test_within_the_jurisdiction_only_the_tasks_role_may_claim_it(client: TestClient, matrix: World) -> None:
    dossier = held(matrix)
    with matrix.db.reading() as repo:
        (task,) = [row for row in repo.tasks(dossier.id) if row["status"] == "open"]
    expected = {"chief": 403, "pc04": 403, "judge": 403, "admin": 403, "police": 200}
    answers = {
        who: client.post(f"/api/v1/tasks/{task['id']}/claim", headers=login(client, who)).status_code
        for who in expected
    }
    assert answers == expected
