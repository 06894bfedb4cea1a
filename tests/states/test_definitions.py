"""Procedure files load, are graph-checked, and every defect kind the checker knows is caught."""

from __future__ import annotations

import copy
import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.cli import SCHEMA_PATH, procedure_json_schema
from config import CONFIG_DIR
from states.definitions import ProcedureDefinition, check_graph
from states.errors import DefinitionError
from states.guards import GUARDS
from states.procedures import Rulebook, load_rulebook

SOURCE = CONFIG_DIR / "procedures" / "addiction_determination" / "2022-01-01.yaml"


@pytest.fixture
def raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    return data


def problems_of(data: dict[str, Any], rulebook: Rulebook) -> list[str]:
    definition = ProcedureDefinition.model_validate(data)
    regimes = rulebook.regimes
    return check_graph(
        definition,
        known_roles=set(regimes.roles) | {a for r in regimes.roles.values() for a in r.aliases},
        known_guards=set(GUARDS),
        known_forms=set(rulebook.forms.forms),
        known_regimes={r.key for r in regimes.regimes},
        known_unit_kinds=set(regimes.unit_kinds),
    )


def test_every_procedure_file_is_loaded_as_written(rulebook: Rulebook) -> None:
    """Each file on disk is one loaded version, named by its directory and date, with nothing dropped."""
    files = sorted((CONFIG_DIR / "procedures").glob("*/*.yaml"))
    loaded = sorted((c.definition.code, c.definition.version) for c in rulebook.all_versions())
    assert loaded == [(path.parent.name, path.stem) for path in files]
    for path in files:
        written = ProcedureDefinition.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        assert rulebook.pinned(path.parent.name, path.stem).definition == written


def test_version_in_force_by_date(rulebook: Rulebook) -> None:
    assert rulebook.in_force("addiction_determination", date(2025, 6, 30)).version == "2022-01-01"
    assert rulebook.in_force("addiction_determination", date(2026, 7, 1)).version == "2026-07-01"
    with pytest.raises(Exception, match="chưa có phiên bản"):
        rulebook.in_force("addiction_determination", date(2021, 12, 31))


def test_the_sound_definition_has_no_problems(raw: dict[str, Any], rulebook: Rulebook) -> None:
    assert problems_of(raw, rulebook) == []


def _mutations() -> list[tuple[str, Any, str]]:
    def second_initial(d: dict[str, Any]) -> None:
        d["states"]["user_confirmed"]["initial"] = True

    def unreachable(d: dict[str, Any]) -> None:
        d["states"]["orphan"] = {"title_vi": "x", "tasks": [{"role": "commune_police", "title_vi": "x"}]}

    def dead_end(d: dict[str, Any]) -> None:
        d["transitions"] = [t for t in d["transitions"] if t["event"] != "found" and t["event"] != "died"]

    def no_final(d: dict[str, Any]) -> None:
        for state in d["states"].values():
            state.pop("final", None)

    def roleless(d: dict[str, Any]) -> None:
        d["transitions"][0]["roles"] = []

    def unknown_role(d: dict[str, Any]) -> None:
        d["transitions"][0]["roles"] = ["district_judge_of_nowhere"]

    def unknown_guard(d: dict[str, Any]) -> None:
        d["transitions"][0]["guards"] = ["moon_is_full"]

    def unknown_form(d: dict[str, Any]) -> None:
        d["transitions"][0]["documents"] = ["nd999.m99"]

    def expiry_without_consumer(d: dict[str, Any]) -> None:
        d["deadlines"][0]["expiry_event"] = "test_negative"

    def expiry_not_for_system(d: dict[str, Any]) -> None:
        for t in d["transitions"]:
            if t["event"] == "custody_limit_reached":
                t["roles"] = ["commune_police"]

    def deadline_never_started(d: dict[str, Any]) -> None:
        d["deadlines"][0]["start_on"] = ["test_negative"]

    def missing_parameter(d: dict[str, Any]) -> None:
        del d["parameters"]["custody_base_hours"]

    def undeclared_event(d: dict[str, Any]) -> None:
        del d["events"]["found"]

    def unused_event(d: dict[str, Any]) -> None:
        d["events"]["never_used"] = {"title_vi": "x"}

    def bad_designation(d: dict[str, Any]) -> None:
        d["transitions"][0]["designates"] = "no_such_field"

    def designation_without_kind(d: dict[str, Any]) -> None:
        del d["events"]["request_sent"]["payload"]["facility_unit"]["unit_kind"]

    return [
        ("second initial", second_initial, "đúng một trạng thái khởi đầu"),
        ("unreachable", unreachable, "trạng thái orphan không thể đến được"),
        ("dead end", dead_end, "trạng thái absconded là ngõ cụt"),
        ("no final", no_final, "không có trạng thái kết thúc"),
        ("roleless", roleless, "không có vai trò nào được thực hiện"),
        ("unknown role", unknown_role, "vai trò không có trong danh mục: district_judge_of_nowhere"),
        ("unknown guard", unknown_guard, "điều kiện chưa được đăng ký: moon_is_full"),
        ("unknown form", unknown_form, "mẫu văn bản không có trong danh mục: nd999.m99"),
        ("expiry without consumer", expiry_without_consumer, "không thực hiện được từ"),
        ("expiry not for system", expiry_not_for_system, "phải cho phép vai trò system"),
        ("deadline never started", deadline_never_started, "không dẫn vào trạng thái áp dụng thời hạn"),
        ("missing parameter", missing_parameter, "tham số custody_base_hours"),
        ("undeclared event", undeclared_event, "bước chưa được khai báo"),
        ("unused event", unused_event, "bước never_used được khai báo nhưng không chuyển tiếp nào dùng"),
        ("bad designation", bad_designation, "no_such_field"),
        ("designation without kind", designation_without_kind, "facility_unit phải ghi unit_kind"),
    ]


@pytest.mark.parametrize(("name", "mutate", "expected"), _mutations(), ids=[m[0] for m in _mutations()])
def test_graph_check_catches(raw: dict[str, Any], rulebook: Rulebook, name: str, mutate: Any, expected: str) -> None:
    broken = copy.deepcopy(raw)
    mutate(broken)
    problems = problems_of(broken, rulebook)
    assert any(expected in problem for problem in problems), problems


def test_unknown_fields_are_refused(raw: dict[str, Any]) -> None:
    raw["transitions"][0]["colour"] = "red"
    with pytest.raises(ValueError, match="colour"):
        ProcedureDefinition.model_validate(raw)


def test_loader_reports_a_broken_file_and_a_misnamed_file(raw: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "addiction_determination"
    target.mkdir()
    broken = copy.deepcopy(raw)
    broken["transitions"][0]["guards"] = ["moon_is_full"]
    (target / "2022-01-01.yaml").write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError, match="moon_is_full"):
        load_rulebook(CONFIG_DIR, procedures_dir=tmp_path)
    shutil.copy(SOURCE, target / "2022-01-01.yaml")
    (target / "2022-01-01.yaml").rename(target / "2023-01-01.yaml")
    with pytest.raises(DefinitionError, match=r"2022-01-01\.yaml"):
        load_rulebook(CONFIG_DIR, procedures_dir=tmp_path)


def test_committed_json_schema_is_current() -> None:
    committed = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert committed == json.loads(procedure_json_schema()), "run `hoso procedures schema` and commit the result"


def test_every_unverified_value_is_marked(rulebook: Rulebook) -> None:
    for compiled in rulebook.all_versions():
        for name, parameter in compiled.definition.parameters.items():
            if parameter.value is None:
                assert parameter.basis.evidence == "unverified", name
