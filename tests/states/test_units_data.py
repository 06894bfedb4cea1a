"""Administrative units and competence as data (config/units/): the files load and are consistent with today's
communes, the competent regional court and procuracy follow the commune and the date, old addresses resolve,
broken files are refused in Vietnamese naming the entry, and the jurisdiction check uses the data."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from states.actors import Actor
from states.errors import DefinitionError, InvalidInputError
from states.permissions import covers
from states.places import commune
from states.procedures import Rulebook
from states.regimes import UnitKind
from states.store.database import Database
from states.units_data import (
    COURTS_FILE,
    HEALTH_FILE,
    LEGACY_FILE,
    REHAB_FILE,
    UNITS_DIR,
    UnitsData,
    competent_court,
    competent_procuracy,
    default_units,
    load_units,
    resolve_legacy_address,
    sync_units,
)

REGIONAL_FROM = date(2025, 7, 1)
TODAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def data(rulebook: Rulebook) -> UnitsData:
    return load_units(UNITS_DIR, regimes=rulebook.regimes)


# -- the files as shipped ------------------------------------------------------------------------------


def test_the_data_files_load_and_know_their_unit_kinds(data: UnitsData, rulebook: Rulebook) -> None:
    kinds = Counter(unit.kind for unit in data.units)
    assert kinds["regional_court"] == kinds["regional_procuracy"] >= 12
    assert kinds["rehab_facility"] >= 4 and kinds["health_facility"] >= 2 and kinds["provincial_police"] >= 2
    assert data.regional_kinds == {"regional_court", "regional_procuracy"}
    assert {kind for kind, unit_kind in rulebook.regimes.unit_kinds.items() if unit_kind.competence == "regional"} == {
        "regional_court",
        "regional_procuracy",
    }
    assert data.provinces_with_data == {"01", "19", "24", "40", "79"}
    assert default_units() is default_units()  # loaded once per process: the jurisdiction check reads a dict


def test_every_commune_is_a_current_commune_of_the_units_province(data: UnitsData) -> None:
    for unit in data.units:
        for code in (*unit.communes, *([unit.commune_code] if unit.commune_code else [])):
            assert commune(code).province_code == unit.province_code, (unit.code, code)
    for district in data.districts:
        for ref in district.communes:
            assert commune(ref.code).name == ref.name
    for former in data.communes:
        for ref in former.to:
            assert commune(ref.code).name == ref.name


def test_no_commune_is_served_by_two_courts_or_two_procuracies(data: UnitsData) -> None:
    for kind in ("regional_court", "regional_procuracy"):
        served = Counter(code for unit in data.units if unit.kind == kind for code in unit.communes)
        assert served and max(served.values()) == 1
    hanoi = [unit for unit in data.units if unit.kind == "regional_court" and unit.province_code == "01"]
    assert sum(len(unit.communes) for unit in hanoi) == 38


def test_every_predecessor_district_of_a_court_is_mapped(data: UnitsData) -> None:
    for unit in data.units:
        if unit.kind == "regional_court":
            for name in unit.successor_of:
                (district,) = [d for d in data.districts if d.name == name and d.province_code == unit.province_code]
                assert district.successor == unit.code


def test_what_was_inferred_is_marked_unverified(data: UnitsData) -> None:
    by_code = data.by_code
    assert by_code["TAKV-01-01"].verified and not by_code["TAKV-01-04"].verified
    assert "chưa kiểm chứng" in (by_code["TAKV-01-04"].note or "")
    assert not by_code["TAKV-79-05"].verified  # four of its eight communes are our inference
    # The procuracies mirror the courts' areas: an assumption on NQ 84/2025, never verified by the data.
    procuracies = [unit for unit in data.units if unit.kind == "regional_procuracy"]
    assert all(not unit.verified and "chưa kiểm chứng" in (unit.note or "") for unit in procuracies)
    assert by_code["CSCN-01-01"].managed_by == "CAT-01"
    assert by_code["CAT-01"].kind == "provincial_police"


# -- competence -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("commune_code", "court", "procuracy"),
    [
        ("00070", "TAKV-01-01", "VKSKV-01-01"),  # Phường Hoàn Kiếm, Hà Nội
        ("00235", "TAKV-01-02", "VKSKV-01-02"),  # Phường Đống Đa, Hà Nội
        ("27343", "TAKV-79-03", "VKSKV-79-03"),  # Phường Chợ Lớn, TP Hồ Chí Minh
        ("26740", "TAKV-79-01", "VKSKV-79-01"),  # Phường Sài Gòn, TP Hồ Chí Minh
    ],
)
def test_competence_comes_from_the_commune(commune_code: str, court: str, procuracy: str) -> None:
    assert competent_court(commune_code, TODAY) == court
    assert competent_procuracy(commune_code, TODAY) == procuracy
    assert competent_court(commune_code, REGIONAL_FROM) == court


def test_before_the_regional_courts_the_district_court_was_competent(data: UnitsData) -> None:
    found = data.competence("00070", date(2025, 6, 30))
    assert (found.regime, found.court, found.procuracy, found.from_data) == ("district", None, None, False)
    assert competent_court("00070", date(2025, 6, 30)) is None


def test_a_commune_without_data_falls_back_to_the_province(data: UnitsData) -> None:
    for code in ("09706", "25822", "22015"):  # Xã Yên Bài (Hà Nội), Xã Bàu Bàng (TP.HCM), another province
        found = data.competence(code, TODAY)
        assert (found.regime, found.court, found.from_data) == ("regional", None, False)
    with pytest.raises(InvalidInputError, match="99999"):
        data.competence("99999", TODAY)


# -- old addresses -------------------------------------------------------------------------------------


def test_an_old_address_resolves_to_the_commune_and_court_of_today() -> None:
    found = resolve_legacy_address("Hà Nội", "Quận Hoàn Kiếm", "Phường Hàng Bạc")
    assert (found.province_code, [c.code for c in found.communes], found.exact) == ("01", ["00070"], True)
    assert (found.court and found.court.code, found.court_basis, found.verified) == ("TAKV-01-01", "commune", True)
    # Typed as people do: no diacritics, no kind of unit.
    same = resolve_legacy_address("ha noi", "hoan kiem", "hang bac")
    assert [c.code for c in same.communes] == ["00070"] and same.former_commune == "Phường Hàng Bạc"
    # Abbreviations written with a space rather than a dot.
    for district in ("TP Vinh", "TP. Vinh", "Thành phố Vinh", "vinh"):
        vinh = resolve_legacy_address("Nghệ An", district)
        assert vinh.court is not None and vinh.court.code == "TAKV-40-01", district


def test_an_old_district_resolves_to_the_court_that_took_over_its_work() -> None:
    found = resolve_legacy_address("Thành phố Hồ Chí Minh", "Huyện Củ Chi")
    assert (found.province_code, found.communes, found.exact) == ("79", (), False)
    assert (found.court and found.court.code, found.court_basis) == ("TAKV-79-08", "district_successor")
    split = resolve_legacy_address("TP.HCM", "Q.1", "Đa Kao")  # divided between two wards of the same court
    assert [c.code for c in split.communes] == ["26740", "26737"] and not split.exact
    assert (split.court and split.court.code, split.court_basis, split.verified) == ("TAKV-79-01", "commune", False)
    partly = resolve_legacy_address("Hà Nội", "Hoàn Kiếm", "Tràng Tiền")  # the rest of the ward is not in the data
    assert (partly.court and partly.court.code, partly.court_basis) == ("TAKV-01-01", "district_successor")
    assert any("chưa có dữ liệu" in note for note in partly.notes)


def test_a_former_province_resolves_to_the_merged_one() -> None:
    assert resolve_legacy_address("Thành phố Hồ Chí Minh", "Quận 1").province_code == "79"
    with pytest.raises(InvalidInputError, match="Quận 1' của Bình Dương"):
        resolve_legacy_address("Bình Dương", "Quận 1")  # Bình Dương is part of TP.HCM now, but Quận 1 was not
    with pytest.raises(InvalidInputError, match="Không tìm thấy tỉnh, thành phố 'Atlantis'"):
        resolve_legacy_address("Atlantis", "Quận 1")
    default = default_units()
    codes = {entry.province_code for entry in default.provinces}
    assert len(codes) == 34 and sum(len(entry.former) for entry in default.provinces) == 63


# -- broken files are refused, in Vietnamese, naming the entry -------------------------------------------------


Edit = Callable[[dict[str, Any]], None]


def broken(tmp_path: Path, file: str, edit: Edit) -> Path:
    folder = tmp_path / "units"
    shutil.copytree(UNITS_DIR, folder)
    path = folder / file
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(content)
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def _court(content: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(court for court in content["courts"] if court["code"] == code)
    return found


def _unknown_commune(content: dict[str, Any]) -> None:
    _court(content, "TAKV-01-02")["communes"].append({"code": "99999", "name": "Phường Không Có"})


def _commune_in_two_courts(content: dict[str, Any]) -> None:
    _court(content, "TAKV-01-02")["communes"].append({"code": "00070", "name": "Phường Hoàn Kiếm"})


def _wrong_name(content: dict[str, Any]) -> None:
    _court(content, "TAKV-01-03")["communes"][0]["name"] = "Phường Hai Bà"


def _other_province(content: dict[str, Any]) -> None:
    _court(content, "TAKV-79-01")["communes"].append({"code": "00103", "name": "Phường Tây Hồ"})


def _missing_field(content: dict[str, Any]) -> None:
    del _court(content, "TAKV-01-01")["complete"]


def _unverified_without_note(content: dict[str, Any]) -> None:
    court = _court(content, "TAKV-01-02")
    court["verified"] = False


def _bad_code(content: dict[str, Any]) -> None:
    _court(content, "TAKV-01-03")["code"] = "TAKV-79-03X"


def _unmapped_predecessor(content: dict[str, Any]) -> None:
    _court(content, "TAKV-01-02")["successor_of"].append("Huyện Không Có")


def _facility_in_another_province(content: dict[str, Any]) -> None:
    content["facilities"][0]["commune_code"] = "26740"


def _legacy_commune_of_unknown_district(content: dict[str, Any]) -> None:
    content["communes"][0]["district"] = "Quận Không Có"


@pytest.mark.parametrize(
    ("file", "edit", "expected"),
    [
        (COURTS_FILE, _unknown_commune, ["courts › TAKV-01-02 › 99999", "Không có xã, phường mang mã '99999'"]),
        (COURTS_FILE, _commune_in_two_courts, ["courts › TAKV-01-02 › 00070", "đã thuộc phạm vi của TAKV-01-01"]),
        (COURTS_FILE, _wrong_name, ["TAKV-01-03 › 00256", "là 'Phường Hai Bà Trưng', không phải 'Phường Hai Bà'"]),
        (COURTS_FILE, _other_province, ["TAKV-79-01 › 00103", "không thuộc tỉnh mã 79"]),
        (COURTS_FILE, _missing_field, ["courts[1] TAKV-01-01 › complete", "thiếu trường bắt buộc"]),
        (COURTS_FILE, _unverified_without_note, ["courts[2] TAKV-01-02", "(chưa kiểm chứng)"]),
        (COURTS_FILE, _bad_code, ["TAKV-79-03X", "không theo quy ước"]),
        (COURTS_FILE, _unmapped_predecessor, ["TAKV-01-02", "'Huyện Không Có' chưa có trong legacy_districts.yaml"]),
        (REHAB_FILE, _facility_in_another_province, ["facilities › CSCN-01-01", "không thuộc tỉnh mã 01"]),
        (LEGACY_FILE, _legacy_commune_of_unknown_district, ["Phường Hàng Bạc", "'Quận Không Có' không có"]),
    ],
    ids=[
        "unknown-commune",
        "commune-in-two-courts",
        "wrong-commune-name",
        "commune-of-another-province",
        "missing-field",
        "unverified-without-note",
        "bad-code",
        "unmapped-predecessor",
        "facility-elsewhere",
        "legacy-commune-without-district",
    ],
)
def test_a_broken_file_is_refused_in_vietnamese(tmp_path: Path, file: str, edit: Edit, expected: list[str]) -> None:
    with pytest.raises(DefinitionError) as refused:
        load_units(broken(tmp_path, file, edit))
    message = refused.value.message
    assert message.startswith("Dữ liệu đơn vị không hợp lệ:")
    assert file in message
    for part in expected:
        assert part in message


def test_unknown_unit_kinds_are_refused(tmp_path: Path, rulebook: Rulebook) -> None:
    def rename(content: dict[str, Any]) -> None:
        content["unit_kind"] = "benh_vien"

    folder = broken(tmp_path, HEALTH_FILE, rename)
    load_units(folder)  # the kinds are checked against the role catalogue when it is given
    with pytest.raises(DefinitionError) as refused:
        load_units(folder, regimes=rulebook.regimes)
    assert "health_facilities.yaml: loại đơn vị 'benh_vien' không có trong danh mục" in refused.value.message


def test_competence_by_area_is_a_flag_of_province_level_unit_kinds() -> None:
    assert UnitKind(title_vi="Tòa án nhân dân khu vực", scope="province", competence="regional")
    with pytest.raises(ValueError, match="chỉ dành cho đơn vị cấp tỉnh"):
        UnitKind(title_vi="Công an cấp xã", scope="commune", competence="regional")


# -- jurisdiction ----------------------------------------------------------------------------------------


def officer(unit_code: str, kind: str = "regional_court", province_code: str = "01") -> Actor:
    role = kind if kind in ("regional_court", "regional_procuracy") else "rehab_facility_director"
    return Actor(1, "x", "x", role, unit_code, kind, province_code, None)


def dossier(commune_code: str, **parties: str) -> dict[str, Any]:
    return {"parties": parties, "commune_code": commune_code, "province_code": commune(commune_code).province_code}


def test_a_regional_unit_covers_only_the_communes_of_its_area(rulebook: Rulebook) -> None:
    regimes = rulebook.regimes
    hoan_kiem, dong_da = dossier("00070"), dossier("00235")
    assert covers(regimes, officer("TAKV-01-01"), hoan_kiem)
    assert not covers(regimes, officer("TAKV-01-02"), hoan_kiem)
    assert covers(regimes, officer("TAKV-01-02"), dong_da)
    assert not covers(regimes, officer("TAKV-79-01", province_code="79"), hoan_kiem)
    assert covers(regimes, officer("VKSKV-01-01", "regional_procuracy"), hoan_kiem)
    assert not covers(regimes, officer("VKSKV-01-02", "regional_procuracy"), hoan_kiem)
    # A unit the data does not know is no court of any listed commune.
    assert not covers(regimes, officer("TAKV-01"), hoan_kiem)


def test_without_data_any_regional_unit_of_the_province_covers(rulebook: Rulebook) -> None:
    yen_bai = dossier("09706")
    for code in ("TAKV-01-01", "TAKV-01-02", "TAKV-01"):
        assert covers(rulebook.regimes, officer(code), yen_bai)
    assert not covers(rulebook.regimes, officer("TAKV-79-01", province_code="79"), yen_bai)


def test_a_designation_still_takes_precedence(rulebook: Rulebook) -> None:
    designated = dossier("00070", regional_court="TAKV-01-02")
    assert covers(rulebook.regimes, officer("TAKV-01-02"), designated)
    assert not covers(rulebook.regimes, officer("TAKV-01-01"), designated)
    facility = dossier("00070", rehab_facility="CSCN-01-01")
    assert covers(rulebook.regimes, officer("CSCN-01-01", "rehab_facility"), facility)
    assert not covers(rulebook.regimes, officer("CSCN-01-02", "rehab_facility"), facility)


# -- loading into the database --------------------------------------------------------------------------


def test_loading_the_units_is_idempotent_and_never_deletes(db: Database, rulebook: Rulebook, data: UnitsData) -> None:
    regimes = rulebook.regimes
    with db.transaction() as repo:
        repo.insert_unit(code="TAKV-01-09", name="Tòa án thêm bằng tay", kind="regional_court", province_code="01")
        repo.insert_unit(code="CSYT-01-01", name="Đơn vị trùng mã", kind="commune_police", commune_code="00070")
        first = sync_units(repo, regimes, data)
    assert len(first.created) == len(data.units) - 1 and not first.renamed
    assert [problem.split(":")[0] for problem in first.conflicts] == ["CSYT-01-01"]
    with db.transaction() as repo:
        repo.update_unit_name("TAKV-01-01", "Tên cũ")
        second = sync_units(repo, regimes, data, files=[COURTS_FILE])
    assert second.renamed == ("TAKV-01-01",) and not second.created and not second.conflicts
    assert len(second.unchanged) == len([unit for unit in data.units if unit.file == COURTS_FILE]) - 1
    with db.reading() as repo:
        assert repo.unit("TAKV-01-01") == {
            "code": "TAKV-01-01",
            "name": "Tòa án nhân dân khu vực 1 - Hà Nội",
            "kind": "regional_court",
            "province_code": "01",
            "commune_code": None,
        }
        assert repo.unit("TAKV-01-09") is not None  # never deleted
        clash = repo.unit("CSYT-01-01")
        assert clash is not None and clash["kind"] == "commune_police"  # a clash is reported, not overwritten
