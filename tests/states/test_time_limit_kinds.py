"""Every kind of time limit of the procedure specifications (shared/procedures/01–08), each through the engine:
the due instant and the sentence an officer reads beside it.

The kinds, and where the specifications use them:

- hours: administrative custody, 12 hours from the start of holding and at most 5 days when extended for the
  determination (01); reporting arrival within 24 hours after moving (02, from 01/07/2026);
- calendar days: the court's decision within 15 days of acceptance, extended to at most 30 (05, 06); the
  reading period of 5 days (04);
- working days: 1, 2, 3, 5, 7 and 10 working days (01–08), across Tết and make-up working Saturdays;
- months: terms of 3–6 (04), 6–12, 24 or 36 (03, 05, 06, 07), 12 (02) and 24 months (08) and limitations of 3
  months (04) and 1 year (07); a term ends on its calendar day even a day off, a month end is clamped;
- cut-off hour: what is handed in after office hours counts as received on the next working day (DESIGN.md;
  no specification names the hour, so the scenario sets one on a rule);
- paused and resumed: the court's limit while a supplement is awaited or consideration is suspended (05, 06),
  the term while the person is at large or suspended (07) or imprisoned (08), the registration window while the
  registration is considered (03);
- extended: custody (01) and the court's decision (05, 06); restarted: limitations after evasion (04, 07).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from typing import Any

import pytest
import yaml

from config import CONFIG_DIR
from states.legal_time import VN_TZ
from states.procedures import CompiledProcedure, Rulebook
from tests.conftest import Dossier, World
from tests.states.test_compulsory_rehab_adult import (
    ACCEPTED,
    CODE,
    PATHS,
    SUPPLEMENT_ASKED,
    SUPPLEMENT_GIVEN,
    V_DETERMINED,
    Run,
    add_court_world,
    day_field,
    start,
    step,
)
from tests.states.test_custody import held
from tests.states.test_definitions import problems_of
from tests.states.test_voluntary_rehab import add_vr_actors

COURT = {"username": "rcourt", "role": "regional_court", "unit_code": "TAKV-01-01"}
COURT_NAME = "Tòa án nhân dân khu vực 1 - Hà Nội"
ASKED = "“Yêu cầu cơ quan đề nghị bổ sung tài liệu” của Tòa án nhân dân khu vực 1 - Hà Nội"
GIVEN = "“Nhận tài liệu bổ sung” của Công an phường Hoàn Kiếm"
REG = {"registrant": "subject"}
ADDICTION_DETERMINATION = CONFIG_DIR / "procedures" / "addiction_determination" / "2022-01-01.yaml"


@pytest.fixture
def court(world: World) -> World:
    return add_court_world(world)


def basis(world: World, procedure: str, version: str, rule_id: str) -> str:
    definition = world.rulebook.pinned(procedure, version).definition
    return next(rule.basis.text for rule in definition.deadlines if rule.id == rule_id)


def deadline(dossier: Dossier, rule_id: str) -> dict[str, Any]:
    return dossier.deadlines()[rule_id]


def local(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=VN_TZ)


def due_local(found: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(found["due_at_local"])


def who(found: dict[str, Any]) -> dict[str, Any]:
    """The officer of a recorded step, without the unit's name."""
    return {key: value for key, value in found["by"].items() if key != "unit_name"}


def history_step(dossier: Dossier, seq: int) -> tuple[str, str, str, str]:
    row = dossier.saved()["history"][seq - 1]
    return row["event"], row["actor"], row["actor_role"], row["actor_unit"]


# -- hours -------------------------------------------------------------------------------------------------------


