"""Concurrent firings on one dossier: exactly one wins per version, the others get a conflict."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import Table, func, select

from states.actors import Actor
from states.engine import DossierEngine, SubjectInput
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


def open_at_once(world: World, openers: list[tuple[str, SubjectInput, str | None]]) -> list[str | BaseException]:
    """One thread per (officer, subject, idempotency key), all released at once; the dossier id or the error."""
    barrier = threading.Barrier(len(openers))
    results: list[str | BaseException] = []
    lock = threading.Lock()

    def open_one(who: str, subject: SubjectInput, key: str | None) -> None:
        barrier.wait()
        result: str | BaseException
        try:
            result = world.engine.open_dossier(
                world.actors[who], "addiction_determination", subject, idempotency_key=key
            )
        except BaseException as error:  # the test reports every failure below
            result = error
        with lock:
            results.append(result)

    threads = [threading.Thread(target=open_one, args=opener) for opener in openers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def count(world: World, table: Table) -> int:
    with world.db.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def test_simultaneous_first_dossiers_of_one_person_open_one(world: World) -> None:
    """The same new person sent by several officers' screens at once: one person, one open dossier; every
    other request is told which dossier is already open."""
    subject = SubjectFactory()
    results = open_at_once(world, [("police", subject, None)] * THREADS)
    opened = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, ConflictError)]
    assert len(opened) == 1, results
    assert len(refused) == THREADS - 1, results
    assert {error.details["open_dossier_id"] for error in refused} == set(opened)
    assert (count(world, persons), count(world, dossiers)) == (1, 1)


def test_simultaneous_retries_with_one_idempotency_key_open_one_dossier(world: World) -> None:
    """Every retry of one request is answered with the one dossier it opened."""
    subject = SubjectFactory()
    results = open_at_once(world, [("police", subject, "5f0c7a1e-2b1d-4c47-9a7e-0d6c1c6a9b11")] * THREADS)
    assert all(isinstance(result, str) for result in results), results
    assert len(set(results)) == 1
    assert (count(world, persons), count(world, dossiers)) == (1, 1)


def test_simultaneous_dossiers_of_a_known_person_open_one(world: World) -> None:
    """The person is already on record (an earlier dossier, closed): the race is then on the dossier alone."""
    subject = SubjectFactory()
    earlier = world.engine.open_dossier(world.actors["police"], "addiction_determination", subject)
    test = {key: POSITIVE[key] for key in TEST_KEYS}
    world.engine.fire(world.actors["police"], earlier, "test_negative", test, 1)
    results = open_at_once(world, [("police", subject, None)] * THREADS)
    opened = [r for r in results if isinstance(r, str)]
    assert len(opened) == 1, results
    assert all(isinstance(r, ConflictError) for r in results if not isinstance(r, str)), results
    assert (count(world, persons), count(world, dossiers)) == (1, 2)
