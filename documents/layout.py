"""Builds the generic template of an administrative document under Nghị định 30/2020/NĐ-CP, Phụ lục I
(shared/documents-spec.md §2): ``documents/templates/nd30_van_ban.docx``.

The layout is code, the data is docxtpl tags; every tag names a field of ``documents.context.DocumentContext``.
``python -m documents.layout`` rewrites the file (the same bytes on every run); ``--check`` only compares.
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Cm, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from documents.bodies import IDENTITY, FormBody, form_bodies
from documents.context import END_MARK

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_PATH = TEMPLATES_DIR / "nd30_van_ban.docx"
FONT = "Times New Roman"
LANGUAGE = "vi-VN"
PAGE_MM = (210, 297)
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
HEADER_DISTANCE_MM = 10
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
HEADER_COLUMNS_CM = (6.0, 10.5)
SIGNATURE_COLUMNS_CM = (7.0, 9.5)
FIXED_TIME = datetime(2026, 1, 1)

_DATE_LINE = "{{ place }}, ngày {{ day }} tháng {{ month }} năm {{ year }}"
_CELL_PADDING_CM = 0.19 * 2
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Sizes:
    """Font sizes in points, each inside the range of the checklist item named beside it."""

    national_title: int = 13  # H1: 12–13
    motto: int = 14  # H2: 13–14
    agency: int = 13  # H3, H4: 12–13
    number: int = 13  # H5: 13
    date_line: int = 14  # H6: 13–14
    title: int = 14  # T1, T2, T4, T6: 13–14
    body: int = 14  # P6, T5, T8: 13–14
    signature: int = 14  # §2.5: 13–14
    recipients_label: int = 12  # N1: 12
    recipients: int = 11  # N2: 11
    page_number: int = 13  # P5: 13–14


SIZES = Sizes()
BODY_FIRST_LINE_CM = 1.27  # P6: 1–1.27 cm
BODY_SPACE_AFTER_PT = 6  # P6: at least 6 pt between paragraphs
BODY_LINE_SPACING = 1.15  # P6: single to 1.5 lines
RULE_SPACE_PT = 4  # between a line and the rule under it
SIGNATURE_SPACE_PT = 72  # room for the signature and the seal between the title and the name
RULE_CM = {"agency": 2.0, "motto": 6.0, "subtitle": 4.0}  # H4: 1/3–1/2 of the name; H2: the motto's length


class _Flow:
    """Adds paragraphs to the body or to a table cell, using up the empty paragraph a new cell starts with."""

    def __init__(self, container: DocxDocument | _Cell) -> None:
        self._container = container
        self._spare: Paragraph | None = container.paragraphs[0] if isinstance(container, _Cell) else None

    def paragraph(
        self,
        text: str = "",
        *,
        size: int = SIZES.body,
        bold: bool = False,
        italic: bool = False,
        align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER,
        before: float = 0,
        after: float = 0,
    ) -> Paragraph:
        if self._spare is not None:
            paragraph, self._spare = self._spare, None
        else:
            added: Paragraph = self._container.add_paragraph()
            paragraph = added
        paragraph.alignment = align
        form = paragraph.paragraph_format
        form.space_before, form.space_after = Pt(before), Pt(after)
        form.line_spacing = 1.0
        if text:
            _run(paragraph, text, size=size, bold=bold, italic=italic)
        return paragraph

    def tag(self, tag: str) -> None:
        """A paragraph holding only a ``{%p … %}`` tag: docxtpl removes it when rendering."""
        self.paragraph(tag, align=WD_ALIGN_PARAGRAPH.LEFT)

    def body(self, text: str, *, italic: bool = False) -> Paragraph:
        paragraph = self.paragraph(text, italic=italic, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=BODY_SPACE_AFTER_PT)
        paragraph.paragraph_format.first_line_indent = Cm(BODY_FIRST_LINE_CM)
        paragraph.paragraph_format.line_spacing = BODY_LINE_SPACING
        return paragraph

    def rule(self, length_cm: float, width_cm: float) -> None:
        """A solid rule of ``length_cm`` centred in ``width_cm``: an empty 1-pt paragraph with a top border (a
        border on the text paragraph itself would squeeze the text between the indents)."""
        paragraph = self.paragraph(before=RULE_SPACE_PT)
        form = paragraph.paragraph_format
        form.left_indent = form.right_indent = Cm((width_cm - length_cm) / 2)
        _tiny_mark(paragraph)
        borders = OxmlElement("w:pBdr")
        top = OxmlElement("w:top")
        for name, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "000000")):
            top.set(qn(f"w:{name}"), value)
        borders.append(top)
        _insert_child(paragraph._p.get_or_add_pPr(), borders, _PPR_AFTER_BORDERS)


def _tiny_mark(paragraph: Paragraph) -> None:
    """Make an empty paragraph 1 pt high: the size of its paragraph mark."""
    mark = OxmlElement("w:rPr")
    for name in ("w:sz", "w:szCs"):
        size = OxmlElement(name)
        size.set(qn("w:val"), "2")
        mark.append(size)
    paragraph._p.get_or_add_pPr().append(mark)


def _run(paragraph: Paragraph, text: str, *, size: int, bold: bool = False, italic: bool = False) -> None:
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    _name_font(run._r.get_or_add_rPr())


def _name_font(rpr: BaseOxmlElement) -> None:
    """Times New Roman on all four script slots, no theme font left to override it (§3.3 step 2)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for theme in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{theme}"), None)
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{slot}"), FONT)


