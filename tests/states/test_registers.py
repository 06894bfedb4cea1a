"""Importing a province's register of drug users and addicts: a dry run lists every row it cannot place with its
cell (a bad identity number, an unknown or merged commune, a person listed twice, an impossible or future date, an
unknown status, a number already recorded for someone else); the import opens each placeable row's dossier
through the engine at the stage the register records, counts in the statistics, and run again — after an
interruption or not — creates nothing twice."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook

from config import CONFIG_DIR
from states.definitions import REGISTER_IMPORTED
from states.errors import PermissionDeniedError
from states.identity import make_id_number
from states.indicators import load_indicators
from states.legal_time import VN_TZ
from states.procedures import load_rulebook
from states.registers import check_register, import_register, load_registers, register_layout
from states.reporting_periods import parse_period
from states.statistics import count
from states.store.statistics import Area
from states.target_files import read_table
from tests.conftest import World, add_officers

TODAY = date(2026, 3, 2)
HEADER = [
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số định danh cá nhân",
    "Xã, phường",
    "Tình trạng",
    "Ngày phát hiện",
]


def _number(born: date, serial: int, sex: str = "male") -> str:
    return make_id_number("001", born, sex, serial)


GOOD_ROWS = [
    [
        "1",
        "Nguyễn Văn Hải",
        "05/04/1992",
        "Nam",
        _number(date(1992, 4, 5), 501),
        "Phường Hoàn Kiếm",
        "Sử dụng trái phép",
        "10/01/2026",
    ],
    [
        "2",
        "Trần Thị Mai",
        "1990-07-01",
        "Nữ",
        _number(date(1990, 7, 1), 502, "female"),
        "00004",
        "Nghiện",
        "15/12/2025",
    ],
    ["3", "Lê Văn Tùng", "12/12/1985", "Nam", _number(date(1985, 12, 12), 503), "ba dinh", "SDTP", "01/02/2026"],
]
BAD_ROWS = [
    [
        "4",
        "Phạm Văn Sai",
        "05/04/1992",
        "Nam",
        "001092999",
        "Phường Hoàn Kiếm",
        "Sử dụng trái phép",
        "10/01/2026",
    ],  # E6
    [
        "5",
        "Hồ Văn Gộp",
        "01/01/1980",
        "Nam",
        _number(date(1980, 1, 1), 505),
        "Phường Hàng Bạc",
        "Nghiện",
        "10/01/2026",
    ],  # F7
    [
        "6",
        "Đỗ Văn Lạ",
        "01/01/1981",
        "Nam",
        _number(date(1981, 1, 1), 506),
        "Phường Không Có",
        "Nghiện",
        "10/01/2026",
    ],  # F8
    [
        "7",
        "Nguyễn Văn Hải",
        "05/04/1992",
        "Nam",
        _number(date(1992, 4, 5), 501),
        "Phường Hoàn Kiếm",
        "Nghiện",
        "11/01/2026",
    ],  # E9
    ["8", "Vũ Văn Ngày", "30/02/1990", "Nam", "001090000508", "Phường Hoàn Kiếm", "Nghiện", "10/01/2026"],  # C10
    [
        "9",
        "Bùi Văn Mai",
        "01/01/1991",
        "Nam",
        _number(date(1991, 1, 1), 509),
        "Phường Hoàn Kiếm",
        "Nghiện",
        "01/06/2026",
    ],  # H11
    [
        "10",
        "Ngô Văn Khác",
        "01/01/1993",
        "Nam",
        _number(date(1993, 1, 1), 510),
        "Phường Hoàn Kiếm",
        "Đang điều tra",
        "10/01/2026",
    ],  # G12
]


def _sheet(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["DANH SÁCH NGƯỜI SỬ DỤNG TRÁI PHÉP CHẤT MA TÚY, NGƯỜI NGHIỆN MA TÚY"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _check(world: World, content: bytes):  # type: ignore[no-untyped-def]
    with world.db.reading() as repo:
        return check_register(
            register_layout("drug_registers"), read_table("ds.xlsx", content), content, "01", repo, TODAY
        )


def test_the_layouts_name_procedures_and_states_that_exist() -> None:
    rulebook = load_rulebook(CONFIG_DIR)
    for layout in load_registers().values():
        assert layout.check(rulebook) == []


def test_a_dry_run_lists_every_row_it_cannot_place_with_its_cell(world: World) -> None:
    checked = _check(world, _sheet(GOOD_ROWS + BAD_ROWS))
    assert checked.rows == 10 and [row.row for row in checked.placed] == [3, 4, 5]
    messages = {p.cell: p.message for p in checked.problems}
    assert messages["E6"] == "Số định danh cá nhân phải gồm đúng 12 chữ số"
    assert "sáp nhập" in messages["F7"] and "Phường Hoàn Kiếm" in messages["F7"]
    assert messages["F8"].startswith("Không có xã, phường 'Phường Không Có'")
    assert messages["E9"] == "Trùng số định danh với dòng 3: một người chỉ được ghi một lần"
    assert messages["C10"] == "Ngày không có thật: 30/02/1990"
    assert messages["H11"] == "Ngày 01/06/2026 sau ngày hôm nay"
    assert messages["G12"].startswith("Tình trạng 'Đang điều tra' không có trong mẫu")
    assert {p.row for p in checked.problems} == {6, 7, 8, 9, 10, 11, 12}


def test_the_import_places_each_row_through_the_engine_once(world: World) -> None:
    content = _sheet(GOOD_ROWS + BAD_ROWS)
    checked = _check(world, content)
    pc04 = world.actors["pc04"]
    first = import_register(world.engine, pc04, checked, "ds.xlsx")
    assert len(first.created) == 3 and first.refused == [] and first.already == []
    with world.db.reading() as repo:
        states = sorted((repo.dossier(d) or {})["state"] for d in first.created)
        history = repo.history(first.created[0])
        persons = {repo.dossier(d)["person_id"] for d in first.created}  # type: ignore[index]
    assert states == ["closed_addicted", "under_management", "under_management"]
    assert [row["event"] for row in history] == ["dossier_opened", REGISTER_IMPORTED]
    assert history[1]["payload"]["row"] == 3 and history[1]["actor_username"] == "pc04"
    assert history[1]["occurred_at"].astimezone(VN_TZ).date() == date(2026, 1, 10)
    assert len(persons) == 3

    again = import_register(world.engine, pc04, _check(world, content), "ds.xlsx")
    assert again.created == first.created  # the same dossiers: nothing created twice

    catalogue = load_indicators()
    indicator = catalogue.get("drug_users_under_management")
    with world.db.reading() as repo:
        figures = count(
            repo, indicator, parse_period("2026-Q1", catalogue.periods.rules[indicator.period_rule]), Area()
        )
    assert {u.commune_code for u in figures.counted} == {"00070", "00004"}


def test_an_interrupted_import_run_again_finishes_without_duplicates(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = _sheet(GOOD_ROWS)
    checked = _check(world, content)
    pc04 = world.actors["pc04"]
    original = world.engine.place_from_register
    calls = {"n": 0}

    def crash_on_second(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the process stopped between opening the second dossier and placing it
        return original(*args, **kwargs)

    engine = world.engine
    monkeypatch.setattr(engine, "place_from_register", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        import_register(engine, pc04, checked, "ds.xlsx")
    monkeypatch.setattr(engine, "place_from_register", original)
    finished = import_register(engine, pc04, _check(world, content), "ds.xlsx")
    with world.db.reading() as repo:
        states = sorted((repo.dossier(d) or {})["state"] for d in finished.created)
        people = [repo.person_by_id_number(row[4]) for row in GOOD_ROWS]
        dossiers = sum(len(repo.dossiers_of_person(int(person["id"]))) for person in people if person is not None)
    assert states == ["closed_addicted", "under_management", "under_management"] and dossiers == 3


def test_a_person_already_recorded_differently_is_not_placed(world: World) -> None:
    world.open(full_name="Nguyễn Văn Khác Hẳn", date_of_birth=date(1992, 4, 5), id_number=GOOD_ROWS[0][4])
    checked = _check(world, _sheet(GOOD_ROWS[:1]))
    assert checked.placed == []
    assert checked.problems[0].cell == "E3" and "Nguyễn Văn Khác Hẳn" in checked.problems[0].message


def test_only_a_provincial_officer_imports_and_a_file_is_placed_once_whoever_runs_it(world: World) -> None:
    content = _sheet(GOOD_ROWS)
    checked = _check(world, content)
    with pytest.raises(PermissionDeniedError, match="cấp tỉnh"):
        import_register(world.engine, world.actors["police"], checked, "ds.xlsx")
    first = import_register(world.engine, world.actors["pc04"], checked, "ds.xlsx")
    add_officers(world, {"pc04_b": ("police_unit", "CAT-01")})
    second = import_register(world.engine, world.actors["pc04_b"], _check(world, content), "ds.xlsx")
    assert second.created == first.created  # another officer of the province, the same file: no new dossier
