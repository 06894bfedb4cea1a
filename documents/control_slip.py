"""The processing-control slip of a dossier (phiếu kiểm soát quá trình giải quyết hồ sơ): every hand-off
between units with who gave and who received it, the time to the minute, and whether the step that received
it met its legal time limit early, on time or late — read from the dossier's history and deadlines.

The slip follows the form of the one-stop-shop decree (NĐ 61/2018/NĐ-CP, Mẫu số 02, as amended by NĐ
107/2021/NĐ-CP; form number and columns from memory, unverified): receiving body, time given and received,
result against the time limit, notes. It is rendered on demand and never stored: the history it reads is.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from docx.table import _Cell

from documents.layout import FONT, MARGINS_MM, MOTTO, NATIONAL_TITLE, PAGE_MM, _name_font
from states.legal_time import VN_TZ
from states.procedures import Rulebook
from states.redaction import initials
from states.store.repository import Record, Repository

EARLY, ON_TIME, LATE = "Trước hạn", "Đúng hạn", "Quá hạn"


@dataclass(frozen=True)
class SlipRow:
    giver_unit: str
    giver_officer: str
    receiver_unit: str
    receiver_officer: str
    given_at: datetime
    received_at: datetime
    step: str
    result: str
    """``Trước hạn``, ``Đúng hạn``, ``Quá hạn`` against the time limit the receiving step answered, or empty."""
    note: str


@dataclass(frozen=True)
class Slip:
    dossier_code: str
    procedure: str
    person: str
    opened_at: datetime
    rows: tuple[SlipRow, ...]


def minute(moment: datetime) -> str:
    local = moment.astimezone(VN_TZ)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def control_slip(repo: Repository, rulebook: Rulebook, dossier: Record, *, initials_only: bool = False) -> Slip:
    """The slip of a dossier the caller may see (the caller checks jurisdiction)."""
    definition = rulebook.pinned(dossier["procedure_code"], dossier["procedure_version"]).definition
    steps = repo.history(dossier["id"])
    deadlines = repo.deadlines(dossier["id"])
    units: dict[str, str] = {}
    names = repo.alerts.user_names(sorted({int(step["actor_user_id"]) for step in steps}))

    def unit_name(code: str) -> str:
        if code not in units:
            unit = repo.unit(code)
            units[code] = str(unit["name"]) if unit is not None else code
        return units[code]

    rows = []
    for before, step in pairwise(steps):
        answered = [d for d in deadlines if d["closed_seq"] == step["seq"] and d["status"] in ("met", "met_late")]
        if step["actor_unit"] == before["actor_unit"] and not answered:
            continue
        event = definition.events.get(step["event"])
        result, note = "", ""
        if answered:
            deadline = min(answered, key=lambda d: d["due_at"])
            result = _result(step["occurred_at"], deadline["due_at"], deadline["status"])
            note = f"{deadline['title']}: hạn {minute(deadline['due_at'])}"
        rows.append(
            SlipRow(
                giver_unit=unit_name(str(before["actor_unit"])),
                giver_officer=names.get(int(before["actor_user_id"]), str(before["actor_username"])),
                receiver_unit=unit_name(str(step["actor_unit"])),
                receiver_officer=names.get(int(step["actor_user_id"]), str(step["actor_username"])),
                given_at=before["occurred_at"],
                received_at=step["occurred_at"],
                step=event.title_vi if event is not None else str(step["event"]),
                result=result,
                note=note,
            )
        )
    person = repo.person(dossier["person_id"])
    return Slip(
        dossier_code=str(dossier["id"]),
        procedure=definition.title_vi,
        person=initials(str(person["full_name"])) if initials_only else str(person["full_name"]),
        opened_at=dossier["opened_at"],
        rows=tuple(rows),
    )


def _result(done_at: datetime, due_at: datetime, status: str) -> str:
    """Late past the due time; on time on the due day itself; early before the due day (Vietnam time)."""
    if status == "met_late" or done_at > due_at:
        return LATE
    return ON_TIME if done_at.astimezone(VN_TZ).date() == due_at.astimezone(VN_TZ).date() else EARLY


HEADERS = ("STT", "Bên giao", "Bên nhận", "Thời gian giao, nhận", "Kết quả giải quyết", "Ghi chú")
WIDTHS_CM = (1.0, 3.3, 3.3, 3.4, 2.0, 3.5)


def render_slip(slip: Slip) -> bytes:
    """The slip as a .docx: A4 with the decree's margins, Times New Roman, one table row per hand-off."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(PAGE_MM[0] / 10), Cm(PAGE_MM[1] / 10)
    section.top_margin, section.bottom_margin = Cm(MARGINS_MM["top"] / 10), Cm(MARGINS_MM["bottom"] / 10)
    section.left_margin, section.right_margin = Cm(MARGINS_MM["left"] / 10), Cm(MARGINS_MM["right"] / 10)
    normal = document.styles["Normal"]
    normal.font.size = Pt(13)
    _name_font(normal.element.get_or_add_rPr())
    for text, size, bold in ((NATIONAL_TITLE, 13, True), (MOTTO, 14, True)):
        _line(document, text, size=size, bold=bold)
    _line(document, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", size=14, bold=True, before=18)
    _line(document, f"Mã hồ sơ: {slip.dossier_code}", size=13)
    _line(document, f"Thủ tục: {slip.procedure}", size=13)
    _line(document, f"Người có hồ sơ: {slip.person} — mở hồ sơ lúc {minute(slip.opened_at)}", size=13, after=12)
    table = document.add_table(rows=1, cols=len(HEADERS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, HEADERS, strict=True):
        _cell(cell, header, bold=True)
    for index, row in enumerate(slip.rows, start=1):
        cells = table.add_row().cells
        values = (
            str(index),
            f"{row.giver_unit}\n{row.giver_officer}",
            f"{row.receiver_unit}\n{row.receiver_officer}",
            f"Giao: {minute(row.given_at)}\nNhận: {minute(row.received_at)}",
            row.result or "—",
            f"{row.step}" + (f"\n{row.note}" if row.note else ""),
        )
        for cell, value in zip(cells, values, strict=True):
            _cell(cell, value)
    for column, width in zip(table.columns, WIDTHS_CM, strict=True):
        for cell in column.cells:
            cell.width = Cm(width)
    if not slip.rows:
        _line(document, "Hồ sơ chưa được giao giữa các đơn vị.", size=13, before=6)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def _line(document: DocxDocument, text: str, *, size: int, bold: bool = False, before: int = 0, after: int = 0) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before, paragraph.paragraph_format.space_after = Pt(before), Pt(after)
    run = paragraph.add_run(text)
    run.font.size, run.font.bold, run.font.name = Pt(size), bold, FONT
    _name_font(run._r.get_or_add_rPr())


def _cell(cell: _Cell, text: str, *, bold: bool = False) -> None:
    for index, line in enumerate(text.split("\n")):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        run = paragraph.add_run(line)
        run.font.size, run.font.bold = Pt(11), bold
        _name_font(run._r.get_or_add_rPr())
