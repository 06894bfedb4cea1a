"""A population of persons and dossiers written straight into the tables (as an import or years of use would
leave them), for tests of the statistics: each dossier is a list of dated steps, and the counts a test expects
are computed from that list, not from the database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, text

from states.store.database import Database
from states.store.tables import deadlines, dossiers, history, persons

EPOCH = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
"""10:00 in Hà Nội on 01/01/2026: day offsets of a population count from here."""


@dataclass(frozen=True)
class Step:
    day: int
    event: str
    to_state: str


@dataclass(frozen=True)
class DossierSpec:
    person: int
    procedure: str
    commune_code: str
    province_code: str
    opened_day: int
    initial_state: str
    steps: tuple[Step, ...] = ()
    parties: dict[str, str] = field(default_factory=dict)
    deadline_statuses: tuple[tuple[int, str], ...] = ()
    facts: dict[str, str] = field(default_factory=dict)
    """(closing day, status) of time limits closed in this dossier."""

    def state_before(self, instant: datetime) -> str | None:
        """The state the dossier stood in just before ``instant``; None if not yet opened."""
        if at(self.opened_day) >= instant:
            return None
        state = self.initial_state
        for step in self.steps:
            if at(step.day) < instant:
                state = step.to_state
        return state


@dataclass(frozen=True)
class PersonSpec:
    sex: str | None
    date_of_birth: date


def at(day: int) -> datetime:
    return EPOCH + timedelta(days=day)


def write_population(
    db: Database, people: Sequence[PersonSpec], files: Sequence[DossierSpec], actor_id: int
) -> list[str]:
    """Persons and dossiers with their history; the dossier ids, in the order given."""
    ids: list[str] = []
    with db.engine.begin() as conn:
        person_ids = []
        for number, person in enumerate(people):
            row = conn.execute(
                insert(persons)
                .values(
                    id_number=f"0010{number:08d}",
                    full_name=f"Người Thứ {number}",
                    name_key=f"nguoi thu {number}",
                    date_of_birth=person.date_of_birth,
                    sex=person.sex,
                    commune_code="00070",
                    created_at=EPOCH,
                )
                .returning(persons.c.id)
            )
            person_ids.append(int(row.scalar_one()))
        for spec in files:
            dossier_id = str(uuid.uuid4())
            ids.append(dossier_id)
            last = spec.steps[-1].to_state if spec.steps else spec.initial_state
            conn.execute(
                insert(dossiers).values(
                    id=dossier_id,
                    procedure_code=spec.procedure,
                    procedure_version="2022-01-01",
                    state=last,
                    version=len(spec.steps) + 1,
                    person_id=person_ids[spec.person],
                    commune_code=spec.commune_code,
                    province_code=spec.province_code,
                    facts=dict(spec.facts),
                    parties=dict(spec.parties),
                    opened_at=at(spec.opened_day),
                    opened_by=actor_id,
                    updated_at=at(spec.opened_day),
                )
            )
            rows: list[dict[str, Any]] = [
                _history(dossier_id, 1, "opened", None, spec.initial_state, spec.opened_day, actor_id)
            ]
            state = spec.initial_state
            for seq, step in enumerate(spec.steps, start=2):
                rows.append(_history(dossier_id, seq, step.event, state, step.to_state, step.day, actor_id))
                state = step.to_state
            conn.execute(insert(history), rows)
            for number, (day, status) in enumerate(spec.deadline_statuses):
                conn.execute(
                    insert(deadlines).values(
                        dossier_id=dossier_id,
                        rule_id=f"rule_{number}",
                        kind="time_limit",
                        title="Thời hạn thử",
                        status=status,
                        due_at=at(day),
                        explanation={},
                        opened_at=at(spec.opened_day),
                        opened_seq=1,
                        closed_at=at(day),
                        closed_seq=1,
                    )
                )
    return ids


def _history(
    dossier_id: str, seq: int, event: str, from_state: str | None, to_state: str, day: int, actor_id: int
) -> dict[str, Any]:
    return {
        "dossier_id": dossier_id,
        "seq": seq,
        "event": event,
        "from_state": from_state,
        "to_state": to_state,
        "actor_user_id": actor_id,
        "actor_username": "police",
        "actor_role": "commune_police",
        "actor_unit": "CAX-00070",
        "regime": "VN2021",
        "occurred_at": at(day),
        "recorded_at": at(day),
        "payload": {},
        "prev_hash": "0" * 64,
        "hash": f"{seq:064d}",
    }


def clear_population(db: Database) -> None:
    """Remove what ``write_population`` wrote (as the database's owner: history is append-only on PostgreSQL)."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in (deadlines, history, dossiers, persons):
            conn.execute(delete(table))
