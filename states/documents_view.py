"""Issued documents as officers and the public see them: a dossier's documents (within jurisdiction), one
document's file (only if it is still the file that was issued), and the check of a file or a verification code.

The file store belongs to the documents layer: callers pass the function that reads a stored file by the
name the ``documents`` row records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from states.actors import Actor
from states.engine import require_dossier_id
from states.errors import ConflictError, NotFoundError, PermissionDeniedError, dossier_not_found
from states.permissions import require_sight
from states.redaction import is_minors_case, redaction_rules
from states.regimes import RegimeTable
from states.store.database import Database
from states.store.repository import Record, Repository

ReadStored = Callable[[str], bytes]
"""Reads a stored document file by its recorded relative name (``FileStore.read``)."""

NO_SIGNATURE_IN_DOCX = "Tệp .docx không mang chữ ký số; bản PDF của văn bản mới mang chữ ký số của đơn vị ban hành"
NO_PDF_YET = "Văn bản chưa có bản PDF"
UNKNOWN_FILE = "Tệp không khớp với văn bản nào do hoso ban hành: có thể đã bị sửa đổi"
STORED_ALTERED = "Tệp lưu trữ của văn bản đã bị thay đổi sau khi ban hành: không còn khớp với mã SHA-256 đã ghi"
STORED_MISSING = "Không đọc được tệp lưu trữ của văn bản"


def document_not_found(document_id: int | str) -> NotFoundError:
    """The one answer for a document that does not exist and for one whose dossier the caller may not see."""
    return NotFoundError(f"Không tìm thấy văn bản {document_id}", document_id=str(document_id))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _listed(repo: Repository, row: Record, unit_names: dict[str, str]) -> dict[str, Any]:
    code = str(row["unit_code"])
    if code not in unit_names:
        unit = repo.unit(code)
        unit_names[code] = str(unit["name"]) if unit is not None else code
    return {
        "id": row["id"],
        "form_code": row["form_code"],
        "title": row["title"],
        "number_symbol": row["number_symbol"],
        "issued_at": row["issued_at"].isoformat(),
        "unit": code,
        "unit_name": unit_names[code],
        "sha256": row["sha256"],
        "size": row["size_bytes"],
        "verification_code": row["verification_code"],
        "history_seq": row["history_seq"],
        "pdf_status": row["pdf_status"],
        "pdf_note": row["pdf_note"],
        "pdf_sha256": row["pdf_sha256"],
        "pdf_size": row["pdf_size_bytes"],
        "signer_subject": row["signer_subject"],
    }


def visible_dossier(repo: Repository, regimes: RegimeTable, actor: Actor, dossier_id: str) -> Record:
    """The dossier, for an officer who may see it; outside the officer's jurisdiction it answers exactly as an
    unknown one."""
    dossier = repo.dossier(require_dossier_id(dossier_id))
    if dossier is None:
        raise dossier_not_found(dossier_id)
    require_sight(regimes, actor, dossier)
    return dossier


def dossier_documents(repo: Repository, regimes: RegimeTable, actor: Actor, dossier_id: str) -> list[dict[str, Any]]:
    """The documents issued for a dossier, oldest first; a dossier outside the officer's jurisdiction answers
    exactly as an unknown one."""
    dossier = visible_dossier(repo, regimes, actor, dossier_id)
    names: dict[str, str] = {}
    return [_listed(repo, row, names) for row in repo.documents.documents_of(dossier["id"])]


@dataclass(frozen=True)
class DocumentFile:
    document: dict[str, Any]
    content: bytes


def _stored(read: ReadStored, row: Record, *, pdf: bool = False) -> bytes | None:
    path = row["pdf_path"] if pdf else row["file_path"]
    if path is None:
        return None
    try:
        return read(str(path))
    except (OSError, ValueError):
        return None


def document_file(
    repo: Repository,
    regimes: RegimeTable,
    actor: Actor,
    document_id: int,
    read: ReadStored,
    *,
    today: date,
    pdf: bool = False,
) -> DocumentFile:
    """The stored file (.docx, or its signed PDF) of a document, for an officer who may see its dossier, and only
    if its bytes still hash to the recorded SHA-256: an altered or missing file is refused, never handed out."""
    row = repo.documents.document(document_id)
    if row is None:
        raise document_not_found(document_id)
    dossier = repo.dossier(str(row["dossier_id"]))
    if dossier is None:
        raise document_not_found(document_id)
    try:
        require_sight(regimes, actor, dossier)
    except NotFoundError:
        raise document_not_found(document_id) from None
    _require_not_withheld(repo, actor, row, dossier, today)
    if pdf and row["pdf_path"] is None:
        note = f"{NO_PDF_YET}: {row['pdf_note']}" if row["pdf_note"] else f"{NO_PDF_YET} (đang chờ chuyển đổi)"
        raise ConflictError(note, document_id=document_id, pdf_status=row["pdf_status"])
    content = _stored(read, row, pdf=pdf)
    if content is None:
        raise ConflictError(STORED_MISSING, document_id=document_id)
    if sha256_of(content) != (row["pdf_sha256"] if pdf else row["sha256"]):
        raise ConflictError(STORED_ALTERED, document_id=document_id)
    return DocumentFile(_listed(repo, row, {}), content)


def hides_identity_in(repo: Repository, actor: Actor, dossier: Record, today: date) -> bool:
    """Whether the officer reads the person of this dossier as initials only (a minor's case, a role not acting)."""
    person = repo.person(dossier["person_id"])
    minor = is_minors_case([dossier["procedure_code"]], person["date_of_birth"], today)
    return redaction_rules().hides_identity(actor.role, minor)


def _require_not_withheld(repo: Repository, actor: Actor, row: Record, dossier: Record, today: date) -> None:
    """A signed file cannot be redacted: one holding data the officer's role may not read is not handed out."""
    person = repo.person(dossier["person_id"])
    minor = is_minors_case([dossier["procedure_code"]], person["date_of_birth"], today)
    withheld = redaction_rules().withheld_document(actor.role, str(row["form_code"]), minor)
    if withheld:
        raise PermissionDeniedError(
            f"Văn bản này chứa {' và '.join(c.title_vi for c in withheld)}: vai trò của cán bộ không được xem tệp "
            f"văn bản ({'; '.join(c.basis for c in withheld)}). Các thông tin khác của hồ sơ vẫn xem được",
            document_id=int(row["id"]),
        )


def _public(repo: Repository, row: Record) -> dict[str, Any]:
    """What anyone holding the document may learn of it: no person, no dossier."""
    unit = repo.unit(str(row["unit_code"]))
    return {
        "form_code": row["form_code"],
        "title": row["title"],
        "number_symbol": row["number_symbol"],
        "unit_name": str(unit["name"]) if unit is not None else str(row["unit_code"]),
        "issued_at": row["issued_at"].isoformat(),
    }


def _not_issued() -> dict[str, Any]:
    return {
        "valid": False,
        "reason": UNKNOWN_FILE,
        "stored_intact": None,
        "document": None,
        "signature": None,
        "signature_note": "",
        "stored_pdf": None,
    }


def _answer(repo: Repository, row: Record, read: ReadStored) -> dict[str, Any]:
    """The answer about an issued document: valid while its stored file still hashes to the recorded value.
    ``stored_pdf`` carries the stored signed PDF (when intact) for the documents layer to check its signature."""
    stored = _stored(read, row)
    intact = stored is not None and sha256_of(stored) == row["sha256"]
    pdf = _stored(read, row, pdf=True)
    pdf_intact = pdf is not None and sha256_of(pdf) == row["pdf_sha256"]
    if row["pdf_path"] is None:
        note = f"{NO_PDF_YET}: {row['pdf_note']}" if row["pdf_note"] else f"{NO_PDF_YET} (đang chờ chuyển đổi)"
    else:
        note = row["pdf_note"] or ""
    return {
        "valid": intact and (row["pdf_path"] is None or pdf_intact),
        "reason": None if intact else (STORED_ALTERED if stored is not None else STORED_MISSING),
        "stored_intact": intact and (row["pdf_path"] is None or pdf_intact),
        "document": _public(repo, row),
        "signature": None,
        "signature_note": note,
        "stored_pdf": pdf if pdf_intact else None,
    }


def verify_code(db: Database, code: str, read: ReadStored) -> dict[str, Any]:
    """The check a QR code points to: the document the code names, valid while its stored file is intact."""
    with db.reading() as repo:
        row = repo.documents.by_verification_code(code)
        if row is None:
            raise NotFoundError("Không có văn bản nào mang mã xác minh này", code=code)
        return _answer(repo, row, read)


def verify_bytes(db: Database, data: bytes, read: ReadStored) -> dict[str, Any]:
    """Whether these bytes are, unchanged, a document hoso issued (its .docx or its signed PDF): their SHA-256
    is looked up among the issued ones. A match is valid whatever became of the stored copy (reported as
    ``stored_intact``)."""
    digest = sha256_of(data)
    with db.reading() as repo:
        rows = repo.documents.by_sha256(digest)
        if not rows:
            return _not_issued()
        answer = _answer(repo, rows[0], read)
        answer["valid"], answer["reason"] = True, None
        if rows[0]["sha256"] == digest:
            answer["signature_note"] = NO_SIGNATURE_IN_DOCX
        return answer
