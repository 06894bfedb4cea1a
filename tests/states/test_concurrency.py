"""Concurrent firings on one dossier: exactly one wins per version, the others get a conflict."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from states.actors import Actor
from states.engine import DossierEngine
from states.errors import ConflictError
from states.store.tables import dossiers, persons
from tests.conftest import World
from tests.factories import SubjectFactory

THREADS = 12
ROUNDS = 4
POSITIVE: dict[str, object] = {
    "tested_at": "2026-03-02T08:00:00+07:00",
    "test_ground": "caught_using",
    "sample_type": "urine",
    "substances": "Heroin",
}
TEST_KEYS = ("tested_at", "test_ground", "sample_type")


Attempt = tuple[str, dict[str, object]]


def race(engine: DossierEngine, actor: Actor, dossier_id: str, version: int, attempts: list[Attempt]) -> Counter[str]:
    """One thread per attempt, all released at once on the same expected version; counts winners by event."""
    barrier = threading.Barrier(len(attempts))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def attempt(event: str, payload: dict[str, object]) -> None:
        barrier.wait()
        try:
            engine.fire(actor, dossier_id, event, payload, version)
            result = f"won:{event}"
        except ConflictError:
            result = "conflict"
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=attempt, args=pair) for pair in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def complaints(label: str) -> list[Attempt]:
    return [
        ("complaint_filed", {"complainant": "subject", "complaint_against": "result", "summary": f"{label} luồng {n}"})
        for n in range(THREADS)
    ]


def test_opposite_results_race_one_wins(world: World) -> None:
    dossier = world.open()
    opposite_results: list[Attempt] = [
        ("test_positive", POSITIVE) if n % 2 else ("test_negative", {k: POSITIVE[k] for k in TEST_KEYS})
        for n in range(THREADS)
    ]
    outcomes = race(world.engine, world.actors["police"], dossier.id, 1, opposite_results)
    assert sum(outcomes.values()) == THREADS and outcomes["conflict"] == THREADS - 1
    winner = next(key.removeprefix("won:") for key in outcomes if key.startswith("won:"))
    view = dossier.view("admin")
    assert (view["version"], [entry["event"] for entry in view["history"]]) == (2, ["dossier_opened", winner])
    assert view["state"] == {"test_positive": "user_confirmed", "test_negative": "closed_negative"}[winner]


def test_conflicting_fires_never_lose_an_update(world: World) -> None:
    dossier = world.open()
    dossier.fire("police", "test_positive", POSITIVE)
    for round_number in range(ROUNDS):
        version = dossier.view("admin")["version"]
        outcomes = race(world.engine, world.actors["police"], dossier.id, version, complaints(f"vòng {round_number}"))
        assert outcomes == Counter({"won:complaint_filed": 1, "conflict": THREADS - 1})
    view = dossier.view("admin")
    assert view["version"] == 2 + ROUNDS
    assert [entry["seq"] for entry in view["history"]] == list(range(1, 3 + ROUNDS))
    assert len({entry["payload"]["summary"] for entry in view["history"][2:]}) == ROUNDS


def test_simultaneous_first_dossiers_of_one_person_share_the_person(world: World) -> None:
    subject = SubjectFactory()
    barrier = threading.Barrier(THREADS)
    opened: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def open_one() -> None:
        barrier.wait()
        try:
            dossier_id = world.engine.open_dossier(world.actors["police"], "addiction_determination", subject)
        except BaseException as error:  # the test reports every failure below
            with lock:
                errors.append(error)
        else:
            with lock:
                opened.append(dossier_id)

    threads = [threading.Thread(target=open_one) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(opened) == THREADS
    with world.db.engine.connect() as conn:
        person_ids = set(conn.scalars(select(dossiers.c.person_id).where(dossiers.c.id.in_(opened))))
        assert len(person_ids) == 1
        assert conn.scalar(select(func.count()).select_from(persons)) == 1
