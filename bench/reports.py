"""Time of the periodic statistics at national scale, on PostgreSQL.

Seeds (COPY, with a progress bar) N dossiers (default 1,000,000) of seven procedures over every commune of the 34
provinces, for 0.8 N persons (a fifth of them with two dossiers), each dossier with the history of a random walk
through its procedure's real transitions between 2024 and November 2026, and a closed time limit on a third of
them. Then times, through the same functions the API answers with, the yearly report of one province (every
indicator given for a year, with its breakdowns) and the national roll-up (the same over the whole country).
The schema is dropped and recreated: point it at a scratch database.

    python bench/reports.py --postgres-url URL [--dossiers N] [--rounds R] [--reuse]

Prints `RESULT <name> <value> s` lines: the median of R rounds.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bench.scaffold import DOSSIER_COLUMNS, PERSON_COLUMNS, add_officers, add_postgres_option, copy_rows
from config import CONFIG_DIR
from states.accounts import actor_by_username, create_unit
from states.definitions import ProcedureDefinition
from states.identity import make_id_number
from states.indicators import load_indicators
from states.places import communes_of
from states.procedures import Rulebook, load_rulebook
from states.statistics import area_report
from states.store.database import Database
from states.store.migrate import fresh_database
from states.texts import name_key

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
FIRST_DAY = date(2024, 1, 1)
PROVINCES = tuple(f"{code:02d}" for code in range(1, 100))
REPORTED_PROVINCE = "01"
OFFICERS = {"admin": ("admin", "HT"), "pc04": ("police_unit", "CAT-01")}
PROCEDURES = {
    "drug_user_management": 0.25,
    "addiction_determination": 0.2,
    "voluntary_rehab": 0.15,
    "compulsory_rehab_adult": 0.1,
    "compulsory_rehab_execution": 0.1,
    "post_rehab_supervision": 0.1,
    "commune_education": 0.1,
}
WALKS_PER_PROCEDURE = 400
SECOND_DOSSIER_SHARE = 0.25


def random_walks(definition: ProcedureDefinition, rng: random.Random) -> list[list[tuple[str, str]]]:
    """Paths through the procedure's transitions from its initial state: (event, state reached) per step."""
    walks = []
    for _ in range(WALKS_PER_PROCEDURE):
        state, path = definition.initial_state, []
        for _ in range(rng.randint(0, 7)):
            if state in definition.final_states:
                break
            choices = [t for t in definition.transitions if state in t.source or "*" in t.source]
            if not choices:
                break
            move = rng.choice(choices)
            state = state if move.dest == "=" else move.dest
            path.append((move.event, state))
        walks.append(path)
    return walks


