"""Importing a province's register of drug users and addicts: a dry run lists every row it cannot place with its
cell (a bad identity number, an unknown commune or a former one divided among several, a person listed twice, an
impossible or future date, an unknown status, a number already recorded for someone else) and the rows of a former
commune placed in the one it became; the import opens each placeable row's dossier through the engine at the stage
the register records — an addict's determination, then the voluntary rehab it starts — counts in the statistics,
and run again — after an interruption or not — creates nothing twice."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook

from config import CONFIG_DIR
from states.definitions import REGISTER_IMPORTED
from states.engine import DossierEngine
from states.errors import ConflictError, PermissionDeniedError
from states.identity import make_id_number
from states.indicators import load_indicators
from states.legal_time import VN_TZ
from states.procedures import load_rulebook
from states.registers import (
    RegisterCheck,
    RegisterPlacement,
    check_register,
    import_register,
    load_registers,
    register_layout,
)
from states.reporting_periods import parse_period
from states.statistics import count
from states.store.repository import Record
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
        "Phường Cửa Đông",
        "Nghiện",
        "10/01/2026",
    ],  # F7: divided on 01/07/2025, part into Phường Hoàn Kiếm, the rest into a ward the data does not have
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


MERGED_ROW = [
    "11",
    "Đinh Văn Cũ",
    "03/03/1988",
    "Nam",
    _number(date(1988, 3, 3), 511),
    "Phường Hàng Bạc",  # wholly merged into Phường Hoàn Kiếm (00070) on 01/07/2025
    "Nghiện",
    "20/01/2026",
]


def _check(world: World, content: bytes, province_code: str = "01") -> RegisterCheck:
    with world.db.reading() as repo:
        return check_register(
            register_layout("drug_registers"), read_table("ds.xlsx", content), content, province_code, repo, TODAY
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
    assert messages["F7"] == (
        "'Phường Cửa Đông' đã được chia từ 01/07/2025 vào Phường Hoàn Kiếm và xã, phường khác chưa có trong dữ "
        "liệu: ghi xã, phường hiện nay nơi người này cư trú"
    )
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
    assert len(first.created) == 4 and first.refused == [] and first.already == []
    with world.db.reading() as repo:
        states = sorted((repo.dossier(d) or {})["state"] for d in first.created)
        history = repo.history(first.created[0])
        persons = {repo.dossier(d)["person_id"] for d in first.created}  # type: ignore[index]
    assert states == ["closed_addicted", "registration_open", "under_management", "under_management"]
    assert [row["event"] for row in history] == ["dossier_opened", REGISTER_IMPORTED]
    assert history[1]["payload"]["row"] == 3 and history[1]["actor_username"] == "pc04"
    assert history[1]["occurred_at"].astimezone(VN_TZ).date() == date(2026, 1, 10)
    assert len(persons) == 3

    again = import_register(world.engine, pc04, _check(world, content), "ds.xlsx")
    assert again.created == first.created  # the same dossiers: nothing created twice
    assert again.earlier == first.created and first.earlier == []

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
    assert states == ["closed_addicted", "registration_open", "under_management", "under_management"]
    assert dossiers == 4


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
    assert second.earlier == second.created


def test_a_follow_up_the_stage_does_not_start_is_refused_when_the_layout_is_loaded() -> None:
    layout = register_layout("drug_registers")
    user, addict = layout.statuses
    wrong = user.model_copy(update={"then": (RegisterPlacement(procedure="voluntary_rehab", state="nowhere"),)})
    problems = layout.model_copy(update={"statuses": (wrong, addict)}).check(load_rulebook(CONFIG_DIR))
    assert problems == [
        "drug_registers: thủ tục voluntary_rehab không có trạng thái 'nowhere'",
        "drug_registers: trạng thái 'under_management' của thủ tục drug_user_management không mở tiếp thủ tục "
        "voluntary_rehab",
    ]
    assert addict.placements[1] == RegisterPlacement(procedure="voluntary_rehab", state="registration_open")


def test_a_former_commune_that_became_one_is_placed_there_and_kept_as_written(world: World) -> None:
    checked = _check(world, _sheet([MERGED_ROW]))
    assert checked.problems == [] and [row.subject.commune_code for row in checked.placed] == ["00070"]
    message = "'Phường Hàng Bạc' đã sáp nhập vào Phường Hoàn Kiếm từ 01/07/2025 — xếp vào Phường Hoàn Kiếm"
    assert [(note.row, note.cell, note.message) for note in checked.notes] == [(3, "F3", message)]
    report = import_register(world.engine, world.actors["pc04"], checked, "ds.xlsx")
    assert [(note.row, note.cell) for note in report.notes] == [(3, "F3")] and len(report.created) == 2
    with world.db.reading() as repo:
        for dossier_id in report.created:
            assert (repo.dossier(dossier_id) or {})["commune_code"] == "00070"
            payload = repo.history(dossier_id)[1]["payload"]
            assert payload["commune_as_written"] == "Phường Hàng Bạc" and payload["row"] == 3


def test_a_former_commune_divided_among_several_is_refused_with_them(world: World) -> None:
    row = [*MERGED_ROW[:5], "Phường Đa Kao", *MERGED_ROW[6:]]  # Quận 1: into Phường Sài Gòn and Phường Tân Định
    checked = _check(world, _sheet([row]), province_code="79")
    assert checked.placed == [] and checked.notes == []
    assert [(p.cell, p.message) for p in checked.problems] == [
        (
            "F3",
            "'Phường Đa Kao' đã được chia từ 01/07/2025 vào Phường Sài Gòn, Phường Tân Định: ghi xã, phường hiện "
            "nay nơi người này cư trú",
        )
    ]


def _addict_dossiers(world: World) -> tuple[Record, Record]:
    """The determination and the voluntary-rehab dossiers of the addict of GOOD_ROWS."""
    with world.db.reading() as repo:
        person = repo.person_by_id_number(GOOD_ROWS[1][4])
        assert person is not None
        dossiers = {d["procedure_code"]: d for d in repo.dossiers_of_person(int(person["id"]))}
        assert sorted(dossiers) == ["addiction_determination", "voluntary_rehab"]
        assert len(repo.dossiers_of_person(int(person["id"]))) == 2  # one of each, never two
    return dossiers["addiction_determination"], dossiers["voluntary_rehab"]


def test_an_addict_must_register_voluntary_rehab_and_is_counted_as_an_addict_with_a_record(world: World) -> None:
    report = import_register(world.engine, world.actors["pc04"], _check(world, _sheet(GOOD_ROWS)), "ds.xlsx")
    determination, voluntary = _addict_dossiers(world)
    assert determination["state"] == "closed_addicted" and voluntary["state"] == "registration_open"
    assert voluntary["closed_at"] is None and voluntary["commune_code"] == "00004"
    assert voluntary["parent_id"] == determination["id"]  # linked as a follow-up the step starts
    assert report.created.index(voluntary["id"]) == report.created.index(determination["id"]) + 1
    with world.db.reading() as repo:
        history = repo.history(voluntary["id"])
    assert [row["event"] for row in history] == ["dossier_opened", REGISTER_IMPORTED]
    assert history[0]["payload"]["parent_id"] == determination["id"] and history[1]["payload"]["row"] == 4

    catalogue = load_indicators()
    indicator = catalogue.get("addicts_with_record")
    period = parse_period("2026-Q1", catalogue.periods.rules[indicator.period_rule])
    with world.db.reading() as repo:
        figures = count(repo, indicator, period, Area())
    assert [(u.dossier_id, u.commune_code) for u in figures.counted] == [(voluntary["id"], "00004")]


@pytest.mark.parametrize("stop_at", ["open_dossier", "place_from_register"])
def test_an_import_stopped_between_an_addicts_two_dossiers_is_finished_by_another_officer(
    world: World, monkeypatch: pytest.MonkeyPatch, stop_at: str
) -> None:
    content = _sheet(GOOD_ROWS)
    engine: DossierEngine = world.engine
    original = getattr(engine, stop_at)

    def crash_at_voluntary_rehab(*args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("parent_id") is not None or kwargs.get("state") == "registration_open":
            # The process stopped after placing the determination: before opening, or before placing, the
            # voluntary-rehab dossier.
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(engine, stop_at, crash_at_voluntary_rehab)
    with pytest.raises(KeyboardInterrupt):
        import_register(engine, world.actors["pc04"], _check(world, content), "ds.xlsx")
    monkeypatch.setattr(engine, stop_at, original)
    add_officers(world, {"pc04_b": ("police_unit", "CAT-01")})
    finished = import_register(engine, world.actors["pc04_b"], _check(world, content), "ds.xlsx")
    assert len(finished.created) == 4 and finished.already == [] and finished.refused == []
    determination, voluntary = _addict_dossiers(world)
    assert voluntary["state"] == "registration_open" and voluntary["parent_id"] == determination["id"]
    again = import_register(engine, world.actors["pc04"], _check(world, content), "ds.xlsx")
    assert again.created == finished.created


def test_an_addict_already_in_voluntary_rehab_is_reported_as_already(world: World) -> None:
    addict = GOOD_ROWS[1]
    opened = world.open(
        "other_police",
        "voluntary_rehab",
        full_name=addict[1],
        date_of_birth=date(1990, 7, 1),
        id_number=addict[4],
        commune_code="00004",
        sex="female",
    )
    report = import_register(world.engine, world.actors["pc04"], _check(world, _sheet([addict])), "ds.xlsx")
    assert report.refused == [] and [row for row, _ in report.already] == [3]
    assert opened.id in report.already[0][1]
    with world.db.reading() as repo:
        states = sorted((repo.dossier(d) or {})["state"] for d in report.created)
    assert states == ["closed_addicted"]


def test_the_engine_links_a_follow_up_only_to_a_stage_that_starts_it(world: World) -> None:
    report = import_register(world.engine, world.actors["pc04"], _check(world, _sheet(GOOD_ROWS[:1])), "ds.xlsx")
    checked = _check(world, _sheet(GOOD_ROWS[:1]))
    with pytest.raises(ConflictError, match="không mở tiếp thủ tục Cai nghiện ma túy tự nguyện"):
        world.engine.open_dossier(
            world.actors["pc04"], "voluntary_rehab", checked.placed[0].subject, parent_id=report.created[0]
        )
