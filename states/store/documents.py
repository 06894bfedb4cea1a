"""Queries of issued documents and of their numbering."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from states.store.tables import document_counters, documents, dossiers, history, outbox, persons, units, users

Record = dict[str, Any]


@dataclass(frozen=True)
class DocumentRequest:
    """An outbox ``document`` row with everything issuing it reads first, fetched in one query."""

    item: Record
    dossier: Record
    step: Record
    person: Record
    actor_unit: Record | None
    actor_name: str | None
    earlier: Record | None
    """The document already issued for this request (``id``, ``number_symbol``), if any."""


_REQUEST_PARTS: dict[str, Table] = {
    "item": outbox,
    "dossier": dossiers,
    "step": history,
    "person": persons,
    "unit": units,
}


class DocumentStore:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def next_number(self, unit_code: str, doc_type: str, year: int) -> int:
        """The next number of the unit's documents of this kind this year. The counter row stays locked until
        the transaction ends, and a rolled-back issuance rolls its number back: the sequence has no gaps."""
        key = (
            document_counters.c.unit_code == unit_code,
            document_counters.c.doc_type == doc_type,
            document_counters.c.year == year,
        )
        bump = (
            update(document_counters)
            .where(*key)
            .values(last_number=document_counters.c.last_number + 1)
            .returning(document_counters.c.last_number)
        )
        row = self._conn.execute(bump).first()
        if row is not None:
            return int(row[0])
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    insert(document_counters).values(unit_code=unit_code, doc_type=doc_type, year=year, last_number=1)
                )
            return 1
        except IntegrityError:
            # Another transaction issued the first number of the year meanwhile: take the next one after it.
            row = self._conn.execute(bump).first()
            assert row is not None
            return int(row[0])

    def insert_document(self, **values: Any) -> int:
        result = self._conn.execute(insert(documents).values(**values))
        assert result.inserted_primary_key is not None
        return int(result.inserted_primary_key[0])

    def request(self, outbox_id: int) -> DocumentRequest | None:
        """The request with its dossier, the step that asked for it, the person, the step's unit and officer,
        and the document issued for it before; None when the row is not a document request of a step."""
        columns = [
            column.label(f"{part}__{column.name}") for part, table in _REQUEST_PARTS.items() for column in table.columns
        ]
        query = (
            select(
                *columns,
                users.c.full_name.label("actor_name"),
                documents.c.id.label("earlier_id"),
                documents.c.number_symbol.label("earlier_number_symbol"),
            )
            .select_from(outbox)
            .join(dossiers, dossiers.c.id == outbox.c.dossier_id)
            .join(history, (history.c.dossier_id == outbox.c.dossier_id) & (history.c.seq == outbox.c.history_seq))
            .join(persons, persons.c.id == dossiers.c.person_id)
            .join(users, users.c.id == history.c.actor_user_id)
            .outerjoin(units, units.c.code == history.c.actor_unit)
            .outerjoin(documents, documents.c.outbox_id == outbox.c.id)
            .where(outbox.c.id == outbox_id, outbox.c.kind == "document")
        )
        row = self._conn.execute(query).mappings().first()
        if row is None:
            return None
        parts: dict[str, Record] = {part: {} for part in _REQUEST_PARTS}
        for key, value in row.items():
            part, _, name = key.partition("__")
            if name:
                parts[part][name] = value
        return DocumentRequest(
            item=parts["item"],
            dossier=parts["dossier"],
            step=parts["step"],
            person=parts["person"],
            actor_unit=parts["unit"] if parts["unit"]["code"] is not None else None,
            actor_name=row["actor_name"],
            earlier=None
            if row["earlier_id"] is None
            else {"id": row["earlier_id"], "number_symbol": row["earlier_number_symbol"]},
        )

    def document(self, document_id: int) -> Record | None:
        row = self._conn.execute(select(documents).where(documents.c.id == document_id)).mappings().first()
        return dict(row) if row is not None else None

    def documents_of(self, dossier_id: str) -> list[Record]:
        query = select(documents).where(documents.c.dossier_id == dossier_id).order_by(documents.c.id)
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def by_sha256(self, sha256: str) -> list[Record]:
        """Documents whose .docx or signed PDF has this SHA-256."""
        query = (
            select(documents)
            .where(or_(documents.c.sha256 == sha256, documents.c.pdf_sha256 == sha256))
            .order_by(documents.c.id)
        )
        return [dict(row) for row in self._conn.execute(query).mappings()]

    def record_pdf(
        self,
        document_id: int,
        *,
        status: str,
        note: str | None,
        path: str | None = None,
        sha256: str | None = None,
        size_bytes: int | None = None,
        signer_subject: str | None = None,
        signed_at: datetime | None = None,
    ) -> bool:
        """Record the PDF of a document still waiting for one; False when it has one already."""
        result = self._conn.execute(
            update(documents)
            .where(documents.c.id == document_id, documents.c.pdf_status == "pending")
            .values(
                pdf_status=status,
                pdf_note=note,
                pdf_path=path,
                pdf_sha256=sha256,
                pdf_size_bytes=size_bytes,
                signer_subject=signer_subject,
                signed_at=signed_at,
            )
        )
        return result.rowcount == 1

    def by_verification_code(self, code: str) -> Record | None:
        row = self._conn.execute(select(documents).where(documents.c.verification_code == code)).mappings().first()
        return dict(row) if row is not None else None

    def numbers(self, unit_code: str, doc_type: str, year: int) -> list[int]:
        query = (
            select(documents.c.number)
            .where(documents.c.unit_code == unit_code, documents.c.doc_type == doc_type, documents.c.year == year)
            .order_by(documents.c.number)
        )
        return [int(n) for n in self._conn.scalars(query) if n is not None]
