"""Every query the domain core runs, behind one class; rows come back as plain dicts.

A ``Repository`` wraps one connection: inside ``Database.transaction()`` everything it writes commits
together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from states.store import statements
from states.store.alerting import AlertStore
from states.store.audit import AuditStore
from states.store.documents import DocumentStore
from states.store.queues import QueueStore
from states.store.reports import ReportStore
from states.store.sessions import SessionStore
from states.store.statistics import StatisticsStore
from states.store.tables import (
    deadlines,
    dossiers,
    history,
    idempotency_keys,
    identity_reviews,
    login_attempts,
    outbox,
    persons,
    tasks,
    units,
    users,
)
from states.store.targets import TargetStore
from states.store.taskdesk import TaskDeskStore
from states.store.visibility import CONFIDENTIAL_KEY
from states.store.worklists import WorklistStore

Record = dict[str, Any]


_LOGIN_LOCK_SPACE = 4871
"""The first key of the advisory locks that order login attempts (any number no other lock uses)."""


class Repository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection
        self.alerts = AlertStore(connection)
        self.queues = QueueStore(connection)
        self.documents = DocumentStore(connection)
        self.worklists = WorklistStore(connection)
        self.taskdesk = TaskDeskStore(connection)
        self.statistics = StatisticsStore(connection)
        self.targets = TargetStore(connection)
        self.reports = ReportStore(connection)
        self.audit = AuditStore(connection)
        self.sessions = SessionStore(connection)

    # -- dossiers --------------------------------------------------------------------------------------

    def dossier(self, dossier_id: str) -> Record | None:
        row = self._conn.execute(select(dossiers).where(dossiers.c.id == dossier_id)).mappings().first()
        return dict(row) if row is not None else None

    def dossier_for_step(self, dossier_id: str) -> tuple[Record, list[tuple[int, str, datetime, str]]] | None:
        """The dossier with its subject's birth date and last history hash, and its open and paused
        deadlines as (id, rule id, due instant, status)."""
        rows = self._conn.execute(statements.load_dossier, {"dossier_id": dossier_id}).mappings().all()
        if not rows:
            return None
        open_deadlines = [
            (row["deadline_id"], row["deadline_rule_id"], row["deadline_due_at"], row["deadline_status"])
            for row in rows
            if row["deadline_id"] is not None
        ]
        return dict(rows[0]), open_deadlines

    def insert_dossier(self, **values: Any) -> None:
        confidential_to = dict(values.get("parties") or {}).get(CONFIDENTIAL_KEY)
        self._conn.execute(insert(dossiers).values(**values, confidential_to=confidential_to))

    def repin_dossier(self, dossier_id: str, expected_version: int, *, procedure_version: str, at: datetime) -> bool:
        """Move the dossier to another version of its procedure (a logged migration); version-checked."""
        result = self._conn.execute(
            update(dossiers)
            .where(dossiers.c.id == dossier_id, dossiers.c.version == expected_version)
            .values(procedure_version=procedure_version, version=expected_version + 1, updated_at=at)
        )
        return result.rowcount == 1

    def open_dossier_ids(self, procedure_code: str, procedure_version: str | None = None) -> list[str]:
        query = select(dossiers.c.id).where(dossiers.c.procedure_code == procedure_code, dossiers.c.closed_at.is_(None))
        if procedure_version is not None:
            query = query.where(dossiers.c.procedure_version == procedure_version)
        return [str(value) for value in self._conn.scalars(query.order_by(dossiers.c.opened_at))]

    def all_units(self) -> list[Record]:
        return [dict(row) for row in self._conn.execute(select(units)).mappings()]

    def units_of_kind(
        self, kind: str, *, commune_code: str | None = None, province_code: str | None = None
    ) -> list[Record]:
        """Units of a kind in a commune (or, without one, in a province), by code."""
        query = select(units).where(units.c.kind == kind)
        if commune_code is not None:
            query = query.where(units.c.commune_code == commune_code)
        if province_code is not None:
            query = query.where(units.c.province_code == province_code)
        return [dict(row) for row in self._conn.execute(query.order_by(units.c.code)).mappings()]

    def all_users(self) -> list[Record]:
        return [dict(row) for row in self._conn.execute(select(users)).mappings()]

    def advance_dossier(self, dossier_id: str, expected_version: int, **values: Any) -> bool:
        """Write the new state only if nobody moved the dossier since ``expected_version``."""
        result = self._conn.execute(
            statements.advance_dossier, {"b_id": dossier_id, "b_expected": expected_version, **values}
        )
        return result.rowcount == 1

    # -- persons ---------------------------------------------------------------------------------------

    def person(self, person_id: int) -> Record:
        return dict(self._conn.execute(select(persons).where(persons.c.id == person_id)).mappings().one())

    def person_by_id_number(self, id_number: str) -> Record | None:
        row = self._conn.execute(select(persons).where(persons.c.id_number == id_number)).mappings().first()
        return dict(row) if row is not None else None

    def lock_person(self, person_id: int) -> None:
        """Hold the person's row until the transaction ends (PostgreSQL; SQLite writers are serial already)."""
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(select(persons.c.id).where(persons.c.id == person_id).with_for_update())

    def insert_person(self, **values: Any) -> int | None:
        """The new person's id, or None when a concurrent transaction inserted the same number first."""
        try:
            with self._conn.begin_nested():
                result = self._conn.execute(insert(persons).values(**values))
        except IntegrityError:
            return None
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def persons_by_name_key(self, key: str, limit: int) -> list[Record]:
        """Persons whose folded name contains ``key`` (already folded), with the places of their dossiers."""
        escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = (
            select(persons)
            .where(persons.c.name_key.like(f"%{escaped}%", escape="\\"))
            .order_by(persons.c.name_key, persons.c.id)
            .limit(limit)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def dossiers_of_person(self, person_id: int) -> list[Record]:
        query = select(dossiers).where(dossiers.c.person_id == person_id).order_by(dossiers.c.opened_at)
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def open_dossiers_of(self, person_id: int, procedure_code: str) -> list[Record]:
        query = select(dossiers.c.id, dossiers.c.parties, dossiers.c.province_code, dossiers.c.commune_code).where(
            dossiers.c.person_id == person_id,
            dossiers.c.procedure_code == procedure_code,
            dossiers.c.closed_at.is_(None),
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def provinces_of_person(self, person_id: int) -> list[str]:
        query = select(dossiers.c.province_code).where(dossiers.c.person_id == person_id).distinct()
        return [str(code) for code in self._conn.scalars(query)]

    def insert_identity_review(self, **values: Any) -> None:
        self._conn.execute(insert(identity_reviews).values(**values))

    def identity_reviews(self, person_id: int) -> list[Record]:
        query = (
            select(identity_reviews).where(identity_reviews.c.person_id == person_id).order_by(identity_reviews.c.id)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    # -- idempotent requests ---------------------------------------------------------------------------

    def idempotency_key(self, user_id: int, key: str) -> Record | None:
        query = select(idempotency_keys).where(idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key)
        row = self._conn.execute(query).mappings().first()
        return dict(row) if row is not None else None

    def insert_idempotency_key(self, **values: Any) -> bool:
        """False when a concurrent transaction stored the same key first."""
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(idempotency_keys).values(**values))
        except IntegrityError:
            return False
        return True

    # -- history, tasks, deadlines, outbox -------------------------------------------------------------

    def insert_history(self, row: Record) -> None:
        self._conn.execute(statements.insert_history, row)

    def history(self, dossier_id: str) -> list[Record]:
        query = select(history).where(history.c.dossier_id == dossier_id).order_by(history.c.seq)
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def close_open_tasks(self, dossier_id: str, *, at: datetime, seq: int, by: int) -> None:
        self._conn.execute(
            statements.close_open_tasks, {"b_dossier": dossier_id, "closed_at": at, "closed_seq": seq, "closed_by": by}
        )

    def refresh_task_due(self, dossier_id: str) -> None:
        """Give the dossier's open tasks its earliest open time limit (NULL when none runs)."""
        self._conn.execute(statements.refresh_task_due, {"b_dossier": dossier_id})

    def only_unit_of_kind(self, kind: str, *, commune_code: str | None, province_code: str | None) -> str | None:
        """The code of the one unit of a kind in the commune (or, without one, the province); None unless
        exactly one."""
        if commune_code is not None:
            rows = self._conn.scalars(statements.units_of_kind_in_commune, {"b_kind": kind, "b_place": commune_code})
        else:
            rows = self._conn.scalars(statements.units_of_kind_in_province, {"b_kind": kind, "b_place": province_code})
        found = list(rows)
        return str(found[0]) if len(found) == 1 else None

    def insert_tasks(self, rows: Sequence[Record]) -> None:
        if rows:
            self._conn.execute(statements.insert_tasks, list(rows))

    def tasks(self, dossier_id: str) -> list[Record]:
        query = select(tasks).where(tasks.c.dossier_id == dossier_id).order_by(tasks.c.id)
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def close_deadlines(self, closings: Sequence[Record]) -> None:
        """Each closing: ``id``, ``status``, ``closed_at``, ``closed_seq``."""
        if closings:
            self._conn.execute(
                statements.close_deadline,
                [{"b_id": c["id"], **{k: v for k, v in c.items() if k != "id"}} for c in closings],
            )

    def insert_deadlines(self, rows: Sequence[Record]) -> None:
        if rows:
            self._conn.execute(statements.insert_deadlines, list(rows))

    def deadlines(self, dossier_id: str) -> list[Record]:
        query = select(deadlines).where(deadlines.c.dossier_id == dossier_id).order_by(deadlines.c.id)
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def deadline(self, deadline_id: int) -> Record:
        query = select(deadlines).where(deadlines.c.id == deadline_id)
        return dict(self._conn.execute(query).mappings().one())

    def update_deadline(self, deadline_id: int, **values: Any) -> None:
        self._conn.execute(update(deadlines).where(deadlines.c.id == deadline_id).values(**values))

    def due_deadlines(self, now: datetime, limit: int) -> list[Record]:
        """Open deadlines past due, oldest first, with the current version of their dossier."""
        query = (
            select(deadlines.c.dossier_id, deadlines.c.rule_id, deadlines.c.expiry_event, dossiers.c.version)
            .join(dossiers, dossiers.c.id == deadlines.c.dossier_id)
            .where(deadlines.c.status == "open", deadlines.c.due_at <= now)
            .order_by(deadlines.c.due_at)
            .limit(limit)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def insert_outbox(self, rows: Sequence[Record]) -> None:
        if rows:
            self._conn.execute(statements.insert_outbox, list(rows))

    def pending_outbox(self, kind: str, limit: int) -> list[Record]:
        query = (
            select(outbox.c.id)
            .where(outbox.c.kind == kind, outbox.c.status == "pending")
            .order_by(outbox.c.id)
            .limit(limit)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def outbox_item(self, outbox_id: int) -> Record | None:
        row = self._conn.execute(select(outbox).where(outbox.c.id == outbox_id)).mappings().first()
        return dict(row) if row is not None else None

    def finish_outbox(self, outbox_id: int, *, status: str, at: datetime, error: str | None = None) -> bool:
        """Mark a pending row handled; False when another worker handled it first."""
        result = self._conn.execute(
            update(outbox)
            .where(outbox.c.id == outbox_id, outbox.c.status == "pending")
            .values(status=status, processed_at=at, last_error=error, attempts=outbox.c.attempts + 1)
        )
        return result.rowcount == 1

    def note_outbox_failure(self, outbox_id: int, *, error: str) -> None:
        self._conn.execute(
            update(outbox)
            .where(outbox.c.id == outbox_id, outbox.c.status == "pending")
            .values(last_error=error, attempts=outbox.c.attempts + 1)
        )

    def children(self, dossier_id: str) -> list[Record]:
        query = select(dossiers).where(dossiers.c.parent_id == dossier_id).order_by(dossiers.c.opened_at)
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def outbox(self, dossier_id: str) -> list[Record]:
        query = select(outbox).where(outbox.c.dossier_id == dossier_id).order_by(outbox.c.id)
        return [dict(row) for row in self._conn.execute(query).mappings()]

    # -- units and users -------------------------------------------------------------------------------

    def unit(self, code: str) -> Record | None:
        row = self._conn.execute(select(units).where(units.c.code == code)).mappings().first()
        return dict(row) if row is not None else None

    def insert_unit(self, **values: Any) -> None:
        self._conn.execute(insert(units).values(**values))

    def update_unit_name(self, code: str, name: str) -> None:
        self._conn.execute(update(units).where(units.c.code == code).values(name=name))

    def username_taken(self, username: str) -> bool:
        return self._conn.scalar(select(func.count()).where(users.c.username == username)) != 0

    def insert_user(self, **values: Any) -> int:
        result = self._conn.execute(insert(users).values(**values))
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def officer(self, username: str) -> Record | None:
        """The user with the kind and place of their unit."""
        return self._officer_where(users.c.username == username)

    def set_user_active(self, user_id: int, *, active: bool) -> None:
        self._conn.execute(update(users).where(users.c.id == user_id).values(active=active))

    def set_user_role(self, user_id: int, *, role: str, unit_code: str) -> None:
        self._conn.execute(update(users).where(users.c.id == user_id).values(role=role, unit_code=unit_code))

    def officer_by_id(self, user_id: int) -> Record | None:
        return self._officer_where(users.c.id == user_id)

    def _officer_where(self, condition: Any) -> Record | None:
        query = (
            select(
                users.c.id,
                users.c.username,
                users.c.full_name,
                users.c.role,
                users.c.unit_code,
                users.c.password_hash,
                users.c.active,
                units.c.kind,
                units.c.province_code,
                units.c.commune_code,
            )
            .join(units, units.c.code == users.c.unit_code)
            .where(condition)
        )
        row = self._conn.execute(query).mappings().first()
        return dict(row) if row is not None else None

    # -- login attempts --------------------------------------------------------------------------------

    def lock_login_keys(self, *, username: str, address: str) -> None:
        """Hold, until the transaction ends, the locks that order the login attempts of one username and of one
        address (PostgreSQL; SQLite orders them already, one writer at a time). Username before address, so two
        attempts never wait on each other in a circle."""
        if self._conn.dialect.name != "postgresql":
            return
        lock = text("select pg_advisory_xact_lock(:space, hashtext(:key))")
        for key in (f"username:{username}", f"address:{address}"):
            self._conn.execute(lock, {"space": _LOGIN_LOCK_SPACE, "key": key})

    def insert_login_attempt(self, **values: Any) -> int:
        result = self._conn.execute(insert(login_attempts).values(**values))
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def finish_login_attempt(self, attempt_id: int, *, succeeded: bool, reason: str | None) -> None:
        self._conn.execute(
            update(login_attempts).where(login_attempts.c.id == attempt_id).values(succeeded=succeeded, reason=reason)
        )

    def recent_login_attempts(
        self,
        *,
        since: datetime,
        limit: int,
        username: str | None = None,
        address: str | None = None,
        before_id: int | None = None,
    ) -> list[Record]:
        """Attempts after ``since`` (and begun before attempt ``before_id``) by one typed username or from one
        address, newest first, without the attempts refused unchecked (``throttled``), at most ``limit``."""
        query = select(login_attempts.c.id, login_attempts.c.at, login_attempts.c.succeeded, login_attempts.c.reason)
        if username is not None:
            query = query.where(login_attempts.c.username == username)
        if address is not None:
            query = query.where(login_attempts.c.address == address)
        if before_id is not None:
            query = query.where(login_attempts.c.id < before_id)
        query = (
            query.where(
                login_attempts.c.at > since,
                or_(login_attempts.c.reason.is_(None), login_attempts.c.reason != "throttled"),
            )
            .order_by(login_attempts.c.id.desc())
            .limit(limit)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def login_attempts(self) -> list[Record]:
        """Every recorded attempt, oldest first (audit and tests)."""
        query = select(login_attempts).order_by(login_attempts.c.id)
        return [dict(row) for row in self._conn.execute(query).mappings()]
