"""Claiming work from the queues (outbox rows, notice deliveries) so that two workers never take the same row
and a worker that dies lets go of what it held.

A claim stamps the rows with the worker's name and a lease end in one statement; on PostgreSQL the rows are
picked with ``FOR UPDATE SKIP LOCKED`` so concurrent claimers pass each other by instead of waiting; SQLite
takes its write lock for the whole claim (``BEGIN IMMEDIATE``), which serialises claimers. A row whose lease
ran out (its worker was killed) is claimable again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, or_, select, update

from states.store.tables import notice_deliveries, notices, outbox

Record = dict[str, Any]


def _skip_locked(conn: Connection, query: Select[Any]) -> Select[Any]:
    return query.with_for_update(skip_locked=True) if conn.dialect.name == "postgresql" else query


class QueueStore:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    # -- outbox ----------------------------------------------------------------------------------------

    def claim_outbox(
        self, kinds: Sequence[str], *, now: datetime, worker: str, lease_until: datetime, limit: int
    ) -> list[int]:
        query = _skip_locked(
            self._conn,
            select(outbox.c.id)
            .where(
                outbox.c.status == "pending",
                outbox.c.kind.in_(tuple(kinds)),
                or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now),
                or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
            )
            .order_by(outbox.c.id)
            .limit(limit),
        )
        ids = [int(row) for row in self._conn.scalars(query)]
        if ids:
            self._conn.execute(
                update(outbox).where(outbox.c.id.in_(ids)).values(claimed_by=worker, lease_until=lease_until)
            )
        return ids

    def retry_outbox_later(self, outbox_id: int, *, error: str, next_attempt_at: datetime) -> None:
        self._conn.execute(
            update(outbox)
            .where(outbox.c.id == outbox_id, outbox.c.status == "pending")
            .values(
                last_error=error,
                attempts=outbox.c.attempts + 1,
                next_attempt_at=next_attempt_at,
                claimed_by=None,
                lease_until=None,
            )
        )

    # -- deliveries ------------------------------------------------------------------------------------

    def insert_deliveries(self, rows: Sequence[Record]) -> None:
        if rows:
            self._conn.execute(notice_deliveries.insert(), list(rows))

    def claim_deliveries(self, *, now: datetime, worker: str, lease_until: datetime, limit: int) -> list[Record]:
        """Due deliveries for this worker, with the notice they carry."""
        query = _skip_locked(
            self._conn,
            select(notice_deliveries.c.id)
            .where(
                notice_deliveries.c.status == "pending",
                notice_deliveries.c.next_attempt_at <= now,
                or_(notice_deliveries.c.lease_until.is_(None), notice_deliveries.c.lease_until < now),
            )
            .order_by(notice_deliveries.c.next_attempt_at, notice_deliveries.c.id)
            .limit(limit),
        )
        ids = [int(row) for row in self._conn.scalars(query)]
        if not ids:
            return []
        self._conn.execute(
            update(notice_deliveries)
            .where(notice_deliveries.c.id.in_(ids))
            .values(claimed_by=worker, lease_until=lease_until)
        )
        rows = self._conn.execute(
            select(
                notice_deliveries,
                notices.c.title,
                notices.c.kind.label("notice_kind"),
                notices.c.unit_code,
                notices.c.ack_due_at,
            )
            .join(notices, notices.c.id == notice_deliveries.c.notice_id)
            .where(notice_deliveries.c.id.in_(ids))
            .order_by(notice_deliveries.c.id)
        ).mappings()
        return [dict(row) for row in rows]

    def finish_delivery(self, delivery_id: int, *, worker: str, at: datetime) -> bool:
        """Record a send the channel accepted; False when the row was no longer pending (already recorded)."""
        result = self._conn.execute(
            update(notice_deliveries)
            .where(notice_deliveries.c.id == delivery_id, notice_deliveries.c.status == "pending")
            .values(
                status="sent",
                sent_at=at,
                delivered_at=at,
                attempts=notice_deliveries.c.attempts + 1,
                claimed_by=worker,
                lease_until=None,
                last_error=None,
            )
        )
        return result.rowcount == 1

    def fail_delivery(self, delivery_id: int, *, error: str, next_attempt_at: datetime | None, at: datetime) -> None:
        """Record a refused send: retried at ``next_attempt_at``, or given up (``failed``) when None."""
        values: dict[str, Any] = {
            "attempts": notice_deliveries.c.attempts + 1,
            "last_error": error[:2000],
            "claimed_by": None,
            "lease_until": None,
        }
        if next_attempt_at is None:
            values.update(status="failed", sent_at=None)
        else:
            values["next_attempt_at"] = next_attempt_at
        self._conn.execute(
            update(notice_deliveries)
            .where(and_(notice_deliveries.c.id == delivery_id, notice_deliveries.c.status == "pending"))
            .values(**values)
        )

    def deliveries(self, notice_ids: Sequence[int]) -> list[Record]:
        if not notice_ids:
            return []
        query = (
            select(notice_deliveries)
            .where(notice_deliveries.c.notice_id.in_(tuple(notice_ids)))
            .order_by(notice_deliveries.c.id)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def pending_work(self) -> tuple[bool, bool]:
        """Whether any outbox row the drain handles, and any delivery, is still waiting (claimed or not)."""
        waiting_outbox = select(outbox.c.id).where(
            outbox.c.status == "pending", outbox.c.kind.in_(("start_procedure", "notice", "handoff"))
        )
        waiting_delivery = select(notice_deliveries.c.id).where(notice_deliveries.c.status == "pending")
        return (
            self._conn.execute(waiting_outbox.limit(1)).first() is not None,
            self._conn.execute(waiting_delivery.limit(1)).first() is not None,
        )
