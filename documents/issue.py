"""Issuing the documents steps ask for (outbox ``document`` rows): numbered, rendered, stored, recorded.

Each request is issued in one transaction: the number is taken from the unit's gap-free sequence, the
.docx is rendered from the template and written to the file store, and the ``documents`` row (SHA-256 of
the file, of the template and of the data, a verification code) and the request's ``done`` mark commit
together. A request is issued once: a second run finds it done; a failed issuance rolls its number back.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Self

import segno
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, StrictUndefined, TemplateError

from documents.bodies import FormBody, form_bodies
from documents.catalogue import DocumentRules, document_rules
from documents.compose import Composer, Composition
from documents.context import number_symbol
from documents.files import FileStore
from documents.pdf_stage import pdf_request
from documents.requests import claim_requests, reason_of, retry_later
from states.errors import HosoError
from states.legal_time import VN_TZ
from states.procedures import Rulebook
from states.store.database import Database
from states.store.documents import DocumentRequest
from states.store.repository import Repository

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE = "nd30_van_ban.docx"
QR_MM = 22
QR_MASK = 2


@dataclass(frozen=True)
class IssueOutcome:
    outbox_id: int
    outcome: str
    """``issued``, ``skipped`` (issued before) or ``retry`` (could not be issued now)."""
    document_id: int | None
    number_symbol: str | None
    detail: str


@dataclass
class Issuer:
    db: Database
    rulebook: Rulebook
    files: FileStore
    rules: DocumentRules
    bodies: Mapping[str, FormBody] = field(default_factory=dict)
    templates_dir: Path = TEMPLATES_DIR
    override_dir: Path | None = None
    """Templates a province replaces without touching code: ``<override_dir>/<province code>/<form>.docx``,
    else ``<override_dir>/<form>.docx``, else the template shipped in ``documents/templates``."""
    public_url: str = "http://127.0.0.1:8000"
    """Where the QR code of each document leads (the public verification page)."""

    @classmethod
    def create(
        cls,
        db: Database,
        rulebook: Rulebook,
        documents_dir: Path,
        *,
        override_dir: Path | None = None,
        public_url: str = "http://127.0.0.1:8000",
    ) -> Self:
        return cls(
            db,
            rulebook,
            FileStore(documents_dir),
            document_rules(),
            form_bodies(),
            override_dir=override_dir,
            public_url=public_url.rstrip("/"),
        )

    @property
    def composer(self) -> Composer:
        return Composer(self.rulebook, self.rules, self.bodies)

    def issue(self, outbox_id: int, now: datetime) -> IssueOutcome:
        with self.db.transaction() as repo:
            request = repo.documents.request(outbox_id)
            if request is None or request.item["status"] != "pending":
                return IssueOutcome(outbox_id, "skipped", None, None, "Đã được xử lý")
            if request.earlier is not None:
                repo.finish_outbox(outbox_id, status="done", at=now)
                earlier = request.earlier
                return IssueOutcome(outbox_id, "skipped", earlier["id"], earlier["number_symbol"], "Đã ban hành")
            document_id, symbol = self._issue(repo, request, now)
            repo.finish_outbox(outbox_id, status="done", at=now)
        return IssueOutcome(outbox_id, "issued", document_id, symbol, "Đã ban hành")

    def preview(self, outbox_id: int) -> bytes:
        """The document a request would produce, without a number or a verification code, writing nothing."""
        with self.db.reading() as repo:
            request = self._request_of(repo, outbox_id)
            form_code = request.item["payload"]["form"]
            kind = self.rules.kind_of(self.rulebook.forms.forms[form_code].title_vi)
            issuing = self.composer.issuing_unit(repo, request, form_code)
            agency = self.rules.agency(issuing[0]["kind"])
            blank = number_symbol(None, kind.abbr, agency.abbr) if not kind.citizen else ""
            composed = self.composer.compose(repo, request, form_code, number_symbol=blank, verification_code="")
            return self._render(form_code, composed, "")[0]

    def template_path(self, form_code: str, province_code: str | None) -> Path:
        candidates = []
        if self.override_dir is not None:
            if province_code:
                candidates.append(self.override_dir / province_code / f"{form_code}.docx")
            candidates.append(self.override_dir / f"{form_code}.docx")
        candidates += [self.templates_dir / f"{form_code}.docx", self.templates_dir / TEMPLATE]
        return next(path for path in candidates if path.is_file())

    def _request_of(self, repo: Repository, outbox_id: int) -> DocumentRequest:
        request = repo.documents.request(outbox_id)
        if request is None:
            raise HosoError(f"Không có yêu cầu văn bản {outbox_id} gắn với một bước của hồ sơ")
        return request

    def _issue(self, repo: Repository, request: DocumentRequest, now: datetime) -> tuple[int, str | None]:
        item, dossier, step = request.item, request.dossier, request.step
        form_code = item["payload"]["form"]
        form = self.rulebook.forms.forms[form_code]
        issuing = self.composer.issuing_unit(repo, request, form_code)
        unit = issuing[0]
        kind = self.rules.kind_of(form.title_vi)
        agency = self.rules.agency(unit["kind"])
        issued_on = step["occurred_at"].astimezone(VN_TZ).date()
        number = None
        if not kind.citizen and kind.abbr is not None:
            number = repo.documents.next_number(unit["code"], kind.abbr, issued_on.year)
        symbol = number_symbol(number, kind.abbr, agency.abbr) if number is not None else None
        code = secrets.token_hex(10)
        composed = self.composer.compose(
            repo, request, form_code, number_symbol=symbol or "", verification_code=code, issuing=issuing
        )
        data = composed.template_data()
        rendered, template_name, template_sha = self._render(form_code, composed, code, data)
        digest = hashlib.sha256(rendered).hexdigest()
        relative = self.files.write(f"{issued_on.year}/{unit['code']}/{form_code}-{code}.docx", rendered)
        document_id = repo.documents.insert_document(
            dossier_id=dossier["id"],
            history_seq=step["seq"],
            outbox_id=item["id"],
            form_code=form_code,
            title=form.title_vi,
            unit_code=unit["code"],
            doc_type=kind.abbr,
            year=issued_on.year,
            number=number,
            number_symbol=symbol,
            issued_at=now,
            issued_by=step["actor_user_id"],
            file_path=relative,
            sha256=digest,
            size_bytes=len(rendered),
            template=template_name,
            template_sha256=template_sha,
            data_sha256=hashlib.sha256(canonical_json(data)).hexdigest(),
            verification_code=code,
        )
        repo.insert_outbox([pdf_request(document_id, dossier["id"], step["seq"], now)])
        return document_id, symbol

    def verification_url(self, code: str) -> str:
        return verification_url(self.public_url, code)

    def _render(
        self, form_code: str, composed: Composition, code: str, data: dict[str, Any] | None = None
    ) -> tuple[bytes, str, str]:
        path = self.template_path(form_code, composed.unit.get("province_code"))
        template = DocxTemplate(str(path))
        data = dict(data) if data is not None else composed.template_data()
        if code:
            data["qr"] = InlineImage(template, io.BytesIO(qr_png(self.verification_url(code))), width=Mm(QR_MM))
        template.render(data, jinja_env=Environment(undefined=StrictUndefined, autoescape=True))
        output = io.BytesIO()
        template.save(output)
        return output.getvalue(), _template_name(path, self.templates_dir), template_sha256(path)


def verification_url(public_url: str, code: str) -> str:
    """The public page a document's QR code leads to."""
    return f"{public_url.rstrip('/')}/api/v1/documents/verify/{code}"


