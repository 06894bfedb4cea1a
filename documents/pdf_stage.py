"""The signed PDF of each issued document: converted with LibreOffice and signed (PAdES) with the issuing
unit's key, after the document was issued (its outbox row ``document_pdf`` is written with it).

Conversion is slow next to issuance (a LibreOffice start per batch), so it runs as its own stage: a batch of
claimed requests is converted in one LibreOffice call, each PDF signed, stored write-once and recorded with its
request's ``done`` mark in one transaction. Where no converter is installed the document stays .docx only and
records why (``unavailable``); a unit without a key gets an unsigned PDF that says so (``unsigned``).
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509

from documents.files import FileStore
from documents.pdf import PdfConversionError, PdfConverter
from documents.requests import claim_requests, reason_of, retry_later
from documents.signing import PdfSigningError, Pkcs11Config, check_pdf, load_trust_roots, sign_pdf, signer_for_unit
from states.store.database import Database
from states.store.repository import Record, Repository

PDF_KIND = "document_pdf"
NO_KEY = "Đơn vị ban hành chưa có khóa ký số: bản PDF chưa được ký"


@dataclass(frozen=True)
class SigningSetup:
    """Where the units' keys are: a directory of ``<unit code>.key.pem`` / ``.cert.pem`` (or ``.p12``), and/or a
    PKCS#11 token; and the certificates a signature must chain to."""

    keys_dir: Path | None = None
    pkcs11: Pkcs11Config | None = None
    passphrase: bytes | None = None
    trust_roots: tuple[Path, ...] = ()

    def roots(self) -> list[x509.Certificate]:
        return load_trust_roots([path for path in self.trust_roots if path.is_file()])


@dataclass(frozen=True)
class PdfOutcome:
    outbox_id: int
    document_id: int | None
    outcome: str
    """``signed``, ``unsigned``, ``unavailable``, ``skipped`` (done before) or ``retry``."""
    detail: str


def pdf_request(document_id: int, dossier_id: str | None, history_seq: int | None, now: datetime) -> Record:
    """The outbox row asking for a document's signed PDF, written in the transaction that issues it (a document
    of no dossier's, such as a periodic report, has no step)."""
    origin = f"{dossier_id}:{history_seq}" if dossier_id is not None else "report"
    return {
        "dossier_id": dossier_id,
        "history_seq": history_seq,
        "kind": PDF_KIND,
        "name": str(document_id),
        "payload": {"document_id": document_id},
        "idempotency_key": f"{origin}:{PDF_KIND}:{document_id}",
        "status": "pending",
        "attempts": 0,
        "created_at": now,
    }


