"""Plan targets per unit and year, imported from the table a province publishes (xlsx or CSV) and checked
before anything is kept: every unit must be a commune of the province today (a merged one is named with what
it became), every total must equal its components, every column total the published total, every percentage
its numbers. Each inconsistency is listed with its cell; nothing is accepted, and nothing "fixed", while one
remains. Imported tables are versioned per layout, province and year, with their source document.

A layout (``config/targets/<code>.yaml``) says how a plan's table is written: the headers of its columns, which
columns add up to which, which percentage is which numbers' ratio, and the indicator each target is measured by.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from config import CONFIG_DIR
from states.actors import Actor
from states.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from states.permissions import sight_of
from states.places import commune, province_name
from states.procedures import Rulebook
from states.store.database import Database
from states.store.repository import Record, Repository
from states.target_files import Cell, read_table
from states.texts import name_key
from states.units_data import default_units
from states.yaml_loading import load_coded_models

TARGETS_DIR = CONFIG_DIR / "targets"
MAX_PROBLEMS = 500
FIRST_YEAR, LAST_YEAR = 2020, 2100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetColumn(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    headers: tuple[str, ...] = Field(min_length=1)
    kind: Literal["number", "percent"]
    components: tuple[str, ...] = ()
    numerator: str | None = None
    denominator: str | None = None
    indicator: str | None = None
    """The indicator whose figure the target is compared with."""

    @model_validator(mode="after")
    def _shape(self) -> TargetColumn:
        if self.kind == "percent" and self.components:
            raise ValueError(f"{self.key}: cột tỷ lệ không có cột thành phần")
        if (self.numerator is None) != (self.denominator is None):
            raise ValueError(f"{self.key}: cần cả numerator và denominator")
        if self.kind == "number" and self.numerator is not None:
            raise ValueError(f"{self.key}: chỉ cột tỷ lệ có numerator/denominator")
        return self


class TargetLayout(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title_vi: str = Field(min_length=1)
    basis: str = Field(min_length=1)
    unverified: str | None = None
    unit_headers: tuple[str, ...] = Field(min_length=1)
    ignored_headers: tuple[str, ...] = ()
    total_labels: tuple[str, ...] = Field(min_length=1)
    columns: tuple[TargetColumn, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> TargetLayout:
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError("khóa cột bị trùng")
        numbers = {c.key for c in self.columns if c.kind == "number"}
        for column in self.columns:
            for name in (*column.components, column.numerator, column.denominator):
                if name is not None and name not in numbers:
                    raise ValueError(f"{column.key}: nêu cột số '{name}' không có")
        return self

    def column(self, key: str) -> TargetColumn:
        return next(c for c in self.columns if c.key == key)


@lru_cache(maxsize=4)
def load_layouts(directory: Path = TARGETS_DIR) -> dict[str, TargetLayout]:
    return load_coded_models(directory, TargetLayout)


def layout_named(code: str) -> TargetLayout:
    layouts = load_layouts()
    if code not in layouts:
        raise InvalidInputError(
            f"Không có mẫu bảng chỉ tiêu '{code}' (có: {', '.join(sorted(layouts))})", field="layout"
        )
    return layouts[code]


# -- reading and checking a table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    cell: str
    message: str
    unit: str | None = None
    column: str | None = None

    def as_record(self) -> dict[str, Any]:
        return {"cell": self.cell, "unit": self.unit, "column": self.column, "message": self.message}


@dataclass
class CheckedTable:
    """What a table says, and what is wrong with it."""

    layout: TargetLayout
    province_code: str
    year: int
    rows: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    """Commune code → column key → value."""
    total: dict[str, Decimal] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


def _header_keys(layout: TargetLayout) -> dict[str, str]:
    keys = {name_key(h): column.key for column in layout.columns for h in column.headers}
    keys.update({name_key(h): "_unit" for h in layout.unit_headers})
    keys.update({name_key(h): "_ignored" for h in layout.ignored_headers})
    return keys


def _strip_header(text: str) -> str:
    return name_key(re.sub(r"\s+", " ", text.replace("\n", " ")).strip())


def check_table(layout: TargetLayout, rows: list[list[Cell]], province_code: str, year: int) -> CheckedTable:
    province_name(province_code)
    checked = CheckedTable(layout, province_code, year)
    known = _header_keys(layout)
    header_index = next(
        (i for i, row in enumerate(rows[:20]) if any(known.get(_strip_header(c.text)) == "_unit" for c in row)),
        None,
    )
    if header_index is None:
        checked.add(Problem("A1", f"Không tìm thấy dòng tiêu đề có cột đơn vị ({', '.join(layout.unit_headers)})"))
        return checked
    columns: dict[int, str] = {}
    for position, cell in enumerate(rows[header_index]):
        text = _strip_header(cell.text)
        if not text:
            continue
        key = known.get(text)
        if key is None:
            checked.add(Problem(cell.ref, f"Cột '{cell.text.strip()}' không có trong mẫu bảng '{layout.code}'"))
        elif key in columns.values():
            checked.add(Problem(cell.ref, f"Cột '{cell.text.strip()}' xuất hiện hai lần"))
        elif key != "_ignored":
            columns[position] = key
    unit_at = next(p for p, k in columns.items() if k == "_unit")
    for column in layout.columns:
        if column.key not in columns.values():
            checked.add(Problem(rows[header_index][0].ref, f"Thiếu cột '{column.headers[0]}'", column=column.key))
    totals = {name_key(label) for label in layout.total_labels}
    cells_of: dict[str, dict[str, Cell]] = {}
    total_cells: dict[str, Cell] | None = None
    for row in rows[header_index + 1 :]:
        unit_cell = row[unit_at] if unit_at < len(row) else None
        values = {key: row[p] for p, key in columns.items() if key != "_unit" and p < len(row)}
        if unit_cell is None or not unit_cell.text.strip():
            if any(c.text.strip() for c in values.values()):
                checked.add(Problem(next(iter(values.values())).ref, "Dòng có số liệu nhưng không ghi đơn vị"))
            continue
        if name_key(unit_cell.text) in totals:
            if total_cells is not None:
                checked.add(Problem(unit_cell.ref, "Bảng có hai dòng tổng"))
            total_cells = values
            continue
        code = _commune_code(checked, unit_cell)
        if code is None:
            continue
        if code in cells_of:
            checked.add(Problem(unit_cell.ref, f"{commune(code).name} có hai dòng", unit=code))
            continue
        cells_of[code] = values
    for code, values in cells_of.items():
        checked.rows[code] = _row_numbers(checked, code, values)
        _check_row(checked, code, checked.rows[code], values)
    if total_cells is not None:
        checked.total = _row_numbers(checked, None, total_cells)
        _check_row(checked, None, checked.total, total_cells)
        _check_column_totals(checked, total_cells)
    if not cells_of:
        checked.add(Problem(rows[header_index][unit_at].ref, "Bảng không có dòng đơn vị nào"))
    return checked


def _commune_code(checked: CheckedTable, cell: Cell) -> str | None:
    text = cell.text.strip()
    if re.fullmatch(r"\d{5}", text):
        try:
            place = commune(text)
        except InvalidInputError:
            place = None
        if place is not None and place.province_code == checked.province_code:
            return place.code
        checked.add(Problem(cell.ref, f"Mã '{text}' không phải xã, phường hiện nay của tỉnh", unit=text))
        return None
    units = default_units()
    place = units.commune_named(checked.province_code, text)
    if place is not None:
        return place.code
    became = units.former_commune_named(checked.province_code, text)
    if became:
        names = ", ".join(ref.name for ref in became)
        checked.add(
            Problem(cell.ref, f"'{text}' đã sáp nhập từ 01/07/2025 vào {names}: ghi theo đơn vị hiện nay", unit=text)
        )
    else:
        checked.add(
            Problem(cell.ref, f"Không có xã, phường '{text}' trong {province_name(checked.province_code)}", unit=text)
        )
    return None


def _row_numbers(checked: CheckedTable, code: str | None, cells: dict[str, Cell]) -> dict[str, Decimal]:
    numbers: dict[str, Decimal] = {}
    for column in checked.layout.columns:
        cell = cells.get(column.key)
        if cell is None or not cell.text.strip():
            if cell is not None:
                checked.add(Problem(cell.ref, "Ô để trống", unit=code, column=column.key))
            continue
        read = cell.number()
        if read is None:
            checked.add(Problem(cell.ref, f"'{cell.text.strip()}' không phải là số", unit=code, column=column.key))
            continue
        value, _ = read
        if value < 0:
            checked.add(Problem(cell.ref, "Số âm", unit=code, column=column.key))
            continue
        if column.kind == "number" and value != value.to_integral_value():
            checked.add(
                Problem(cell.ref, f"Số người phải là số nguyên: {cell.text.strip()}", unit=code, column=column.key)
            )
        numbers[column.key] = value
    return numbers


def _check_row(checked: CheckedTable, code: str | None, numbers: dict[str, Decimal], cells: dict[str, Cell]) -> None:
    for column in checked.layout.columns:
        if column.key not in numbers:
            continue
        if column.components and all(c in numbers for c in column.components):
            parts = sum((numbers[c] for c in column.components), Decimal(0))
            if parts != numbers[column.key]:
                listed = " + ".join(_fmt(numbers[c]) for c in column.components)
                checked.add(
                    Problem(
                        cells[column.key].ref,
                        f"Tổng {_fmt(numbers[column.key])} khác tổng các thành phần {listed} = {_fmt(parts)}",
                        unit=code,
                        column=column.key,
                    )
                )
        if column.numerator is not None and column.denominator is not None:
            _check_percent(checked, code, column, numbers, cells)


def _check_percent(
    checked: CheckedTable, code: str | None, column: TargetColumn, numbers: dict[str, Decimal], cells: dict[str, Cell]
) -> None:
    assert column.numerator is not None and column.denominator is not None
    if column.numerator not in numbers or column.denominator not in numbers:
        return
    shown, decimals = cells[column.key].number() or (numbers[column.key], 2)
    top, bottom = numbers[column.numerator], numbers[column.denominator]
    if bottom == 0:
        if shown != 0:
            checked.add(
                Problem(
                    cells[column.key].ref, f"Tỷ lệ {_fmt(shown)}% nhưng mẫu số bằng 0", unit=code, column=column.key
                )
            )
        return
    exact = top * 100 / bottom
    computed = _fmt(exact.quantize(Decimal("0.01")))
    if abs(exact - shown) > Decimal(5) / Decimal(10) ** (decimals + 1):
        checked.add(
            Problem(
                cells[column.key].ref,
                f"Tỷ lệ {_fmt(shown)}% không khớp {_fmt(top)} / {_fmt(bottom)} = {computed}%",
                unit=code,
                column=column.key,
            )
        )


def _check_column_totals(checked: CheckedTable, total_cells: dict[str, Cell]) -> None:
    for column in checked.layout.columns:
        if column.kind != "number" or column.key not in checked.total:
            continue
        added = sum((row[column.key] for row in checked.rows.values() if column.key in row), Decimal(0))
        if added != checked.total[column.key]:
            checked.add(
                Problem(
                    total_cells[column.key].ref,
                    f"Dòng tổng ghi {_fmt(checked.total[column.key])}, cộng các đơn vị được {_fmt(added)}",
                    column=column.key,
                )
            )


def _fmt(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


class TargetTableError(InvalidInputError):
    """A table with inconsistencies: nothing was kept; ``problems`` lists each with its cell."""


# -- importing -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetImport:
    layout: str
    year: int
    source_document: str
    file_name: str
    content: bytes
    dry_run: bool = False
    province_code: str | None = None


def province_of(rulebook: Rulebook, actor: Actor, asked: str | None, what: str = "bảng chỉ tiêu") -> str:
    """The province whose table (targets, a register) the officer may import: their own; a national unit names
    one."""
    sight = sight_of(rulebook.regimes, actor)
    if sight.territory == "all":
        if asked is None:
            raise InvalidInputError("Đơn vị cấp trung ương phải chọn tỉnh, thành phố", field="province")
        province_name(asked)
        return asked
    if sight.territory != "province" or sight.province_code is None:
        raise PermissionDeniedError(f"Chỉ đơn vị cấp tỉnh mới nhập {what} của tỉnh", field="province")
    if asked not in (None, sight.province_code):
        raise PermissionDeniedError(f"Chỉ nhập được {what} của tỉnh, thành phố thuộc đơn vị mình", field="province")
    return sight.province_code


def import_targets(
    db: Database, rulebook: Rulebook, actor: Actor, request: TargetImport, now: datetime
) -> dict[str, Any]:
    """Check the table; keep it as the next version unless it is a dry run or a problem remains."""
    layout = layout_named(request.layout)
    if not FIRST_YEAR <= request.year <= LAST_YEAR:
        raise InvalidInputError(f"Năm kế hoạch phải từ {FIRST_YEAR} đến {LAST_YEAR}", field="year")
    source = " ".join(request.source_document.split())
    if not source:
        raise InvalidInputError("Hãy ghi văn bản nguồn của bảng chỉ tiêu (số, ký hiệu, ngày ban hành)", field="source")
    province = province_of(rulebook, actor, request.province_code)
    checked = check_table(layout, read_table(request.file_name, request.content), province, request.year)
    answer: dict[str, Any] = {
        "layout": layout.code,
        "province_code": province,
        "year": request.year,
        "units": len(checked.rows),
        "problems": [p.as_record() for p in checked.problems],
        "saved": False,
        "version": None,
    }
    if request.dry_run:
        return answer
    if checked.problems:
        raise TargetTableError(
            f"Bảng chỉ tiêu có {len(checked.problems)} chỗ không khớp, chưa lưu: sửa trong tệp rồi nhập lại "
            "(thử trước với dry_run để xem từng ô)",
            field="file",
            problems=[f"{p.cell}: {p.message}" for p in checked.problems],
            records=answer["problems"],
        )
    digest = hashlib.sha256(request.content).hexdigest()
    with db.transaction() as repo:
        version = repo.targets.next_version(layout.code, province, request.year)
        set_id = repo.targets.insert_set(
            layout=layout.code,
            province_code=province,
            year=request.year,
            version=version,
            source_document=source,
            file_name=request.file_name[:255],
            file_sha256=digest,
            imported_by=actor.user_id,
            imported_at=now,
        )
        values = [
            {"set_id": set_id, "unit_code": code, "column_key": key, "value": value}
            for code, row in sorted(checked.rows.items())
            for key, value in row.items()
        ] + [
            {"set_id": set_id, "unit_code": province, "column_key": key, "value": value}
            for key, value in checked.total.items()
        ]
        repo.targets.insert_values(values)
    return {**answer, "saved": True, "version": version, "file_sha256": digest}


# -- reading ---------------------------------------------------------------------------------------------------


def _set_answer(row: Record, current: bool) -> Record:
    return {
        "id": row["id"],
        "layout": row["layout"],
        "province_code": row["province_code"],
        "year": row["year"],
        "version": row["version"],
        "current": current,
        "source_document": row["source_document"],
        "file_name": row["file_name"],
        "file_sha256": row["file_sha256"],
        "imported_by": row["imported_by_name"],
        "imported_at": row["imported_at"].isoformat(),
    }


def readable_province(rulebook: Rulebook, actor: Actor, asked: str | None) -> str:
    """Any unit may read its province's targets (a commune's officers read theirs among them)."""
    sight = sight_of(rulebook.regimes, actor)
    if sight.territory == "all":
        if asked is None:
            raise InvalidInputError("Đơn vị cấp trung ương phải chọn tỉnh, thành phố", field="province")
        province_name(asked)
        return asked
    if sight.province_code is None or asked not in (None, sight.province_code):
        raise PermissionDeniedError("Chỉ xem được chỉ tiêu của tỉnh, thành phố thuộc đơn vị mình", field="province")
    return sight.province_code


def target_sets(
    repo: Repository, rulebook: Rulebook, actor: Actor, province: str | None, year: int | None
) -> list[Record]:
    rows = repo.targets.sets(readable_province(rulebook, actor, province), year)
    newest: dict[tuple[str, int], int] = {}
    for row in rows:
        key = (row["layout"], row["year"])
        newest[key] = max(newest.get(key, 0), int(row["version"]))
    return [_set_answer(row, newest[(row["layout"], row["year"])] == row["version"]) for row in rows]


def target_set(repo: Repository, rulebook: Rulebook, actor: Actor, set_id: int) -> Record:
    row = repo.targets.set_by_id(set_id)
    sight = sight_of(rulebook.regimes, actor)
    if row is None or (sight.territory != "all" and row["province_code"] != sight.province_code):
        raise NotFoundError(f"Không có bảng chỉ tiêu số {set_id}", field="set_id")
    current = repo.targets.current_set(row["layout"], row["province_code"], row["year"])
    values = [
        {"unit_code": v["unit_code"], "column_key": v["column_key"], "value": v["value"]}
        for v in repo.targets.values(set_id)
    ]
    return {**_set_answer(row, current is not None and current["id"] == row["id"]), "values": values}