def test_hours_custody_runs_by_the_clock_and_its_extension_records_the_decision(world: World) -> None:
    dossier = held(world)  # holding started 08:30 on Monday 02/03/2026
    base = deadline(dossier, "custody_base")
    assert due_local(base) == local("2026-03-02T20:30")
    assert base["explanation_vi"] == (
        "12 giờ kể từ 08:30 ngày 02/03/2026 (Thời điểm bắt đầu giữ người); hạn cuối 20:30 ngày 02/03/2026 — căn cứ: "
        + basis(world, "addiction_determination", "2022-01-01", "custody_base")
    )
    world.at("2026-03-02T10:00:00+07:00")
    dossier.fire("chief", "custody_extended", {"decision_number": "02/QĐ", "extended_at": "2026-03-02T09:50:00+07:00"})
    extended = deadline(dossier, "custody_for_determination")
    # Five days (120 hours) from the start of holding end at 08:30 on Saturday 07/03: hours never move past days off.
    assert due_local(extended) == local("2026-03-07T08:30")
    assert deadline(dossier, "custody_base")["status"] == "superseded"
    assert extended["explanation_vi"] == (
        "120 giờ kể từ 08:30 ngày 02/03/2026 (Thời điểm bắt đầu giữ người); kéo dài từ hạn 20:30 ngày 02/03/2026 "
        "theo quyết định ngày 02/03/2026 của Công an phường Hoàn Kiếm (Quyết định kéo dài thời hạn tạm giữ để xác "
        "định tình trạng nghiện); hạn cuối 08:30 ngày 07/03/2026 — căn cứ: "
        + basis(world, "addiction_determination", "2022-01-01", "custody_for_determination")
    )
    extends = extended["explanation"]["extends"]
    assert (extends["rule_id"], extends["title_vi"], extends["status_before"]) == (
        "custody_base",
        "Hết thời hạn tạm giữ 12 giờ",
        "open",
    )
    assert datetime.fromisoformat(extends["due_at_before"]) == local("2026-03-02T20:30")
    # No ground field on this step: the ground is the step itself.
    assert (extends["reason_field"], extends["reason_vi"]) == (
        None,
        "Quyết định kéo dài thời hạn tạm giữ để xác định tình trạng nghiện",
    )
    taken = extends["step"]
    assert (taken["event"], datetime.fromisoformat(taken["at"])) == ("custody_extended", local("2026-03-02T09:50"))
    assert who(taken) == {"username": "chief", "role": "custody_officer", "unit_code": "CAX-00070"}
    assert history_step(dossier, taken["seq"]) == ("custody_extended", "chief", "custody_officer", "CAX-00070")


# -- calendar days -----------------------------------------------------------------------------------------------


def test_calendar_days_a_time_limit_ending_on_a_day_off_moves_to_the_next_working_day(court: World) -> None:
    run = start(court, "2022-01-01", "at_court_registry")
    run.now = datetime(2026, 3, 6, 9, 0, tzinfo=VN_TZ)  # Friday
    run.steps([ACCEPTED])
    limit = deadline(run.dossier, "decision_limit")
    assert due_local(limit) == local("2026-03-23T23:59:59.999999")
    assert limit["explanation_vi"] == (
        "15 ngày kể từ ngày 06/03/2026 (ngày tòa án thụ lý hồ sơ); ngày cuối thứ Bảy 21/03/2026 là ngày nghỉ nên hạn "
        "chuyển sang ngày làm việc tiếp theo; hạn cuối 23:59 ngày 23/03/2026 — căn cứ: "
        + basis(court, CODE, "2022-01-01", "decision_limit")
    )


# -- working days ------------------------------------------------------------------------------------------------


def dossier_preparation(court: World, opened: datetime) -> dict[str, Any]:
    """The 5 working days to prepare a compulsory rehab dossier, from the violation recorded at ``opened``."""
    court.at(opened.isoformat())
    run = Run(court, court.open("police", CODE), opened)
    run.steps([V_DETERMINED])
    return deadline(run.dossier, "dossier_preparation")


def preparation_label(world: World, version: str) -> str:
    """What the period counts from: the day of the step recording the violation, in that step's words."""
    title = world.rulebook.pinned(CODE, version).definition.events["violation_recorded"].title_vi
    return f"ngày {title[0].lower()}{title[1:]}"


