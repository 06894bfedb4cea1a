"""Reading a rendered document back with python-docx and checking it against the NĐ 30/2020 checklist
(shared/documents-spec.md §2.8): page, margins, fonts and sizes, motto, number and date formats, the
closing mark, recipients, signature prefix against the authority line, diacritics, no template tag left."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from documents.context import BLANK_NUMBER
from documents.layout import MOTTO, NATIONAL_TITLE

FONT = "Times New Roman"
SIZES = {10.0, 11.0, 12.0, 13.0, 14.0}
NUMBER_RE = re.compile(rf"^Số: (\d{{2,}}|{BLANK_NUMBER})/[A-Za-zĐđ]+(-[A-Za-zĐđ0-9]+)+$")
DATE_RE = re.compile(r"^[^,]+, ngày (0[1-9]|[12]\d|3[01]) tháng (0[12]|[3-9]|1[0-2]) năm \d{4}$")


@dataclass(frozen=True)
class ReadBack:
    document: DocxDocument
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def paragraphs(document: DocxDocument) -> Iterator[Paragraph]:
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                for cell in row.cells:
                    yield from cell.paragraphs
        else:
            yield block


def read_back(data: bytes, *, citizen: bool, person_name: str) -> ReadBack:
    """Open ``data`` and assert the checklist; returns the document and its lines for further checks."""
    document = Document(io.BytesIO(data))
    lines = [p.text for p in paragraphs(document)]
    text = "\n".join(lines)
    section = document.sections[0]
    assert section.page_width is not None and abs(section.page_width.mm - 210) <= 0.5
    assert section.page_height is not None and abs(section.page_height.mm - 297) <= 0.5
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.mm) if m is not None else None for m in margins] == [20, 20, 30, 15]
    for run in document.element.body.iter(qn("w:r")):
        written = "".join(t.text or "" for t in run.iter(qn("w:t")))
        if not written:
            continue
        fonts = run.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        assert fonts is not None and all(fonts.get(qn(f"w:{slot}")) == FONT for slot in ("ascii", "hAnsi")), written
        size = run.find(f"{qn('w:rPr')}/{qn('w:sz')}")
        assert size is not None and int(size.get(qn("w:val")) or 0) / 2 in SIZES, written
    assert NATIONAL_TITLE in lines and MOTTO in lines
    assert sum(1 for line in lines if DATE_RE.fullmatch(line)) == 1, text
    assert "{{" not in text and "{%" not in text and "}}" not in text, text
    assert text == unicodedata.normalize("NFC", text)
    assert person_name in text, text
    if citizen:
        assert not any(line.startswith("Số:") for line in lines) and "Nơi nhận:" not in lines
        return ReadBack(document, lines)
    numbers = [line for line in lines if line.startswith("Số:")]
    assert len(numbers) == 1 and NUMBER_RE.fullmatch(numbers[0]), numbers
    assert "Nơi nhận:" in lines
    recipients = lines[lines.index("Nơi nhận:") + 1 :]
    listed = [line for line in recipients if line.startswith("- ")]
    assert listed and all(line.endswith(";") for line in listed[:-1]) and listed[-1].endswith("."), listed
    body_end = [line for line in lines if line.endswith("./.")]
    assert len(body_end) == 1, "văn bản của cơ quan kết thúc nội dung bằng ./."
    signature = [line for line in lines if line.startswith(("TM.", "KT."))]
    authority_lines = [line for line in lines if line.isupper() and line.startswith(("CHỦ TỊCH", "TRƯỞNG", "GIÁM ĐỐC"))]
    if signature and signature[0].startswith("TM.") and authority_lines:
        assert authority_lines[0].startswith(signature[0][3:].strip()), "ký TM. tập thể nhưng thẩm quyền là cá nhân"
    return ReadBack(document, lines)
