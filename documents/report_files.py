"""The periodic report as files: an xlsx workbook (exact values, the simple formulas kept) and a .docx in the
layout of Nghị định 30/2020/NĐ-CP (a report, "BÁO CÁO"), each with a chart of actual against target drawn
offline (matplotlib, no network, no display) and embedded as PNG (SVG on request)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from docx.table import _Cell
from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from documents.catalogue import document_rules
from documents.compose import _parent_line, _place_name
from documents.context import number_symbol
from documents.layout import FONT, MOTTO, NATIONAL_TITLE, _name_font, _page, _styles

Record = dict[str, Any]
CHART_DPI = 150
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_DOC_TYPE = "BC"
"""The kind of document a report is (config/documents.yaml: "Báo cáo")."""
DRAFT_NOTE = "Bản lập theo yêu cầu để theo dõi: chưa đánh số, chưa ký số, không thay cho báo cáo định kỳ đã ban hành."


def _label(text: str, width: int = 28) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])


def chart(plan: Record, fmt: str = "png") -> bytes:
    """Bars of target and actual for the plan's targets counted in persons."""
    lines = [line for line in plan["lines"] if line["kind"] == "number" and line["target"] is not None]
    figure, axes = plt.subplots(figsize=(8, 0.6 * max(len(lines), 2) + 1.2), dpi=CHART_DPI)
    try:
        positions = range(len(lines))
        axes.barh(
            [p + 0.2 for p in positions], [line["target"] for line in lines], 0.4, label="Kế hoạch", color="#9ecae1"
        )
        actuals = [line["actual"] or 0 for line in lines]
        axes.barh([p - 0.2 for p in positions], actuals, 0.4, label="Thực hiện", color="#08519c")
        axes.set_yticks(list(positions), [_label(line["title"]) for line in lines], fontsize=8)
        axes.invert_yaxis()
        axes.set_xlabel("Số người")
        axes.set_title(f"{plan['area']['name']} — {plan['period']}: thực hiện so với kế hoạch", fontsize=10)
        axes.legend(fontsize=8, loc="lower right")
        figure.tight_layout()
        output = io.BytesIO()
        metadata = {"Software": None} if fmt == "png" else {"Creator": None, "Date": None}
        figure.savefig(output, format=fmt, metadata=metadata)
        return output.getvalue()
    finally:
        plt.close(figure)


@dataclass(frozen=True)
class ReportHeading:
    """Who reports, as the heading of the document says it."""

    agency: str
    parent_agency: str
    place: str
    """Where the date line says the report was made."""
    agency_abbr: str
    """The unit's part of the number symbol (``BC-CAT``)."""


@dataclass(frozen=True)
class IssuedMark:
    """What an issued report carries and a draft does not: its number and the QR code of its verification page."""

    number_symbol: str
    verification_url: str
    qr_png: bytes


def report_heading(unit: Record, province_code: str) -> ReportHeading:
    """The reporting unit's name, its parent agency line and abbreviation (config/documents.yaml) and the place
    of the date line."""
    agency = document_rules().agency(str(unit["kind"]))
    place_unit = {**unit, "province_code": unit.get("province_code") or province_code}
    parent = _parent_line(agency.parent, place_unit) if place_unit.get("province_code") else agency.parent
    place = _place_name(place_unit, {"province_code": province_code})
    return ReportHeading(str(unit["name"]), parent, place, agency.abbr)


# -- xlsx ------------------------------------------------------------------------------------------------------

_HEAD = Font(bold=True)