def test_working_days_skip_the_days_off_of_tet_2026(court: World) -> None:
    # Tết Nguyên đán 2026 (holidays.VN, config/calendars/vn-2026.yaml): Monday 16/02 to Friday 20/02, with the
    # weekends on either side; the violation is recorded on the Friday before.
    found = dossier_preparation(court, datetime(2026, 2, 13, 8, 0, tzinfo=VN_TZ))
    assert due_local(found) == local("2026-02-27T23:59:59.999999")
    label = preparation_label(court, "2022-01-01")
    assert found["explanation_vi"] == (
        f"05 ngày làm việc kể từ ngày 13/02/2026 ({label}), không tính thứ Bảy 14/02, Chủ nhật 15/02, "
        "thứ Hai 16/02 (Giao thừa Tết Nguyên Đán), thứ Ba 17/02 (Tết Nguyên Đán), thứ Tư 18/02 (Mùng hai Tết Nguyên "
        "Đán), thứ Năm 19/02 (Mùng ba Tết Nguyên Đán), thứ Sáu 20/02 (Mùng bốn Tết Nguyên Đán), thứ Bảy 21/02 và "
        "Chủ nhật 22/02; hạn cuối 23:59 ngày 27/02/2026 — căn cứ: "
        + basis(court, CODE, "2022-01-01", "dossier_preparation")
    )


def test_working_days_count_a_make_up_saturday(court: World) -> None:
    # Saturday 22/08/2026 is worked to free Monday 31/08 (holidays.VN weekend_workdays).
    found = dossier_preparation(court, datetime(2026, 8, 20, 8, 0, tzinfo=VN_TZ))
    # Fri 21, Sat 22 (made up), Mon 24, Tue 25, Wed 26; without the make-up day it would be Thursday 27/08.
    assert due_local(found) == local("2026-08-26T23:59:59.999999")
    label = preparation_label(court, "2026-07-01")
    assert found["explanation_vi"] == (
        f"05 ngày làm việc kể từ ngày 20/08/2026 ({label}), không tính Chủ nhật 23/08, tính cả thứ Bảy "
        "22/08 (ngày làm bù); hạn cuối 23:59 ngày 26/08/2026 — căn cứ: "
        + basis(court, CODE, "2026-07-01", "dossier_preparation")
    )


# -- months ------------------------------------------------------------------------------------------------------


def test_months_a_limitation_is_clamped_to_the_month_end_and_kept_on_a_sunday(world: World) -> None:
    world.at("2026-12-01T09:00:00+07:00")
    dossier = world.open("police", "commune_education")
    ground = {
        "first_violation_on": "2026-09-10",
        "first_sanction_on": "2026-09-12",
        "second_sanction_on": "2026-10-20",
        "third_violation_at": "2026-11-30T21:00:00+07:00",
        "violation_record_number": "03/BB-VPHC",
        "penal_256a_window": "none",
    }
    dossier.fire("police", "preparation_started", ground)
    limitation = deadline(dossier, "limitation")
    # 30/11/2026 + 3 months = "30/02/2027", clamped to Sunday 28/02/2027; a term does not move past a day off.
    assert due_local(limitation) == local("2027-02-28T23:59:59.999999")
    assert limitation["explanation_vi"] == (
        "03 tháng kể từ ngày 30/11/2026 (Thời điểm vi phạm lần thứ ba (lập biên bản)); là thời hạn chấp hành, ngày "
        "cuối không dời khi rơi vào ngày nghỉ: Chủ nhật 28/02/2027 vẫn là ngày cuối; hạn cuối 23:59 ngày 28/02/2027 "
        "— căn cứ: " + basis(world, "commune_education", "2026-07-01", "limitation")
    )


def test_months_a_term_ends_on_its_day_even_a_national_holiday(world: World) -> None:
    add_vr_actors(world)
    world.at("2026-08-03T08:00:00+07:00")
    dossier = world.open("police", "voluntary_rehab")
    dossier.fire("registrar", "registered_home_community", {"registered_at": "2026-08-03T08:00:00+07:00"} | REG)
    world.at("2026-08-04T09:00:00+07:00")
    decided = {"decided_on": "2026-08-04", "decision_number": "01/QĐ", "provider_unit": "DV-01"}
    dossier.fire("chair", "decision_issued", decided | {"rehab_round": "first"})
    world.at("2026-09-03T09:00:00+07:00")
    dossier.fire("provider", "service_started", {"rehab_started_on": "2026-09-02", "contract_number": "HĐ-01"})
    term = deadline(dossier, "term_first")
    # 24 months from 02/09/2026 end on Saturday 02/09/2028, National Day: the term ends there all the same.
    assert due_local(term) == local("2028-09-02T23:59:59.999999")
    assert term["explanation_vi"].startswith("24 tháng kể từ ngày 02/09/2026 (")
    assert term["explanation_vi"].endswith(
        "; là thời hạn chấp hành, ngày cuối không dời khi rơi vào ngày nghỉ: thứ Bảy 02/09/2028 (Quốc khánh) vẫn là "
        "ngày cuối; hạn cuối 23:59 ngày 02/09/2028 — căn cứ: "
        + basis(world, "voluntary_rehab", "2026-07-01", "term_first")
    )


