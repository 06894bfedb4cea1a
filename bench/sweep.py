"""Deadline alert sweep over a million open deadlines: the real sweep, and a bare SQL sweep doing the same writes.

The data: addiction-determination dossiers of Phường Hoàn Kiếm (00070), each waiting for the commune police's
status check (state ``user_confirmed``, one open task for ``commune_police``), with 100 open deadlines each.
One deadline per dossier (1 %) is past its escalation point; the others fall due in more than a year and are
not due for any alert. The first dossier is opened through the engine; the others are bulk copies of it.

The real sweep is ``states.alerts.sweep_alerts`` with the rulebook read from config/. For each overdue
deadline it writes the stage update, a task for the responsible police officers, and a notice to the head of
the unit (``custody_officer``, config/alerts.yaml) with an email and an SMS delivery per head officer. The
bare sweep does the same writes with hand-written statements: per batch, it picks the due rows through the
same index, reads them with their dossier, person and open tasks, and writes the stage updates, tasks,
notices and deliveries with one multi-row statement each.

Each run gets a fresh database holding an identical copy of the data (loaded untimed: SQLite copies a file
built once, PostgreSQL reloads its scratch database with COPY); the real and the bare sweep take turns, so
that disk, checkpoints and a busy neighbour weigh on both alike. PostgreSQL runs when ``--postgres-url`` or
HOSO_BENCH_POSTGRES_URL names a scratch database (its schema is dropped and recreated).

    python bench/sweep.py [--deadlines N] [--rounds R] [--batch-size B] [--postgres-url URL]

Prints `RESULT <name> <value> <unit>` lines.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and bench/transitions.py would hide the
# `transitions` library that the engine imports.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Connection, bindparam, insert, text

from bench.scaffold import add_officers, add_postgres_option
from config import CONFIG_DIR
from states.accounts import actor_by_username, create_unit
from states.alerts import sweep_alerts
from states.clock import FixedClock
from states.engine import DossierEngine, SubjectInput
from states.identity import make_id_number
from states.notice_texts import local_time
from states.notices import place_words
from states.procedures import Rulebook, load_rulebook
from states.store.database import Database
from states.store.migrate import fresh_database
from states.store.tables import UtcDateTime, notice_deliveries, notices, tasks, users
from states.units_data import default_units, sync_units

PER_DOSSIER = 100
"""Open deadlines per dossier; the first of each is overdue (1 %)."""
UNIT = "CAX-00070"
OPENED_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hà Nội
SWEEP_AT = datetime(2026, 3, 5, 3, 0, tzinfo=UTC)  # two working days after the status check fell due
FAR_DUE = SWEEP_AT + timedelta(days=400)
OFFICERS = {
    # username: (role, email, phone); two heads (chief and deputy) receive each escalation.
    "canbo1": ("commune_police", "canbo1@hoankiem.cand.vn", "0901000001"),
    "canbo2": ("commune_police", "canbo2@hoankiem.cand.vn", "0901000002"),
    "canbo3": ("commune_police", None, "0901000003"),
    "truong": ("custody_officer", "truong@hoankiem.cand.vn", "0901000010"),
    "pho": ("custody_officer", "pho@hoankiem.cand.vn", "0901000011"),
}
TEST_POSITIVE = {
    "tested_at": "2026-03-02T07:00:00+07:00",
    "test_ground": "caught_using",
    "sample_type": "urine",
    "substances": "Heroin",
}
CHUNK = 50_000
BORN = date(1990, 1, 1)


@dataclass(frozen=True)
class Shape:
    deadlines: int

    @property
    def dossiers(self) -> int:
        return -(-self.deadlines // PER_DOSSIER)

    @property
    def overdue(self) -> int:
        return self.dossiers


# -- loading ------------------------------------------------------------------------------------------------


def load(db: Database, rulebook: Rulebook, shape: Shape) -> None:
    """The units of config/units, the police unit and its officers, one dossier opened through the engine,
    and bulk copies of it up to ``shape``."""
    clock = FixedClock(OPENED_AT)
    with db.transaction() as repo:
        sync_units(repo, rulebook.regimes, default_units())
        create_unit(
            repo,
            rulebook.regimes,
            code=UNIT,
            name="Công an phường Hoàn Kiếm",
            kind="commune_police",
            commune_code="00070",
        )
        add_officers(repo, rulebook, {name: (role, UNIT) for name, (role, _, _) in OFFICERS.items()}, clock.now())
    with db.engine.begin() as conn:
        for username, (_, email, phone) in OFFICERS.items():
            conn.execute(
                users.update().where(users.c.username == username).values(email=email, phone=phone),
            )
    with db.reading() as repo:
        police = actor_by_username(repo, "canbo1")
    engine = DossierEngine(rulebook, db, clock)
    subject = SubjectInput("Người thử 0", BORN, make_id_number("001", BORN, "male", 0), "00070")
    first = engine.open_dossier(police, "addiction_determination", subject)
    engine.fire(police, first, "test_positive", TEST_POSITIVE, 1)
    with db.engine.begin() as conn:
        _copy(conn, db.backend, first, shape)
    _analyze(db)


def _copy(conn: Connection, backend: str, first: str, shape: Shape) -> None:
    """Persons, dossiers, tasks and deadlines like the engine's first dossier, written in bulk."""
    stamp: Callable[[datetime | None], Any] = _sqlite_stamp if backend == "sqlite" else _naive
    dossier = dict(conn.execute(text("SELECT * FROM dossiers WHERE id = :id"), {"id": first}).mappings().one())
    person = dict(
        conn.execute(text("SELECT * FROM persons WHERE id = :id"), {"id": dossier["person_id"]}).mappings().one()
    )
    made_tasks = [
        dict(row)
        for row in conn.execute(
            text("SELECT * FROM tasks WHERE dossier_id = :id ORDER BY id"), {"id": first}
        ).mappings()
    ]
    deadline = dict(
        conn.execute(text("SELECT * FROM deadlines WHERE dossier_id = :id AND status = 'open'"), {"id": first})
        .mappings()
        .one()
    )
    assert deadline["next_alert_at"] is not None, "the status check deadline must alert"

    def same(value: Any) -> Any:
        """A value read back from the driver, as the driver takes it again."""
        if isinstance(value, datetime):
            return stamp(value.replace(tzinfo=UTC) if value.tzinfo is None else value)
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return value

    rng = random.Random(2026)
    dossier_ids = [first] + [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(shape.dossiers - 1)]
    person_ids = range(int(person["id"]) + 1, int(person["id"]) + shape.dossiers)

    def persons_rows() -> Iterator[tuple[Any, ...]]:
        for serial, person_id in enumerate(person_ids, start=1):
            name = f"Người thử {serial}"
            yield (
                person_id,
                make_id_number("001", BORN, "male", serial),
                name,
                BORN,
                "male",
                "00070",
                None,
                same(person["created_at"]),
                f"nguoi thu {serial}",
            )

    def dossier_rows() -> Iterator[tuple[Any, ...]]:
        for serial, (dossier_id, person_id) in enumerate(zip(dossier_ids[1:], person_ids, strict=True), start=1):
            subject = {**json.loads(same(dossier["subject"])), "full_name": f"Người thử {serial}"}
            yield (
                dossier_id,
                *(same(dossier[column]) for column in DOSSIER_COPIED),
                person_id,
                json.dumps(subject, ensure_ascii=False),
            )

    task_values = [tuple(same(task[column]) for column in TASK_COPIED) for task in made_tasks]

    def task_rows() -> Iterator[tuple[Any, ...]]:
        for dossier_id in dossier_ids[1:]:
            for values in task_values:
                yield (dossier_id, *values)

    copied = (*(same(deadline[column]) for column in DEADLINE_COPIED), same(deadline["explanation"]))
    overdue = tuple(same(deadline[column]) for column in DEADLINE_TIMES)

    def deadline_rows() -> Iterator[tuple[Any, ...]]:
        # The engine's deadline is number 0 (overdue, on the first dossier).
        for number in range(1, shape.deadlines):
            dossier_id = dossier_ids[number // PER_DOSSIER]
            if number % PER_DOSSIER == 0:
                times = overdue
            else:
                due = FAR_DUE + timedelta(minutes=number)
                warn = due - timedelta(days=2)
                times = (stamp(due), stamp(warn), stamp(warn))
            yield (dossier_id, *copied, *times)

    bulk(conn, backend, "persons", PERSON_COLUMNS, persons_rows())
    bulk(conn, backend, "dossiers", ("id", *DOSSIER_COPIED, "person_id", "subject"), dossier_rows())
    bulk(conn, backend, "tasks", ("dossier_id", *TASK_COPIED), task_rows())
    bulk(conn, backend, "deadlines", ("dossier_id", *DEADLINE_COPIED, "explanation", *DEADLINE_TIMES), deadline_rows())
    if backend == "postgresql":
        conn.execute(text("SELECT setval(pg_get_serial_sequence('persons', 'id'), (SELECT max(id) FROM persons))"))


PERSON_COLUMNS = (
    "id",
    "id_number",
    "full_name",
    "date_of_birth",
    "sex",
    "commune_code",
    "address",
    "created_at",
    "name_key",
)
DOSSIER_COPIED = (
    "procedure_code",
    "procedure_version",
    "state",
    "version",
    "commune_code",
    "province_code",
    "facts",
    "parties",
    "opened_at",
    "opened_by",
    "updated_at",
)
TASK_COPIED = (
    "state",
    "role",
    "holder_roles",
    "unit_code",
    "title",
    "status",
    "opened_at",
    "opened_seq",
    "closed_at",
    "closed_seq",
    "closed_by",
)
DEADLINE_COPIED = ("rule_id", "kind", "title", "status", "expiry_event", "opened_at", "opened_seq", "alert_stage")
DEADLINE_TIMES = ("due_at", "warn_at", "next_alert_at")


def bulk(conn: Connection, backend: str, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    names = ", ".join(columns)
    if backend == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    statement = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})"
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK)):
        conn.exec_driver_sql(statement, chunk)


