"""Reading a published table (xlsx or CSV) into cells that keep their address (``D7``), what they show, and, for
spreadsheet cells, their number format: a percentage cell formatted ``0.0%`` holds 0.075 and shows 7,5%."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from states.errors import InvalidInputError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 100


@dataclass(frozen=True)
class Cell:
    ref: str
    text: str
    value: int | float | str | datetime | date | None = None
    decimals: int | None = None
    """Decimals the spreadsheet's number format shows (None: as written)."""
    percent: bool = False
    """The spreadsheet shows the value × 100 with a % sign."""

    def number(self) -> tuple[Decimal, int] | None:
        """The value the cell shows and its decimals; Vietnamese writing is read ("1.234", "12,5", "25%")."""
        if isinstance(self.value, bool | datetime | date):
            return None
        if isinstance(self.value, int | float):
            value = Decimal(str(self.value)) * (100 if self.percent else 1)
            exponent = value.normalize().as_tuple().exponent
            shown = max(0, -exponent) if isinstance(exponent, int) else 0
            return value, self.decimals if self.decimals is not None else shown
        return parse_number(self.text)


def parse_number(text: str) -> tuple[Decimal, int] | None:
    cleaned = text.strip().replace("\u00a0", " ").removesuffix("%").strip().replace(" ", "")
    sign = ""
    if cleaned[:1] in "+-" and cleaned[1:2].isdigit():
        sign, cleaned = ("-" if cleaned[0] == "-" else ""), cleaned[1:]
    whole, decimals = cleaned, ""
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", cleaned):  # 1.234.567: dots group thousands
        whole = cleaned.replace(".", "")
    elif re.fullmatch(r"\d{1,3}(,\d{3}){2,}", cleaned):  # 1,234,567
        whole = cleaned.replace(",", "")
    elif found := re.fullmatch(r"(\d{1,3}(?:\.\d{3})+),(\d+)", cleaned):  # 1.234,5
        whole, decimals = found.group(1).replace(".", ""), found.group(2)
    elif found := re.fullmatch(r"(\d+)[,.](\d+)", cleaned):  # 12,5 or 12.5
        whole, decimals = found.group(1), found.group(2)
    elif not re.fullmatch(r"\d+", cleaned):
        return None
    try:
        return Decimal(f"{sign}{whole}.{decimals}" if decimals else f"{sign}{whole}"), len(decimals)
    except InvalidOperation:
        return None


def read_table(file_name: str, content: bytes) -> list[list[Cell]]:
    if len(content) > MAX_BYTES:
        raise InvalidInputError(f"Tệp lớn hơn {MAX_BYTES // (1024 * 1024)} MB", field="file")
    if not content:
        raise InvalidInputError("Tệp rỗng", field="file")
    if content[:2] == b"PK" or file_name.lower().endswith(".xlsx"):
        return _xlsx(content)
    return _csv(content)


def _xlsx(content: bytes) -> list[list[Cell]]:
    try:
        book = load_workbook(io.BytesIO(content), data_only=True, read_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InvalidInputError(f"Không đọc được tệp xlsx: {exc.__class__.__name__}", field="file") from None
    sheet = book.worksheets[0]
    rows: list[list[Cell]] = []
    for r, row in enumerate(sheet.iter_rows(max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS), start=1):
        if r > MAX_ROWS:
            raise InvalidInputError(f"Bảng có hơn {MAX_ROWS} dòng", field="file")
        cells = []
        for c, cell in enumerate(row, start=1):
            value = getattr(cell, "value", None)
            number_format = str(getattr(cell, "number_format", "") or "")
            cells.append(
                Cell(
                    ref=f"{get_column_letter(c)}{r}",
                    text="" if value is None else str(value),
                    value=value if isinstance(value, int | float | str | datetime | date) else None,
                    decimals=_format_decimals(number_format) if isinstance(value, int | float) else None,
                    percent=number_format.endswith("%"),
                )
            )
        rows.append(cells)
    book.close()
    return rows


def _format_decimals(number_format: str) -> int | None:
    found = re.search(r"0\.(0+)", number_format)
    if found:
        return len(found.group(1))
    return 0 if re.search(r"(^|[^.])0(%|$|;)", number_format) else None


def _csv(content: bytes) -> list[list[Cell]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError("Tệp CSV phải mã hóa UTF-8", field="file") from None
    if "\x00" in text:
        raise InvalidInputError("Tệp không phải bảng CSV hay xlsx", field="file")
    delimiter = _delimiter(text)
    rows: list[list[Cell]] = []
    try:
        for r, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
            if r > MAX_ROWS:
                raise InvalidInputError(f"Bảng có hơn {MAX_ROWS} dòng", field="file")
            rows.append(
                [
                    Cell(ref=f"{get_column_letter(c)}{r}", text=value)
                    for c, value in enumerate(row[:MAX_COLUMNS], start=1)
                ]
            )
    except csv.Error as exc:
        raise InvalidInputError(f"Không đọc được tệp CSV: {exc}", field="file") from None
    return rows


def _delimiter(text: str) -> str:
    """The separator that splits the most lines into the same number (above one) of fields: a plan's table has
    many rows of equal width, whatever commas its headers and decimal numbers hold."""
    head = text.splitlines()[:50]
    best, chosen = (0, 0), ","
    for candidate in (";", ",", "\t"):
        try:
            widths = [len(row) for row in csv.reader(head, delimiter=candidate) if len(row) > 1]
        except csv.Error:
            continue
        if widths:
            common = max(set(widths), key=widths.count)
            score = (widths.count(common), common)
            if score > best:
                best, chosen = score, candidate
    return chosen
