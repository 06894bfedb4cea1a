"""Plan targets from a province's published table: a consistent table is kept as a new version with its source;
a table with deliberate errors (row, column and published-total errors, a percentage that does not match its
numbers, an unknown and a merged unit, a word in a number cell, a unit twice) is refused with every error and
its cell, and nothing is kept."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook

from api.demo_statistics import HEADER
from states.errors import InvalidInputError, PermissionDeniedError
from states.target_files import parse_number, read_table
from states.targets import TargetImport, TargetTableError, import_targets, layout_named
from tests.conftest import World

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
GOOD = [
    ["BẢNG CHỈ TIÊU CAI NGHIỆN MA TÚY NĂM 2026"],
    ["(Kèm theo Kế hoạch số 45/KH-UBND)"],
    HEADER,
    ["1", "Phường Hoàn Kiếm", "200", "170", "85", "50", "15", "22", "13", "25", "100"],
    ["2", "Phường Ba Đình", "120", "100", "83,3", "30", "9", "13", "8", "25", "100"],
    ["", "Tổng cộng", "320", "270", "84,4", "80", "24", "35", "21", "25", "100"],
]


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(";".join(cell for cell in row) for row in rows).encode("utf-8-sig")


def _import(
    world: World, content: bytes, *, name: str = "chi-tieu.csv", dry_run: bool = False, who: str = "pc04"
) -> dict[str, Any]:
    request = TargetImport("rehab_plan", 2026, "Kế hoạch số 45/KH-UBND ngày 20/01/2026", name, content, dry_run)
    return import_targets(world.db, world.rulebook, world.actors[who], request, NOW)


def test_a_consistent_table_is_kept_as_a_new_version_with_its_source(world: World) -> None:
    first = _import(world, _csv(GOOD))
    assert (first["problems"], first["saved"], first["version"], first["units"]) == ([], True, 1, 2)
    again = _import(world, _csv(GOOD))
    assert again["version"] == 2
    with world.db.reading() as repo:
        kept = repo.targets.current_set("rehab_plan", "01", 2026)
        assert kept is not None and kept["version"] == 2 and kept["source_document"].startswith("Kế hoạch số 45")
        values = {(v["unit_code"], v["column_key"]): Decimal(v["value"]) for v in repo.targets.values(kept["id"])}
    assert values[("00070", "new_rehab_compulsory")] == 15
    assert values[("00004", "reached_share")] == Decimal("83.3")
    assert values[("01", "registered_addicts")] == 320
    dry = _import(world, _csv(GOOD), dry_run=True)
    assert (dry["saved"], dry["problems"]) == (False, [])


def test_every_inconsistency_is_listed_with_its_cell_and_nothing_is_kept(world: World) -> None:
    bad = [
        *GOOD[:3],
        ["1", "Phường Hoàn Kiếm", "200", "170", "85", "51", "15", "22", "13", "30", "100"],  # F4, J4
        ["2", "Phường Ba Đình", "120", "100", "85", "30", "9", "13", "8", "25", "100"],  # E5: 100/120 = 83,33
        ["3", "Phường Hàng Bạc", "10", "8", "80", "2", "1", "1", "0", "20", "100"],  # merged into Hoàn Kiếm
        ["4", "Phường Không Có", "10", "8", "80", "2", "1", "1", "0", "20", "100"],  # unknown
        ["5", "Phường Hoàn Kiếm", "1", "1", "100", "0", "0", "0", "0", "0", "100"],  # twice
        ["6", "Phường Tây Hồ", "mười", "8", "", "2", "1", "1", "0", "20", "100"],  # a word, an empty cell
        ["", "Tổng cộng", "330", "270", "84,4", "81", "24", "35", "21", "25", "100"],  # C10: 330 ≠ 320 + …
    ]
    answer = _import(world, _csv(bad), dry_run=True)
    assert answer["saved"] is False and answer["version"] is None
    found = {(p["cell"], p["message"]) for p in answer["problems"]}
    expected_cells = {"F4", "J4", "E5", "B6", "B7", "B8", "C9", "E9", "C10", "E10", "F10"}
    assert expected_cells <= {cell for cell, _ in found}, sorted(found)
    messages = dict(found)
    assert messages["F4"] == "Tổng 51 khác tổng các thành phần 15 + 22 + 13 = 50"
    assert messages["E5"] == "Tỷ lệ 85% không khớp 100 / 120 = 83,33%"
    assert messages["J4"] == "Tỷ lệ 30% không khớp 51 / 200 = 25,5%"
    assert "sáp nhập" in messages["B6"] and "Phường Hoàn Kiếm" in messages["B6"]
    assert messages["B7"].startswith("Không có xã, phường 'Phường Không Có'")
    assert messages["B8"] == "Phường Hoàn Kiếm có hai dòng"
    assert messages["C9"] == "'mười' không phải là số"
    assert messages["E9"] == "Ô để trống"
    # The published total is checked against the units that could be read (Hoàn Kiếm, Ba Đình, Tây Hồ).
    assert messages["C10"].startswith("Dòng tổng ghi 330, cộng các đơn vị được")
    with pytest.raises(TargetTableError) as refused:
        _import(world, _csv(bad))
    assert len(refused.value.details["problems"]) == len(answer["problems"])
    assert "F4: Tổng 51 khác tổng các thành phần 15 + 22 + 13 = 50" in refused.value.details["problems"]
    with world.db.reading() as repo:
        assert repo.targets.current_set("rehab_plan", "01", 2026) is None


def test_a_spreadsheet_with_percent_formatted_cells_is_read_as_shown(world: World) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in GOOD[2:]:
        sheet.append([_typed(cell) for cell in line])
    for row in range(2, 5):
        for column in ("E", "J", "K"):
            cell = sheet[f"{column}{row}"]
            cell.value = float(cell.value) / 100
            cell.number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    answer = _import(world, buffer.getvalue(), name="chi-tieu.xlsx")
    assert answer["problems"] == [] and answer["saved"] is True


def _typed(text: str) -> str | float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text


def test_only_a_provincial_unit_imports_and_only_for_its_province(world: World) -> None:
    with pytest.raises(PermissionDeniedError):
        _import(world, _csv(GOOD), who="police")
    with pytest.raises(InvalidInputError, match="chọn tỉnh"):
        _import(world, _csv(GOOD), who="admin")
    request = TargetImport("rehab_plan", 2026, "KH 45", "x.csv", _csv(GOOD), province_code="79")
    with pytest.raises(PermissionDeniedError):
        import_targets(world.db, world.rulebook, world.actors["pc04"], request, NOW)
    with pytest.raises(InvalidInputError, match="văn bản nguồn"):
        import_targets(
            world.db, world.rulebook, world.actors["pc04"], TargetImport("rehab_plan", 2026, "  ", "x.csv", b"a"), NOW
        )


@pytest.mark.parametrize(
    ("text", "value", "decimals"),
    [
        ("1.234", 1234, 0),
        ("1.234.567", 1234567, 0),
        ("12,5", Decimal("12.5"), 1),
        ("25%", 25, 0),
        ("83,33 %", Decimal("83.33"), 2),
        ("1.234,5", Decimal("1234.5"), 1),
        ("7.5", Decimal("7.5"), 1),
        ("-3", -3, 0),
        ("1 200", 1200, 0),
    ],
)
def test_numbers_are_read_as_vietnamese_tables_write_them(text: str, value: Decimal, decimals: int) -> None:
    assert parse_number(text) == (Decimal(value), decimals)


def test_what_is_not_a_table_is_refused_in_vietnamese() -> None:
    for content in (b"", b"PK\x03\x04garbage", b"\xff\xfe\x00a"):
        with pytest.raises(InvalidInputError):
            read_table("t.xlsx" if content.startswith(b"PK") else "t.csv", content)
    assert parse_number("mười") is None and parse_number("1,2,3") is None
    assert layout_named("rehab_plan").column("new_rehab").components
    with pytest.raises(InvalidInputError, match="Không có mẫu bảng"):
        layout_named("khong_co")