# -- cut-off hour ------------------------------------------------------------------------------------------------


def with_cut_off(rulebook: Rulebook, procedure: str, version: str, rule_id: str, hour: time) -> Rulebook:
    """The rulebook with one deadline rule given a cut-off hour."""
    compiled = []
    for version_of in rulebook.procedures[procedure]:
        definition = version_of.definition
        if definition.version == version:
            rules = tuple(
                rule.model_copy(update={"cut_off": hour}) if rule.id == rule_id else rule
                for rule in definition.deadlines
            )
            version_of = CompiledProcedure(definition.model_copy(update={"deadlines": rules}))
        compiled.append(version_of)
    return replace(rulebook, procedures={**rulebook.procedures, procedure: tuple(compiled)})


@pytest.mark.parametrize(
    ("received", "due", "counted"),
    [
        # Friday 06/03/2026 before 16:30: Mon 09, Tue 10, Wed 11.
        ("2026-03-06T16:20", "2026-03-11", ", không tính thứ Bảy 07/03 và Chủ nhật 08/03"),
        # After 16:30 it counts as received on Monday 09/03: Tue 10, Wed 11, Thu 12.
        (
            "2026-03-06T17:10",
            "2026-03-12",
            ", tính như nhận vào thứ Hai 09/03/2026 (sau 16:30 hoặc vào ngày nghỉ thì tính từ ngày làm việc tiếp theo)",
        ),
    ],
)
def test_cut_off_hour_a_registration_after_office_hours_counts_from_the_next_working_day(
    world: World, received: str, due: str, counted: str
) -> None:
    add_vr_actors(world)
    world.rulebook = with_cut_off(world.rulebook, "voluntary_rehab", "2022-01-01", "decision_limit", time(16, 30))
    world.at("2026-03-02T08:00:00+07:00")
    dossier = world.open("police", "voluntary_rehab")
    world.at(f"{received}:00+07:00")
    dossier.fire("registrar", "registered_home_community", {"registered_at": f"{received}:00+07:00"} | REG)
    found = deadline(dossier, "decision_limit")
    assert due_local(found) == local(f"{due}T23:59:59.999999")
    label = "ngày đăng ký cai nghiện ma túy tự nguyện tại gia đình, cộng đồng"
    assert found["explanation_vi"] == (
        f"03 ngày làm việc kể từ ngày 06/03/2026 ({label}){counted}; hạn cuối 23:59 ngày "
        f"{local(due + 'T00:00').strftime('%d/%m/%Y')} — căn cứ: "
        + basis(world, "voluntary_rehab", "2022-01-01", "decision_limit")
    )


# -- paused and resumed ------------------------------------------------------------------------------------------


