"""What the benchmarks share: the steps that hold a person in custody, officers, the scratch-database option.

Each benchmark imports this as ``bench.scaffold`` after putting the repository root on ``sys.path`` (its own
folder must not be there: bench/transitions.py would hide the ``transitions`` library)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from rich.progress import Progress

from states.accounts import create_user
from states.procedures import Rulebook
from states.store.database import Database
from states.store.repository import Repository

CHUNK = 50_000
PERSON_COLUMNS = ["id", "id_number", "full_name", "date_of_birth", "sex", "commune_code", "created_at", "name_key"]
"""The columns the benchmarks seed persons with, in the order their rows are written."""
DOSSIER_COLUMNS = [
    "id",
    "procedure_code",
    "procedure_version",
    "state",
    "version",
    "person_id",
    "commune_code",
    "province_code",
    "facts",
    "parties",
    "opened_at",
    "opened_by",
    "updated_at",
]
"""The columns the benchmarks seed dossiers with, in the order their rows are written."""

HELD_STEPS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "police",
        "test_positive",
        {
            "tested_at": "2026-03-02T07:00:00+07:00",
            "test_ground": "caught_using",
            "sample_type": "urine",
            "substances": "Heroin",
        },
    ),
    ("police", "status_checked", {"art27_case": "b", "penal_256a_window": "none"}),
    (
        "chief",
        "custody_ordered",
        # The clock stays at 08:00: each fact lies between the previous step and the allowed clock skew.
        {
            "decision_number": "1/QĐ",
            "ordered_at": "2026-03-02T08:01:00+07:00",
            "custody_started_at": "2026-03-02T08:00:00+07:00",
            "custody_place": "Trụ sở",
        },
    ),
]
"""A positive test, the status check and the custody order (each step requests documents)."""


def add_officers(repo: Repository, rulebook: Rulebook, officers: Mapping[str, tuple[str, str]], now: datetime) -> None:
    """Officers (username → role, unit) with the benchmark password."""
    for username, (role, unit_code) in officers.items():
        create_user(
            repo,
            rulebook.regimes,
            username=username,
            password="benchmark-password",
            full_name=f"Cán bộ {username}",
            role=role,
            unit_code=unit_code,
            now=now,
        )


def add_postgres_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("HOSO_BENCH_POSTGRES_URL"),
        help="scratch PostgreSQL database (its schema is dropped and recreated); default HOSO_BENCH_POSTGRES_URL",
    )


def copy_rows(db: Database, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]], total: int) -> None:
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with Progress() as progress:
            bar = progress.add_task(f"{table:<10}", total=total)
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for done, row in enumerate(rows, start=1):
                    copy.write_row(row)
                    if done % CHUNK == 0:
                        progress.update(bar, completed=done)
            progress.update(bar, completed=total)
        raw.commit()
    finally:
        raw.close()
