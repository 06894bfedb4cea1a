"""What the NĐ 30/2020 template (``templates/nd30_van_ban.docx``) sees: one typed context, and the helpers
that write the date parts and the number-and-symbol the way the decree's layout rules want them.

The template does the typography; the context owns the wording rules that depend on the data: the end
marks of the legal bases and recipient lines, the closing mark "./." of an agency's document, and the
Unicode form (NFC) of every string. Render it with ``autoescape=True`` so "&" or "<" in a name stays text.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

NO_NUMBER = "none"
"""``doc_type_abbr`` of the forms that carry no number and symbol (citizen forms; documents-spec §1.0)."""
BLANK_NUMBER = " " * 6
"""Left where the number goes while a document is not yet issued: numbers are taken only at signing."""
END_MARK = "./."
SIGNATURE_PREFIXES = ("TM.", "KT.", "Q.", "TL.", "TUQ.")

_DAY = re.compile(r"0[1-9]|[12]\d|3[01]")
_MONTH = re.compile(r"0[12]|[3-9]|1[0-2]")
_YEAR = re.compile(r"\d{4}")
_SYMBOL_PART = re.compile(r"[A-Za-zĐđ0-9]+(-[A-Za-zĐđ0-9]+)*")


def vietnamese_date_parts(day: date) -> tuple[str, str, str]:
    """Day, month and year as the date line writes them: a leading zero only for days 1–9 and months 1–2
    ("ngày 05 tháng 02 năm 2026", but "ngày 12 tháng 3 năm 2026")."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{day.day:02d}", month, str(day.year)


def number_symbol(number: int | None, doc_type: str | None, unit_abbr: str) -> str:
    """The "Số:" value: ``12/QĐ-UBND``, ``05/QĐ-UBND`` below 10; an empty string for a form without number
    (``doc_type`` None or ``"none"``); a blank number before the document is issued (``number`` None)."""
    if doc_type is None or doc_type == NO_NUMBER:
        return ""
    for part in (doc_type, unit_abbr):
        if not _SYMBOL_PART.fullmatch(part):
            raise ValueError(f"Ký hiệu văn bản không hợp lệ: {part!r}")
    symbol = f"{doc_type}-{unit_abbr}"
    if number is None:
        return f"{BLANK_NUMBER}/{symbol}"
    if number < 1:
        raise ValueError(f"Số văn bản phải từ 01 trở lên: {number}")
    return f"{number:02d}/{symbol}"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Fact(_Frozen):
    """One "Nhãn: giá trị" line of the body (a person's name, date of birth, residence …)."""

    label: str
    value: str


class BodyParagraph(_Frozen):
    """A body paragraph; ``lead`` is printed in bold before the text ("Điều 1.")."""

    text: str
    lead: str = ""


class PersonBlock(_Frozen):
    """The person the document is about, as forms print them ("05/03/1990", "Nam")."""

    full_name: str = ""
    date_of_birth: str = ""
    age: str = ""
    sex: str = ""
    id_number: str = ""
    residence: str = ""
    """Commune and province of residence ("Phường Hoàn Kiếm, Thành phố Hà Nội")."""
    address: str = ""


class DossierBlock(_Frozen):
    code: str = ""
    """The short reference printed on documents (first 8 characters of the dossier id)."""
    procedure: str = ""
    opened_on: str = ""


class StepBlock(_Frozen):
    """The step that requested the document."""

    title: str = ""
    on: str = ""
    """Date of the legal fact ("05/03/2026")."""
    at: str = ""
    """Time of the legal fact to the minute ("08 giờ 30 phút ngày 05/03/2026")."""
    officer: str = ""
    role: str = ""


class AgencyBlock(_Frozen):
    """The issuing unit: its name as written in sentences, and the place of its date line."""

    name: str = ""
    """"Công an phường Hoàn Kiếm"."""
    place: str = ""
    """"Hoàn Kiếm" (the date line)."""
    area: str = ""
    """The commune or province where the unit sits, as in a sentence: "phường Hoàn Kiếm", "thành phố Hà Nội"."""
    province: str = ""


