"""Guards take their arguments from the procedure file; the loader refuses calls that name what does not
exist. The Penal Code art. 256a answer must agree with the art. 27 case, by the date of the use."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from config import CONFIG_DIR
from states.definitions import GuardCall
from states.errors import DefinitionError, GuardFailedError
from states.guards import GuardContext, evaluate
from states.procedures import Rulebook, load_rulebook
from tests.conftest import Dossier, World

SOURCES = CONFIG_DIR / "procedures" / "addiction_determination"
Mutation = Callable[[dict[str, Any]], None]


def transition(data: dict[str, Any], event: str, dest: str) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in data["transitions"] if t["event"] == event and t["dest"] == dest)
    return found


def guard_args(data: dict[str, Any], event: str, dest: str, name: str) -> dict[str, Any]:
    for call in transition(data, event, dest)["guards"]:
        if name in call:
            args: dict[str, Any] = call[name]
            return args
    raise AssertionError(f"{event} → {dest} has no guard {name}")


def unknown_parameter(data: dict[str, Any]) -> None:
    guard_args(data, "result_served", "closed_relapse", "age_between")["min_parameter"] = "adult_age_yrs"


def unknown_deadline(data: dict[str, Any]) -> None:
    args = guard_args(data, "custody_ended", "determination_required", "deadline_running")
    args["deadlines"] = ["custody_base", "custody_forever"]


def missing_argument(data: dict[str, Any]) -> None:
    del guard_args(data, "status_checked", "handed_to_management", "value_in")["message_vi"]


def unknown_field(data: dict[str, Any]) -> None:
    guard_args(data, "status_checked", "determination_required", "value_in")["field"] = "art27_kase"


def unexpected_argument(data: dict[str, Any]) -> None:
    guard_args(data, "criminal_route", "criminal_referral", "penal_case_applies")["colour"] = "red"


def unknown_choice(data: dict[str, Any]) -> None:
    guard_args(data, "result_served", "closed_addicted", "value_in")["values"] = ["a", "b", "z"]


def unknown_expectation(data: dict[str, Any]) -> None:
    guard_args(data, "concluded_addicted", "addicted", "criteria_conclusion")["expect"] = "maybe"


def empty_message(data: dict[str, Any]) -> None:
    guard_args(data, "request_resent", "requested", "deadline_not_running")["message_vi"] = "  "


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (unknown_parameter, "'min_parameter' chỉ đến tham số không tồn tại: adult_age_yrs"),
        (unknown_deadline, "'deadlines' chỉ đến thời hạn không tồn tại: custody_forever"),
        (missing_argument, "điều kiện value_in: thiếu tham số 'message_vi'"),
        (unknown_field, "'field' chỉ đến trường không có trong bước và không được ghi nhận: art27_kase"),
        (unexpected_argument, "tham số không được dùng: 'colour'"),
        (unknown_choice, "giá trị 'z' không thuộc lựa chọn của art27_case"),
        (unknown_expectation, "'expect' phải là một trong addicted, not_addicted, inconclusive"),
        (empty_message, "'message_vi' phải là một câu tiếng Việt"),
    ],
    ids=lambda value: getattr(value, "__name__", "message"),
)
def test_the_loader_refuses_guard_calls_that_name_nothing(tmp_path: Path, mutate: Mutation, expected: str) -> None:
    broken = yaml.safe_load((SOURCES / "2022-01-01.yaml").read_text(encoding="utf-8"))
    mutate(broken)
    target = tmp_path / "addiction_determination"
    target.mkdir()
    (target / "2022-01-01.yaml").write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    shutil.copy(SOURCES / "2026-07-01.yaml", target)
    with pytest.raises(DefinitionError) as caught:
        load_rulebook(CONFIG_DIR, procedures_dir=tmp_path)
    problems = caught.value.details["problems"]
    assert any(
        problem.startswith("addiction_determination/2022-01-01:") and expected in problem for problem in problems
    )
    assert all(problem.startswith("addiction_determination/2022-01-01:") for problem in problems)  # 2026 is sound


def test_the_file_written_the_same_way_but_unchanged_loads(tmp_path: Path) -> None:
    data = yaml.safe_load((SOURCES / "2022-01-01.yaml").read_text(encoding="utf-8"))
    target = tmp_path / "addiction_determination"
    target.mkdir()
    (target / "2022-01-01.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    shutil.copy(SOURCES / "2026-07-01.yaml", target)
    loaded = load_rulebook(CONFIG_DIR, procedures_dir=tmp_path)
    assert [compiled.version for compiled in loaded.all_versions()] == ["2022-01-01", "2026-07-01"]


# -- art. 256a and art. 27 ----------------------------------------------------------------------------------


def user_confirmed(world: World, tested_at: str) -> Dossier:
    dossier = world.open()
    positive = {"tested_at": tested_at, "test_ground": "caught_using", "sample_type": "urine", "substances": "MA"}
    dossier.fire("police", "test_positive", positive)
    return dossier


def check_refused(dossier: Dossier, payload: dict[str, str], *messages: str) -> None:
    before = dossier.saved()
    with pytest.raises(GuardFailedError) as caught:
        dossier.fire("police", "status_checked", payload)
    for message in messages:
        assert message in caught.value.message, caught.value.message
    assert dossier.saved()["version"] == before["version"]


MISMATCH = "Kết quả kiểm tra Điều 256a BLHS không khớp với trường hợp đã ghi"


def test_case_d_is_the_256a_window_of_post_rehab_management(world: World) -> None:
    dossier = user_confirmed(world, "2026-03-02T08:00:00+07:00")
    check_refused(
        dossier, {"art27_case": "d", "penal_256a_window": "none"}, MISMATCH, "Điều 27 khoản 1 Luật PCMT 73/2021"
    )
    check_refused(dossier, {"art27_case": "b", "penal_256a_window": "post_rehab_management"}, MISMATCH)
    check_refused(dossier, {"art27_case": "none", "penal_256a_window": "post_rehab_management"}, MISMATCH)
    check_refused(
        dossier, {"art27_case": "d", "penal_256a_window": "post_rehab_management"}, "phải chuyển cơ quan điều tra"
    )
    dossier.fire("police", "status_checked", {"art27_case": "b", "penal_256a_window": "none"})
    assert dossier.state == "determination_required"


def test_before_article_256a_case_d_needs_no_answer(world: World) -> None:
    world.at("2025-06-30T09:00:00+07:00")
    dossier = user_confirmed(world, "2025-06-30T08:00:00+07:00")
    dossier.fire("police", "status_checked", {"art27_case": "d"})
    assert dossier.state == "determination_required"


def test_the_2026_version_cites_law_120_2025(world: World) -> None:
    world.at("2026-08-03T09:00:00+07:00")
    dossier = user_confirmed(world, "2026-08-03T08:00:00+07:00")
    assert dossier.saved()["procedure_version"] == "2026-07-01"
    check_refused(
        dossier, {"art27_case": "d", "penal_256a_window": "none"}, MISMATCH, "Điều 31 Luật PCMT 120/2025/QH15"
    )
    check_refused(dossier, {"art27_case": "c"}, "phải ghi kết quả kiểm tra dấu hiệu tội phạm Điều 256a")


def test_compulsory_rehab_after_a_relapse_requires_the_256a_check_cleared(rulebook: Rulebook) -> None:
    """Defence in depth on result_served → closed_relapse: a use from 01/07/2025 whose 256a answer is not
    "none" never reaches compulsory rehab."""
    for compiled in rulebook.versions("addiction_determination"):
        definition = compiled.definition
        relapse = next(t for t in definition.transitions if t.event == "result_served" and t.dest == "closed_relapse")
        call: GuardCall = next(g for g in relapse.guards if g.name == "penal_check_cleared")

        def context(tested_at: str, window: str) -> GuardContext:
            return GuardContext(
                definition=definition,  # noqa: B023  # used within the iteration
                payload={},
                facts={"tested_at": tested_at, "penal_256a_window": window, "art27_case": "d"},
                subject_birth_date=date(1990, 1, 1),
                act_date=date(2026, 9, 1),
                now=datetime(2026, 9, 1, tzinfo=UTC),
            )

        refused = evaluate(call, context("2025-07-01T08:00:00+07:00", "post_rehab_management"))
        assert refused is not None and "256a" in refused
        assert evaluate(call, context("2025-07-01T08:00:00+07:00", "none")) is None
        assert evaluate(call, context("2025-06-30T08:00:00+07:00", "post_rehab_management")) is None