def report_xlsx(plan: Record, figures: Sequence[Record], *, public_url: str | None = None) -> bytes:
    """With ``public_url``, each commune's figure links to the dossiers behind it (the drill-down of the API, which
    checks the reader's access and records the look)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Chỉ tiêu"
    sheet.append([f"{plan['title']} — {plan['area']['name']}, kỳ {plan['period']}"])
    sheet.append(
        [f"Bảng chỉ tiêu: {plan['target_set']['source_document']} (phiên bản {plan['target_set']['version']})"]
    )
    sheet.append([])
    sheet.append(["Chỉ tiêu", "Đơn vị tính", "Kế hoạch", "Thực hiện", "Tỷ lệ đạt (%)"])
    for cell in sheet[4]:
        cell.font = _HEAD
    for line in plan["lines"]:
        row = sheet.max_row + 1
        sheet.append([line["title"], "%" if line["kind"] == "percent" else "người", line["target"], line["actual"]])
        sheet.cell(row=row, column=5, value=f'=IF(OR(C{row}="",C{row}=0,D{row}=""),"",ROUND(D{row}/C{row}*100,1))')
    sheet.column_dimensions["A"].width = 60
    for column in "BCDE":
        sheet.column_dimensions[column].width = 14
    image = Image(io.BytesIO(chart(plan)))
    image.width, image.height = image.width // 2, image.height // 2
    sheet.add_image(image, f"A{sheet.max_row + 3}")

    numbers = book.create_sheet("Số liệu")
    numbers.append(["Chỉ tiêu", "Đơn vị tính", "Số liệu", "Căn cứ", "Mã"])
    for cell in numbers[1]:
        cell.font = _HEAD
    for answer in figures:
        numbers.append([answer["title"], answer["unit"], answer["value"], answer["source"], answer["indicator"]])
    numbers.column_dimensions["A"].width = 60
    numbers.column_dimensions["D"].width = 80

    by_commune = [a for a in figures if "commune" in a["breakdowns"] and a["measure"] in ("stock", "flow", "during")]
    communes = sorted({g["key"]: g["title"] for a in by_commune for g in a["breakdowns"]["commune"]}.items())
    table = book.create_sheet("Theo xã")
    table.append(["Mã xã", "Xã, phường", *[a["title"] for a in by_commune]])
    for cell in table[1]:
        cell.font = _HEAD
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for code, name in communes:
        values = [{g["key"]: g["value"] for g in a["breakdowns"]["commune"]}.get(code, 0) for a in by_commune]
        table.append([code, name, *values])
        if public_url is not None:
            for position, answer in enumerate(by_commune, start=3):
                cell = table.cell(row=table.max_row, column=position)
                if cell.value:
                    cell.hyperlink = _drill_down(public_url, answer, code)
    last = table.max_row
    total_row: list[str | int] = ["", "Tổng cộng"]
    for index in range(len(by_commune)):
        letter = get_column_letter(index + 3)
        total_row.append(f"=SUM({letter}2:{letter}{last})" if last >= 2 else 0)
    table.append(total_row)
    table.column_dimensions["B"].width = 28
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _drill_down(public_url: str, answer: Record, commune_code: str) -> str:
    query = urlencode({"period": answer["period"]["label"], "breakdown": "commune", "key": commune_code})
    return f"{public_url.rstrip('/')}/api/v1/reports/indicators/{answer['indicator']}/dossiers?{query}"


# -- docx ------------------------------------------------------------------------------------------------------


def report_docx(
    plan: Record, figures: Sequence[Record], heading: ReportHeading, *, on: date, issued: IssuedMark | None = None
) -> bytes:
    """A report in the decree's layout: agency and national headers, number line and date, title, the table of
    targets, the chart, the table of statistics, recipients and signature blocks (left for the signer). An issued
    report carries its number and, at the end, the QR code and address of its verification page; a draft (made on
    request) a blank number and a line saying it was not issued."""
    document = Document()
    _styles(document)
    _page(document.sections[0])
    header = document.add_table(rows=3, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    _cell(header.cell(0, 0), heading.parent_agency.upper(), size=12)
    _cell(header.cell(1, 0), heading.agency.upper(), size=12, bold=True)
    _cell(header.cell(0, 1), NATIONAL_TITLE, size=12, bold=True)
    _cell(header.cell(1, 1), MOTTO, size=13, bold=True)
    symbol = issued.number_symbol if issued is not None else number_symbol(None, REPORT_DOC_TYPE, heading.agency_abbr)
    _cell(header.cell(2, 0), f"Số: {symbol}", size=13)
    _cell(
        header.cell(2, 1),
        f"{heading.place}, ngày {on.day:02d} tháng {on.month:02d} năm {on.year}",
        size=13,
        italic=True,
    )
    for row in header.rows:
        row.cells[0].width, row.cells[1].width = Cm(6.0), Cm(10.5)
    _paragraph(document, "BÁO CÁO", size=14, bold=True, before=12)
    _paragraph(document, f"{plan['title']}, kỳ {plan['period']}", size=14, bold=True, after=12)
    _paragraph(
        document,
        f"Căn cứ {plan['target_set']['source_document']}; số liệu tính từ hồ sơ trên hệ thống hoso đến hết kỳ báo cáo.",
        size=14,
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
    )
    _paragraph(
        document, "I. KẾT QUẢ THỰC HIỆN CHỈ TIÊU KẾ HOẠCH", size=14, bold=True, before=6, align=WD_ALIGN_PARAGRAPH.LEFT
    )
    rows = [
        [line["title"], _shown(line["target"]), _shown(line["actual"]), _shown(line["reached_percent"])]
        for line in plan["lines"]
    ]
    _grid(document, ["Chỉ tiêu", "Kế hoạch", "Thực hiện", "Tỷ lệ đạt (%)"], rows, (8.5, 2.5, 2.5, 2.5))
    document.add_picture(io.BytesIO(chart(plan)), width=Cm(16))
    _paragraph(document, "II. SỐ LIỆU THỐNG KÊ TỪ HỒ SƠ", size=14, bold=True, before=6, align=WD_ALIGN_PARAGRAPH.LEFT)
    _grid(
        document,
        ["Chỉ tiêu", "Đơn vị tính", "Số liệu"],
        [[a["title"], a["unit"], _shown(a["value"])] for a in figures],
        (11.0, 2.5, 2.5),
    )
    closing = document.add_table(rows=1, cols=2)
    _cell(closing.cell(0, 0), "Nơi nhận:\n- Như trên;\n- Lưu: VT.", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _cell(closing.cell(0, 1), "THỦ TRƯỞNG ĐƠN VỊ", size=13, bold=True)
    if issued is None:
        _paragraph(document, DRAFT_NOTE, size=11, before=12, italic=True)
    else:
        document.add_picture(io.BytesIO(issued.qr_png), width=Cm(2.2))
        _paragraph(document, f"Xác minh văn bản: {issued.verification_url}", size=9, italic=True)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return f"{value:,}".replace(",", ".")


def _paragraph(
    document: Any,
    text: str,
    *,
    size: int,
    bold: bool = False,
    italic: bool = False,
    before: int = 0,
    after: int = 0,
    align: Any = WD_ALIGN_PARAGRAPH.CENTER,
) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_before, paragraph.paragraph_format.space_after = Pt(before), Pt(after)
    run = paragraph.add_run(text)
    run.font.size, run.font.bold, run.font.italic, run.font.name = Pt(size), bold, italic, FONT
    _name_font(run._r.get_or_add_rPr())


def _cell(
    cell: _Cell,
    text: str,
    *,
    size: int,
    bold: bool = False,
    italic: bool = False,
    align: Any = WD_ALIGN_PARAGRAPH.CENTER,
) -> None:
    for index, line in enumerate(text.split("\n")):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run(line)
        run.font.size, run.font.bold, run.font.italic = Pt(size), bold, italic
        _name_font(run._r.get_or_add_rPr())


def _grid(document: Any, headers: list[str], rows: list[list[str]], widths_cm: tuple[float, ...]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        _cell(cell, header, size=12, bold=True)
    for values in rows:
        cells = table.add_row().cells
        for position, (cell, value) in enumerate(zip(cells, values, strict=True)):
            _cell(cell, value, size=12, align=WD_ALIGN_PARAGRAPH.LEFT if position == 0 else WD_ALIGN_PARAGRAPH.CENTER)
    for column, width in zip(table.columns, widths_cm, strict=True):
        for cell in column.cells:
            cell.width = Cm(width)
