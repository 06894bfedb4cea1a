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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined

from documents.catalogue import DocumentRules, document_rules
from documents.context import DocumentContext, number_symbol, vietnamese_date_parts
from documents.files import FileStore
from states.definitions import PayloadField, ProcedureDefinition
from states.errors import HosoError
from states.legal_time import VN_TZ
from states.places import commune, province_name
from states.procedures import Rulebook
from states.store.database import Database
from states.store.repository import Record, Repository

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE = "nd30_van_ban.docx"


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
    templates_dir: Path = TEMPLATES_DIR

    @classmethod
    def create(cls, db: Database, rulebook: Rulebook, documents_dir: Path) -> Issuer:
        return cls(db, rulebook, FileStore(documents_dir), document_rules())

    def issue(self, outbox_id: int, now: datetime) -> IssueOutcome:
        with self.db.transaction() as repo:
            item = repo.outbox_item(outbox_id)
            if item is None or item["kind"] != "document" or item["status"] != "pending":
                return IssueOutcome(outbox_id, "skipped", None, None, "Đã được xử lý")
            earlier = repo.documents.document_for_request(outbox_id)
            if earlier is not None:
                repo.finish_outbox(outbox_id, status="done", at=now)
                return IssueOutcome(outbox_id, "skipped", earlier["id"], earlier["number_symbol"], "Đã ban hành")
            document_id, symbol = self._issue(repo, item, now)
            repo.finish_outbox(outbox_id, status="done", at=now)
        return IssueOutcome(outbox_id, "issued", document_id, symbol, "Đã ban hành")

    def _issue(self, repo: Repository, item: Record, now: datetime) -> tuple[int, str | None]:
        dossier = repo.dossier(item["dossier_id"])
        step = repo.alerts.history_row(item["dossier_id"], item["history_seq"])
        if dossier is None or step is None:
            raise HosoError(f"Yêu cầu văn bản {item['id']} không gắn với bước nào của hồ sơ")
        unit = repo.unit(step["actor_unit"])
        assert unit is not None
        form_code = item["payload"]["form"]
        form = self.rulebook.forms.forms[form_code]
        definition = self.rulebook.pinned(dossier["procedure_code"], dossier["procedure_version"]).definition
        kind = self.rules.kind_of(form.title_vi)
        agency = self.rules.agency(unit["kind"])
        issued_on = step["occurred_at"].astimezone(VN_TZ).date()
        number = None
        if not kind.citizen and kind.abbr is not None:
            number = repo.documents.next_number(unit["code"], kind.abbr, issued_on.year)
        symbol = number_symbol(number, kind.abbr, agency.abbr) if number is not None else None
        person = repo.person(dossier["person_id"])
        signer = repo.alerts.user_names([step["actor_user_id"]]).get(step["actor_user_id"], step["actor_username"])
        context = DocumentContext(
            citizen_form=kind.citizen,
            agency_parent=_parent_line(agency.parent, unit),
            agency_name=str(unit["name"]).upper(),
            number_symbol=symbol or "",
            place=_place_name(unit, dossier),
            **dict(zip(("day", "month", "year"), vietnamese_date_parts(issued_on), strict=True)),
            title=_title(form.title_vi, kind.abbr),
            subtitle=_subtitle(form.title_vi, kind.abbr),
            legal_bases=_legal_bases(definition, step),
            paragraphs=[_step_sentence(definition, step, issued_on)],
            facts=_facts(repo, definition, step, person, dossier),
            signature_mode="",
            signer_title=(
                "NGƯỜI VIẾT ĐƠN" if kind.citizen else self.rulebook.regimes.roles[step["actor_role"]].title_vi.upper()
            ),
            signer_name=person["full_name"] if kind.citizen else signer,
            recipients=["Người có tên trong văn bản;", f"Lưu: hồ sơ {dossier['id'][:8]}."],
        )
        data = context.as_template_data()
        rendered, template_sha = self._render(data)
        digest = hashlib.sha256(rendered).hexdigest()
        code = secrets.token_hex(10)
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
            template=TEMPLATE,
            template_sha256=template_sha,
            data_sha256=hashlib.sha256(_canonical(data)).hexdigest(),
            verification_code=code,
        )
        return document_id, symbol

    def _render(self, data: Mapping[str, Any]) -> tuple[bytes, str]:
        path = self.templates_dir / TEMPLATE
        template = DocxTemplate(str(path))
        template.render(dict(data), jinja_env=Environment(undefined=StrictUndefined, autoescape=True))
        output = io.BytesIO()
        template.save(output)
        return output.getvalue(), hashlib.sha256(path.read_bytes()).hexdigest()


def _canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def _parent_line(template: str, unit: Mapping[str, Any]) -> str:
    province = province_name(unit["province_code"]) if unit.get("province_code") else ""
    return template.format(province=province.upper()).strip()


