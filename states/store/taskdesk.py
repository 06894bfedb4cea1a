"""Queries of the officers' task desk: inbox, unit queue, archive, and the conditional updates that claim, hand
over and return a task.

Every change of hands is one UPDATE guarded by what the officer saw (the task still open, still unassigned or
still theirs): of two officers claiming one task, exactly one UPDATE matches a row. Each change writes a
``task_events`` row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, insert, literal, or_, select, update

from states.store.tables import dossiers, persons, substitutes, task_events, tasks, users
from states.store.visibility import Sight, confidential_to_others, visible_clause

Record = dict[str, Any]
NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)
"""Sorts tasks without an open time limit after all others (a key, never shown)."""


@dataclass(frozen=True)
class TaskKey:
    due_at: datetime
    task_id: int


@dataclass(frozen=True)
class Scope:
    """The tasks an officer may hold: of roles they hold today, for their unit or, where the task names no unit,
    on a dossier their unit covers."""

    sight: Sight
    roles: frozenset[str] | None
    """None: tasks of any role (the unit's head, who hands them out)."""


@dataclass(frozen=True)
class TaskList:
    """Which tasks a list shows; every field given narrows it."""

    scope: Scope | None = None
    open: bool | None = None
    unassigned: bool = False
    assignee_id: int | None = None
    done_by: int | None = None
    """Closed tasks the officer closed (by recording the step) or held when they closed."""
    task_id: int | None = None

    def branches(self) -> list[list[ColumnElement[bool]]]:
        """The list as one or two sets of conditions on ``tasks``: a unit's list is the tasks addressed to the
        unit and those addressed to no unit whose dossier it covers, each read from its own index."""
        common: list[ColumnElement[bool]] = []
        if self.open is True:
            common.append(tasks.c.status == "open")
        elif self.open is False:
            common.append(tasks.c.status != "open")
        if self.unassigned:
            common.append(tasks.c.assignee_id.is_(None))
        if self.assignee_id is not None:
            common.append(tasks.c.assignee_id == self.assignee_id)
        if self.done_by is not None:
            common.append(or_(tasks.c.closed_by == self.done_by, tasks.c.assignee_id == self.done_by))
        if self.task_id is not None:
            common.append(tasks.c.id == self.task_id)
        if self.scope is None:
            return [common]
        return [[*common, *branch] for branch in scope_branches(self.scope)]


def scope_branches(scope: Scope) -> list[list[ColumnElement[bool]]]:
    """Tasks of the roles held, on dossiers the officer's unit covers: those the engine addressed to the unit
    (``unit_code``) unless their dossier is kept confidential to another unit; and those addressed to no unit
    whose dossier the unit covers (the dossiers found through their indexes)."""
    roles: list[ColumnElement[bool]] = []
    if scope.roles is not None:
        roles.append(tasks.c.role.in_(sorted(scope.roles)) if scope.roles else literal(False))
    addressed: list[ColumnElement[bool]] = [*roles, tasks.c.unit_code == scope.sight.unit_code]
    if not scope.sight.sees_confidential:
        kept_elsewhere = select(dossiers.c.id).where(confidential_to_others(scope.sight))
        addressed.append(tasks.c.dossier_id.not_in(kept_elsewhere))
    covered = select(dossiers.c.id).where(visible_clause(scope.sight))
    unaddressed = [*roles, tasks.c.unit_code.is_(None), tasks.c.dossier_id.in_(covered)]
    return [addressed, unaddressed]


def _after(key: TaskKey) -> ColumnElement[bool]:
    """Past the key in the order (earliest time limit first, tasks without one last, then by id)."""
    if key.due_at >= NO_DUE:
        return and_(tasks.c.due_at.is_(None), tasks.c.id > key.task_id)
    return or_(
        tasks.c.due_at > key.due_at,
        tasks.c.due_at.is_(None),
        and_(tasks.c.due_at == key.due_at, tasks.c.id > key.task_id),
    )


def _order_key(row: Record) -> tuple[datetime, int]:
    return (row["due_at"] or NO_DUE, int(row["id"]))


class TaskDeskStore:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    # -- lists -------------------------------------------------------------------------------------------

    def page(self, which: TaskList, after: TaskKey | None, limit: int) -> tuple[list[Record], int]:
        """Tasks of the list, the most urgent first (earliest open time limit of the dossier, tasks without one
        last, then the oldest), with the dossier, the person and the assignee's name; and how many in all. Each
        branch of the list picks its page from ``tasks`` alone, in the order of its index; only the chosen rows
        are then joined to their dossiers and persons."""
        chosen: list[Record] = []
        total = 0
        for conditions in which.branches():
            query = select(tasks.c.id, tasks.c.due_at).where(*conditions)
            if after is not None:
                query = query.where(_after(after))
            query = query.order_by(tasks.c.due_at.asc().nulls_last(), tasks.c.id).limit(limit)
            found = [dict(row) for row in self._conn.execute(query).mappings()]
            chosen += found
            if after is None and len(found) < limit:
                total += len(found)  # the whole branch fits on one page: it is its own count
            else:
                counted = select(func.count()).select_from(tasks).where(*conditions)
                total += int(self._conn.execute(counted).scalar_one())
        ids = [int(row["id"]) for row in sorted(chosen, key=_order_key)[:limit]]
        if not ids:
            return [], total
        assignee = users.alias("assignee")
        query = (
            select(
                tasks,
                dossiers.c.procedure_code,
                dossiers.c.procedure_version,
                dossiers.c.state.label("dossier_state"),
                dossiers.c.commune_code,
                persons.c.full_name.label("person_name"),
                persons.c.date_of_birth.label("person_birth_date"),
                assignee.c.full_name.label("assignee_name"),
            )
            .join(dossiers, dossiers.c.id == tasks.c.dossier_id)
            .join(persons, persons.c.id == dossiers.c.person_id)
            .outerjoin(assignee, assignee.c.id == tasks.c.assignee_id)
            .where(tasks.c.id.in_(ids))
        )
        rows = sorted((dict(row) for row in self._conn.execute(query).mappings()), key=_order_key)
        for row in rows:
            row["due_key"] = row["due_at"] or NO_DUE
        return rows, total

    def task(self, task_id: int) -> Record | None:
        query = (
            select(tasks, dossiers.c.parties, dossiers.c.province_code, dossiers.c.commune_code)
            .join(dossiers, dossiers.c.id == tasks.c.dossier_id)
            .where(tasks.c.id == task_id)
        )
        row = self._conn.execute(query).mappings().first()
        return dict(row) if row is not None else None

    def events(self, task_id: int) -> list[Record]:
        query = select(task_events).where(task_events.c.task_id == task_id).order_by(task_events.c.id)
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def open_tasks_of(self, user_id: int, task_ids: Collection[int] | None = None) -> list[Record]:
        query = select(tasks).where(tasks.c.assignee_id == user_id, tasks.c.status == "open")
        if task_ids is not None:
            query = query.where(tasks.c.id.in_(sorted(task_ids)))
        return [dict(row) for row in self._conn.execute(query.order_by(tasks.c.id)).mappings()]

    # -- changes of hands --------------------------------------------------------------------------------

    def hand_over(
        self,
        task_id: int,
        *,
        expected_assignee: int | None,
        assignee: int | None,
        owner: int | None,
        at: datetime,
    ) -> bool:
        """Give the open task to ``assignee`` (None: back to the queue) if it is still held by
        ``expected_assignee`` (None: still unassigned); False when someone else changed it first."""
        held = tasks.c.assignee_id.is_(None) if expected_assignee is None else tasks.c.assignee_id == expected_assignee
        result = self._conn.execute(
            update(tasks)
            .where(tasks.c.id == task_id, tasks.c.status == "open", held)
            .values(assignee_id=assignee, assigned_at=at if assignee is not None else None, owner_id=owner)
        )
        return result.rowcount == 1

    def record_event(self, **values: Any) -> None:
        self._conn.execute(insert(task_events).values(**values))

    def record_events(self, rows: Sequence[Record]) -> None:
        if rows:
            self._conn.execute(insert(task_events), list(rows))

    # -- substitutes -------------------------------------------------------------------------------------

    def insert_substitute(self, **values: Any) -> int:
        result = self._conn.execute(insert(substitutes).values(**values))
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def substitute(self, substitute_row_id: int) -> Record | None:
        row = self._conn.execute(select(substitutes).where(substitutes.c.id == substitute_row_id)).mappings().first()
        return dict(row) if row is not None else None

    def substitute_on(self, user_id: int, day: date) -> Record | None:
        """The officer standing in for ``user_id`` on that day (the latest arrangement wins)."""
        query = (
            select(substitutes)
            .where(
                substitutes.c.user_id == user_id,
                substitutes.c.revoked_at.is_(None),
                substitutes.c.from_day <= day,
                substitutes.c.to_day >= day,
            )
            .order_by(substitutes.c.id.desc())
            .limit(1)
        )
        row = self._conn.execute(query).mappings().first()
        return dict(row) if row is not None else None

    def substitutes_of_unit(self, unit_code: str, from_day: date) -> list[Record]:
        absent = users.alias("absent")
        standing_in = users.alias("standing_in")
        query = (
            select(
                substitutes,
                absent.c.full_name.label("user_name"),
                standing_in.c.full_name.label("substitute_name"),
            )
            .join(absent, absent.c.id == substitutes.c.user_id)
            .join(standing_in, standing_in.c.id == substitutes.c.substitute_id)
            .where(absent.c.unit_code == unit_code, substitutes.c.to_day >= from_day)
            .order_by(substitutes.c.from_day, substitutes.c.id)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def revoke_substitute(self, substitute_row_id: int, *, by: int, at: datetime) -> bool:
        result = self._conn.execute(
            update(substitutes)
            .where(substitutes.c.id == substitute_row_id, substitutes.c.revoked_at.is_(None))
            .values(revoked_at=at, revoked_by=by)
        )
        return result.rowcount == 1
