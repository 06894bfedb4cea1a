"""The typed context a form's template sees, composed from the dossier, the step that requested the document,
the issuing unit and the form's description (``config/documents.d``).

Each form gets its own model of values (``form.<name>``: exactly the fields it declares), so a template reads
only what its form declared; the blocks (person, dossier, step, agency) are the same for every form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, StrictUndefined, Template
from pydantic import BaseModel, ConfigDict, create_model

from documents.bodies import BLANK, FieldSource, FormBody
from documents.catalogue import Agency, DocKind, DocumentRules
from documents.context import (
    AgencyBlock,
    DocumentContext,
    DossierBlock,
    Fact,
    PersonBlock,
    StepBlock,
    vietnamese_date_parts,
)
from states.definitions import PayloadField, ProcedureDefinition
from states.errors import HosoError
from states.legal_time import VN_TZ
from states.places import commune, province_name
from states.procedures import Rulebook
from states.store.documents import DocumentRequest
from states.store.repository import Record, Repository

_STRINGS = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_PLACE_KINDS = ("Phường ", "Xã ", "Đặc khu ", "Thành phố ", "Tỉnh ")
_SEX = {"male": "Nam", "female": "Nữ", "nam": "Nam", "nu": "Nữ", "nữ": "Nữ"}


@dataclass(frozen=True)
class Composition:
    """What issuing a document needs besides its number: the context, and the kind and agency it was read
    with (they give the number's symbol)."""

    context: DocumentContext
    kind: DocKind
    agency: Agency
    unit: Record
    issued_on: date
    own_body: bool
    """The form has its own template, whose body ends itself."""

    def template_data(self) -> dict[str, Any]:
        return self.context.as_template_data(close_body=not self.own_body)


@dataclass(frozen=True)
class Composer:
    rulebook: Rulebook
    rules: DocumentRules
    bodies: Mapping[str, FormBody]

    def compose(
        self,
        repo: Repository,
        request: DocumentRequest,
        form_code: str,
        *,
        number_symbol: str,
        verification_code: str,
        issuing: tuple[Record, str | None] | None = None,
    ) -> Composition:
        """``issuing``: the issuing unit and signer name, when the caller already asked ``issuing_unit``."""
        dossier, step, person = request.dossier, request.step, request.person
        unit, head = issuing or self.issuing_unit(repo, request, form_code)
        form = self.rulebook.forms.forms[form_code]
        definition = self.rulebook.pinned(dossier["procedure_code"], dossier["procedure_version"]).definition
        kind = self.rules.kind_of(form.title_vi)
        agency = self.rules.agency(unit["kind"])
        issued_on = step["occurred_at"].astimezone(VN_TZ).date()
        officer = head if head is not None else request.actor_name or str(step["actor_username"])
        blocks = _Blocks(
            person=_person_block(person, dossier, issued_on),
            dossier=DossierBlock(
                code=str(dossier["id"])[:8],
                procedure=definition.title_vi,
                opened_on=_day(dossier["opened_at"]),
            ),
            step=StepBlock(
                title=_event_title(definition, step["event"]),
                on=_day(step["occurred_at"]),
                at=_moment(step["occurred_at"]),
                officer=officer,
                role=self.rulebook.regimes.roles[step["actor_role"]].title_vi,
            ),
            agency=AgencyBlock(
                name=str(unit["name"]),
                place=_place_name(unit, dossier),
                area=_area(unit, dossier),
                province=province_name(str(unit.get("province_code") or dossier["province_code"])),
            ),
        )
        header = {
            "citizen_form": kind.citizen,
            "agency_parent": _parent_line(agency.parent, unit),
            "agency_name": str(unit["name"]).upper(),
            "number_symbol": number_symbol,
            "place": blocks.agency.place,
            **dict(zip(("day", "month", "year"), vietnamese_date_parts(issued_on), strict=True)),
            "verification_code": verification_code,
            "person": blocks.person,
            "dossier": blocks.dossier,
            "step": blocks.step,
            "agency": blocks.agency,
        }
        body = self.bodies.get(form_code)
        identity = _identity(blocks.person)
        step_facts = _step_facts(repo, definition, step)
        if body is None:
            context = DocumentContext(
                **header,
                title=_default_title(form.title_vi, kind.abbr),
                subtitle=_default_subtitle(form.title_vi, kind.abbr),
                legal_bases=_transition_bases(definition, step),
                paragraphs=[f"{blocks.step.title} ngày {blocks.step.on} — {definition.title_vi}."],
                facts=(*identity, *step_facts),
                signer_title="NGƯỜI VIẾT ĐƠN"
                if kind.citizen
                else self.rulebook.regimes.roles[step["actor_role"]].title_vi.upper(),
                signer_name=str(person["full_name"]) if kind.citizen else officer,
                recipients=["Người có tên trong văn bản;", f"Lưu: hồ sơ {blocks.dossier.code}."],
            )
            return Composition(context, kind, agency, unit, issued_on, own_body=False)
        values = _form_values(repo, self.rulebook, definition, dossier, step, form_code, body)
        scope = blocks.scope(values)
        signer = body.signer
        lines = [f"TM. {_say(signer.collective, scope)}"] if signer.collective else []
        if signer.deputy_of:
            lines.append(f"KT. {_say(signer.deputy_of, scope)}")
        bases = [_say(line, scope) for line in body.bases]
        if not kind.citizen:
            bases += _transition_bases(definition, step)
        if body.proposal:
            bases.append(_say(body.proposal, scope))
        context = DocumentContext(
            **header,
            title=_say(body.title, scope)
            or (kind.prefix if body.subtitle and kind.prefix else _default_title(form.title_vi, kind.abbr)),
            subtitle=_say(body.subtitle, scope) or _default_subtitle(form.title_vi, kind.abbr),
            authority=_say(body.authority, scope),
            addressees=[_say(line, scope) for line in body.addressees],
            legal_bases=bases,
            operative_heading=_say(body.operative_heading, scope),
            facts=identity,
            step_facts=step_facts,
            signature_mode="\n".join(lines),
            signer_title=_say(signer.office, scope),
            signer_name=str(person["full_name"]) if signer.name == "person" else officer,
            recipients=[
                *(_say(line, scope) for line in body.recipients),
                *(() if kind.citizen else (f"Lưu: VT, hồ sơ {blocks.dossier.code}",)),
            ],
            form=values,
        )
        return Composition(context, kind, agency, unit, issued_on, own_body=True)

    def issuing_unit(self, repo: Repository, request: DocumentRequest, form_code: str) -> tuple[Record, str | None]:
        """The unit that issues the document: the unit of the officer who recorded the step, unless the form
        names its ``issuer`` kind and the step came from another kind of unit (the system closing a term). Then
        that unit of the dossier's commune (or province) issues it, and the second value is the name printed
        under the signature: the holder of its head role, or a blank for a hand signature."""
        dossier, step, own = request.dossier, request.step, request.actor_unit
        body = self.bodies.get(form_code)
        if body is None or not body.issuer or (own is not None and own["kind"] == body.issuer):
            if own is None:
                raise HosoError(f"Không tìm thấy đơn vị {step['actor_unit']} ban hành văn bản")
            return own, None
        scope = self.rulebook.regimes.unit_kinds[body.issuer].scope
        found = repo.units_of_kind(
            body.issuer,
            commune_code=dossier["commune_code"] if scope == "commune" else None,
            province_code=dossier["province_code"] if scope != "commune" else None,
        )
        if not found:
            title = self.rulebook.regimes.unit_kinds[body.issuer].title_vi
            raise HosoError(f"Chưa có đơn vị {title} của nơi cư trú để ban hành văn bản {form_code}")
        head_role = self.rulebook.alerts.heads.get(body.issuer)
        heads = [
            officer
            for officer in repo.alerts.officers_of([found[0]["code"]])
            if head_role is not None and officer["role"] == head_role
        ]
        names = repo.alerts.user_names([int(heads[0]["id"])]) if len(heads) == 1 else {}
        return found[0], next(iter(names.values()), BLANK)


@dataclass(frozen=True)
class _Blocks:
    person: PersonBlock
    dossier: DossierBlock
    step: StepBlock
    agency: AgencyBlock

    def scope(self, values: Mapping[str, str]) -> dict[str, Any]:
        return {
            "person": self.person.model_dump(),
            "dossier": self.dossier.model_dump(),
            "step": self.step.model_dump(),
            "agency": self.agency.model_dump(),
            "form": dict(values),
        }


def _say(text: str, scope: Mapping[str, Any]) -> str:
    """A description string with its values filled in (the template escapes them later)."""
    return _compiled(text).render(scope).strip() if text else ""


@lru_cache(maxsize=8192)
def _compiled(text: str) -> Template:
    """Each description string is compiled once per process: compiling costs more than rendering."""
    return _STRINGS.from_string(text)


@lru_cache(maxsize=256)
def form_model(code: str, names: tuple[str, ...]) -> type[BaseModel]:
    """The typed values of one form: exactly the fields it declares, each a string."""
    fields: dict[str, Any] = {name: (str, ...) for name in names}
    return create_model(f"Form_{code.replace('.', '_')}", __config__=ConfigDict(extra="forbid", frozen=True), **fields)


def _form_values(
    repo: Repository,
    rulebook: Rulebook,
    definition: ProcedureDefinition,
    dossier: Record,
    step: Record,
    form_code: str,
    body: FormBody,
) -> dict[str, str]:
    needs_history = any(source.kind != "step" for source in body.fields.values())
    history = [row for row in repo.history(dossier["id"]) if row["seq"] <= step["seq"]] if needs_history else []
    values = {
        name: _value(repo, rulebook, definition, dossier, step, history, source) for name, source in body.fields.items()
    }
    model = form_model(form_code, tuple(body.fields))
    return {key: str(value) for key, value in model.model_validate(values).model_dump().items()}


def _value(
    repo: Repository,
    rulebook: Rulebook,
    definition: ProcedureDefinition,
    dossier: Record,
    step: Record,
    history: Sequence[Record],
    source: FieldSource,
) -> str:
    parts = source.source.split(".")
    if source.kind == "step":
        field = definition.events[step["event"]].payload.get(parts[1]) if step["event"] in definition.events else None
        raw = step["payload"].get(parts[1])
        return _shown(repo, field, raw) if field is not None and raw not in (None, "") else source.fallback
    if source.kind == "event":
        event, name = parts[1], parts[2]
        for row in reversed(history):
            if row["event"] == event and row["payload"].get(name) not in (None, ""):
                event_definition = definition.events.get(event)
                field = event_definition.payload.get(name) if event_definition is not None else None
                return _shown(repo, field, row["payload"][name]) if field is not None else str(row["payload"][name])
        return source.fallback
    if source.kind == "happened":
        return "có" if any(row["event"] == parts[1] for row in history) else source.fallback
    code = source.source.removeprefix("document.")
    issued = [row for row in repo.documents.documents_of(dossier["id"]) if row["form_code"] == code]
    if not issued:
        return source.fallback
    latest = issued[-1]
    when = next((row["occurred_at"] for row in history if row["seq"] == latest["history_seq"]), latest["issued_at"])
    number = latest["number_symbol"] or ""
    return f"số {number} ngày {_day(when)}" if number else f"ngày {_day(when)}"


def _person_block(person: Record, dossier: Record, on: date) -> PersonBlock:
    born: date = person["date_of_birth"]
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return PersonBlock(
        full_name=str(person["full_name"]),
        date_of_birth=born.strftime("%d/%m/%Y"),
        age=str(age),
        sex=_SEX.get(str(person.get("sex") or "").lower(), BLANK),
        id_number=str(person["id_number"]),
        residence=f"{commune(dossier['commune_code']).name}, {province_name(dossier['province_code'])}",
        address=str(person.get("address") or "") or BLANK,
    )


def _identity(person: PersonBlock) -> list[Fact]:
    return [
        Fact(label="Họ và tên", value=person.full_name),
        Fact(label="Ngày sinh", value=person.date_of_birth),
        Fact(label="Số định danh cá nhân", value=person.id_number),
        Fact(label="Nơi cư trú", value=person.residence),
    ]


def _step_facts(repo: Repository, definition: ProcedureDefinition, step: Mapping[str, Any]) -> list[Fact]:
    event = definition.events.get(step["event"])
    fields: Mapping[str, PayloadField] = event.payload if event is not None else {}
    rows = []
    for name, value in step["payload"].items():
        field = fields.get(name)
        if field is None or value in (None, ""):
            continue
        rows.append(Fact(label=field.title_vi, value=_shown(repo, field, value)))
    return rows


def _shown(repo: Repository, field: PayloadField | None, value: Any) -> str:
    if field is None:
        return str(value)
    if field.type == "enum":
        return field.choices.get(str(value), str(value))
    if field.type == "boolean":
        return "Có" if value else "Không"
    if field.type == "date":
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    if field.type == "datetime":
        return _moment(datetime.fromisoformat(str(value)))
    if field.unit_kind is not None:
        unit = repo.unit(str(value))
        return str(unit["name"]) if unit is not None else str(value)
    return str(value)


def _day(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).strftime("%d/%m/%Y")


def _moment(moment: datetime) -> str:
    local = moment.astimezone(VN_TZ)
    return f"{local:%H} giờ {local:%M} phút ngày {local:%d/%m/%Y}"


def _event_title(definition: ProcedureDefinition, event: str) -> str:
    found = definition.events.get(event)
    return found.title_vi if found is not None else event


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
    for kind in _PLACE_KINDS:
        if name.startswith(kind):
            return name.removeprefix(kind)
    return name


def _area(unit: Mapping[str, Any], dossier: Mapping[str, Any]) -> str:
    if unit.get("commune_code"):
        name = commune(str(unit["commune_code"])).name
    else:
        name = province_name(str(unit.get("province_code") or dossier["province_code"]))
    kind, _, rest = name.partition(" ")
    if kind == "Đặc":
        return f"đặc {rest}"
    return f"{kind.lower()} {rest}" if rest else name


def _default_title(title: str, abbr: str | None) -> str:
    return "QUYẾT ĐỊNH" if abbr == "QĐ" else title.upper()


def _default_subtitle(title: str, abbr: str | None) -> str:
    return f"Về việc {title.removeprefix('Quyết định').strip()}" if abbr == "QĐ" else ""


def _transition_bases(definition: ProcedureDefinition, step: Mapping[str, Any]) -> list[str]:
    bases = [
        printable
        for transition in definition.transitions
        if transition.event == step["event"]
        and step["from_state"] in transition.source
        and transition.dest in (step["to_state"], "=")
        for printable in printable_bases(transition.basis.text)
    ]
    return [f"Căn cứ {text}" for text in dict.fromkeys(bases)]


_INSTRUMENTS = ("Luật", "NĐ", "Nghị định", "PL", "Pháp lệnh", "TT", "Thông tư", "BLHS", "Bộ luật", "QĐ", "Nghị quyết")
_NOTES = ("chưa", "suy luận", "theo trang", "đã đọc", "theo nguồn", "theo tin", "shared/")
_INSTRUMENT_NUMBER = re.compile(r"^(Luật |NĐ |PL |TT )?\d+/\d{4}(/[A-ZĐ0-9-]+)?$")
_ABBREVIATIONS = (
    ("Luật PCMT", "Luật Phòng, chống ma túy"),
    ("Luật XLVPHC", "Luật Xử lý vi phạm hành chính"),
    ("BLHS", "Bộ luật Hình sự"),
    ("NĐ ", "Nghị định "),
    ("PL ", "Pháp lệnh "),
    ("TT ", "Thông tư "),
)


def printable_bases(text: str) -> list[str]:
    """The legal instruments of a step's basis as a document cites them: the procedure files annotate their
    bases for maintainers (evidence marks, "chưa kiểm chứng", commentary after a dash or a colon), and none of
    that belongs on a decision. Only segments naming an instrument are kept, abbreviations written out."""
    plain = _without_notes(re.sub(r"\[[^\]]*\]", "", text))
    kept = []
    for segment in plain.split(" — ")[0].split(";"):
        segment = " ".join(segment.split(":")[0].split()).replace(" ,", ",").strip(" ,.")
        if not segment.startswith(_INSTRUMENTS) or any(note in segment for note in _NOTES):
            continue
        for short, long in _ABBREVIATIONS:
            segment = segment.replace(short, long)
        kept.append(segment)
    return kept


def _without_notes(text: str) -> str:
    """Drop every parenthesised remark, innermost first, keeping only those that are an instrument's number
    ("(Luật 86/2025/QH15)")."""
    kept: list[str] = []

    def keep_or_drop(match: re.Match[str]) -> str:
        if _INSTRUMENT_NUMBER.match(match.group(1)):
            kept.append(match.group(0))
            return f"\x00{len(kept) - 1}\x00"
        return ""

    while (reduced := re.sub(r"\(([^()]*)\)", keep_or_drop, text)) != text:
        text = reduced
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)