def _place_name(unit: Mapping[str, Any], dossier: Mapping[str, Any]) -> str:
    """The place in the date line: the commune (or province) where the issuing agency sits, without its
    kind ("Hoàn Kiếm", not "Phường Hoàn Kiếm")."""
    if unit.get("commune_code"):
        name = commune(str(unit["commune_code"])).name
    else:
        name = province_name(str(unit.get("province_code") or dossier["province_code"]))
    for kind in ("Phường ", "Xã ", "Đặc khu ", "Thành phố ", "Tỉnh "):
        if name.startswith(kind):
            return name.removeprefix(kind)
    return name


def _title(title: str, abbr: str | None) -> str:
    return "QUYẾT ĐỊNH" if abbr == "QĐ" else title.upper()


def _subtitle(title: str, abbr: str | None) -> str:
    return f"Về việc {title.removeprefix('Quyết định').strip()}" if abbr == "QĐ" else ""


def _legal_bases(definition: ProcedureDefinition, step: Mapping[str, Any]) -> list[str]:
    bases = [
        transition.basis.text
        for transition in definition.transitions
        if transition.event == step["event"] and step["from_state"] in transition.source
    ]
    return [f"Căn cứ {text};" for text in dict.fromkeys(bases)]


def _step_sentence(definition: ProcedureDefinition, step: Mapping[str, Any], issued_on: date) -> str:
    event = definition.events.get(step["event"])
    title = event.title_vi if event is not None else step["event"]
    return f"{title} ngày {issued_on.strftime('%d/%m/%Y')} — {definition.title_vi}."


def _facts(
    repo: Repository,
    definition: ProcedureDefinition,
    step: Mapping[str, Any],
    person: Mapping[str, Any],
    dossier: Mapping[str, Any],
) -> list[dict[str, str]]:
    rows = [
        {"label": "Họ và tên", "value": str(person["full_name"])},
        {"label": "Ngày sinh", "value": person["date_of_birth"].strftime("%d/%m/%Y")},
        {"label": "Số định danh cá nhân", "value": str(person["id_number"])},
        {
            "label": "Nơi cư trú",
            "value": f"{commune(dossier['commune_code']).name}, {province_name(dossier['province_code'])}",
        },
    ]
    event = definition.events.get(step["event"])
    fields: Mapping[str, PayloadField] = event.payload if event is not None else {}
    for name, value in step["payload"].items():
        field = fields.get(name)
        if field is None or value in (None, ""):
            continue
        rows.append({"label": field.title_vi, "value": _shown(repo, field, value)})
    return rows


def _shown(repo: Repository, field: PayloadField, value: Any) -> str:
    if field.type == "enum":
        return field.choices.get(str(value), str(value))
    if field.type == "boolean":
        return "Có" if value else "Không"
    if field.type == "date":
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    if field.type == "datetime":
        moment = datetime.fromisoformat(str(value)).astimezone(VN_TZ)
        return f"{moment.strftime('%H:%M')} ngày {moment.strftime('%d/%m/%Y')}"
    if field.unit_kind is not None:
        unit = repo.unit(str(value))
        return str(unit["name"]) if unit is not None else str(value)
    return str(value)


def pending_requests(db: Database, *, worker: str, now: datetime, lease_seconds: int, limit: int) -> list[int]:
    """Claim a batch of document requests for this worker (the outbox claim, with its lease)."""
    with db.transaction() as repo:
        return repo.queues.claim_outbox(
            ("document",), now=now, worker=worker, lease_until=now + timedelta(seconds=lease_seconds), limit=limit
        )


def issue_claimed(issuer: Issuer, outbox_ids: list[int], now: datetime, *, retry_seconds: int) -> list[IssueOutcome]:
    """Issue each claimed request in its own transaction; one that fails waits (with the reason) and is tried
    again after ``retry_seconds``, doubled per attempt, while the others go on."""
    outcomes = []
    for outbox_id in outbox_ids:
        try:
            outcomes.append(issuer.issue(outbox_id, now))
        except (HosoError, OSError, ValueError) as error:
            reason = error.message if isinstance(error, HosoError) else f"{type(error).__name__}: {error}"
            with issuer.db.transaction() as repo:
                item = repo.outbox_item(outbox_id)
                attempts = item["attempts"] if item else 0
                repo.queues.retry_outbox_later(
                    outbox_id,
                    error=reason,
                    next_attempt_at=now + timedelta(seconds=min(retry_seconds * 2**attempts, 86_400)),
                )
            outcomes.append(IssueOutcome(outbox_id, "retry", None, None, reason))
    return outcomes


def issue_batch(issuer: Issuer, *, worker: str, now: datetime, batch_size: int) -> list[IssueOutcome]:
    """Claim up to ``batch_size`` document requests under the policy's lease and issue each."""
    policy = issuer.rulebook.alerts.delivery
    claimed = pending_requests(issuer.db, worker=worker, now=now, lease_seconds=policy.lease_seconds, limit=batch_size)
    return issue_claimed(issuer, claimed, now, retry_seconds=policy.retry_seconds)
