"""Imported plan targets: versioned sets per layout, province and year, and their values per unit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select

from states.store.tables import target_sets, targets, users

Record = dict[str, Any]


class TargetStore:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def next_version(self, layout: str, province_code: str, year: int) -> int:
        query = select(func.max(target_sets.c.version)).where(
            target_sets.c.layout == layout, target_sets.c.province_code == province_code, target_sets.c.year == year
        )
        return int(self._conn.execute(query).scalar_one() or 0) + 1

    def insert_set(self, **values: Any) -> int:
        result = self._conn.execute(insert(target_sets).values(**values).returning(target_sets.c.id))
        return int(result.scalar_one())

    def insert_values(self, rows: Sequence[Record]) -> None:
        if rows:
            self._conn.execute(insert(targets), [{**row, "value": str(row["value"])} for row in rows])

    def sets(self, province_code: str, year: int | None = None) -> list[Record]:
        """Every imported version for the province, newest first, with who imported it."""
        query = (
            select(
                target_sets, users.c.username.label("imported_by_username"), users.c.full_name.label("imported_by_name")
            )
            .join(users, users.c.id == target_sets.c.imported_by)
            .where(target_sets.c.province_code == province_code)
            .order_by(target_sets.c.year.desc(), target_sets.c.layout, target_sets.c.version.desc())
        )
        if year is not None:
            query = query.where(target_sets.c.year == year)
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def values(self, set_id: int) -> list[Record]:
        query = select(targets).where(targets.c.set_id == set_id).order_by(targets.c.unit_code, targets.c.column_key)
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def current_set(self, layout: str, province_code: str, year: int) -> Record | None:
        query = (
            select(target_sets)
            .where(
                target_sets.c.layout == layout, target_sets.c.province_code == province_code, target_sets.c.year == year
            )
            .order_by(target_sets.c.version.desc())
            .limit(1)
        )
        row = self._conn.execute(query).mappings().first()
        return dict(row) if row is not None else None

    def set_by_id(self, set_id: int) -> Record | None:
        query = (
            select(target_sets, users.c.full_name.label("imported_by_name"))
            .join(users, users.c.id == target_sets.c.imported_by)
            .where(target_sets.c.id == set_id)
        )
        row = self._conn.execute(query).mappings().first()
        return dict(row) if row is not None else None
