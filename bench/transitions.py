"""Persisted transitions per second: through the engine, and through a bare SQL loop doing the same writes.

Each dossier runs the requested-determination path (7 transitions: test, status check, custody, request,
reception, conclusion, service of the result). The bare loop does, per transition, the writes the engine
does: conditional state update, history insert (with its SHA-256), closing and opening a task, closing and
opening a deadline, an outbox insert, one commit. Backends: SQLite (a temporary file) and, when
HOSO_TEST_POSTGRES_URL is set, PostgreSQL (its schema is dropped and recreated: use a scratch database).

Then the life story (api/life_story.py): one person's seven dossiers across the 2021–2026 regimes — steps,
refusals, follow-ups opened from the outbox, deadline sweeps — run for several people in one database; it
reports whole lives per second and the transitions saved per second along the way.

    python bench/transitions.py [--dossiers N] [--rounds R] [--lives L]

Prints `RESULT <name> <value> <unit>` lines.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and the file's name would hide the
# `transitions` library that the engine imports.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import hashlib
import hmac
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from api.life_story import EngineDriver, StoryUnits, create_world, person, run_story, steps_count
from bench.scaffold import HELD_STEPS, add_officers
from config import CONFIG_DIR
from states.accounts import actor_by_username, create_unit
from states.actors import Actor
from states.clock import FixedClock
from states.engine import DossierEngine, SubjectInput
from states.identity import make_id_number
from states.procedures import Rulebook, load_rulebook
from states.store.database import Database
from states.store.migrate import fresh_database

PATH: list[tuple[str, str, dict[str, Any]]] = [
    *HELD_STEPS,
    ("police", "request_sent", {"facility_unit": "YT-01-01", "request_number": "1/GĐN"}),
    (
        "clerk",
        "received",
        {"received_at": "2026-03-02T08:02:00+07:00", "assessment_place": "custody_place", "substance_class": "opioid"},
    ),
    (
        "head",
        "concluded_addicted",
        {"concluded_on": "2026-03-02", "criteria_met": 4, "criterion_6_met": False, "physician_name": "BS"},
    ),
    ("police", "result_served", {"served_at": "2026-03-02T08:03:00+07:00"}),
]
OFFICERS = {
    "police": ("commune_police", "CAX-00070"),
    "chief": ("custody_officer", "CAX-00070"),
    "clerk": ("health_facility", "YT-01-01"),
    "head": ("facility_head", "YT-01-01"),
}


def prepare(url: str, rulebook: Rulebook, clock: FixedClock) -> tuple[Database, dict[str, Actor]]:
    db = fresh_database(url)
    with db.transaction() as repo:
        create_unit(repo, rulebook.regimes, code="CAX-00070", name="CA", kind="commune_police", commune_code="00070")
        create_unit(repo, rulebook.regimes, code="YT-01-01", name="YT", kind="health_facility", province_code="01")
        add_officers(repo, rulebook, OFFICERS, clock.now())
    with db.reading() as repo:
        actors = {username: actor_by_username(repo, username) for username in OFFICERS}
    return db, actors


def open_dossiers(engine: DossierEngine, actor: Actor, count: int, offset: int) -> list[str]:
    born = date(1990, 1, 1)
    return [
        engine.open_dossier(
            actor,
            "addiction_determination",
            SubjectInput(f"Người thử {n}", born, make_id_number("001", born, "male", offset + n), "00070"),
        )
        for n in range(count)
    ]


def run_engine(engine: DossierEngine, actors: dict[str, Actor], dossier_ids: list[str]) -> tuple[int, float]:
    started = time.perf_counter()
    for dossier_id in dossier_ids:
        for version, (who, event, payload) in enumerate(PATH, start=1):
            engine.fire(actors[who], dossier_id, event, payload, version)
    return len(dossier_ids) * len(PATH), time.perf_counter() - started


BARE_STATEMENTS = {
    "advance": "UPDATE dossiers SET state = :event, version = :seq, updated_at = :now "
    "WHERE id = :id AND version = :prev",
    "history": "INSERT INTO history (dossier_id, seq, event, from_state, to_state, actor_user_id, actor_username, "
    "actor_role, actor_unit, regime, occurred_at, payload, prev_hash, hash, seal, key_id) VALUES (:id, :seq, :event, "
    "'a', 'b', 1, 'police', 'commune_police', 'CAX-00070', 'VN2026', :now, :payload, :prev_hash, :hash, :seal, "
    "'bare')",
    "task_unit": "SELECT code FROM units WHERE kind = 'commune_police' AND commune_code = '00070'",
    "close_tasks": "UPDATE tasks SET status = 'closed', closed_at = :now, closed_seq = :seq, closed_by = 1 "
    "WHERE dossier_id = :id AND status = 'open'",
    "open_task": "INSERT INTO tasks (dossier_id, state, role, holder_roles, unit_code, title, status, opened_at, "
    "opened_seq) VALUES (:id, :event, 'commune_police', '[\"commune_police\"]', :unit, 'Việc cần làm', 'open', "
    ":now, :seq)",
    "close_deadlines": "UPDATE deadlines SET status = 'met', closed_at = :now, closed_seq = :seq "
    "WHERE dossier_id = :id AND status = 'open'",
    "open_deadline": "INSERT INTO deadlines (dossier_id, rule_id, kind, title, status, due_at, expiry_event, "
    "explanation, opened_at, opened_seq) VALUES (:id, 'bare', 'legal', 'Thời hạn', 'open', :due, NULL, "
    ":explanation, :now, :seq)",
    "task_due": "UPDATE tasks SET due_at = (SELECT min(due_at) FROM deadlines WHERE dossier_id = :id "
    "AND status = 'open') WHERE dossier_id = :id AND status = 'open'",
    "outbox": "INSERT INTO outbox (dossier_id, history_seq, kind, name, payload, idempotency_key, status, attempts, "
    "created_at) VALUES (:id, :seq, 'document', 'form', :payload, :key, 'pending', 0, :now)",
}


def run_bare(db: Database, dossier_ids: list[str], now: datetime) -> tuple[int, float]:
    """The same writes per transition as the engine, as hand-written SQL with precomputed values."""
    sql = {name: text(statement) for name, statement in BARE_STATEMENTS.items()}
    naive = now.replace(tzinfo=None)
    due = naive + timedelta(hours=12)
    explanation = json.dumps({"rule_id": "bare", "unit": "hours", "count": 12})
    started = time.perf_counter()
    for dossier_id in dossier_ids:
        prev_hash = "0" * 64
        for seq, (_, event, payload) in enumerate(PATH, start=2):
            body = json.dumps(payload, sort_keys=True, ensure_ascii=False)
            digest = hashlib.sha256((prev_hash + dossier_id + event + body).encode()).hexdigest()
            params = {"id": dossier_id, "seq": seq, "prev": seq - 1, "now": naive, "due": due, "event": event}
            with db.engine.begin() as conn:
                assert conn.execute(sql["advance"], params).rowcount == 1
                seal = hmac.new(b"bare-history-key", digest.encode(), hashlib.sha256).hexdigest()
                conn.execute(
                    sql["history"], {**params, "payload": body, "prev_hash": prev_hash, "hash": digest, "seal": seal}
                )
                conn.execute(sql["close_tasks"], params)
                unit = conn.execute(sql["task_unit"]).scalar()
                conn.execute(sql["open_task"], {**params, "unit": unit})
                conn.execute(sql["close_deadlines"], params)
                conn.execute(sql["open_deadline"], {**params, "explanation": explanation})
                conn.execute(sql["task_due"], params)
                conn.execute(sql["outbox"], {**params, "payload": body, "key": f"{dossier_id}:{seq}:{uuid.uuid4()}"})
            prev_hash = digest
    return len(dossier_ids) * len(PATH), time.perf_counter() - started


def measure(label: str, url: str, rulebook: Rulebook, dossiers: int, rounds: int) -> None:
    """Engine and bare loop take turns, on fresh dossiers each round, so that disk, WAL checkpoints and a
    busy neighbour weigh on both alike; each side's rate is its total transitions over its total time."""
    clock = FixedClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    db, actors = prepare(url, rulebook, clock)
    engine = DossierEngine(rulebook, db, clock)
    run_engine(engine, actors, open_dossiers(engine, actors["police"], 5, 900_000))  # warm-up
    run_bare(db, open_dossiers(engine, actors["police"], 5, 950_000), clock.now())
    per_round = max(1, dossiers // rounds)
    totals: dict[str, tuple[int, float]] = {"engine": (0, 0.0), "bare": (0, 0.0)}
    for round_number in range(rounds):
        engine_ids = open_dossiers(engine, actors["police"], per_round, round_number * per_round)
        bare_ids = open_dossiers(engine, actors["police"], per_round, 500_000 + round_number * per_round)
        order = ["engine", "bare"] if round_number % 2 == 0 else ["bare", "engine"]
        for side in order:
            if side == "engine":
                count, seconds = run_engine(engine, actors, engine_ids)
            else:
                count, seconds = run_bare(db, bare_ids, clock.now())
            totals[side] = (totals[side][0] + count, totals[side][1] + seconds)
    db.dispose()
    engine_rate = totals["engine"][0] / totals["engine"][1]
    bare_rate = totals["bare"][0] / totals["bare"][1]
    print(f"RESULT {label}_engine_transitions_per_second {engine_rate:.1f} transitions/s")
    print(f"RESULT {label}_bare_sql_transitions_per_second {bare_rate:.1f} transitions/s")
    print(f"RESULT {label}_engine_to_bare_ratio {engine_rate / bare_rate:.3f} ratio")


def measure_story(label: str, url: str, rulebook: Rulebook, lives: int) -> None:
    db = fresh_database(url)
    clock = FixedClock(datetime(2025, 2, 20, 1, 0, tzinfo=UTC))
    create_world(db, rulebook, StoryUnits(), password="benchmark-password", now=clock.now())
    driver = EngineDriver(db, rulebook, clock=clock, checked=False)
    run_story(driver, subject=person(900_000), verify=False)  # warm-up
    started = time.perf_counter()
    for serial in range(lives):
        run_story(driver, subject=person(1 + serial), verify=False)
    seconds = time.perf_counter() - started
    db.dispose()
    print(f"RESULT {label}_life_stories_per_second {lives / seconds:.2f} lives/s")
    print(f"RESULT {label}_life_story_transitions_per_second {lives * steps_count() / seconds:.1f} transitions/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=150, help="dossiers per side (7 transitions each)")
    parser.add_argument("--rounds", type=int, default=6, help="turns taken by the engine and the bare loop")
    parser.add_argument("--lives", type=int, default=20, help="people living the whole life story")
    args = parser.parse_args()
    rulebook = load_rulebook(CONFIG_DIR)
    with tempfile.TemporaryDirectory() as folder:
        measure("sqlite", f"sqlite:///{Path(folder) / 'bench.sqlite3'}", rulebook, args.dossiers, args.rounds)
        measure_story("sqlite", f"sqlite:///{Path(folder) / 'story.sqlite3'}", rulebook, args.lives)
    postgres = os.environ.get("HOSO_TEST_POSTGRES_URL")
    if postgres:
        measure("postgresql", postgres, rulebook, args.dossiers, args.rounds)
        measure_story("postgresql", postgres, rulebook, args.lives)


if __name__ == "__main__":
    main()