def _sqlite_stamp(value: datetime | None) -> str | None:
    # The text SQLAlchemy's DateTime writes on SQLite (naive UTC, microseconds always present).
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _naive(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


def _analyze(db: Database) -> None:
    if db.backend == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


# -- the bare sweep -----------------------------------------------------------------------------------------

_STAMP = bindparam("now", type_=UtcDateTime)
BARE_PICK = text("SELECT id FROM deadlines WHERE next_alert_at <= :now ORDER BY next_alert_at, id LIMIT :limit")
BARE_ROWS = (
    text(
        "SELECT d.id, d.dossier_id, d.rule_id, d.title, d.due_at, s.state, s.version, s.commune_code, p.full_name "
        "FROM deadlines d JOIN dossiers s ON s.id = d.dossier_id JOIN persons p ON p.id = s.person_id "
        "WHERE d.id IN :ids ORDER BY d.next_alert_at, d.id"
    )
    .bindparams(bindparam("ids", expanding=True))
    .columns(due_at=UtcDateTime)
)
BARE_TASKS = text(
    "SELECT dossier_id, role, title FROM tasks WHERE dossier_id IN :dossiers AND status = 'open' "
    "AND deadline_id IS NULL ORDER BY id"
).bindparams(bindparam("dossiers", expanding=True))
BARE_HEADS = text("SELECT id, email, phone FROM users WHERE unit_code = :unit AND role = :role AND active ORDER BY id")
BARE_ADVANCE = text(
    "UPDATE deadlines SET alert_stage = 'escalated', next_alert_at = NULL WHERE id = :id AND alert_stage = 'none'"
)


def bare_sweep(db: Database, now: datetime, batch_size: int) -> int:
    """The writes of the real sweep for deadlines past their escalation point, as hand-written statements."""
    pick = BARE_PICK.bindparams(_STAMP)
    if db.backend == "postgresql":
        pick = text(f"{pick.text} FOR UPDATE SKIP LOCKED").bindparams(_STAMP)
    procedure = "Xác định tình trạng nghiện ma túy"
    place = place_words("00070")
    at = local_time(now)
    escalated = 0
    while True:
        with db.engine.begin() as conn:
            ids = list(conn.scalars(pick, {"now": now, "limit": batch_size}))
            if not ids:
                break
            rows = list(conn.execute(BARE_ROWS, {"ids": ids}).mappings())
            open_tasks: dict[str, list[Any]] = {}
            for task in conn.execute(BARE_TASKS, {"dossiers": sorted({row["dossier_id"] for row in rows})}):
                open_tasks.setdefault(task.dossier_id, []).append(task)
            heads = list(conn.execute(BARE_HEADS, {"unit": UNIT, "role": "custody_officer"}))
            conn.execute(BARE_ADVANCE, [{"id": row["id"]} for row in rows])
            new_tasks, new_notices = [], []
            for row in rows:
                waiting = open_tasks.get(row["dossier_id"], [])
                waiting_titles = "; ".join(task.title for task in waiting)
                new_tasks.append(
                    {
                        "dossier_id": row["dossier_id"],
                        "state": row["state"],
                        "role": "commune_police",
                        "holder_roles": ["commune_police"],
                        "unit_code": UNIT,
                        "title": f"Quá hạn: {row['title']} — {waiting_titles}",
                        "status": "open",
                        "opened_at": now,
                        "opened_seq": row["version"],
                        "deadline_id": row["id"],
                    }
                )
                new_notices.append(
                    {
                        "key": f"deadline:{row['id']}:escalated:{UNIT}",
                        "dossier_id": row["dossier_id"],
                        "kind": "deadline_escalation",
                        "unit_code": UNIT,
                        "role": "custody_officer",
                        "title": f"Báo cáo quá hạn: {row['title']}",
                        "body": f"{procedure} — {row['full_name']} ({place}).\nThời hạn đã kết thúc "
                        f"{local_time(row['due_at'])}; đến {at} việc vẫn chưa được thực hiện: {waiting_titles}.\n"
                        f"đến hết ngày {row['due_at']:%d/%m/%Y} (ngày làm việc); chỉ tiêu phục vụ của hệ thống.\n"
                        "Kính báo thủ trưởng Công an phường Hoàn Kiếm để chỉ đạo giải quyết.",
                        "source": {
                            "deadline_id": row["id"],
                            "rule_id": row["rule_id"],
                            "stage": "escalated",
                            "reachable": bool(heads),
                        },
                        "created_at": now,
                    }
                )
            conn.execute(insert(tasks), new_tasks)
            notice_ids = conn.scalars(
                insert(notices).returning(notices.c.id, sort_by_parameter_order=True), new_notices
            ).all()
            conn.execute(
                insert(notice_deliveries),
                [
                    {
                        "notice_id": notice_id,
                        "channel": channel,
                        "address": address,
                        "user_id": head.id,
                        "message_id": f"<notice-{notice_id}-{channel}-{head.id}@hoso.local>",
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for notice_id in notice_ids
                    for head in heads
                    for channel, address in (("email", head.email), ("sms", head.phone))
                    if address
                ],
            )
            escalated += len(rows)
        if len(ids) < batch_size:
            break
    return escalated


# -- measuring ----------------------------------------------------------------------------------------------

WRITTEN = {
    "escalated_deadlines": "SELECT count(*) FROM deadlines WHERE alert_stage = 'escalated' AND next_alert_at IS NULL",
    "deadlines_still_due": "SELECT count(*) FROM deadlines WHERE next_alert_at <= :now",
    "open_tasks": "SELECT count(*) FROM tasks WHERE status = 'open'",
    "escalation_tasks": "SELECT count(*) FROM tasks WHERE status = 'open' AND deadline_id IS NOT NULL",
    "notices": "SELECT count(*) FROM notices",
    "deliveries": "SELECT count(*) FROM notice_deliveries",
}


def written(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            name: int(
                conn.execute(
                    text(query).bindparams(_STAMP) if ":now" in query else text(query),
                    {"now": SWEEP_AT} if ":now" in query else {},
                ).scalar_one()
            )
            for name, query in WRITTEN.items()
        }


def run_side(
    side: str, db: Database, rulebook: Rulebook, shape: Shape, batch_size: int
) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    if side == "sweep":
        counts = sweep_alerts(db, rulebook, SWEEP_AT, batch_size=batch_size)
        seconds = time.perf_counter() - started
        assert dict(counts) == {"escalated": shape.overdue}, counts
    else:
        escalated = bare_sweep(db, SWEEP_AT, batch_size)
        seconds = time.perf_counter() - started
        assert escalated == shape.overdue, escalated
    return seconds, written(db)


def measure(label: str, url: str | None, rulebook: Rulebook, shape: Shape, rounds: int, batch_size: int) -> None:
    """The real and the bare sweep take turns, each on a fresh copy of the data; each side's figure is its
    mean time over the rounds."""
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "template.sqlite3"
        if url is None:
            started = time.perf_counter()
            db = fresh_database(f"sqlite:///{template}")
            load(db, rulebook, shape)
            raw = db.engine.raw_connection()
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raw.close()
            db.dispose()
            print(f"# {label}: {shape.deadlines} deadlines loaded in {time.perf_counter() - started:.1f} s", flush=True)
        totals = {"sweep": 0.0, "bare": 0.0}
        results: dict[str, dict[str, int]] = {}
        for round_number in range(rounds):
            order = ["sweep", "bare"] if round_number % 2 == 0 else ["bare", "sweep"]
            for side in order:
                if url is None:
                    copy = Path(folder) / "run.sqlite3"
                    shutil.copy(template, copy)
                    db = Database(f"sqlite:///{copy}")
                else:
                    started = time.perf_counter()
                    db = fresh_database(url)
                    load(db, rulebook, shape)
                    print(
                        f"# {label}: {shape.deadlines} deadlines loaded in {time.perf_counter() - started:.1f} s",
                        flush=True,
                    )
                seconds, writes = run_side(side, db, rulebook, shape, batch_size)
                db.dispose()
                print(f"# {label} round {round_number + 1} {side}: {seconds:.2f} s", flush=True)
                totals[side] += seconds
                assert results.setdefault(side, writes) == writes
                if url is None:
                    for leftover in Path(folder).glob("run.sqlite3*"):
                        leftover.unlink()
    assert results["sweep"] == results["bare"], results
    print(f"# {label} writes per side: {results['sweep']}")
    sweep, bare = totals["sweep"] / rounds, totals["bare"] / rounds
    print(f"RESULT {label}_sweep_seconds {sweep:.3f} s")
    print(f"RESULT {label}_bare_sweep_seconds {bare:.3f} s")
    print(f"RESULT {label}_sweep_to_bare_ratio {sweep / bare:.3f} ratio")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadlines", type=int, default=1_000_000, help="open deadlines (1 %% overdue)")
    parser.add_argument("--rounds", type=int, default=2, help="turns taken by the real and the bare sweep")
    parser.add_argument("--batch-size", type=int, default=500, help="deadlines per sweep transaction")
    add_postgres_option(parser)
    args = parser.parse_args()
    rulebook = load_rulebook(CONFIG_DIR)
    shape = Shape(max(PER_DOSSIER, args.deadlines))
    measure("sqlite", None, rulebook, shape, args.rounds, args.batch_size)
    if args.postgres_url:
        measure("postgresql", args.postgres_url, rulebook, shape, args.rounds, args.batch_size)


if __name__ == "__main__":
    main()
