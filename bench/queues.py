"""Latency of the officers' desk through the HTTP API at provincial scale, on PostgreSQL.

Seeds (COPY, with a progress bar) the units of every commune of Hà Nội and Hồ Chí Minh City, and N persons,
N dossiers (default 1,000,000) spread over those communes and three tasks per dossier (one open, two done), an
open time limit on a third of the dossiers, and a share of Phường Hoàn Kiếm's open tasks assigned to one officer.
Then starts ``hoso serve --no-flows`` on that database and times, as that officer of the Hoàn Kiếm commune
police, sequential requests of: their inbox, their unit's queue, a page of the dossier list, and a person
search by name without diacritics — each with authentication, the session check and the read record, as in
production. The schema is dropped and recreated: point it at a scratch database.

    python bench/queues.py --postgres-url URL [--dossiers N] [--requests R]

Prints `RESULT <name> <value> <unit>` lines (p50 and p95 in milliseconds); ``baseline_me`` (the officer's own
record) shows what every authenticated request costs before it does any work.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from bench.scaffold import DOSSIER_COLUMNS, PERSON_COLUMNS, add_officers, add_postgres_option, copy_rows
from config import CONFIG_DIR
from states.accounts import create_unit
from states.identity import make_id_number
from states.places import commune, communes_of
from states.procedures import load_rulebook
from states.store.database import Database
from states.store.migrate import fresh_database
from states.texts import name_key

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
PROVINCES = ("01", "79")
HOAN_KIEM = "00070"
OFFICERS = {"police": ("commune_police", "CAX-00070"), "chief": ("custody_officer", "CAX-00070")}
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô")
MIDDLE = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Quang", "Thanh", "Ngọc", "Xuân", "Thu")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Giang", "Hải", "Hùng", "Khánh", "Long", "Mạnh", "Nam", "Phong", "Quân")


def seed(db: Database, dossiers: int, assigned_share: float) -> dict[str, Any]:
    rulebook = load_rulebook(CONFIG_DIR)
    communes = [code for province in PROVINCES for code in communes_of(province)]
    with db.transaction() as repo:
        for code in communes:
            place = commune(code)
            create_unit(
                repo,
                rulebook.regimes,
                code=f"CAX-{code}",
                name=f"Công an {place.name}",
                kind="commune_police",
                commune_code=code,
            )
        add_officers(repo, rulebook, OFFICERS, NOW)
        police_id = int(repo.officer("police")["id"])  # type: ignore[index]
    definition = rulebook.in_force("addiction_determination", NOW.date()).definition
    version = definition.version
    states = [state for state in definition.states if state not in definition.final_states][:6]
    rng = random.Random(20261130)
    people = [(rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN)) for _ in range(dossiers)]
    places = [HOAN_KIEM if n % len(communes) == 0 else communes[n % len(communes)] for n in range(dossiers)]
    born = [date(1970, 1, 1) + timedelta(days=rng.randrange(0, 365 * 35)) for _ in range(dossiers)]

    def persons() -> Iterator[tuple[Any, ...]]:
        for n, (family, middle, given) in enumerate(people):
            full = f"{family} {middle} {given}"
            yield (
                n + 1,
                make_id_number("001", born[n], "male", n % 1_000_000),
                full,
                born[n],
                "male",
                places[n],
                NOW,
                name_key(full),
            )

    def ids() -> Iterator[str]:
        for n in range(dossiers):
            yield str(uuid.UUID(int=n + 1))

    dossier_ids = list(ids())

    def dossier_rows() -> Iterator[tuple[Any, ...]]:
        for n, dossier_id in enumerate(dossier_ids):
            opened = NOW - timedelta(minutes=n)
            parties = json.dumps({"commune_police": f"CAX-{places[n]}"})
            province = "01" if places[n] in set_01 else "79"
            yield (
                dossier_id,
                "addiction_determination",
                version,
                states[n % len(states)],
                1,
                n + 1,
                places[n],
                province,
                "{}",
                parties,
                opened,
                police_id,
                opened,
            )

    set_01 = frozenset(communes_of("01"))
    due = {n: NOW + timedelta(hours=rng.randrange(-48, 24 * 20)) for n in range(0, dossiers, 3)}

    def deadline_rows() -> Iterator[tuple[Any, ...]]:
        for n, due_at in due.items():
            yield (dossier_ids[n], "custody_base", "time_limit", "Thời hạn", "open", due_at, "{}", NOW, 1, "none")

    hoan_kiem = [n for n in range(dossiers) if places[n] == HOAN_KIEM]
    assigned = set(rng.sample(hoan_kiem, int(len(hoan_kiem) * assigned_share)))

    def task_rows() -> Iterator[tuple[Any, ...]]:
        for n, dossier_id in enumerate(dossier_ids):
            opened = NOW - timedelta(minutes=n)
            for k, status in enumerate(("closed", "closed", "open")):
                holder = police_id if status == "open" and n in assigned else None
                yield (
                    dossier_id,
                    states[n % len(states)],
                    "commune_police",
                    '["commune_police"]',
                    f"CAX-{places[n]}",  # the engine addresses a commune police task to the commune's unit
                    f"Nhiệm vụ {k + 1}",
                    status,
                    opened,
                    k + 1,
                    holder,
                    due.get(n) if status == "open" else None,
                )

    copy_rows(
        db,
        "persons",
        PERSON_COLUMNS,
        persons(),
        dossiers,
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
            "alert_stage",
        ],
        deadline_rows(),
        len(due),
    )
    copy_rows(
        db,
        "tasks",
        [
            "dossier_id",
            "state",
            "role",
            "holder_roles",
            "unit_code",
            "title",
            "status",
            "opened_at",
            "opened_seq",
            "assignee_id",
            "due_at",
        ],
        task_rows(),
        dossiers * 3,
    )
    with db.engine.begin() as conn:
        conn.execute(text("SELECT setval('persons_id_seq', (SELECT max(id) FROM persons))"))
    # As autovacuum would after a bulk load: statistics, and the visibility map that index-only scans need.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return {"hoan_kiem_dossiers": len(hoan_kiem), "assigned": len(assigned), "searched": name_key(" ".join(people[0]))}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HOSO_DATABASE_URL": url, "HOSO_ENVIRONMENT": "development"}
    hoso = Path(sys.executable).parent / "hoso"
    process = subprocess.Popen(
        [str(hoso), "serve", "--no-flows", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("hoso serve did not start")


def timed(call: Callable[[], httpx.Response], count: int) -> list[float]:
    for _ in range(10):
        call().raise_for_status()
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        answer = call()
        seconds.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return seconds


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per endpoint")
    parser.add_argument(
        "--assigned-share", type=float, default=0.02, help="share of Hoàn Kiếm's open tasks in the inbox"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="time the database a previous run seeded (same size), without seeding"
    )
    add_postgres_option(parser)
    args: Any = parser.parse_args(argv)
    if not args.postgres_url:
        parser.error("--postgres-url (or HOSO_BENCH_POSTGRES_URL) is required: the benchmark runs on PostgreSQL")
    if args.reuse:
        db = Database(args.postgres_url)
        with db.engine.connect() as conn:
            first = conn.execute(text("SELECT name_key FROM persons ORDER BY id LIMIT 1")).scalar_one()
        seeded = {"searched": first}
        db.dispose()
    else:
        seeded = seed_fresh(args.postgres_url, args.dossiers, args.assigned_share)
    serve_and_time(args.postgres_url, seeded, args.requests)


def seed_fresh(url: str, dossiers: int, assigned_share: float) -> dict[str, Any]:
    db = fresh_database(url)
    started = time.perf_counter()
    seeded = seed(db, dossiers, assigned_share)
    print(
        f"# seeded {dossiers} dossiers, {dossiers * 3} tasks in {time.perf_counter() - started:.0f} s; "
        f"Hoàn Kiếm: {seeded['hoan_kiem_dossiers']} dossiers, {seeded['assigned']} in the inbox",
        file=sys.stderr,
    )
    db.dispose()
    return seeded


def serve_and_time(url: str, seeded: dict[str, Any], requests: int) -> None:
    port = free_port()
    server = serve(url, port)
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        with httpx.Client(base_url=base, timeout=30) as client:
            token = client.post("/auth/token", data={"username": "police", "password": "benchmark-password"})
            token.raise_for_status()
            client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            searched = seeded["searched"]
            calls: dict[str, Callable[[], httpx.Response]] = {
                "baseline_me": lambda: client.get("/me"),
                "inbox": lambda: client.get("/tasks/inbox"),
                "queue": lambda: client.get("/tasks/queue"),
                "dossier_list": lambda: client.get("/dossiers", params={"limit": 50}),
                "person_search": lambda: client.get("/persons", params={"name": searched}),
            }
            for name, call in calls.items():
                sample = timed(call, requests)
                print(f"# {name}: total {call().json().get('total', '-')}", file=sys.stderr)
                print(f"RESULT {name}_p50 {percentile(sample, 0.5):.1f} ms")
                print(f"RESULT {name}_p95 {percentile(sample, 0.95):.1f} ms")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
