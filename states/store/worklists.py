"""Lists an officer works from: dossiers and persons within their jurisdiction, filtered, counted and paged.

Pages are keyset pages: a page ends with the key of its last row and the next page starts after it, so a page
costs the same deep in a list as at its head and rows added meanwhile never shift it. Every query carries the
visibility clause of the officer's unit (``states.store.visibility``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, exists, func, or_, select, tuple_

from states.store.tables import deadlines, dossiers, persons, units
from states.store.visibility import Sight, visible_clause

Record = dict[str, Any]


@dataclass(frozen=True)
class DossierFilter:
    procedure: str | None = None
    state: str | None = None
    commune_code: str | None = None
    within: Sight | None = None
    """Only the dossiers this unit covers (the ``unit`` filter)."""
    due_from: datetime | None = None
    due_before: datetime | None = None
    overdue_at: datetime | None = None
    """Only dossiers with an open time limit that ran out before this instant."""
    not_overdue_at: datetime | None = None
    """Only dossiers with no open time limit run out before this instant."""
    opened_from: datetime | None = None
    opened_before: datetime | None = None
    open_only: bool | None = None
    """True: not closed; False: closed; None: both."""


@dataclass(frozen=True)
class DossierKey:
    opened_at: datetime
    dossier_id: str


@dataclass(frozen=True)
class PersonKey:
    name_key: str
    person_id: int


@dataclass(frozen=True)
class PersonFilter:
    name_key: str | None = None
    id_number: str | None = None
    date_of_birth: Any = None


def _open_deadline(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(deadlines.c.dossier_id == dossiers.c.id, deadlines.c.status == "open", *conditions)


def _dossier_conditions(sight: Sight, where: DossierFilter) -> list[ColumnElement[bool]]:
    conditions = [visible_clause(sight)]
    if where.within is not None:
        conditions.append(visible_clause(where.within))
    if where.procedure is not None:
        conditions.append(dossiers.c.procedure_code == where.procedure)
    if where.state is not None:
        conditions.append(dossiers.c.state == where.state)
    if where.commune_code is not None:
        conditions.append(dossiers.c.commune_code == where.commune_code)
    if where.opened_from is not None:
        conditions.append(dossiers.c.opened_at >= where.opened_from)
    if where.opened_before is not None:
        conditions.append(dossiers.c.opened_at < where.opened_before)
    if where.open_only is True:
        conditions.append(dossiers.c.closed_at.is_(None))
    elif where.open_only is False:
        conditions.append(dossiers.c.closed_at.is_not(None))
    window = [
        *([deadlines.c.due_at >= where.due_from] if where.due_from is not None else []),
        *([deadlines.c.due_at < where.due_before] if where.due_before is not None else []),
    ]
    if window:
        conditions.append(_open_deadline(*window))
    if where.overdue_at is not None:
        conditions.append(_open_deadline(deadlines.c.due_at < where.overdue_at))
    if where.not_overdue_at is not None:
        conditions.append(~_open_deadline(deadlines.c.due_at < where.not_overdue_at))
    return conditions


class WorklistStore:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def dossier_page(
        self, sight: Sight, where: DossierFilter, after: DossierKey | None, limit: int
    ) -> tuple[list[Record], int]:
        """The newest dossiers first (opened_at, then id, descending), with the person and the earliest open time
        limit of each; and how many match in all."""
        conditions = _dossier_conditions(sight, where)
        next_due = (
            select(func.min(deadlines.c.due_at))
            .where(deadlines.c.dossier_id == dossiers.c.id, deadlines.c.status == "open")
            .scalar_subquery()
        )
        query = (
            select(
                dossiers.c.id,
                dossiers.c.procedure_code,
                dossiers.c.procedure_version,
                dossiers.c.state,
                dossiers.c.version,
                dossiers.c.commune_code,
                dossiers.c.province_code,
                dossiers.c.opened_at,
                dossiers.c.closed_at,
                persons.c.full_name,
                persons.c.date_of_birth,
                persons.c.id_number,
                next_due.label("next_due_at"),
            )
            .join(persons, persons.c.id == dossiers.c.person_id)
            .where(*conditions)
        )
        if after is not None:
            query = query.where(
                tuple_(dossiers.c.opened_at, dossiers.c.id) < tuple_(after.opened_at, after.dossier_id)
                if self._conn.dialect.name == "postgresql"
                else or_(
                    dossiers.c.opened_at < after.opened_at,
                    and_(dossiers.c.opened_at == after.opened_at, dossiers.c.id < after.dossier_id),
                )
            )
        query = query.order_by(dossiers.c.opened_at.desc(), dossiers.c.id.desc()).limit(limit)
        rows = [dict(row) for row in self._conn.execute(query).mappings()]
        if after is None and len(rows) < limit:
            return rows, len(rows)  # the whole list fits on its first page: it is its own count
        total = self._conn.execute(select(func.count()).select_from(dossiers).where(*conditions)).scalar_one()
        return rows, int(total)

    def person_page(
        self, sight: Sight, where: PersonFilter, after: PersonKey | None, limit: int
    ) -> tuple[list[Record], int]:
        """Persons with at least one dossier the officer may see, by folded name; and how many match in all."""
        conditions: list[ColumnElement[bool]] = [
            exists().where(dossiers.c.person_id == persons.c.id, visible_clause(sight))
        ]
        if where.name_key is not None:
            escaped = where.name_key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(persons.c.name_key.like(f"%{escaped}%", escape="\\"))
        if where.id_number is not None:
            conditions.append(persons.c.id_number == where.id_number)
        if where.date_of_birth is not None:
            conditions.append(persons.c.date_of_birth == where.date_of_birth)
        query: Select[Any] = select(persons).where(*conditions)
        if after is not None:
            query = query.where(
                or_(
                    persons.c.name_key > after.name_key,
                    and_(persons.c.name_key == after.name_key, persons.c.id > after.person_id),
                )
            )
        query = query.order_by(persons.c.name_key, persons.c.id).limit(limit)
        rows = [dict(row) for row in self._conn.execute(query).mappings()]
        if after is None and len(rows) < limit:
            return rows, len(rows)
        total = self._conn.execute(select(func.count()).select_from(persons).where(*conditions)).scalar_one()
        return rows, int(total)

    def visible_dossiers_of(self, sight: Sight, person_ids: Sequence[int]) -> list[Record]:
        if not person_ids:
            return []
        query = (
            select(dossiers)
            .where(dossiers.c.person_id.in_(tuple(person_ids)), visible_clause(sight))
            .order_by(dossiers.c.person_id, dossiers.c.opened_at)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def units(self, *, kind: str | None, province_code: str | None, commune_code: str | None) -> list[Record]:
        query = select(units)
        if kind is not None:
            query = query.where(units.c.kind == kind)
        if province_code is not None:
            query = query.where(units.c.province_code == province_code)
        if commune_code is not None:
            query = query.where(units.c.commune_code == commune_code)
        return [dict(row) for row in self._conn.execute(query.order_by(units.c.code)).mappings()]
