"""The answer to "is this a document hoso issued, unaltered, signed by its unit?": the stored record (states)
and the signature of the PDF, checked against the trusted certificates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptography import x509

from documents.signing import SignatureCheck, check_pdf
from states.documents_view import ReadStored, verify_bytes, verify_code
from states.store.database import Database

PDF_MAGIC = b"%PDF-"


def signature_answer(check: SignatureCheck) -> dict[str, Any]:
    return {
        "signed": check.signed,
        "intact": check.intact,
        "trusted": check.trusted,
        "valid": check.valid,
        "signer": check.signer_subject,
        "signer_unit_code": check.signer_unit_code,
        "signed_at": check.signed_at.isoformat() if check.signed_at else None,
        "detail": check.detail_vi,
    }


def verify_file(db: Database, data: bytes, read: ReadStored, roots: Sequence[x509.Certificate]) -> dict[str, Any]:
    """An uploaded file: known by its SHA-256 and, for a PDF, carrying a valid signature by a trusted key. A
    PDF re-signed with another key matches no issued document and reports whose signature it carries."""
    answer = verify_bytes(db, data, read)
    answer.pop("stored_pdf", None)
    if data.startswith(PDF_MAGIC):
        check = check_pdf(data, roots)
        answer["signature"] = signature_answer(check)
        answer["signature_note"] = check.detail_vi
        if answer["valid"] and not check.valid:
            answer["valid"], answer["reason"] = False, check.detail_vi
    return answer


def verify_stored(db: Database, code: str, read: ReadStored, roots: Sequence[x509.Certificate]) -> dict[str, Any]:
    """The document a QR code names: its stored files intact and its stored PDF's signature valid."""
    answer = verify_code(db, code, read)
    pdf = answer.pop("stored_pdf", None)
    if pdf is not None:
        check = check_pdf(pdf, roots)
        answer["signature"] = signature_answer(check)
        answer["signature_note"] = check.detail_vi
        if answer["valid"] and check.signed and not check.valid:
            answer["valid"], answer["reason"] = False, check.detail_vi
    return answer
