"""Replaying the recorded steps of open dossiers against a candidate procedure version, before it is
published: what would their state, due dates and terms be under it?

The replay runs the real engine, not an imitation: each open dossier is rebuilt in a scratch SQLite
database (same units and officers), opened on the candidate version as its first history row says, and
every recorded step is fired again by the same officer at the moment it was recorded. The live database is
only read.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from states.accounts import actor_by_username
from states.actors import Actor
from states.clock import FixedClock
from states.definitions import OPENING_EVENT, REGISTER_IMPORTED, VERSION_MIGRATED
from states.engine import DossierEngine, SubjectInput
from states.errors import HosoError
from states.legal_time import VN_TZ
from states.procedures import Rulebook
from states.store.database import Database
from states.store.migrate import upgrade
from states.store.repository import Record


@dataclass
class ReplayOutcome:
    dossier_id: str
    state_now: str
    state_replayed: str | None
    due_now: dict[str, str] = field(default_factory=dict)
    due_replayed: dict[str, str] = field(default_factory=dict)
    stopped_at: str | None = None
    """The step the candidate refuses (with the reason), when it does."""

    @property
    def changed(self) -> bool:
        return self.stopped_at is not None or self.state_now != self.state_replayed or self.due_now != self.due_replayed


def replay_open_dossiers(live: Database, candidate: Rulebook, code: str, version: str) -> list[ReplayOutcome]:
    with live.reading() as repo:
        ids = repo.open_dossier_ids(code)
        units, users = repo.all_units(), repo.all_users()
        recorded = [(repo.dossier(i), repo.history(i), repo.deadlines(i)) for i in ids]
    with tempfile.TemporaryDirectory(prefix="hoso-replay-") as folder:
        url = f"sqlite:///{Path(folder) / 'replay.sqlite3'}"
        upgrade(url)
        scratch = Database(url)
        try:
            with scratch.transaction() as repo:
                for unit in units:
                    repo.insert_unit(**unit)
                for user in users:
                    repo.insert_user(**user)
            return [_replay(scratch, candidate, version, *item) for item in recorded if item[0] is not None]
        finally:
            scratch.dispose()


def _replay(
    scratch: Database,
    candidate: Rulebook,
    version: str,
    dossier: Record | None,
    history: list[Record],
    deadlines: list[Record],
) -> ReplayOutcome:
    assert dossier is not None
    outcome = ReplayOutcome(
        dossier_id=dossier["id"],
        state_now=dossier["state"],
        state_replayed=None,
        due_now={d["rule_id"]: d["due_at"].isoformat() for d in deadlines if d["status"] in ("open", "paused")},
    )
    opening = history[0]
    clock = FixedClock(opening["recorded_at"] or opening["occurred_at"])
    engine = DossierEngine(candidate, scratch, clock)
    subject = dossier["subject"] or {}
    try:
        replayed_id = engine.open_dossier(
            _actor(scratch, opening["actor_username"]),
            dossier["procedure_code"],
            SubjectInput(
                full_name=subject["full_name"],
                date_of_birth=date.fromisoformat(subject["date_of_birth"]),
                id_number=subject["id_number"],
                commune_code=str(subject.get("commune_code") or dossier["commune_code"]),
                sex=subject.get("sex"),
                address=subject.get("address"),
            ),
            occurred_on=date.fromisoformat(opening["payload"]["occurred_on"])
            if "occurred_on" in opening["payload"]
            else None,
            version=version,
        )
    except HosoError as error:
        outcome.stopped_at = f"{OPENING_EVENT}: {error.message}"
        return outcome
    current = 1
    for row in history[1:]:
        if row["event"] == VERSION_MIGRATED:
            continue
        clock.set(row["recorded_at"] or row["occurred_at"])
        try:
            actor = _actor(scratch, row["actor_username"])
            if row["event"] == REGISTER_IMPORTED:
                # Placed at the stage its register recorded: placed the same way under the candidate.
                occurred_on = row["occurred_at"].astimezone(VN_TZ).date()
                state = str(row["to_state"])
                result = engine.place_from_register(
                    actor, replayed_id, state=state, occurred_on=occurred_on, source=_payload(row)
                )
            else:
                result = engine.fire(actor, replayed_id, row["event"], _payload(row), current)
        except HosoError as error:
            outcome.stopped_at = f"{row['seq']} {row['event']}: {error.message}"
            break
        current = result.version
    with scratch.reading() as repo:
        replayed = repo.dossier(replayed_id)
        assert replayed is not None
        outcome.state_replayed = replayed["state"]
        outcome.due_replayed = {
            d["rule_id"]: d["due_at"].isoformat()
            for d in repo.deadlines(replayed_id)
            if d["status"] in ("open", "paused")
        }
    return outcome


def _payload(row: Record) -> dict[str, Any]:
    return dict(row["payload"])


def _actor(scratch: Database, username: str) -> Actor:
    with scratch.reading() as repo:
        return actor_by_username(repo, username)