class DocumentContext(_Frozen):
    """Every variable of the template, and nothing else (a test compares both lists)."""

    citizen_form: bool = False
    """A form a person fills in: no agency block, no number, no recipients."""
    agency_parent: str = ""
    """Supervising agency, printed upper case and regular; empty when there is none."""
    agency_name: str = ""
    """Issuing agency, printed upper case and bold; a "\\n" starts a new line."""
    number_symbol: str = ""
    place: str
    day: str
    month: str
    year: str
    title: str
    """Kind of document (QUYẾT ĐỊNH, ĐƠN ĐỀ NGHỊ …), printed upper case."""
    subtitle: str = ""
    """Trích yếu ("Về việc …"), or the rest of a citizen form's title."""
    authority: str = ""
    """Authority line of a decision ("Chủ tịch Ủy ban nhân dân phường …"), printed upper case."""
    addressees: tuple[str, ...] = ()
    """"Kính gửi:" lines."""
    legal_bases: tuple[str, ...] = ()
    """"Căn cứ …" lines (and "Theo đề nghị của …" last); end marks are added here."""
    operative_heading: str = ""
    """The line before the articles ("Quyết định:"), printed upper case."""
    paragraphs: tuple[BodyParagraph, ...] = ()
    facts: tuple[Fact, ...] = ()
    """The person's identity lines (a form's ``identity`` item), or in the generic template every fact."""
    step_facts: tuple[Fact, ...] = ()
    """Every recorded field of the requesting step with its label (a form's ``step_facts`` item)."""
    closing_paragraphs: tuple[BodyParagraph, ...] = ()
    """Paragraphs after the facts ("Điều 2. …")."""
    signature_mode: str = ""
    """Lines above the signer's title ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"), one per "\\n"; empty when the
    signer signs in their own power."""
    signer_title: str
    signer_name: str
    recipients: tuple[str, ...] = ()
    """"Nơi nhận:" lines; the "- " and the end marks are added here."""
    person: PersonBlock = PersonBlock()
    dossier: DossierBlock = DossierBlock()
    step: StepBlock = StepBlock()
    agency: AgencyBlock = AgencyBlock()
    form: dict[str, str] = {}
    """The form's own values (``config/documents.d``: ``fields``), shown as the form prints them."""
    verification_code: str = ""
    """Printed under the QR code (``qr``, an image added when rendering) that leads to the verification page."""

    @field_validator("paragraphs", "closing_paragraphs", mode="before")
    @classmethod
    def _plain_text_paragraphs(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [{"text": item} if isinstance(item, str) else item for item in value]
        return value

    @model_validator(mode="after")
    def _check(self) -> DocumentContext:
        if not (_DAY.fullmatch(self.day) and _MONTH.fullmatch(self.month) and _YEAR.fullmatch(self.year)):
            raise ValueError(f"Ngày tháng năm không đúng cách viết: {self.day}/{self.month}/{self.year}")
        for name in ("place", "title", "signer_title", "signer_name"):
            if not getattr(self, name).strip():
                raise ValueError(f"Thiếu nội dung bắt buộc của văn bản: {name}")
        if not self.citizen_form and not self.agency_name.strip():
            raise ValueError("Văn bản của cơ quan phải có tên cơ quan ban hành")
        lines = [line.strip() for line in self.signature_mode.splitlines() if line.strip()]
        for line in lines:
            if not line.upper().startswith(SIGNATURE_PREFIXES):
                raise ValueError(f"Dòng thẩm quyền ký phải bắt đầu bằng TM., KT., Q., TL. hoặc TUQ.: {line!r}")
        if lines and self.authority and lines[0].upper().startswith("TM."):
            collective = lines[0][3:].strip().upper()
            if not self.authority.strip().upper().startswith(collective):
                raise ValueError("Văn bản do người đứng đầu ban hành không ký thay mặt tập thể (TM.)")
        return self

    def as_template_data(self, *, close_body: bool = True) -> dict[str, Any]:
        """The data the template is rendered with: plain JSON values, NFC strings, end marks added (the
        closing "./." only with ``close_body``: a form's own template ends its body itself)."""
        data: dict[str, Any] = _nfc(self.model_dump(mode="json"))
        data["legal_bases"] = [_bare(line) for line in data["legal_bases"]]
        data["recipients"] = [_bare(line.strip().removeprefix("-")) for line in data["recipients"]]
        data["signature_mode"] = "\n".join(line.strip() for line in data["signature_mode"].splitlines() if line.strip())
        if close_body and not self.citizen_form:
            _close_body(data)
        return data


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(item) for item in value]
    if isinstance(value, dict):
        return {key: _nfc(item) for key, item in value.items()}
    return value


def _bare(line: str) -> str:
    """A line without its end mark; the template writes ";" after every line but the last and "." after it."""
    return line.strip().rstrip(";.").rstrip()


def _close_body(data: dict[str, Any]) -> None:
    """End the last line of the body with "./." (its own full stop absorbed)."""
    for key, text_key in (("closing_paragraphs", "text"), ("facts", "value"), ("paragraphs", "text")):
        if data[key]:
            last = data[key][-1]
            text = last[text_key].rstrip()
            if not text.endswith(END_MARK):
                last[text_key] = text.removesuffix(".") + END_MARK
            return