def test_paused_while_a_supplement_is_awaited_then_resumed_with_the_days_left(court: World) -> None:
    run = start(court, "2022-01-01", "under_study")  # accepted 02/03/2026: 15 days end on Tuesday 17/03
    dossier = run.dossier
    run.steps([SUPPLEMENT_ASKED])
    paused = deadline(dossier, "decision_limit")
    assert paused["status"] == "paused"
    stop = paused["explanation"]["paused"]
    assert (stop["remaining_days"], stop["step"]["title_vi"]) == (15, "Yêu cầu cơ quan đề nghị bổ sung tài liệu")
    assert who(stop["step"]) == COURT and stop["step"]["by"]["unit_name"] == COURT_NAME
    asked_seq = stop["step"]["seq"]
    assert history_step(dossier, asked_seq) == ("supplement_requested", "rcourt", "regional_court", "TAKV-01-01")
    limit_basis = basis(court, CODE, "2022-01-01", "decision_limit")
    assert paused["explanation_vi"] == (
        f"15 ngày kể từ ngày 02/03/2026 (ngày tòa án thụ lý hồ sơ); đang tạm dừng từ 02/03/2026 theo {ASKED} "
        f"(bước {asked_seq}), còn lại 15 ngày tính lại từ ngày tiếp tục (hạn trước khi tạm dừng: 23:59 ngày "
        f"17/03/2026) — căn cứ: {limit_basis}"
    )
    run.now = datetime(2026, 3, 10, 8, 40, tzinfo=VN_TZ)  # received on Tuesday 10/03, eight days later
    run.steps([SUPPLEMENT_GIVEN])
    resumed = deadline(dossier, "decision_limit")
    # 15 days left, counted again from 10/03: Wednesday 25/03/2026.
    assert (resumed["status"], due_local(resumed)) == ("open", local("2026-03-25T23:59:59.999999"))
    pause = resumed["explanation"]["pauses"][0]
    assert (pause["paused_step"]["seq"], pause["resumed_step"]["seq"]) == (asked_seq, asked_seq + 1)
    assert who(pause["resumed_step"]) == {"username": "police", "role": "commune_police", "unit_code": "CAX-00070"}
    assert history_step(dossier, asked_seq + 1) == ("supplement_received", "police", "commune_police", "CAX-00070")
    assert resumed["explanation_vi"] == (
        "15 ngày kể từ ngày 02/03/2026 (ngày tòa án thụ lý hồ sơ); không tính thời gian tạm dừng từ 02/03/2026 đến "
        f"10/03/2026 (08 ngày): tạm dừng theo {ASKED} (bước {asked_seq}), tiếp tục theo {GIVEN} (bước "
        f"{asked_seq + 1}); hạn cuối 23:59 ngày 25/03/2026 — căn cứ: {limit_basis}"
    )


def test_a_resumed_time_limit_ending_on_a_day_off_moves_to_the_next_working_day(court: World) -> None:
    run = start(court, "2022-01-01", "under_study")
    run.steps([SUPPLEMENT_ASKED])
    run.now = datetime(2026, 3, 6, 8, 40, tzinfo=VN_TZ)  # four days later: the 15 days end on Saturday 21/03
    run.steps([SUPPLEMENT_GIVEN])
    resumed = deadline(run.dossier, "decision_limit")
    assert due_local(resumed) == local("2026-03-23T23:59:59.999999")
    assert (
        "(04 ngày): tạm dừng theo" in resumed["explanation_vi"]
        and "; ngày cuối tính lại thứ Bảy 21/03/2026 là ngày nghỉ nên hạn chuyển sang ngày làm việc tiếp theo; hạn "
        "cuối 23:59 ngày 23/03/2026"
        in resumed["explanation_vi"]
    )


# -- extended ----------------------------------------------------------------------------------------------------


def test_extended_by_the_courts_decision_with_its_ground_and_the_pause_kept(court: World) -> None:
    run = start(court, "2022-01-01", "under_study")  # accepted Monday 02/03/2026 at 09:10
    dossier = run.dossier
    run.steps([SUPPLEMENT_ASKED])
    run.now = datetime(2026, 3, 5, 8, 40, tzinfo=VN_TZ)  # three days paused: the 15 days now end on Friday 20/03
    run.steps([SUPPLEMENT_GIVEN])
    run.now = datetime(2026, 3, 9, 9, 0, tzinfo=VN_TZ)
    run.steps([step("rcourt", "extension_needed", day_field("decided_on", ground="expert_opinion"))])
    assert deadline(dossier, "decision_limit")["status"] == "superseded"
    extended = deadline(dossier, "decision_limit_extended")
    # 30 days from acceptance end on 01/04; the three days paused are not counted either: Saturday 04/04, which
    # moves the time limit to Monday 06/04/2026.
    assert due_local(extended) == local("2026-04-06T23:59:59.999999")
    extends = extended["explanation"]["extends"]
    assert (extends["rule_id"], extends["status_before"], extends["reason_field"], extends["reason_vi"]) == (
        "decision_limit",
        "open",
        "ground",
        "Cần tham khảo ý kiến cơ quan chuyên môn",
    )
    assert extends["title_vi"].startswith("Ra quyết định trong 15 ngày")
    assert datetime.fromisoformat(extends["due_at_before"]) == local("2026-03-20T23:59:59.999999")
    taken = extends["step"]
    assert (taken["event"], datetime.fromisoformat(taken["at"])) == ("extension_needed", local("2026-03-09T00:00"))
    assert who(taken) == COURT and taken["by"]["unit_name"] == COURT_NAME
    assert history_step(dossier, taken["seq"]) == ("extension_needed", "rcourt", "regional_court", "TAKV-01-01")
    assert dossier.saved()["history"][taken["seq"] - 1]["payload"]["ground"] == "expert_opinion"
    asked = extended["explanation"]["pauses"][0]["paused_step"]["seq"]
    assert extended["explanation_vi"] == (
        "30 ngày kể từ ngày 02/03/2026 (Thời điểm thụ lý); kéo dài từ hạn 23:59 ngày 20/03/2026 theo quyết định "
        f"ngày 09/03/2026 của {COURT_NAME} (Cần tham khảo ý kiến cơ quan chuyên môn); không tính thời gian tạm dừng "
        f"từ 02/03/2026 đến 05/03/2026 (03 ngày): tạm dừng theo {ASKED} (bước {asked}), tiếp tục theo {GIVEN} (bước "
        f"{asked + 1}); ngày cuối tính lại thứ Bảy 04/04/2026 là ngày nghỉ nên hạn chuyển sang ngày làm việc tiếp "
        "theo; hạn cuối 23:59 ngày 06/04/2026 — căn cứ: " + basis(court, CODE, "2022-01-01", "decision_limit_extended")
    )


