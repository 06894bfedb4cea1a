"""Queries of the alerts and notices: deadlines whose next alert is due, notices per unit, acknowledgements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from states.store.queues import _skip_locked
from states.store.tables import deadlines, dossiers, history, notices, persons, tasks, users

Record = dict[str, Any]

# Notices whose key is new, with their ids; a key written before is skipped, not an error.
_NEW_NOTICES = {
    name: dialect.insert(notices)
    .on_conflict_do_nothing(index_elements=[notices.c.key])
    .returning(notices.c.id, notices.c.key)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
# Built once: the sweep moves every deadline it looks at.
_ADVANCE_ALERT = (
    update(deadlines)
    .where(deadlines.c.id == bindparam("b_id"), deadlines.c.alert_stage == bindparam("b_stage"))
    .values(alert_stage=bindparam("alert_stage"), next_alert_at=bindparam("next_alert_at"))
)


class AlertStore:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    # -- deadlines -------------------------------------------------------------------------------------

    def deadlines_to_alert(self, now: datetime, limit: int) -> list[Record]:
        """Deadlines whose next alert is due, locked for this transaction, with their dossier and person."""
        picked = _skip_locked(
            self._conn,
            select(deadlines.c.id)
            .where(deadlines.c.next_alert_at <= now)
            .order_by(deadlines.c.next_alert_at, deadlines.c.id)
            .limit(limit),
        )
        ids = list(self._conn.scalars(picked))
        if not ids:
            return []
        query = (
            select(
                deadlines.c.id,
                deadlines.c.dossier_id,
                deadlines.c.rule_id,
                deadlines.c.kind,
                deadlines.c.title,
                deadlines.c.status,
                deadlines.c.due_at,
                deadlines.c.warn_at,
                deadlines.c.alert_stage,
                deadlines.c.next_alert_at,
                deadlines.c.closed_seq,
                deadlines.c.explanation,
                dossiers.c.procedure_code,
                dossiers.c.procedure_version,
                dossiers.c.state,
                dossiers.c.version,
                dossiers.c.commune_code,
                dossiers.c.province_code,
                dossiers.c.parties,
                persons.c.full_name,
                history.c.from_state.label("closing_from"),
                history.c.to_state.label("closing_to"),
            )
            .join(dossiers, dossiers.c.id == deadlines.c.dossier_id)
            .join(persons, persons.c.id == dossiers.c.person_id)
            .outerjoin(
                history, and_(history.c.dossier_id == deadlines.c.dossier_id, history.c.seq == deadlines.c.closed_seq)
            )
            .where(deadlines.c.id.in_(ids))
            .order_by(deadlines.c.next_alert_at, deadlines.c.id)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def advance_alert(self, deadline_id: int, *, from_stage: str, to_stage: str, next_at: datetime | None) -> bool:
        result = self._conn.execute(
            _ADVANCE_ALERT,
            {"b_id": deadline_id, "b_stage": from_stage, "alert_stage": to_stage, "next_alert_at": next_at},
        )
        return result.rowcount == 1

    def open_tasks_of(self, dossier_ids: Sequence[str]) -> list[Record]:
        if not dossier_ids:
            return []
        query = (
            select(tasks.c.dossier_id, tasks.c.role, tasks.c.unit_code, tasks.c.title, tasks.c.deadline_id)
            .where(tasks.c.dossier_id.in_(tuple(dossier_ids)), tasks.c.status == "open")
            .order_by(tasks.c.id)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def insert_tasks(self, rows: Sequence[Record]) -> None:
        if rows:
            self._conn.execute(insert(tasks), list(rows))

    # -- notices ---------------------------------------------------------------------------------------

    def insert_notice(self, **values: Any) -> int | None:
        """The new notice's id, or None when one with the same key exists (it was created before)."""
        try:
            with self._conn.begin_nested():
                result = self._conn.execute(insert(notices).values(**values))
        except IntegrityError:
            return None
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def insert_notices(self, rows: Sequence[Record]) -> list[int | None]:
        """``insert_notice`` for each row, in order, as one statement: a key written before (or earlier in
        ``rows``) gives None. Should a row break another constraint, each row is written on its own instead."""
        if not rows:
            return []
        try:
            with self._conn.begin_nested():
                written = self._conn.execute(_NEW_NOTICES[self._conn.dialect.name], list(rows)).all()
        except IntegrityError:
            return [self.insert_notice(**row) for row in rows]
        ids = {str(key): int(notice_id) for notice_id, key in written}
        return [ids.pop(str(row["key"]), None) for row in rows]

    def notice(self, notice_id: int) -> Record | None:
        row = self._conn.execute(select(notices).where(notices.c.id == notice_id)).mappings().first()
        return dict(row) if row is not None else None

    def notices_for(
        self, unit_code: str, role: str, *, limit: int, before_id: int | None, unacknowledged: bool
    ) -> list[Record]:
        """A unit's inbox as one of its officers sees it: notices to the unit as a whole and to their role."""
        query = select(notices).where(
            notices.c.unit_code == unit_code, or_(notices.c.role.is_(None), notices.c.role == role)
        )
        if before_id is not None:
            query = query.where(notices.c.id < before_id)
        if unacknowledged:
            query = query.where(notices.c.ack_due_at.is_not(None), notices.c.acknowledged_at.is_(None))
        query = query.order_by(notices.c.id.desc()).limit(limit)
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def acknowledge_notice(self, notice_id: int, *, user_id: int, at: datetime) -> bool:
        result = self._conn.execute(
            update(notices)
            .where(notices.c.id == notice_id, notices.c.acknowledged_at.is_(None))
            .values(acknowledged_at=at, acknowledged_by=user_id)
        )
        return result.rowcount == 1

    def unacknowledged_past_due(self, now: datetime, limit: int) -> list[Record]:
        """Notices whose acknowledgement is late and not yet escalated, locked for this transaction."""
        query = _skip_locked(
            self._conn,
            select(notices)
            .where(
                notices.c.ack_due_at <= now,
                notices.c.acknowledged_at.is_(None),
                notices.c.escalated_at.is_(None),
            )
            .order_by(notices.c.ack_due_at, notices.c.id)
            .limit(limit),
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def mark_escalated(self, notice_id: int, at: datetime) -> bool:
        result = self._conn.execute(
            update(notices).where(notices.c.id == notice_id, notices.c.escalated_at.is_(None)).values(escalated_at=at)
        )
        return result.rowcount == 1

    def officers_of(self, unit_codes: Sequence[str]) -> list[Record]:
        """Active officers of the units, with where they can be reached outside the application."""
        if not unit_codes:
            return []
        query = (
            select(users.c.id, users.c.username, users.c.role, users.c.unit_code, users.c.email, users.c.phone)
            .where(users.c.unit_code.in_(tuple(unit_codes)), users.c.active.is_(True))
            .order_by(users.c.id)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def user_names(self, user_ids: Sequence[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        query = select(users.c.id, users.c.full_name).where(users.c.id.in_(tuple(user_ids)))
        return {int(row.id): str(row.full_name) for row in self._conn.execute(query)}

    def notices_of_dossier(self, dossier_id: str) -> list[Record]:
        query = select(notices).where(notices.c.dossier_id == dossier_id).order_by(notices.c.id)
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def history_row(self, dossier_id: str, seq: int) -> Record | None:
        query = select(history).where(history.c.dossier_id == dossier_id, history.c.seq == seq)
        row = self._conn.execute(query).mappings().first()
        return dict(row) if row is not None else None