@dataclass
class PdfFinisher:
    db: Database
    files: FileStore
    converter: PdfConverter
    signing: SigningSetup

    def finish_claimed(self, outbox_ids: Sequence[int], now: datetime, *, retry_seconds: int) -> list[PdfOutcome]:
        with self.db.reading() as repo:
            work = [(outbox_id, self._document(repo, outbox_id)) for outbox_id in outbox_ids]
        outcomes = [PdfOutcome(oid, None, "skipped", "Đã xử lý") for oid, row in work if row is None]
        waiting = [(oid, row) for oid, row in work if row is not None]
        if not waiting:
            return outcomes
        if not self.converter.available():
            note = self.converter.unavailable_reason_vi()
            return outcomes + [self._record(oid, row, now, status="unavailable", note=note) for oid, row in waiting]
        try:
            pdfs = self._convert([row for _, row in waiting])
        except (PdfConversionError, OSError) as error:
            return outcomes + [self._later(oid, row, now, reason_of(error), retry_seconds) for oid, row in waiting]
        for outbox_id, row in waiting:
            try:
                outcomes.append(self._sign_and_store(outbox_id, row, pdfs[row["id"]], now))
            except (PdfSigningError, OSError, ValueError) as error:
                outcomes.append(self._later(outbox_id, row, now, reason_of(error), retry_seconds))
        return outcomes

    def _document(self, repo: Repository, outbox_id: int) -> Record | None:
        item = repo.outbox_item(outbox_id)
        if item is None or item["kind"] != PDF_KIND or item["status"] != "pending":
            return None
        return repo.documents.document(int(item["payload"]["document_id"]))

    def _convert(self, rows: list[Record]) -> dict[int, bytes]:
        with tempfile.TemporaryDirectory(prefix="hoso-pdf-") as scratch:
            folder = Path(scratch)
            sources = {}
            for row in rows:
                source = folder / f"{row['id']}.docx"
                source.write_bytes(self.files.read(str(row["file_path"])))
                sources[source] = int(row["id"])
            converted = self.converter.convert_many(list(sources), folder / "pdf")
            return {sources[source]: target.read_bytes() for source, target in converted.items()}

    def _sign_and_store(self, outbox_id: int, row: Record, pdf: bytes, now: datetime) -> PdfOutcome:
        signer = signer_for_unit(
            str(row["unit_code"]), self.signing.keys_dir, self.signing.pkcs11, self.signing.passphrase
        )
        status, note, subject, signed_at = "unsigned", NO_KEY, None, None
        if signer is not None:
            pdf = sign_pdf(
                pdf,
                signer,
                reason=f"Ban hành văn bản {row['number_symbol'] or row['title']}",
                location="Việt Nam",
            )
            check = check_pdf(pdf, self.signing.roots())
            status, note, subject, signed_at = "signed", check.detail_vi, check.signer_subject, check.signed_at
        # A new name per attempt: a crash after writing leaves an orphan file, never a name the retry cannot use.
        docx = Path(str(row["file_path"]))
        path = self.files.write(str(docx.with_name(f"{docx.stem}-{secrets.token_hex(4)}.pdf")), pdf)
        return self._record(
            outbox_id,
            row,
            now,
            status=status,
            note=note,
            path=path,
            sha256=hashlib.sha256(pdf).hexdigest(),
            size_bytes=len(pdf),
            signer_subject=subject,
            signed_at=signed_at,
        )

    def _record(
        self,
        outbox_id: int,
        row: Record,
        now: datetime,
        *,
        status: str,
        note: str,
        path: str | None = None,
        sha256: str | None = None,
        size_bytes: int | None = None,
        signer_subject: str | None = None,
        signed_at: datetime | None = None,
    ) -> PdfOutcome:
        with self.db.transaction() as repo:
            recorded = repo.documents.record_pdf(
                int(row["id"]),
                status=status,
                note=note,
                path=path,
                sha256=sha256,
                size_bytes=size_bytes,
                signer_subject=signer_subject,
                signed_at=signed_at,
            )
            repo.finish_outbox(outbox_id, status="done", at=now)
        return PdfOutcome(outbox_id, int(row["id"]), status if recorded else "skipped", note)

    def _later(self, outbox_id: int, row: Record, now: datetime, reason: str, retry_seconds: int) -> PdfOutcome:
        retry_later(self.db, outbox_id, reason, now, retry_seconds)
        return PdfOutcome(outbox_id, int(row["id"]), "retry", reason)


def claim_pdf_requests(db: Database, *, worker: str, now: datetime, lease_seconds: int, limit: int) -> list[int]:
    return claim_requests(db, PDF_KIND, worker=worker, now=now, lease_seconds=lease_seconds, limit=limit)


def pdf_batch(
    finisher: PdfFinisher, *, worker: str, now: datetime, batch_size: int, lease_seconds: int, retry_seconds: int
) -> list[PdfOutcome]:
    """Claim up to ``batch_size`` PDF requests under a lease, convert them in one call and sign each."""
    claimed = claim_pdf_requests(finisher.db, worker=worker, now=now, lease_seconds=lease_seconds, limit=batch_size)
    return finisher.finish_claimed(claimed, now, retry_seconds=retry_seconds) if claimed else []