@pytest.mark.parametrize(
    ("rule_id", "field", "problem"),
    [
        ("custody_for_determination", "decision_number", None),
        ("custody_for_determination", "ground", "bước custody_extended không có trường lý do ground"),
        ("custody_base", "decision_number", "chỉ thời hạn thay thế (replaces) mới ghi trường lý do"),
    ],
)
def test_the_ground_of_an_extension_is_a_field_of_the_step_that_extends(
    rulebook: Rulebook, rule_id: str, field: str, problem: str | None
) -> None:
    data = yaml.safe_load(ADDICTION_DETERMINATION.read_text(encoding="utf-8"))
    next(rule for rule in data["deadlines"] if rule["id"] == rule_id)["reason_field"] = field
    found = [text for text in problems_of(data, rulebook) if "lý do" in text]
    assert found == ([] if problem is None else [f"thời hạn {rule_id}: {problem}"])


def test_a_dossier_moved_to_the_new_version_keeps_its_extension_and_the_time_paused(court: World) -> None:
    opened = datetime(2026, 6, 1, 8, 0, tzinfo=VN_TZ)  # Monday, under the 2022-01-01 version
    court.at(opened.isoformat())
    run = Run(court, court.open("police", CODE), opened)
    run.steps(PATHS["under_study"][1])  # accepted 01/06/2026: 15 days end on Tuesday 16/06
    run.steps([SUPPLEMENT_ASKED])
    run.now = datetime(2026, 6, 5, 8, 40, tzinfo=VN_TZ)  # four days paused: the 15 days end on Saturday 20/06
    run.steps([SUPPLEMENT_GIVEN])
    run.now = datetime(2026, 6, 8, 9, 0, tzinfo=VN_TZ)
    run.steps([step("rcourt", "extension_needed", day_field("decided_on", ground="complex"))])
    extended = deadline(run.dossier, "decision_limit_extended")
    # 30 days from 01/06 end on 01/07, and four more days paused: Sunday 05/07, moved to Monday 06/07/2026.
    assert due_local(extended) == local("2026-07-06T23:59:59.999999")
    court.at("2026-07-01T08:00:00+07:00")
    version = run.dossier.saved()["version"]
    court.engine.migrate_version(
        court.actors["admin"],
        run.dossier.id,
        "2026-07-01",
        reason_vi="Luật 120/2025 có hiệu lực",
        expected_version=version,
    )
    migrated = deadline(run.dossier, "decision_limit_extended")
    assert migrated["due_at"] == extended["due_at"]
    explanation = migrated["explanation"]
    assert explanation["migrated_from"] == {"version": "2022-01-01", "due_at": extended["due_at"]}
    assert explanation["extends"] == extended["explanation"]["extends"]
    assert explanation["pauses"] == extended["explanation"]["pauses"]
    assert migrated["explanation_vi"] == extended["explanation_vi"].replace(
        basis(court, CODE, "2022-01-01", "decision_limit_extended"),
        basis(court, CODE, "2026-07-01", "decision_limit_extended"),
    )