def seed(db: Database, rulebook: Rulebook, dossiers: int) -> None:
    provinces = [p for p in PROVINCES if _has_communes(p)]
    communes = [(province, code) for province in provinces for code in communes_of(province)]
    with db.transaction() as repo:
        create_unit(repo, rulebook.regimes, code="HT", name="Hệ thống", kind="national")
        create_unit(
            repo,
            rulebook.regimes,
            code="CAT-01",
            name="Công an thành phố Hà Nội",
            kind="provincial_police",
            province_code="01",
        )
        for province in provinces:
            create_unit(
                repo,
                rulebook.regimes,
                code=f"CSCN-{province}",
                name=f"Cơ sở cai nghiện ma túy số 1 tỉnh {province}",
                kind="rehab_facility",
                province_code=province,
            )
        add_officers(repo, rulebook, OFFICERS, NOW)
        admin_id = int(repo.officer("admin")["id"])  # type: ignore[index]
    rng = random.Random(20261201)
    walks = {code: random_walks(rulebook.in_force(code, NOW.date()).definition, rng) for code in PROCEDURES}
    versions = {code: rulebook.in_force(code, NOW.date()).definition for code in PROCEDURES}
    people = int(dossiers / (1 + SECOND_DOSSIER_SHARE))
    home = [communes[rng.randrange(len(communes))] for _ in range(people)]
    born = [date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 48)) for _ in range(people)]
    owner = [n % people for n in range(dossiers)]
    rng.shuffle(owner)
    codes = rng.choices(list(PROCEDURES), weights=list(PROCEDURES.values()), k=dossiers)
    span = (NOW.date() - FIRST_DAY).days
    plans: list[tuple[datetime, list[tuple[str, str, datetime]]]] = []
    for n in range(dossiers):
        opened = datetime.combine(FIRST_DAY, datetime.min.time(), UTC) + timedelta(days=rng.randrange(span), hours=2)
        at, steps = opened, []
        for event, state in rng.choice(walks[codes[n]]):
            at = at + timedelta(days=rng.randint(1, 60))
            if at >= NOW:
                break
            steps.append((event, state, at))
        plans.append((opened, steps))

    def persons() -> Iterator[tuple[Any, ...]]:
        for n in range(people):
            full = f"Người Số {n}"
            sex = "female" if n % 9 == 0 else "male"
            yield (
                n + 1,
                make_id_number("001", born[n], sex, n % 1_000_000),
                full,
                born[n],
                sex,
                home[n][1],
                NOW,
                name_key(full),
            )

    ids = [str(uuid.UUID(int=n + 1)) for n in range(dossiers)]

    def dossier_rows() -> Iterator[tuple[Any, ...]]:
        for n, dossier_id in enumerate(ids):
            opened, steps = plans[n]
            definition = versions[codes[n]]
            state = steps[-1][1] if steps else definition.initial_state
            province, commune_code = home[owner[n]]
            parties = json.dumps(
                {"rehab_facility": f"CSCN-{province}"} if codes[n] == "compulsory_rehab_execution" else {}
            )
            yield (
                dossier_id,
                codes[n],
                definition.version,
                state,
                len(steps) + 1,
                owner[n] + 1,
                commune_code,
                province,
                "{}",
                parties,
                opened,
                admin_id,
                steps[-1][2] if steps else opened,
            )

    def history_rows() -> Iterator[tuple[Any, ...]]:
        for n, dossier_id in enumerate(ids):
            opened, steps = plans[n]
            previous = versions[codes[n]].initial_state
            yield (
                dossier_id,
                1,
                "opened",
                None,
                previous,
                admin_id,
                "admin",
                "admin",
                "HT",
                "VN2026",
                opened,
                opened,
                "{}",
                "0" * 64,
                "1" * 64,
            )
            for seq, (event, state, at) in enumerate(steps, start=2):
                yield (
                    dossier_id,
                    seq,
                    event,
                    previous,
                    state,
                    admin_id,
                    "admin",
                    "admin",
                    "HT",
                    "VN2026",
                    at,
                    at,
                    "{}",
                    "0" * 64,
                    "1" * 64,
                )
                previous = state

    closing = {
        n: rng.choice(("met", "met", "met", "met_late", "expired")) for n in range(0, dossiers, 3) if plans[n][1]
    }

    def deadline_rows() -> Iterator[tuple[Any, ...]]:
        for n, status in closing.items():
            closed_at = plans[n][1][0][2]
            yield (
                ids[n],
                "limit",
                "time_limit",
                "Thời hạn",
                status,
                closed_at,
                "{}",
                plans[n][0],
                1,
                closed_at,
                2,
                "none",
            )

    copy_rows(
        db,
        "persons",
        PERSON_COLUMNS,
        persons(),
        people,
    )
    copy_rows(
        db,
        "dossiers",
        DOSSIER_COLUMNS,
        dossier_rows(),
        dossiers,
    )
    copy_rows(
        db,
        "history",
        [
            "dossier_id",
            "seq",
            "event",
            "from_state",
            "to_state",
            "actor_user_id",
            "actor_username",
            "actor_role",
            "actor_unit",
            "regime",
            "occurred_at",
            "recorded_at",
            "payload",
            "prev_hash",
            "hash",
        ],
        history_rows(),
        sum(len(steps) + 1 for _, steps in plans),
    )
    copy_rows(
        db,
        "deadlines",
        [
            "dossier_id",
            "rule_id",
            "kind",
            "title",
            "status",
            "due_at",
            "explanation",
            "opened_at",
            "opened_seq",
            "closed_at",
            "closed_seq",
            "alert_stage",
        ],
        deadline_rows(),
        len(closing),
    )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def _has_communes(province: str) -> bool:
    try:
        return bool(communes_of(province))
    except ValueError:
        return False


def time_reports(db: Database, rulebook: Rulebook, rounds: int) -> None:
    catalogue = load_indicators()
    with db.reading() as repo:
        admin = actor_by_username(repo, "admin")
        pc04 = actor_by_username(repo, "pc04")
    runs: dict[str, list[float]] = {"province_yearly_report": [], "national_rollup": []}
    figures: dict[str, Any] = {}
    for _ in range(rounds):
        for name, actor, province in (
            ("province_yearly_report", pc04, REPORTED_PROVINCE),
            ("national_rollup", admin, None),
        ):
            started = time.perf_counter()
            with db.reading() as repo:
                answers = area_report(repo, rulebook, catalogue, actor, "2026", province)
            runs[name].append(time.perf_counter() - started)
            figures[name] = {a["indicator"]: a["value"] for a in answers}
    for name, values in figures.items():
        print(
            f"# {name}: {len(values)} indicators; " + ", ".join(f"{k}={v}" for k, v in list(values.items())[:6]),
            file=sys.stderr,
        )
    for name, times in runs.items():
        print(f"RESULT {name} {statistics.median(times):.2f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="time the database a previous run seeded, without seeding")
    add_postgres_option(parser)
    args: Any = parser.parse_args(argv)
    if not args.postgres_url:
        parser.error("--postgres-url (or HOSO_BENCH_POSTGRES_URL) is required: the benchmark runs on PostgreSQL")
    rulebook = load_rulebook(CONFIG_DIR)
    if args.reuse:
        db = Database(args.postgres_url)
    else:
        db = fresh_database(args.postgres_url)
        started = time.perf_counter()
        seed(db, rulebook, args.dossiers)
        print(f"# seeded {args.dossiers} dossiers in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    time_reports(db, rulebook, args.rounds)
    db.dispose()


if __name__ == "__main__":
    main()
