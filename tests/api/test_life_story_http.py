"""The life story (api/life_story.py) through the public HTTP API, in one test: every officer logs in on the
day of their step, opens and fires through the endpoints, reads ``actions`` (the step must be one of them, and
the payload carries every field the API says is required), dossier views and the person's case.

Two things are not public endpoints and are done as the operators do them: the follow-ups (``hoso outbox
drain``) and the expiry of deadlines (``hoso deadlines sweep``) run in-process as the ``system`` identity,
which cannot log in; and the documents requested by a step are read from the outbox table (the API does not
expose the outbox — documents are rendered by the later workflows layer).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.life_story import (
    Person,
    StoryError,
    StoryUnits,
    create_world,
    person,
    run_story,
)
from config.settings import Settings
from states.accounts import actor_by_username
from states.chaining import open_followups
from states.clock import FixedClock
from states.engine import DossierEngine, FollowUp
from states.procedures import Rulebook
from states.store.database import Database
from states.sweep import SweepOutcome, sweep_due_deadlines
from tests.conftest import PASSWORD

START = datetime(2025, 2, 20, 1, 0, tzinfo=UTC)


class HttpDriver:
    """The story through the API. A token lasts 30 minutes on the injected clock, which the story moves by
    months: an officer logs in again whenever the clock moved since their last login."""

    def __init__(self, client: TestClient, db: Database, rulebook: Rulebook, clock: FixedClock) -> None:
        self.client = client
        self.db = db
        self.rulebook = rulebook
        self.clock = clock
        self._tokens: dict[str, tuple[datetime, dict[str, str]]] = {}

    def headers(self, officer: str) -> dict[str, str]:
        cached = self._tokens.get(officer)
        if cached is not None and cached[0] == self.clock.now():
            return cached[1]
        response = self.client.post("/api/v1/auth/token", data={"username": officer, "password": PASSWORD})
        if response.status_code != 200:
            raise StoryError(f"{officer} cannot log in: {response.status_code} {response.text}")
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        self._tokens[officer] = (self.clock.now(), headers)
        return headers

    def at(self, moment: datetime) -> None:
        self.clock.set(moment)

    def open(self, officer: str, procedure: str, subject: Person, occurred_on: date | None) -> str:
        body: dict[str, Any] = {"procedure": procedure, "subject": subject.as_json()}
        if occurred_on is not None:
            body["occurred_on"] = occurred_on.isoformat()
        response = self.client.post("/api/v1/dossiers", json=body, headers=self.headers(officer))
        if response.status_code != 201:
            raise StoryError(f"{officer} could not open {procedure}: {response.status_code} {response.text}")
        return str(response.json()["id"])

    def view(self, officer: str, dossier_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/dossiers/{dossier_id}", headers=self.headers(officer))
        if response.status_code != 200:
            raise StoryError(f"{officer} cannot read {dossier_id}: {response.status_code} {response.text}")
        body: dict[str, Any] = response.json()
        return body

    def _post(self, officer: str, dossier_id: str, event: str, payload: Mapping[str, Any], version: int) -> Any:
        return self.client.post(
            f"/api/v1/dossiers/{dossier_id}/events",
            json={"event": event, "expected_version": version, "payload": dict(payload)},
            headers=self.headers(officer),
        )

    def fire(self, officer: str, dossier_id: str, event: str, payload: Mapping[str, Any]) -> None:
        before = self.view(officer, dossier_id)
        action = next((a for a in before["actions"] if a["event"] == event), None)
        if action is None:
            raise StoryError(f"{officer} may not '{event}' now: actions {[a['event'] for a in before['actions']]}")
        missing = sorted(set(action["required"]) - set(payload))
        if missing:
            raise StoryError(f"'{event}' lacks fields the API says are required: {missing}")
        response = self._post(officer, dossier_id, event, payload, before["version"])
        if response.status_code != 200:
            raise StoryError(f"{officer} '{event}' answered {response.status_code}: {response.text}")
        answer = response.json()
        if (answer["version"], answer["history"][-1]["event"]) != (before["version"] + 1, event):
            raise StoryError(f"'{event}' answered version {answer['version']} after {before['version']}")

    def refused(self, officer: str, dossier_id: str, event: str, payload: Mapping[str, Any]) -> tuple[str, str]:
        before = self.view(officer, dossier_id)
        response = self._post(officer, dossier_id, event, payload, before["version"])
        if response.status_code < 400 or response.headers["content-type"] != "application/problem+json":
            raise StoryError(f"'{event}' by {officer} answered {response.status_code}; the law refuses it")
        after = self.view(officer, dossier_id)
        if (after["version"], after["state"]) != (before["version"], before["state"]):
            raise StoryError(f"the refused step '{event}' changed the dossier")
        problem = response.json()
        return str(problem["code"]), str(problem["detail"])

    def _engine(self) -> DossierEngine:
        services = self.client.app.state.services  # type: ignore[attr-defined]
        engine: DossierEngine = services.engine
        return engine

    def _system(self) -> Any:
        with self.db.reading() as repo:
            return actor_by_username(repo, "system")

    def drain(self) -> list[FollowUp]:
        return open_followups(self._engine(), self._system())

    def sweep(self) -> list[SweepOutcome]:
        return sweep_due_deadlines(self._engine(), self._system())

    def outbox(self, dossier_id: str) -> list[dict[str, Any]]:
        with self.db.reading() as repo:
            return repo.outbox(dossier_id)

    def case(self, officer: str, id_number: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/persons/{id_number}/case", headers=self.headers(officer))
        if response.status_code != 200:
            raise StoryError(f"{officer} cannot read the case: {response.status_code} {response.text}")
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def http_driver(db: Database, rulebook: Rulebook) -> Iterator[HttpDriver]:
    clock = FixedClock(START)
    create_world(db, rulebook, StoryUnits(), password=PASSWORD, now=clock.now())
    settings = Settings(environment="test", secret_key="test-secret-key-of-at-least-thirty-two-chars")
    app = create_app(settings, clock=clock, db=db, rulebook=rulebook)
    with TestClient(app) as client:
        yield HttpDriver(client, db, rulebook, clock)


def test_the_life_story_through_the_http_api(http_driver: HttpDriver) -> None:
    ids = run_story(http_driver)
    assert len(set(ids.values())) == 7
    # Need to know: the health facility and the rehab facility see in the person's case only the dossiers they
    # were designated for; the commune police (the story's reader) saw all seven.
    seen = {}
    for officer in ("clerk", "director"):
        case = http_driver.case(officer, person().id_number)
        labels = {dossier_id: label for label, dossier_id in ids.items()}
        seen[officer] = sorted(labels[d["id"]] for d in case["dossiers"])
    assert seen == {
        "clerk": ["determination", "supervision"],
        "director": ["execution_1", "execution_2"],
    }
