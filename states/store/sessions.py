"""Queries of login sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from states.store.tables import sessions

Record = dict[str, Any]


class SessionStore:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def insert(self, **values: Any) -> None:
        self._conn.execute(insert(sessions).values(**values))

    def get(self, session_id: str) -> Record | None:
        row = self._conn.execute(select(sessions).where(sessions.c.id == session_id)).mappings().first()
        return dict(row) if row is not None else None

    def rotate(self, session_id: str, *, old_hash: str, new_hash: str, at: datetime) -> bool:
        """Replace the refresh token's hash if it is still ``old_hash`` (one of two racing refreshes wins)."""
        result = self._conn.execute(
            update(sessions)
            .where(sessions.c.id == session_id, sessions.c.refresh_hash == old_hash, sessions.c.revoked_at.is_(None))
            .values(refresh_hash=new_hash, refreshed_at=at)
        )
        return result.rowcount == 1

    def revoke(self, session_id: str, *, at: datetime, reason: str) -> None:
        self._conn.execute(
            update(sessions)
            .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
            .values(revoked_at=at, revoked_reason=reason)
        )

    def revoke_all_of(self, user_id: int, *, at: datetime, reason: str) -> int:
        result = self._conn.execute(
            update(sessions)
            .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
            .values(revoked_at=at, revoked_reason=reason)
        )
        return int(result.rowcount)
