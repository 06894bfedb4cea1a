"""The NĐ 30/2020 template, rendered for a decision and for a citizen form and read back with python-docx:
page, margins, fonts and sizes, header table, date and number lines, body, signature, recipients
(shared/documents-spec.md §2.8), and the committed .docx against the code that builds it."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Mm
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined, UndefinedError
from pydantic import ValidationError

from documents.bodies import form_bodies
from documents.context import (
    BLANK_NUMBER,
    BodyParagraph,
    DocumentContext,
    Fact,
    number_symbol,
    vietnamese_date_parts,
)
from documents.layout import MOTTO, NATIONAL_TITLE, TEMPLATE_PATH, TEMPLATES_DIR, every_template, template_bytes
from tests.documents.readback import paragraphs

FONT = "Times New Roman"
NUMBER_RE = re.compile(r"^Số: \d{2,}/[A-Za-zĐđ]+(-[A-Za-zĐđ0-9]+)+$")
DATE_RE = re.compile(r", ngày (0[1-9]|[12]\d|3[01]) tháng (0[12]|[3-9]|1[0-2]) năm \d{4}$")
LETTERS = "ẮẰẲẴẶ ẤẦẨẪẬ ỐỒỔỖỘ ỚỜỞỠỢ ỨỪỬỮỰ đ Đ ơ ư ỹ"


def decision() -> DocumentContext:
    day, month, year = vietnamese_date_parts(date(2026, 3, 5))
    return DocumentContext(
        agency_parent="Ủy ban nhân dân thành phố Hà Nội",
        agency_name="Ủy ban nhân dân\nphường Hoàn Kiếm",
        number_symbol=number_symbol(12, "QĐ", "UBND"),
        place="Hoàn Kiếm",
        day=day,
        month=month,
        year=year,
        title="Quyết định",
        subtitle="Về việc áp dụng biện pháp giáo dục tại xã, phường, thị trấn",
        authority="Chủ tịch Ủy ban nhân dân phường Hoàn Kiếm",
        legal_bases=(
            "Căn cứ Luật Tổ chức chính quyền địa phương;",
            "Căn cứ Luật Xử lý vi phạm hành chính",
            "Theo đề nghị của Trưởng Công an phường Hoàn Kiếm.",
        ),
        operative_heading="Quyết định:",
        paragraphs=(BodyParagraph(lead="Điều 1.", text="Áp dụng biện pháp giáo dục tại phường đối với:"),),
        facts=(
            Fact(label="Họ và tên", value=unicodedata.normalize("NFD", "Nguyễn Văn Ấn")),
            Fact(label="Nơi cư trú", value=LETTERS),
        ),
        closing_paragraphs=(
            BodyParagraph(lead="Điều 2.", text="Thời hạn áp dụng 03 tháng, kể từ ngày ký & <không> gia hạn."),
            BodyParagraph(lead="Điều 3.", text="Những người có tên tại Điều 1 thi hành Quyết định này."),
        ),
        signature_mode="KT. Chủ tịch",
        signer_title="Phó Chủ tịch",
        signer_name="Trần Thị Bình",
        recipients=("Như Điều 3;", "- Công an phường", "Lưu: VT."),
    )


def citizen() -> DocumentContext:
    """A citizen form given agency values, a number and recipients anyway: the flag hides them."""
    day, month, year = vietnamese_date_parts(date(2026, 2, 12))
    return DocumentContext(
        citizen_form=True,
        agency_name="ỦY BAN NHÂN DÂN PHƯỜNG HOÀN KIẾM",
        number_symbol="07/QĐ-UBND",
        place="Hoàn Kiếm",
        day=day,
        month=month,
        year=year,
        title="Đơn đề nghị",
        subtitle="Xác định tình trạng nghiện ma túy",
        addressees=("Trạm Y tế phường Hoàn Kiếm",),
        paragraphs=("Tôi là: Nguyễn Văn Ấn", "Tôi xin cam đoan những nội dung trên là đúng sự thật."),
        signer_title="Người làm đơn",
        signer_name="Nguyễn Văn Ấn",
        recipients=("Lưu hồ sơ",),
    )


def render_bytes(data: dict[str, Any]) -> bytes:
    template = DocxTemplate(str(TEMPLATE_PATH))
    template.render(data, jinja_env=Environment(undefined=StrictUndefined, autoescape=True))
    output = io.BytesIO()
    template.save(output)
    return output.getvalue()


def render(context: DocumentContext) -> DocxDocument:
    return Document(io.BytesIO(render_bytes(context.as_template_data())))


@pytest.fixture(scope="module")
def decided() -> DocxDocument:
    return render(decision())


@pytest.fixture(scope="module")
def filed() -> DocxDocument:
    return render(citizen())


def line(document: DocxDocument, pattern: str) -> Paragraph:
    found = [p for p in paragraphs(document) if re.fullmatch(pattern, p.text)]
    assert len(found) == 1, (pattern, [p.text for p in paragraphs(document)])
    return found[0]


def written(paragraph: Paragraph) -> list[Run]:
    return [run for run in paragraph.runs if run.text]


def assert_type(paragraph: Paragraph, size: int, *, bold: bool = False, italic: bool = False) -> None:
    for run in written(paragraph):
        assert run.font.size is not None and run.font.size.pt == size, (paragraph.text, run.font.size)
        assert bool(run.font.bold) is bold and bool(run.font.italic) is italic, (paragraph.text, run.text)


def has_rule(paragraph: Paragraph) -> bool:
    return paragraph._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}/{qn('w:top')}") is not None


def all_text(document: DocxDocument) -> str:
    return "\n".join(p.text for p in paragraphs(document))


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


def test_page_is_a4_portrait_with_the_checklist_margins(decided: DocxDocument) -> None:
    section = decided.sections[0]
    assert section.page_width is not None and section.page_height is not None
    assert abs(section.page_width.mm - 210) <= 0.5 and abs(section.page_height.mm - 297) <= 0.5
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert all(margin is not None for margin in margins)
    top, bottom, left, right = (Mm(0) if margin is None else margin for margin in margins)
    expected = {"top": (20, 20, 25), "bottom": (20, 20, 25), "left": (30, 30, 35), "right": (15, 15, 20)}
    for (edge, (value, low, high)), margin in zip(expected.items(), (top, bottom, left, right), strict=True):
        assert abs(margin.mm - value) < 0.1 and low - 0.1 < margin.mm < high + 0.1, edge  # stored in twips


def test_page_numbers_from_page_two_centred_in_the_top_margin(decided: DocxDocument) -> None:
    section = decided.sections[0]
    assert section.different_first_page_header_footer
    assert "PAGE" not in section.first_page_header._element.xml
    number = section.header.paragraphs[0]
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert [text.text for text in number._p.iter(qn("w:instrText"))] == [" PAGE "]
    assert_type(number, 13)
    assert all(run.font.size is not None and run.font.size.pt == 13 for run in number.runs)


def run_fonts(document: DocxDocument) -> Iterator[tuple[str, Any]]:
    parts = [document.element.body, *(h._element for s in document.sections for h in (s.header, s.first_page_header))]
    for part in parts:
        for run in part.iter(qn("w:r")):
            yield "".join(t.text or "" for t in run.iter(qn("w:t"))), run


@pytest.mark.parametrize("which", ["decided", "filed"])
def test_every_run_and_style_names_times_new_roman_in_the_allowed_sizes(which: str, request: Any) -> None:
    document: DocxDocument = request.getfixturevalue(which)
    slots = ("ascii", "hAnsi", "eastAsia", "cs")
    for text, run in run_fonts(document):
        fonts = run.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        assert fonts is not None, text
        assert [fonts.get(qn(f"w:{slot}")) for slot in slots] == [FONT] * 4, text
        size = run.find(f"{qn('w:rPr')}/{qn('w:sz')}")
        assert size is not None and int(size.get(qn("w:val"))) / 2 in {10, 11, 12, 13, 14}, text
    for fonts in document.styles.element.iter(qn("w:rFonts")):
        assert [fonts.get(qn(f"w:{slot}")) for slot in slots] == [FONT] * 4
        assert not any("Theme" in name or "theme" in name for name in fonts.attrib)
    normal = document.styles["Normal"]
    assert normal.font.name == FONT and normal.font.size is not None and normal.font.size.pt == 14
    for paragraph in (block for block in document.iter_inner_content() if isinstance(block, Paragraph)):
        for run in written(paragraph):
            assert run.font.size is not None and run.font.size.pt in {13, 14}, paragraph.text


def test_header_table_has_agency_number_motto_and_date_without_borders(decided: DocxDocument) -> None:
    header = decided.tables[0]
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = header._tbl.tblPr.find(f"{qn('w:tblBorders')}/{qn(f'w:{edge}')}")
        assert element is not None and element.get(qn("w:val")) in {"nil", "none"}, edge
    assert header._tbl.tblPr.find(qn("w:tblStyle")) is None
    assert not list(header._tbl.iter(qn("w:tcBorders")))
    widths = [cell.width for cell in header.rows[0].cells]
    assert [round(w.cm, 2) for w in widths if w is not None] == [6.0, 10.5]
    agency, motto = header.cell(0, 0), header.cell(0, 1)
    assert [p.text for p in agency.paragraphs if p.text] == [
        "ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI",
        "ỦY BAN NHÂN DÂN\nPHƯỜNG HOÀN KIẾM",
    ]
    assert_type(agency.paragraphs[0], 13)
    assert_type(agency.paragraphs[1], 13, bold=True)
    assert agency.paragraphs[2].text == "" and has_rule(agency.paragraphs[2])
    assert [p.text for p in motto.paragraphs if p.text] == [NATIONAL_TITLE, MOTTO]
    assert NATIONAL_TITLE == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and MOTTO == "Độc lập - Tự do - Hạnh phúc"
    assert_type(motto.paragraphs[0], 13, bold=True)
    assert_type(motto.paragraphs[1], 14, bold=True)
    assert motto.paragraphs[2].text == "" and has_rule(motto.paragraphs[2])
    number = header.cell(1, 0).paragraphs[0]
    assert number.text == "Số: 12/QĐ-UBND" and NUMBER_RE.match(number.text)
    assert_type(number, 13)
    dated = header.cell(1, 1).paragraphs[0]
    assert re.fullmatch(r"^Hoàn Kiếm, ngày 05 tháng 3 năm 2026$", dated.text) and DATE_RE.search(dated.text)
    assert_type(dated, 14, italic=True)


def test_title_authority_and_legal_bases(decided: DocxDocument) -> None:
    title = line(decided, "QUYẾT ĐỊNH")
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert_type(title, 14, bold=True)
    subtitle = line(decided, "Về việc áp dụng biện pháp giáo dục tại xã, phường, thị trấn")
    assert subtitle.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert_type(subtitle, 14, bold=True)
    assert_type(line(decided, "CHỦ TỊCH ỦY BAN NHÂN DÂN PHƯỜNG HOÀN KIẾM"), 14, bold=True)
    bases = [p for p in paragraphs(decided) if p.text.startswith(("Căn cứ", "Theo đề nghị"))]
    assert [p.text for p in bases] == [
        "Căn cứ Luật Tổ chức chính quyền địa phương;",
        "Căn cứ Luật Xử lý vi phạm hành chính;",
        "Theo đề nghị của Trưởng Công an phường Hoàn Kiếm.",
    ]
    for basis in bases:
        assert_type(basis, 14, italic=True)
    assert_type(line(decided, "QUYẾT ĐỊNH:"), 14, bold=True)


def test_body_paragraphs_facts_and_closing_mark(decided: DocxDocument) -> None:
    first = line(decided, "Điều 1. Áp dụng biện pháp giáo dục tại phường đối với:")
    assert [(run.text, bool(run.font.bold)) for run in written(first)] == [
        ("Điều 1.", True),
        (" Áp dụng biện pháp giáo dục tại phường đối với:", False),
    ]
    form = first.paragraph_format
    assert first.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert form.first_line_indent is not None and abs(form.first_line_indent - Cm(1.27)) < Cm(0.01)
    assert form.space_after is not None and form.space_after.pt >= 6
    assert isinstance(form.line_spacing, float) and 1.0 <= form.line_spacing <= 1.5
    assert_type(line(decided, "Họ và tên: Nguyễn Văn Ấn"), 14)
    line(decided, f"Nơi cư trú: {LETTERS}")
    line(decided, r"Điều 2\. Thời hạn áp dụng 03 tháng, kể từ ngày ký & <không> gia hạn\.")
    last = line(decided, r"Điều 3\. .*")
    assert last.text.endswith("Quyết định này./.")


def test_signature_and_recipients(decided: DocxDocument) -> None:
    block = decided.tables[-1]
    left, right = block.cell(0, 0), block.cell(0, 1)
    label, *recipients = [p for p in left.paragraphs if p.text]
    assert label.text == "Nơi nhận:"
    assert_type(label, 12, bold=True, italic=True)
    assert [p.text for p in recipients] == ["- Như Điều 3;", "- Công an phường;", "- Lưu: VT."]
    for recipient in recipients:
        assert_type(recipient, 11)
    mode, office, name = [p for p in right.paragraphs if p.text]
    assert (mode.text, office.text, name.text) == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Trần Thị Bình")
    for paragraph in (mode, office, name):
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
        assert_type(paragraph, 14, bold=True)
    assert name.paragraph_format.space_before is not None and name.paragraph_format.space_before.pt >= 48


@pytest.mark.parametrize("which", ["decided", "filed"])
def test_text_is_nfc_and_no_template_tag_is_left(which: str, request: Any) -> None:
    document: DocxDocument = request.getfixturevalue(which)
    text = all_text(document)
    assert text == unicodedata.normalize("NFC", text)
    assert "Nguyễn Văn Ấn" in text
    xml = document.element.xml + "".join(s.header._element.xml for s in document.sections)
    for mark in ("{{", "}}", "{%", "%}", "{#"):
        assert mark not in xml, mark


def test_citizen_form_has_motto_date_title_and_signature_but_no_agency_number_or_recipients(
    filed: DocxDocument,
) -> None:
    text = all_text(filed)
    assert "ỦY BAN NHÂN DÂN" not in text and "Số:" not in text and "Nơi nhận" not in text and "Lưu" not in text
    assert len(filed.tables) == 1
    for wording, size in ((NATIONAL_TITLE, 13), (MOTTO, 14)):
        paragraph = line(filed, wording)
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
        assert_type(paragraph, size, bold=True)
    dated = line(filed, r"Hoàn Kiếm, ngày 12 tháng 02 năm 2026")
    assert_type(dated, 14, italic=True)
    assert_type(line(filed, "ĐƠN ĐỀ NGHỊ"), 14, bold=True)
    line(filed, "Kính gửi: Trạm Y tế phường Hoàn Kiếm")
    assert line(filed, "Tôi xin cam đoan những nội dung trên là đúng sự thật.").text.endswith("thật.")
    _, right = filed.tables[0].row_cells(0)
    assert [p.text for p in right.paragraphs if p.text] == ["NGƯỜI LÀM ĐƠN", "Nguyễn Văn Ấn"]


def test_unissued_number_keeps_its_blank_and_several_addressees_are_listed() -> None:
    context = decision().model_copy(
        update={"number_symbol": number_symbol(None, "QĐ", "UBND"), "addressees": ("Công an phường", "Trạm Y tế")}
    )
    document = render(context)
    assert document.tables[0].cell(1, 0).paragraphs[0].text == f"Số: {BLANK_NUMBER}/QĐ-UBND"
    texts = [p.text for p in paragraphs(document)]
    start = texts.index("Kính gửi:")
    assert texts[start + 1 : start + 3] == ["- Công an phường;", "- Trạm Y tế."]


FORM_BLOCKS = {"person", "dossier", "step", "agency", "form", "step_facts"}
"""Context fields only the templates of particular forms read."""


def test_template_variables_are_exactly_the_context_fields() -> None:
    template = DocxTemplate(str(TEMPLATE_PATH))
    assert template.get_undeclared_template_variables() == set(DocumentContext.model_fields) - FORM_BLOCKS | {"qr"}
    for context in (decision(), citizen()):
        data = context.as_template_data()
        assert template.get_undeclared_template_variables(context=data) == {"qr"}


def test_every_form_template_reads_only_context_fields_and_the_qr_code() -> None:
    built = every_template()
    assert len(built) == len(form_bodies()) + 1
    for path in built:
        variables = DocxTemplate(str(path)).get_undeclared_template_variables()
        assert variables <= set(DocumentContext.model_fields) | {"qr"}, path.name


@pytest.mark.parametrize("missing", ["signer_name", "citizen_form", "facts"])
def test_rendering_without_a_field_fails(missing: str) -> None:
    data = decision().as_template_data()
    del data[missing]
    with pytest.raises(UndefinedError):
        render_bytes(data)


def test_committed_templates_are_what_the_layout_code_builds() -> None:
    built = template_bytes()
    assert built == template_bytes()
    committed = parts(TEMPLATE_PATH.read_bytes())
    assert committed["word/document.xml"] == parts(built)["word/document.xml"]
    for path, data in every_template().items():
        assert path.read_bytes() == data, f"{path.name}: run python -m documents.layout"
    assert set(TEMPLATES_DIR.glob("*.docx")) == set(every_template()), "run: python -m documents.layout"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 5), ("05", "3", "2026")),
        (date(2026, 2, 12), ("12", "02", "2026")),
        (date(2026, 1, 9), ("09", "01", "2026")),
        (date(2025, 12, 31), ("31", "12", "2025")),
        (date(2026, 10, 10), ("10", "10", "2026")),
    ],
)
def test_vietnamese_date_parts_pad_days_below_10_and_months_below_3(day: date, expected: tuple[str, ...]) -> None:
    assert vietnamese_date_parts(day) == expected


def test_number_symbol() -> None:
    assert number_symbol(12, "QĐ", "UBND") == "12/QĐ-UBND"
    assert number_symbol(5, "TB", "CAX") == "05/TB-CAX"
    assert number_symbol(None, "QĐ", "UBND") == f"{BLANK_NUMBER}/QĐ-UBND"
    assert number_symbol(None, None, "UBND") == number_symbol(3, "none", "UBND") == ""
    for bad in ((0, "QĐ", "UBND"), (1, "Q Đ", "UBND"), (1, "QĐ", "UBND/VX")):
        with pytest.raises(ValueError):
            number_symbol(*bad)


@pytest.mark.parametrize(
    "change",
    [
        {"day": "5"},
        {"month": "03"},
        {"agency_name": ""},
        {"signer_name": " "},
        {"signature_mode": "Thay mặt Ủy ban nhân dân"},
        {"signature_mode": "TM. Ủy ban nhân dân"},
    ],
)
def test_context_refuses_what_the_checklist_forbids(change: dict[str, str]) -> None:
    """The last case: a decision headed by the Chairman cannot be signed for the committee (TM.)."""
    data = decision().model_dump()
    data.update(change)
    with pytest.raises(ValidationError):
        DocumentContext(**data)


def test_collective_signature_matches_a_collective_authority() -> None:
    context = decision().model_copy(update={"authority": "", "signature_mode": "TM. Ủy ban nhân dân\nKT. Chủ tịch"})
    DocumentContext(**context.model_dump())
    DocumentContext(**{**context.model_dump(), "authority": "Ủy ban nhân dân phường Hoàn Kiếm"})
    document = render(context)
    signature = [p.text for p in document.tables[-1].cell(0, 1).paragraphs if p.text]
    assert signature[0] == "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH"


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")), reason="LibreOffice không có")
def test_pdf_keeps_the_vietnamese_text_and_numbers_pages_from_two(tmp_path: Path) -> None:
    many = tuple(BodyParagraph(text=f"Đoạn {n}. {LETTERS}") for n in range(40))
    long = decision().model_copy(update={"paragraphs": many})
    source = tmp_path / "quyet-dinh.docx"
    source.write_bytes(render_bytes(long.as_template_data()))
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    pdf = tmp_path / "quyet-dinh.pdf"

    def page(number: int) -> str:
        command = ["pdftotext", "-layout", "-f", str(number), "-l", str(number), str(pdf), "-"]
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout

    first, second = page(1), page(2)
    assert NATIONAL_TITLE in first and "Hoàn Kiếm, ngày 05 tháng 3 năm 2026" in first and LETTERS in first
    assert first.strip().splitlines()[0].strip() != "1"
    assert second.strip().splitlines()[0].strip() == "2"
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    names = [row.split()[0].split("+")[-1] for row in fonts.splitlines()[2:]]
    assert names and all(name.startswith(("LiberationSerif", "TimesNewRoman")) for name in names), names