_PPR_AFTER_BORDERS = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:spacing", "w:ind", "w:jc", "w:rPr")
_TBLPR_AFTER_BORDERS = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook")


def _insert_child(parent: BaseOxmlElement, child: BaseOxmlElement, successors: Sequence[str]) -> None:
    """Insert ``child`` before the first existing element that the schema orders after it."""
    for name in successors:
        found = parent.find(qn(name))
        if found is not None:
            found.addprevious(child)
            return
    parent.append(child)


def _table(document: DocxDocument, columns_cm: tuple[float, float], rows: int) -> Table:
    """A fixed-width table without any border; widths on the columns and on every cell (LibreOffice reads
    the cell widths)."""
    table: Table = document.add_table(rows=rows, cols=len(columns_cm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    _insert_child(table._tbl.tblPr, borders, _TBLPR_AFTER_BORDERS)
    for index, width in enumerate(columns_cm):
        table.columns[index].width = Cm(width)
        for cell in table.columns[index].cells:
            cell.width = Cm(width)
    return table


def _text_width(column_cm: float) -> float:
    return column_cm - _CELL_PADDING_CM


def _agency_header(document: DocxDocument) -> None:
    """H1–H6: agency and number on the left, national title, motto and date line on the right."""
    left, right = HEADER_COLUMNS_CM
    table = _table(document, HEADER_COLUMNS_CM, rows=2)
    agency = _Flow(table.cell(0, 0))
    agency.tag("{%p if agency_parent %}")
    agency.paragraph("{{ agency_parent | upper }}", size=SIZES.agency)
    agency.tag("{%p endif %}")
    agency.paragraph("{{ agency_name | upper }}", size=SIZES.agency, bold=True)
    agency.rule(RULE_CM["agency"], _text_width(left))
    motto = _Flow(table.cell(0, 1))
    motto.paragraph(NATIONAL_TITLE, size=SIZES.national_title, bold=True)
    motto.paragraph(MOTTO, size=SIZES.motto, bold=True)
    motto.rule(RULE_CM["motto"], _text_width(right))
    _Flow(table.cell(1, 0)).paragraph(
        "{% if number_symbol %}Số: {{ number_symbol }}{% endif %}", size=SIZES.number, before=6
    )
    _Flow(table.cell(1, 1)).paragraph(_DATE_LINE, size=SIZES.date_line, italic=True, before=6)


def _citizen_header(flow: _Flow) -> None:
    """A citizen form: national title and motto centred on the page, the date line on the right."""
    flow.paragraph(NATIONAL_TITLE, size=SIZES.national_title, bold=True)
    flow.paragraph(MOTTO, size=SIZES.motto, bold=True)
    flow.rule(RULE_CM["motto"], _text_width(sum(HEADER_COLUMNS_CM)))
    flow.paragraph(_DATE_LINE, size=SIZES.date_line, italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT, before=6)


def _title_block(flow: _Flow) -> None:
    """T1, T2, T4 and T8: title, trích yếu with its rule, authority line, "Kính gửi"."""
    flow.paragraph("{{ title | upper }}", size=SIZES.title, bold=True, before=24)
    flow.tag("{%p if subtitle %}")
    flow.paragraph("{{ subtitle }}", size=SIZES.title, bold=True)
    flow.rule(RULE_CM["subtitle"], _text_width(sum(HEADER_COLUMNS_CM)))
    flow.tag("{%p endif %}")
    flow.tag("{%p if authority %}")
    flow.paragraph("{{ authority | upper }}", size=SIZES.title, bold=True, before=12)
    flow.tag("{%p endif %}")
    flow.tag("{%p if addressees | length == 1 %}")
    flow.paragraph("Kính gửi: {{ addressees[0] }}", before=12, after=6)
    flow.tag("{%p elif addressees %}")
    flow.paragraph("Kính gửi:", align=WD_ALIGN_PARAGRAPH.LEFT, before=12).paragraph_format.left_indent = Cm(3)
    flow.tag("{%p for addressee in addressees %}")
    line = flow.paragraph("- {{ addressee }}{% if loop.last %}.{% else %};{% endif %}", align=WD_ALIGN_PARAGRAPH.LEFT)
    line.paragraph_format.left_indent = Cm(4.5)
    flow.tag("{%p endfor %}")
    flow.tag("{%p endif %}")
    flow.paragraph(before=6)


def _body(flow: _Flow, form: FormBody | None) -> None:
    """T5, T6, T7, P6: legal bases, operative heading, then the form's own body (or, in the generic template,
    paragraphs, facts and closing paragraphs from the context)."""
    flow.tag("{%p for basis in legal_bases %}")
    flow.body("{{ basis }}{% if loop.last %}.{% else %};{% endif %}", italic=True)
    flow.tag("{%p endfor %}")
    flow.tag("{%p if operative_heading %}")
    flow.paragraph("{{ operative_heading | upper }}", size=SIZES.title, bold=True, before=6, after=6)
    flow.tag("{%p endif %}")
    if form is None:
        _paragraph_loop(flow, "paragraphs")
        _fact_loop(flow, "facts")
        _paragraph_loop(flow, "closing_paragraphs")
        return
    last = len(form.body) - 1
    for index, item in enumerate(form.body):
        if item.when:
            flow.tag(f"{{%p if {item.when} %}}")
        if item.block:
            _fact_loop(flow, "facts" if item.block == IDENTITY else "step_facts")
        else:
            text = item.text
            if index == last:
                text += "{% if citizen_form %}.{% else %}" + END_MARK + "{% endif %}"
            paragraph = flow.body(item.lead)
            if item.lead:
                paragraph.runs[0].font.bold = True
                text = " " + text
            _run(paragraph, text, size=SIZES.body)
        if item.when:
            flow.tag("{%p endif %}")


def _fact_loop(flow: _Flow, items: str) -> None:
    flow.tag(f"{{%p for fact in {items} %}}")
    flow.body("{{ fact.label }}: {{ fact.value }}")
    flow.tag("{%p endfor %}")


def _paragraph_loop(flow: _Flow, items: str) -> None:
    """One body paragraph per item, its lead ("Điều 1.") in bold."""
    flow.tag(f"{{%p for paragraph in {items} %}}")
    paragraph = flow.body("{{ paragraph.lead }}")
    paragraph.runs[0].font.bold = True
    _run(paragraph, "{% if paragraph.lead %} {% endif %}{{ paragraph.text }}", size=SIZES.body)
    flow.tag("{%p endfor %}")


def _signature_block(document: DocxDocument) -> None:
    """§2.5 and N1–N2: recipients on the left (not on citizen forms), the signature on the right."""
    _Flow(document).paragraph(before=6)
    table = _table(document, SIGNATURE_COLUMNS_CM, rows=1)
    recipients = _Flow(table.cell(0, 0))
    recipients.paragraph(
        "{% if recipients and not citizen_form %}Nơi nhận:{% endif %}",
        size=SIZES.recipients_label,
        bold=True,
        italic=True,
        align=WD_ALIGN_PARAGRAPH.LEFT,
    )
    recipients.tag("{%p for recipient in (recipients if not citizen_form else []) %}")
    recipients.paragraph(
        "- {{ recipient }}{% if loop.last %}.{% else %};{% endif %}",
        size=SIZES.recipients,
        align=WD_ALIGN_PARAGRAPH.LEFT,
    )
    recipients.tag("{%p endfor %}")
    # The QR code leads to the public check of this document (GET /api/v1/documents/verify/<code>); it sits
    # under the recipients, beside the signature, so it adds no page.
    recipients.tag("{%p if verification_code %}")
    recipients.paragraph("{{ qr }}", align=WD_ALIGN_PARAGRAPH.LEFT, before=6)
    recipients.paragraph(
        "Mã xác thực: {{ verification_code }}", size=SIZES.recipients, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT
    )
    recipients.tag("{%p endif %}")
    signature = _Flow(table.cell(0, 1))
    signature.tag("{%p if signature_mode %}")
    signature.paragraph("{{ signature_mode | upper }}", size=SIZES.signature, bold=True)
    signature.tag("{%p endif %}")
    signature.paragraph("{{ signer_title | upper }}", size=SIZES.signature, bold=True)
    signature.paragraph("{{ signer_name }}", size=SIZES.signature, bold=True, before=SIGNATURE_SPACE_PT)
    _tiny_mark(_Flow(document).paragraph())


def _page(section: Section) -> None:
    """P1–P3 and P5: A4 portrait, the margins, page numbers centred in the top margin from page 2 on."""
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance = section.footer_distance = Mm(HEADER_DISTANCE_MM)
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind in ("begin", "instr", "end"):
        run = number.add_run()
        run.font.size = Pt(SIZES.page_number)
        _name_font(run._r.get_or_add_rPr())
        if kind == "instr":
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = " PAGE "
            run._r.append(instruction)
        else:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
            run._r.append(field)


def _styles(document: DocxDocument) -> None:
    """Times New Roman in the document defaults and in every style; 14 pt, single spacing, Vietnamese."""
    styles = document.styles.element
    for fonts in styles.iter(qn("w:rFonts")):
        _name_font(fonts.getparent())
    defaults = styles.find(qn("w:docDefaults"))
    assert defaults is not None
    for element in defaults.iter(qn("w:sz"), qn("w:szCs")):
        element.set(qn("w:val"), str(SIZES.body * 2))
    for element in defaults.iter(qn("w:lang")):
        element.set(qn("w:val"), LANGUAGE)
    for element in defaults.iter(qn("w:spacing")):
        element.attrib.clear()
        element.set(qn("w:after"), "0")
        element.set(qn("w:line"), "240")
        element.set(qn("w:lineRule"), "auto")
    normal = document.styles["Normal"]
    normal.font.size = Pt(SIZES.body)
    _name_font(normal.element.get_or_add_rPr())


def _properties(document: DocxDocument) -> None:
    """Fixed document properties (no build time in the file) and no leftovers of the blank document."""
    properties = document.core_properties
    properties.title = "Mẫu văn bản hành chính theo Nghị định 30/2020/NĐ-CP"
    properties.author = properties.last_modified_by = "hoso"
    properties.comments = ""
    properties.language = LANGUAGE
    properties.created = properties.modified = FIXED_TIME
    properties.revision = 1
    for rel_id, rel in list(document.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            document.part.drop_rel(rel_id)
    package_rels = document.part.package.rels
    for rel_id, rel in list(package_rels.items()):
        if rel.reltype == RELATIONSHIP_TYPE.THUMBNAIL:
            del package_rels[rel_id]


def _preserve_spaces(document: DocxDocument) -> None:
    """Keep every space a value brings (a blank number is six spaces)."""
    for part in [document.part, *(section.header.part for section in document.sections)]:
        for text in part.element.iter(qn("w:t")):
            text.set(qn("xml:space"), "preserve")


def build_template(form: FormBody | None = None) -> DocxDocument:
    """The generic template (``form`` None) or the template of one form, whose body is its own."""
    document = Document()
    _styles(document)
    _properties(document)
    _page(document.sections[0])
    flow = _Flow(document)
    flow.tag("{%p if not citizen_form %}")
    _agency_header(document)
    flow.tag("{%p else %}")
    _citizen_header(flow)
    flow.tag("{%p endif %}")
    _title_block(flow)
    _body(flow, form)
    _signature_block(document)
    _preserve_spaces(document)
    return document


def template_bytes(form: FormBody | None = None) -> bytes:
    """The .docx file, its zip entries in a fixed order with a fixed time stamp: the same bytes each run."""
    raw = io.BytesIO()
    build_template(form).save(raw)
    output = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return output.getvalue()


def form_template_path(code: str, directory: Path = TEMPLATES_DIR) -> Path:
    """A form's template is named after its code (``nd105.m03.docx``)."""
    return directory / f"{code}.docx"


def every_template(config_dir: Path | None = None) -> dict[Path, bytes]:
    """The generic template and one per form described in ``config/documents.d``."""
    bodies = form_bodies() if config_dir is None else form_bodies(config_dir)
    built = {TEMPLATE_PATH: template_bytes()}
    for code, body in sorted(bodies.items()):
        built[form_template_path(code)] = template_bytes(body)
    return built


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m documents.layout",
        description="Tạo lại các mẫu văn bản theo Nghị định 30/2020/NĐ-CP trong documents/templates.",
    )
    parser.add_argument("--check", action="store_true", help="chỉ so sánh, không ghi; mã thoát 1 nếu khác")
    parser.add_argument("--only", nargs="+", metavar="MÃ_MẪU", help="chỉ tạo lại mẫu của các mã này")
    arguments = parser.parse_args(argv)
    if arguments.only:
        bodies = form_bodies()
        unknown = [code for code in arguments.only if code not in bodies]
        if unknown:
            print(f"Không có nội dung mẫu cho: {', '.join(unknown)}")
            return 2
        built = {form_template_path(code): template_bytes(bodies[code]) for code in arguments.only}
    else:
        built = every_template()
    stale = [path for path, data in built.items() if not path.is_file() or path.read_bytes() != data]
    extra = [] if arguments.only else sorted(set(TEMPLATES_DIR.glob("*.docx")) - set(built))
    if arguments.check:
        for path in stale:
            print(f"{path.name}: KHÁC với mã dựng mẫu, hãy chạy lại: python -m documents.layout")
        for path in extra:
            print(f"{path.name}: không ứng với mẫu nào trong config/documents.d")
        print(f"{len(built)} mẫu, {len(stale)} khác, {len(extra)} thừa")
        return 0 if not stale and not extra else 1
    TEMPLATES_DIR.mkdir(parents=True, exist_ok=True)
    for path in stale:
        path.write_bytes(built[path])
    for path in extra:
        path.unlink()
    print(f"Đã ghi {len(stale)} mẫu, xóa {len(extra)} mẫu thừa ({len(built)} mẫu trong {TEMPLATES_DIR})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
