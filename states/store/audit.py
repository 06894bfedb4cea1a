"""Queries of the history audit: the rows in chain order for a full verification, the heads that changed since
the last checkpoint, the checkpoints themselves, and sealing rows written before seals existed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from states.store.tables import dossiers, history, history_checkpoints, reads, users

Record = dict[str, Any]
STREAM_ROWS = 5000


class AuditStore:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def history_in_chain_order(self) -> Iterator[Record]:
        """Every history row, dossier by dossier, each dossier's rows by ``seq`` (streamed)."""
        query = select(history).order_by(history.c.dossier_id, history.c.seq).execution_options(yield_per=STREAM_ROWS)
        for row in self._conn.execute(query).mappings():
            yield dict(row)

    def dossier_versions(self) -> dict[str, int]:
        return {str(row.id): int(row.version) for row in self._conn.execute(select(dossiers.c.id, dossiers.c.version))}

    def max_history_id(self) -> int:
        return int(self._conn.execute(select(func.coalesce(func.max(history.c.id), 0))).scalar_one())

    def heads_after(self, history_id: int, up_to: int) -> list[tuple[str, int, str]]:
        """(dossier, seq, hash) of the last row up to ``up_to`` of each dossier that gained rows after
        ``history_id``."""
        changed = (
            select(history.c.dossier_id, func.max(history.c.seq).label("seq"))
            .where(history.c.id <= up_to)
            .where(
                history.c.dossier_id.in_(
                    select(history.c.dossier_id).where(history.c.id > history_id, history.c.id <= up_to)
                )
            )
            .group_by(history.c.dossier_id)
            .subquery()
        )
        query = (
            select(history.c.dossier_id, history.c.seq, history.c.hash)
            .join(changed, (changed.c.dossier_id == history.c.dossier_id) & (changed.c.seq == history.c.seq))
            .order_by(history.c.dossier_id)
        )
        return [(str(row.dossier_id), int(row.seq), str(row.hash)) for row in self._conn.execute(query)]

    def checkpoints(self) -> list[Record]:
        query = select(history_checkpoints).order_by(history_checkpoints.c.id)
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def last_checkpoint(self) -> Record | None:
        query = select(history_checkpoints).order_by(history_checkpoints.c.id.desc()).limit(1)
        row = self._conn.execute(query).mappings().first()
        return dict(row) if row is not None else None

    def insert_checkpoint(self, **values: Any) -> int:
        result = self._conn.execute(insert(history_checkpoints).values(**values))
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def unsealed_dossiers(self) -> list[str]:
        query = select(history.c.dossier_id).where(history.c.seal.is_(None)).distinct()
        return [str(value) for value in self._conn.scalars(query)]

    def history_of(self, dossier_id: str) -> list[Record]:
        query = select(history).where(history.c.dossier_id == dossier_id).order_by(history.c.seq)
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def seal_rows(self, seals: Sequence[tuple[int, str, str]]) -> None:
        """Set (row id, key id, seal) on rows that have no seal yet (the only change the append-only guard of
        PostgreSQL lets through)."""
        for row_id, key_id, seal in seals:
            self._conn.execute(
                update(history).where(history.c.id == row_id, history.c.seal.is_(None)).values(key_id=key_id, seal=seal)
            )

    # -- reads ---------------------------------------------------------------------------------------------

    def insert_read(self, **values: Any) -> None:
        self._conn.execute(insert(reads).values(**values))

    def reads_of_dossier(self, dossier_id: str, limit: int = 1000) -> list[Record]:
        query = (
            select(reads, users.c.full_name)
            .join(users, users.c.id == reads.c.user_id)
            .where(reads.c.dossier_id == dossier_id)
            .order_by(reads.c.id.desc())
            .limit(limit)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]
