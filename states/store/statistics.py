"""The rows behind an indicator: one row per dossier (and the person, place and time that make it count),
read from the history — the state a dossier stood in at an instant is the state its last step before that
instant led to, whatever it is today."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, case, func, not_, null, or_, select, true

from states.store.tables import deadlines, dossiers, history, persons, units, users
from states.store.visibility import Sight, visible_clause

Record = dict[str, Any]
COUNTED_DEADLINE_STATUSES = ("met", "met_late", "expired")


@dataclass(frozen=True)
class Population:
    """Whose rows to read for an area: the dossiers in it, and those elsewhere of the persons who have one in it
    (a person is placed among all their dossiers; the caller keeps those placed in the area)."""

    area: Area
    elsewhere: tuple[str, ...] = ()

    def clause(self) -> ColumnElement[bool]:
        if not self.elsewhere:
            return self.area.clause()
        return or_(self.area.clause(), dossiers.c.id.in_(list(self.elsewhere)))


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


@dataclass(frozen=True)
class Part:
    """One procedure's share of a population: its states (stock, or steps into them) or events (flow), the
    states counted only when stepped into (during), and the party of the dossier naming the facility."""

    procedure: str
    states: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    facility_party: str | None = None
    entered_states: tuple[str, ...] = ()


def _facility(parts: Sequence[Part]) -> ColumnElement[Any]:
    named = [
        (dossiers.c.procedure_code == p.procedure, dossiers.c.parties[p.facility_party].as_string())
        for p in parts
        if p.facility_party
    ]
    return case(*named, else_=null()) if named else null()


def _columns(parts: Sequence[Part], at: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    return [
        dossiers.c.id.label("dossier_id"),
        dossiers.c.person_id,
        dossiers.c.commune_code,
        dossiers.c.province_code,
        _facility(parts).label("facility"),
        dossiers.c.facts["substances"].as_string().label("substance"),
        at.label("at"),
    ]


class StatisticsStore:
    """One query per indicator: its parts (one per procedure) are read together."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def standing(self, parts: Sequence[Part], at: datetime, among: Population) -> list[Record]:
        """Dossiers that stood in one of their part's states at the instant ``at``: the state their last step
        before ``at`` led to (one index probe per dossier, on the history's (dossier, seq) key)."""
        earlier = history.alias("earlier")
        last_seq = (
            select(func.max(earlier.c.seq))
            .where(earlier.c.dossier_id == dossiers.c.id, earlier.c.occurred_at < at)
            .correlate(dossiers)
            .scalar_subquery()
        )
        query = (
            select(*_columns(parts, history.c.occurred_at))
            .select_from(dossiers)
            .join(history, and_(history.c.dossier_id == dossiers.c.id, history.c.seq == last_seq))
            .where(dossiers.c.procedure_code.in_([p.procedure for p in parts]), dossiers.c.opened_at < at)
            .where(among.clause())
            .where(
                or_(*(and_(dossiers.c.procedure_code == p.procedure, history.c.to_state.in_(p.states)) for p in parts))
            )
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def stepped(self, parts: Sequence[Part], start: datetime, end: datetime, among: Population) -> list[Record]:
        """Steps of a part's events (into one of its states, if it names any) taken in [start, end)."""
        matching = []
        for p in parts:
            condition = and_(dossiers.c.procedure_code == p.procedure, history.c.event.in_(p.events))
            matching.append(and_(condition, history.c.to_state.in_(p.states)) if p.states else condition)
        events = history.c.event.in_(sorted({e for p in parts for e in p.events}))
        return self._steps(parts, and_(events, or_(*matching)), start, end, among)

    def entered(self, parts: Sequence[Part], start: datetime, end: datetime, among: Population) -> list[Record]:
        """Steps into one of a part's states or entered states taken in [start, end), whatever the event (the
        opening of a dossier in one of them included)."""
        matching = [
            and_(dossiers.c.procedure_code == p.procedure, history.c.to_state.in_(p.states + p.entered_states))
            for p in parts
        ]
        return self._steps(parts, or_(*matching), start, end, among)

    def _steps(
        self, parts: Sequence[Part], matching: ColumnElement[bool], start: datetime, end: datetime, among: Population
    ) -> list[Record]:
        query: Select[Any] = (
            select(*_columns(parts, history.c.occurred_at))
            .select_from(history)
            .join(dossiers, dossiers.c.id == history.c.dossier_id)
            .where(
                dossiers.c.procedure_code.in_([p.procedure for p in parts]),
                history.c.occurred_at >= start,
                history.c.occurred_at < end,
                matching,
            )
            .where(among.clause())
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def closed_deadlines(self, parts: Sequence[Part], start: datetime, end: datetime, area: Area) -> list[Record]:
        """Time limits of the parts' procedures that closed in [start, end) as met, met late or expired."""
        query = (
            select(
                *_columns(parts, deadlines.c.closed_at),
                deadlines.c.id.label("deadline_id"),
                deadlines.c.rule_id,
                deadlines.c.status,
            )
            .select_from(deadlines)
            .join(dossiers, dossiers.c.id == deadlines.c.dossier_id)
            .where(
                deadlines.c.status.in_(COUNTED_DEADLINE_STATUSES),
                deadlines.c.closed_at >= start,
                deadlines.c.closed_at < end,
                dossiers.c.procedure_code.in_([p.procedure for p in parts]),
            )
            .where(area.clause())
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def elsewhere(self, area: Area) -> tuple[str, ...]:
        """Dossiers outside ``area`` of the persons who have a dossier in it."""
        if area.whole_country:
            return ()
        inside = dossiers.alias("inside")
        query = select(dossiers.c.id).where(
            dossiers.c.person_id.in_(select(inside.c.person_id).where(area.clause(inside))),
            not_(area.clause()),
        )
        return tuple(sorted(str(row) for row in self._conn.execute(query).scalars()))

    def staff_of(self, unit_codes: Sequence[str], roles: Sequence[str]) -> dict[str, int]:
        """Active officers of these roles at each unit."""
        if not unit_codes:
            return {}
        query = (
            select(users.c.unit_code, func.count())
            .where(users.c.unit_code.in_(list(unit_codes)), users.c.role.in_(list(roles)), users.c.active.is_(True))
            .group_by(users.c.unit_code)
        )
        return {str(code): int(n) for code, n in self._conn.execute(query)}

    def units_of_kind(self, kind: str, province_code: str | None) -> list[str]:
        query = select(units.c.code).where(units.c.kind == kind)
        if province_code is not None:
            query = query.where(units.c.province_code == province_code)
        return [str(code) for code in self._conn.execute(query.order_by(units.c.code)).scalars()]

    def person_details(self, ids: Sequence[int], chunk: int = 1000) -> dict[int, Record]:
        """Sex and birth date of the persons counted (read once per report, after they are placed)."""
        found: dict[int, Record] = {}
        for start in range(0, len(ids), chunk):
            query = select(persons.c.id, persons.c.sex, persons.c.date_of_birth).where(
                persons.c.id.in_(list(ids[start : start + chunk]))
            )
            found.update({int(row["id"]): dict(row) for row in self._conn.execute(query).mappings()})
        return found

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
