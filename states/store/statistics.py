"""The rows behind an indicator: one row per dossier (and the person, place and time that make it count),
read from the history — the state a dossier stood in at an instant is the state its last step before that
instant led to, whatever it is today."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, null, select, true

from states.store.tables import deadlines, dossiers, history, persons
from states.store.visibility import Sight, visible_clause

Record = dict[str, Any]
COUNTED_DEADLINE_STATUSES = ("met", "met_late", "expired")


@dataclass(frozen=True)
class Population:
    """Whose rows to read for an area: everyone with a dossier of these procedures in it."""

    area: Area
    procedures: tuple[str, ...]

    def clause(self) -> ColumnElement[bool]:
        return _persons_with_a_dossier_in(self.area, self.procedures)


@dataclass(frozen=True)
class Area:
    """Where figures are counted: a commune, a province, or (both None) the whole country."""

    province_code: str | None = None
    commune_code: str | None = None

    @property
    def whole_country(self) -> bool:
        return self.province_code is None and self.commune_code is None

    def clause(self, table: Any = dossiers) -> ColumnElement[bool]:
        conditions = []
        if self.province_code is not None:
            conditions.append(table.c.province_code == self.province_code)
        if self.commune_code is not None:
            conditions.append(table.c.commune_code == self.commune_code)
        return and_(true(), *conditions)

    def holds(self, province_code: str, commune_code: str) -> bool:
        return self.province_code in (None, province_code) and self.commune_code in (None, commune_code)


def _persons_with_a_dossier_in(area: Area, procedures: Sequence[str]) -> ColumnElement[bool]:
    """Persons counted for an area are placed among all their dossiers, wherever: the rows of everyone with a
    dossier of the population's procedures in the area are read, and the caller keeps those placed in it."""
    if area.whole_country:
        return true()
    placed = dossiers.alias("placed")
    return dossiers.c.person_id.in_(
        select(placed.c.person_id).where(area.clause(placed), placed.c.procedure_code.in_(list(procedures)))
    )


def _facility(party: str | None) -> ColumnElement[Any]:
    return dossiers.c.parties[party].as_string() if party else null()


def _columns(party: str | None, at: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    return [
        dossiers.c.id.label("dossier_id"),
        dossiers.c.person_id,
        dossiers.c.commune_code,
        dossiers.c.province_code,
        persons.c.sex,
        persons.c.date_of_birth,
        _facility(party).label("facility"),
        at.label("at"),
    ]


class StatisticsStore:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def standing(
        self,
        procedure: str,
        states: Sequence[str],
        at: datetime,
        among: Population,
        facility_party: str | None,
    ) -> list[Record]:
        """Dossiers of ``procedure`` that stood in one of ``states`` at the instant ``at``."""
        last = (
            select(history.c.dossier_id, func.max(history.c.seq).label("seq"))
            .join(dossiers, dossiers.c.id == history.c.dossier_id)
            .where(dossiers.c.procedure_code == procedure, dossiers.c.opened_at < at, history.c.occurred_at < at)
            .where(among.clause())
            .group_by(history.c.dossier_id)
            .subquery()
        )
        query = (
            select(*_columns(facility_party, history.c.occurred_at))
            .select_from(last)
            .join(history, and_(history.c.dossier_id == last.c.dossier_id, history.c.seq == last.c.seq))
            .join(dossiers, dossiers.c.id == last.c.dossier_id)
            .join(persons, persons.c.id == dossiers.c.person_id)
            .where(history.c.to_state.in_(list(states)))
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def stepped(
        self,
        procedure: str,
        events: Sequence[str],
        into: Sequence[str],
        start: datetime,
        end: datetime,
        among: Population,
        facility_party: str | None,
    ) -> list[Record]:
        """Steps of ``events`` (into one of ``into``, if given) taken in dossiers of ``procedure`` in [start, end)."""
        query: Select[Any] = (
            select(*_columns(facility_party, history.c.occurred_at))
            .select_from(history)
            .join(dossiers, dossiers.c.id == history.c.dossier_id)
            .join(persons, persons.c.id == dossiers.c.person_id)
            .where(
                history.c.event.in_(list(events)),
                history.c.occurred_at >= start,
                history.c.occurred_at < end,
                dossiers.c.procedure_code == procedure,
            )
            .where(among.clause())
        )
        if into:
            query = query.where(history.c.to_state.in_(list(into)))
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def closed_deadlines(
        self, procedure: str, start: datetime, end: datetime, area: Area, facility_party: str | None
    ) -> list[Record]:
        """Time limits of ``procedure`` that closed in [start, end) as met, met late or expired."""
        query = (
            select(
                *_columns(facility_party, deadlines.c.closed_at),
                deadlines.c.id.label("deadline_id"),
                deadlines.c.rule_id,
                deadlines.c.status,
            )
            .select_from(deadlines)
            .join(dossiers, dossiers.c.id == deadlines.c.dossier_id)
            .join(persons, persons.c.id == dossiers.c.person_id)
            .where(
                deadlines.c.status.in_(COUNTED_DEADLINE_STATUSES),
                deadlines.c.closed_at >= start,
                deadlines.c.closed_at < end,
                dossiers.c.procedure_code == procedure,
            )
            .where(area.clause())
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def visible_dossiers(self, sight: Sight, ids: Sequence[str]) -> list[Record]:
        """Of ``ids``, the dossiers the officer may see, with their person, oldest first."""
        if not ids:
            return []
        query = (
            select(
                dossiers.c.id,
                dossiers.c.procedure_code,
                dossiers.c.procedure_version,
                dossiers.c.state,
                dossiers.c.commune_code,
                dossiers.c.province_code,
                dossiers.c.opened_at,
                persons.c.full_name,
                persons.c.date_of_birth,
                persons.c.id_number,
            )
            .join(persons, persons.c.id == dossiers.c.person_id)
            .where(dossiers.c.id.in_(list(ids)), visible_clause(sight))
            .order_by(dossiers.c.opened_at, dossiers.c.id)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def count_visible(self, sight: Sight, ids: Sequence[str], chunk: int = 500) -> int:
        total = 0
        for start in range(0, len(ids), chunk):
            query = (
                select(func.count())
                .select_from(dossiers)
                .where(dossiers.c.id.in_(list(ids[start : start + chunk])), visible_clause(sight))
            )
            total += int(self._conn.execute(query).scalar_one())
        return total