def template_sha256(path: Path) -> str:
    """The SHA-256 of a template file, read again only when the file changed (a clerk replaced it)."""
    status = path.stat()
    return _file_sha256(path, status.st_mtime_ns, status.st_size)


@lru_cache(maxsize=512)
def _file_sha256(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def qr_png(content: str) -> bytes:
    """The QR code of a verification address, black on white, error correction M."""
    output = io.BytesIO()
    # Every mask pattern gives a valid code; scoring all eight to pick one costs twice the rest of the encoding,
    # and the addresses differ only in their last 20 characters, so one fixed mask serves them all.
    segno.make(content, error="m", micro=False, mask=QR_MASK).save(output, kind="png", scale=4, border=2)
    return output.getvalue()


def _template_name(path: Path, shipped: Path) -> str:
    """``nd105.m03.docx`` for a shipped template; the path for a province's replacement, so that the record
    says which file was used."""
    return path.name if path.parent == shipped else str(path)


def canonical_json(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def pending_requests(db: Database, *, worker: str, now: datetime, lease_seconds: int, limit: int) -> list[int]:
    """Claim a batch of document requests for this worker (the outbox claim, with its lease)."""
    return claim_requests(db, "document", worker=worker, now=now, lease_seconds=lease_seconds, limit=limit)


def issue_claimed(issuer: Issuer, outbox_ids: list[int], now: datetime, *, retry_seconds: int) -> list[IssueOutcome]:
    """Issue each claimed request in its own transaction; one that fails waits (with the reason) and is tried
    again after ``retry_seconds``, doubled per attempt, while the others go on."""
    outcomes = []
    for outbox_id in outbox_ids:
        try:
            outcomes.append(issuer.issue(outbox_id, now))
        except (HosoError, OSError, ValueError, TemplateError, KeyError, TypeError, AttributeError) as error:
            # A form whose wording breaks on this dossier's data waits with the reason; the others go on.
            retry_later(issuer.db, outbox_id, reason_of(error), now, retry_seconds)
            outcomes.append(IssueOutcome(outbox_id, "retry", None, None, reason_of(error)))
    return outcomes


def issue_batch(issuer: Issuer, *, worker: str, now: datetime, batch_size: int) -> list[IssueOutcome]:
    """Claim up to ``batch_size`` document requests under the policy's lease and issue each."""
    policy = issuer.rulebook.alerts.delivery
    claimed = pending_requests(issuer.db, worker=worker, now=now, lease_seconds=policy.lease_seconds, limit=batch_size)
    return issue_claimed(issuer, claimed, now, retry_seconds=policy.retry_seconds)
