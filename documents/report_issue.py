"""Issuing a report as a document of no dossier's: a number from the reporting unit's gap-free sequence of
reports, a verification code and its QR, the file stored and recorded with its SHA-256 (and those of its layout
and data), and the request for its signed PDF — all in the caller's transaction, so a report that is not
recorded as produced has taken no number."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from documents import report_files
from documents.context import number_symbol
from documents.files import FileStore
from documents.issue import canonical_json, qr_png, template_sha256, verification_url
from documents.pdf_stage import pdf_request
from documents.report_files import REPORT_DOC_TYPE, IssuedMark, ReportHeading
from states.actors import Actor
from states.legal_time import VN_TZ
from states.store.repository import Record, Repository

REPORT_FORM = "hoso.bao_cao_dinh_ky"
"""The form code under which reports are recorded among the issued documents."""
_LAYOUT = Path(report_files.__file__)


@dataclass(frozen=True)
class IssuedReport:
    document_id: int
    number_symbol: str
    file_path: str
    sha256: str
    verification_code: str


def issue_report(
    repo: Repository,
    files: FileStore,
    unit: Record,
    heading: ReportHeading,
    file_path: str,
    *,
    title: str,
    issued_by: Actor,
    render: Callable[[IssuedMark], bytes],
    data: Mapping[str, Any],
    public_url: str,
    now: datetime,
) -> IssuedReport:
    """Number, render, store and record the report in ``repo``'s transaction, and ask for its signed PDF."""
    year = now.astimezone(VN_TZ).year
    number = repo.documents.next_number(str(unit["code"]), REPORT_DOC_TYPE, year)
    symbol = number_symbol(number, REPORT_DOC_TYPE, heading.agency_abbr)
    code = secrets.token_hex(10)
    address = verification_url(public_url, code)
    content = render(IssuedMark(symbol, address, qr_png(address)))
    stored = files.write(file_path, content)
    digest = hashlib.sha256(content).hexdigest()
    document_id = repo.documents.insert_document(
        dossier_id=None,
        history_seq=None,
        outbox_id=None,
        form_code=REPORT_FORM,
        title=title[:500],
        unit_code=str(unit["code"]),
        doc_type=REPORT_DOC_TYPE,
        year=year,
        number=number,
        number_symbol=symbol,
        issued_at=now,
        issued_by=issued_by.user_id,
        file_path=stored,
        sha256=digest,
        size_bytes=len(content),
        template=_LAYOUT.name,
        template_sha256=template_sha256(_LAYOUT),
        data_sha256=hashlib.sha256(canonical_json(data)).hexdigest(),
        verification_code=code,
    )
    repo.insert_outbox([pdf_request(document_id, None, None, now)])
    return IssuedReport(document_id, symbol, stored, digest, code)
