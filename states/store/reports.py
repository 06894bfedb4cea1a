"""Periodic reports: one row per schedule, province and period, claimed by one worker at a time, produced once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from states.store.tables import documents, periodic_reports

Record = dict[str, Any]
_ISSUED = (
    documents.c.number_symbol,
    documents.c.verification_code,
    documents.c.pdf_status,
    documents.c.pdf_note,
    documents.c.pdf_path,
    documents.c.pdf_sha256,
    documents.c.signer_subject,
)
"""What a report's document adds to it: its number, verification code and signed PDF."""


def _with_document() -> Any:
    return select(periodic_reports, *_ISSUED).outerjoin(documents, documents.c.id == periodic_reports.c.document_id)


class ReportStore:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def ensure(self, rows: Sequence[Record]) -> None:
        """Rows for the planned reports not yet known (a report is planned once however often the flow runs)."""
        if not rows:
            return
        table = periodic_reports.c
        known = {
            (r.schedule, r.province_code, r.period)
            for r in self._conn.execute(
                select(table.schedule, table.province_code, table.period).where(
                    table.period.in_(sorted({row["period"] for row in rows}))
                )
            )
        }
        missing = [row for row in rows if (row["schedule"], row["province_code"], row["period"]) not in known]
        if missing:
            self._conn.execute(insert(periodic_reports), missing)

    def claim(self, now: datetime, worker: str, lease_until: datetime, limit: int) -> list[Record]:
        """Reports not yet produced whose retry time has come and that no other worker holds."""
        table = periodic_reports.c
        ready = and_(
            table.status != "produced",
            or_(table.next_attempt_at.is_(None), table.next_attempt_at <= now),
            or_(table.lease_until.is_(None), table.lease_until < now),
        )
        candidates = self._conn.execute(select(table.id).where(ready).order_by(table.due_at, table.id).limit(limit))
        claimed = []
        for report_id in candidates.scalars():
            taken = self._conn.execute(
                update(periodic_reports)
                .where(table.id == report_id, ready)
                .values(claimed_by=worker, lease_until=lease_until)
            )
            if taken.rowcount == 1:
                claimed.append(int(report_id))
        if not claimed:
            return []
        return [dict(r) for r in self._conn.execute(select(periodic_reports).where(table.id.in_(claimed))).mappings()]

    def mark_produced(self, report_id: int, **values: Any) -> None:
        self._conn.execute(
            update(periodic_reports)
            .where(periodic_reports.c.id == report_id)
            .values(
                status="produced", claimed_by=None, lease_until=None, last_error=None, next_attempt_at=None, **values
            )
        )

    def mark_failed(self, report_id: int, error: str, attempts: int, next_attempt_at: datetime) -> None:
        self._conn.execute(
            update(periodic_reports)
            .where(periodic_reports.c.id == report_id)
            .values(
                status="failed",
                attempts=attempts,
                last_error=error[:2000],
                next_attempt_at=next_attempt_at,
                claimed_by=None,
                lease_until=None,
            )
        )

    def of_province(self, province_code: str, year: int | None) -> list[Record]:
        table = periodic_reports.c
        query = _with_document().where(table.province_code == province_code)
        if year is not None:
            query = query.where(table.period.like(f"{year}%"))
        return [dict(r) for r in self._conn.execute(query.order_by(table.due_at.desc(), table.schedule)).mappings()]

    def report(self, report_id: int) -> Record | None:
        row = self._conn.execute(_with_document().where(periodic_reports.c.id == report_id)).mappings().first()
        return dict(row) if row is not None else None
