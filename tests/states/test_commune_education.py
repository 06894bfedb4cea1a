"""Education at the commune on the drug-use ground (shared/procedures/04-commune-education.md), step by step.

Each step goes through a fresh engine and is read back from the database (``Dossier.fire``). The whole
transition table of both versions is fired in ``test_commune_education_coverage.py``; here are the legal
checks: due dates on the legal calendar, the guards' refusals (nothing saved), the documents, notices and
follow-up procedures requested, role succession and the differences of the 2026 version.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from states.errors import (
    GuardFailedError,
    NotFoundError,
    PayloadError,
    PermissionDeniedError,
    TransitionNotAllowedError,
)
from tests.conftest import Dossier, World, add_officers

PROCEDURE = "commune_education"

EXTRA_UNITS: tuple[dict[str, Any], ...] = (
    {"code": "UBX-00004", "name": "UBND phường Ba Đình", "kind": "commune_committee", "commune_code": "00004"},
    {
        "code": "TCGD-00070",
        "name": "Hội Liên hiệp Phụ nữ phường Hoàn Kiếm",
        "kind": "commune_education_supervising_org",
        "commune_code": "00070",
    },
    {
        "code": "TAKV-01-01",
        "name": "Tòa án nhân dân khu vực 1 - Hà Nội",
        "kind": "regional_court",
        "province_code": "01",
    },
)
EXTRA_OFFICERS = {
    "other_chair": ("commune_chair", "UBX-00004"),
    "supervisor": ("commune_education_supervisor", "TCGD-00070"),
    "court": ("regional_court", "TAKV-01-01"),
}


def add_actors(world: World) -> None:
    """The other commune's chairman, the organisation assigned to educate, and a regional court."""
    add_officers(world, EXTRA_OFFICERS, units=EXTRA_UNITS)


GROUND = {
    "first_violation_on": "2026-01-10",
    "first_sanction_on": "2026-01-12",
    "second_sanction_on": "2026-02-20",
    "third_violation_at": "2026-03-07T21:00:00+07:00",  # Saturday
    "violation_record_number": "03/BB-VPHC",
    "penal_256a_window": "none",
}
OPENED_AT = "2026-03-09T09:30:00+07:00"  # Monday


def outbox(dossier: Dossier, kind: str) -> list[str]:
    return [row["name"] for row in dossier.outbox() if row["kind"] == kind]


def notices_to(dossier: Dossier) -> list[list[str]]:
    return [row["payload"]["to_roles"] for row in dossier.outbox() if row["kind"] == "notice"]


def refused(
    dossier: Dossier, who: str, event: str, payload: dict[str, Any], error: type[Exception], match: str
) -> None:
    """The step is refused with the Vietnamese reason and nothing is saved."""
    before = dossier.saved()
    with pytest.raises(error, match=match):
        dossier.fire(who, event, payload)
    after = dossier.saved()
    assert (after["version"], after["state"], after["facts"]) == (before["version"], before["state"], before["facts"])


def open_dossier(world: World, at: str = OPENED_AT, **subject: Any) -> Dossier:
    add_actors(world)
    world.at(at)
    return world.open("police", procedure=PROCEDURE, **subject)


def to_deliberation(world: World, dossier: Dossier, notified_person: str = "subject") -> None:
    """From the violation to the advisory meeting, 09/03 to 16/03/2026."""
    dossier.fire("police", "preparation_started", GROUND)
    dossier.fire(
        "police",
        "dossier_completed",
        {"notified_at": "2026-03-09T09:00:00+07:00", "notified_person": notified_person, "reading_place": "CAX"},
    )
    world.at("2026-03-10T09:00:00+07:00")
    dossier.fire("police", "reading_done", {"read_on": "2026-03-10"})
    world.at("2026-03-11T09:00:00+07:00")
    dossier.fire("police", "dossier_sent", {"sent_on": "2026-03-11"})
    world.at("2026-03-12T09:00:00+07:00")
    dossier.fire("chair", "meeting_convened", {"convened_on": "2026-03-12", "meeting_place": "UBND", "members": "X"})
    world.at("2026-03-16T10:00:00+07:00")
    held = {"held_at": "2026-03-16T09:00:00+07:00", "subject_present": True, "majority_opinion": "apply"}
    dossier.fire("chair", "meeting_held", held)
    assert dossier.state == "deliberation"


def test_from_the_third_violation_to_the_certificate(world: World) -> None:
    dossier = open_dossier(world)
    assert dossier.open_tasks() == [("commune_police", "violation_recorded")]
    dossier.fire("police", "preparation_started", GROUND)
    # The limitation (a term: 3 months from the last violation) ends on Sunday 07/06/2026 and stays there.
    limitation = dossier.deadlines("open")["limitation"]
    assert limitation["due_at_local"].startswith("2026-06-07T23:59:59")
    assert limitation["explanation"]["start_source"] == "fact:third_violation_at"
    notice = {"notified_at": "2026-03-09T09:00:00+07:00", "notified_person": "subject", "reading_place": "CAX"}
    dossier.fire("police", "dossier_completed", notice)
    # The reading period (5 days, unverified) ends on Saturday 14/03: a time limit moves to Monday 16/03.
    assert dossier.deadlines("open")["reading_period"]["due_at_local"].startswith("2026-03-16T23:59:59")
    world.at("2026-03-10T09:00:00+07:00")
    dossier.fire("police", "reading_done", {"read_on": "2026-03-10", "notes": "Không có ý kiến"})
    deadlines = dossier.deadlines()
    assert deadlines["reading_period"]["status"] == "met"
    assert deadlines["send_to_chair"]["due_at_local"].startswith("2026-03-11T23:59:59")
    world.at("2026-03-11T09:00:00+07:00")
    dossier.fire("police", "dossier_sent", {"sent_on": "2026-03-11"})
    assert dossier.deadlines()["send_to_chair"]["status"] == "met"
    assert dossier.deadlines("open")["advisory_meeting_target"]["kind"] == "service_target"
    world.at("2026-03-12T09:00:00+07:00")
    dossier.fire("chair", "meeting_convened", {"convened_on": "2026-03-12", "meeting_place": "UBND", "members": "X"})
    world.at("2026-03-16T10:00:00+07:00")
    held = {"held_at": "2026-03-16T09:00:00+07:00", "subject_present": True, "majority_opinion": "apply"}
    dossier.fire("chair", "meeting_held", held)
    world.at("2026-03-19T09:00:00+07:00")
    decision = {"decided_on": "2026-03-19", "decision_number": "01/QĐ-GDX", "supervising_unit": "TCGD-00070"}
    dossier.fire("chair", "decide_apply_4_months", decision)
    assert dossier.view("chair")["parties"]["commune_education_supervising_org"] == "TCGD-00070"
    deadlines = dossier.deadlines()
    assert deadlines["limitation"]["status"] == "met"
    # The term of 4 months from Thursday 19/03 ends on Sunday 19/07/2026: a term does not roll.
    assert deadlines["term_4_months"]["due_at_local"].startswith("2026-07-19T23:59:59")
    world.at("2026-03-20T09:00:00+07:00")
    dossier.fire("chair", "decision_delivered", {"delivered_on": "2026-03-20", "recipients": "Người được giáo dục"})
    assert ["commune_education_supervisor"] in notices_to(dossier)
    # 5 working days from Friday 20/03: Monday 23 … Friday 27/03.
    assert dossier.deadlines("open")["helper_assignment"]["due_at_local"].startswith("2026-03-27T23:59:59")
    assert dossier.open_tasks() == [("commune_education_supervisor", "execution_starting")]
    world.at("2026-03-23T09:00:00+07:00")
    helper = {"assigned_on": "2026-03-23", "helper_name": "Trần Thị Giúp", "helper_kind": "community_member"}
    refused(dossier, "supervisor", "helper_assigned", {**helper, "persons_helped": 4}, GuardFailedError, "03 người")
    dossier.fire("supervisor", "helper_assigned", {**helper, "persons_helped": 3})
    assert dossier.deadlines()["helper_assignment"]["status"] == "met"
    world.at("2026-07-19T20:00:00+07:00")
    assert [o.fired for o in world.sweep() if o.dossier_id == dossier.id] == []
    world.at("2026-07-20T00:30:00+07:00")
    assert [o.fired for o in world.sweep() if o.dossier_id == dossier.id] == [True]
    assert dossier.state == "completed_pending_cert"
    assert dossier.deadlines()["term_4_months"]["status"] == "expired"
    world.at("2026-07-21T09:00:00+07:00")
    dossier.fire("chair", "certificate_issued", {"issued_on": "2026-07-21"})
    assert dossier.state == "completed"
    assert outbox(dossier, "document") == [
        "hoso.gdx_bien_ban_vi_pham",
        "hoso.gdx_xac_minh_cu_tru",
        "hoso.gdx_ho_so_de_nghi",
        "hoso.gdx_thong_bao_lap_ho_so",
        "hoso.gdx_bien_ban_doc_ho_so",
        "hoso.gdx_chuyen_ho_so",
        "hoso.gdx_giay_moi_hop_tu_van",
        "hoso.gdx_bien_ban_hop_tu_van",
        "hoso.gdx_quyet_dinh_ap_dung",
        "hoso.gdx_giao_quyet_dinh",
        "hoso.gdx_phan_cong_giup_do",
        "hoso.gdx_ke_hoach",
        "hoso.gdx_giay_chung_nhan",
    ]
    assert notices_to(dossier)[-1] == ["commune_police"]
    assert [h["regime"] for h in dossier.saved()["history"]][-1] == "VN2026"


def test_the_ground_is_checked(world: World) -> None:
    dossier = open_dossier(world, date_of_birth=date(2012, 3, 5))
    thirteen = {**GROUND, "third_violation_at": "2026-03-01T10:00:00+07:00", "second_sanction_on": "2026-02-20"}
    refused(dossier, "police", "preparation_started", thirteen, GuardFailedError, "chưa đủ 14 tuổi")
    late = {**GROUND, "first_violation_on": "2025-08-01", "first_sanction_on": "2025-08-05"}
    refused(dossier, "police", "preparation_started", late, GuardFailedError, "06 tháng")
    swapped = {**GROUND, "first_sanction_on": "2026-02-21"}
    refused(dossier, "police", "preparation_started", swapped, PayloadError, "lần thứ hai không thể trước")
    before_sanctions = {**GROUND, "third_violation_at": "2026-02-19T10:00:00+07:00"}
    refused(dossier, "police", "preparation_started", before_sanctions, PayloadError, "sau 02 lần bị xử phạt")
    refused(dossier, "police", "preparation_started", {**GROUND, "penal_256a_window": None}, GuardFailedError, "256a")
    crime = {**GROUND, "penal_256a_window": "within_2y_after_post_rehab"}
    refused(dossier, "police", "preparation_started", crime, GuardFailedError, "256a")
    refused(dossier, "police", "determination_needed", crime, GuardFailedError, "256a")
    dossier.fire("police", "preparation_started", GROUND)
    assert dossier.state == "dossier_in_preparation"


def test_penal_code_256a_only_for_a_violation_from_july_2025(world: World) -> None:
    dossier = open_dossier(world)
    old = {"third_violation_at": "2025-06-20T10:00:00+07:00", "investigation_body": "CQĐT"}
    refused(
        dossier,
        "police",
        "criminal_route",
        {**old, "penal_256a_window": "post_rehab_management"},
        GuardFailedError,
        "01/07/2025",
    )
    now = {**old, "third_violation_at": GROUND["third_violation_at"]}
    refused(dossier, "police", "criminal_route", {**now, "penal_256a_window": "none"}, GuardFailedError, "256a")
    dossier.fire("police", "criminal_route", {**now, "penal_256a_window": "in_rehab_or_substitution"})
    assert dossier.state == "criminal_referral"
    assert outbox(dossier, "document") == ["hoso.gdx_bien_ban_vi_pham", "hoso.chuyen_co_quan_dieu_tra"]


def test_a_managed_user_is_determined_first(world: World) -> None:
    dossier = open_dossier(world)
    dossier.fire("police", "determination_needed", GROUND)
    assert outbox(dossier, "start_procedure") == ["addiction_determination"]
    assert "limitation" in dossier.deadlines("open")
    dossier.fire("police", "addicted", {"result_on": "2026-03-09", "result_number": "04/PKQ"})
    assert dossier.state == "closed_to_rehab"
    assert dossier.deadlines()["limitation"]["status"] != "open"


def test_not_eligible_goes_back_to_user_management(world: World) -> None:
    dossier = open_dossier(world)
    dossier.fire(
        "police", "ground_not_met", {"third_violation_at": GROUND["third_violation_at"], "reason": "foreigner"}
    )
    assert dossier.state == "closed_not_eligible"
    assert outbox(dossier, "start_procedure") == ["drug_user_management"]


def test_a_minor_is_notified_through_a_guardian_and_may_be_left_to_the_family(world: World) -> None:
    dossier = open_dossier(world, date_of_birth=date(2010, 1, 1))
    dossier.fire("police", "preparation_started", GROUND)
    notice = {"notified_at": "2026-03-09T09:00:00+07:00", "notified_person": "subject", "reading_place": "CAX"}
    refused(dossier, "police", "dossier_completed", notice, GuardFailedError, "cha, mẹ hoặc người giám hộ")
    no_home = {"verified_on": "2026-03-09", "note": "Không có nơi cư trú"}
    refused(dossier, "police", "no_stable_residence", no_home, GuardFailedError, "cơ sở bảo trợ xã hội")
    dossier_minor_to_home(world, dossier)


def dossier_minor_to_home(world: World, dossier: Dossier) -> None:
    notice = {"notified_at": "2026-03-09T09:00:00+07:00", "notified_person": "guardian", "reading_place": "CAX"}
    dossier.fire("police", "dossier_completed", notice)
    world.at("2026-03-10T09:00:00+07:00")
    dossier.fire("police", "reading_done", {"read_on": "2026-03-10"})
    world.at("2026-03-11T09:00:00+07:00")
    dossier.fire("police", "dossier_sent", {"sent_on": "2026-03-11"})
    dossier.fire("chair", "meeting_convened", {"convened_on": "2026-03-11", "meeting_place": "UBND", "members": "X"})
    world.at("2026-03-16T10:00:00+07:00")
    held = {"held_at": "2026-03-16T09:00:00+07:00", "subject_present": True, "majority_opinion": "home_management"}
    dossier.fire("chair", "meeting_held", held)
    family = {"decided_on": "2026-03-16", "decision_number": "02/QĐ", "family_member": "Nguyễn Văn Cha"}
    dossier.fire("chair", "decide_home_management", family)
    assert dossier.state == "home_management"
    assert outbox(dossier, "document")[-1] == "hoso.gdx_quyet_dinh_quan_ly_tai_gia_dinh"


def test_home_management_is_for_minors_only(world: World) -> None:
    dossier = open_dossier(world)
    to_deliberation(world, dossier)
    family = {"decided_on": "2026-03-16", "decision_number": "02/QĐ", "family_member": "Nguyễn Văn Cha"}
    refused(dossier, "chair", "decide_home_management", family, GuardFailedError, "người chưa thành niên")
    no_home = {"verified_on": "2026-03-16", "note": "x"}
    with pytest.raises(TransitionNotAllowedError):
        dossier.fire("police", "no_stable_residence", no_home)


def test_no_decision_after_the_limitation(world: World) -> None:
    dossier = open_dossier(world)
    to_deliberation(world, dossier)
    world.at("2026-06-08T09:00:00+07:00")  # the limitation ended on Sunday 07/06; the sweep has not run
    decision = {"decided_on": "2026-06-08", "decision_number": "01/QĐ", "supervising_unit": "TCGD-00070"}
    refused(dossier, "chair", "decide_apply_6_months", decision, GuardFailedError, "thời hiệu 03 tháng")
    outcomes = [o for o in world.sweep() if o.dossier_id == dossier.id]
    assert [o.fired for o in outcomes] == [True]
    assert dossier.state == "closed_time_barred"
    assert dossier.deadlines()["limitation"]["status"] == "expired"


def test_evasion_restarts_the_limitation_from_its_end(world: World) -> None:
    dossier = open_dossier(world)
    dossier.fire("police", "preparation_started", GROUND)
    world.at("2026-04-20T09:00:00+07:00")
    dossier.fire("police", "evasion_recorded", {"evasion_ended_at": "2026-04-18T08:00:00+07:00", "description": "Trốn"})
    restarted = dossier.deadlines("open")["limitation_restarted"]
    assert restarted["due_at_local"].startswith("2026-07-18T23:59:59")
    assert restarted["explanation"]["start_source"] == "fact:evasion_ended_at"
    assert dossier.deadlines()["limitation"]["status"] == "superseded"


def test_transfer_to_the_commune_of_residence(world: World) -> None:
    dossier = open_dossier(world)
    dossier.fire("police", "preparation_started", GROUND)
    world.at("2026-03-12T09:00:00+07:00")
    bad = {
        "residence_commune_code": "00004",
        "residence_verified_on": "2026-03-12",
        "dossier_finished_on": "2026-03-11",
    }
    refused(dossier, "police", "residence_elsewhere", bad, PayloadError, "Điều 17 khoản 6")
    moved = {**bad, "residence_verified_on": "2026-03-11", "dossier_finished_on": "2026-03-12"}
    dossier.fire("police", "residence_elsewhere", moved)
    with pytest.raises(NotFoundError):
        dossier.view("police")
    # 3 working days from Thursday 12/03: Friday 13, Monday 16, Tuesday 17/03.
    assert dossier.deadlines("open")["transfer"]["due_at_local"].startswith("2026-03-17T23:59:59")
    assert dossier.open_tasks() == [("commune_chair", "transferred")]
    with pytest.raises(NotFoundError):
        dossier.fire("chair", "received", {"received_on": "2026-03-12"})
    dossier.fire("other_chair", "received", {"received_on": "2026-03-12"})
    assert dossier.deadlines()["transfer"]["status"] == "met"
    assert dossier.view("other_police")["commune_code"] == "00004"


def test_criminal_proceedings_recorded_by_the_court_that_succeeds_the_district_court(world: World) -> None:
    """Version 2022-01-01 names the district court; from 01/07/2025 the regional court holds its steps."""
    dossier = open_dossier(world, at="2025-05-05T08:00:00+07:00")
    ground = {
        **GROUND,
        "first_violation_on": "2025-02-10",
        "first_sanction_on": "2025-02-12",
        "second_sanction_on": "2025-04-01",
        "third_violation_at": "2025-05-04T10:00:00+07:00",
    }
    del ground["penal_256a_window"]  # a use before 01/07/2025: no Penal Code art. 256a check
    dossier.fire("police", "preparation_started", ground)
    dossier.fire(
        "police",
        "dossier_completed",
        {"notified_at": "2025-05-05T08:00:00+07:00", "notified_person": "subject", "reading_place": "CAX"},
    )
    world.at("2025-05-06T09:00:00+07:00")
    dossier.fire("police", "reading_done", {"read_on": "2025-05-06"})
    dossier.fire("police", "dossier_sent", {"sent_on": "2025-05-06"})
    dossier.fire("chair", "meeting_convened", {"convened_on": "2025-05-06", "meeting_place": "UBND", "members": "X"})
    world.at("2025-05-08T10:00:00+07:00")
    dossier.fire(
        "chair",
        "meeting_held",
        {"held_at": "2025-05-08T09:00:00+07:00", "subject_present": False, "majority_opinion": "apply"},
    )
    decision = {"decided_on": "2025-05-08", "decision_number": "01/QĐ", "supervising_unit": "TCGD-00070"}
    dossier.fire("chair", "decide_apply_6_months", decision)
    dossier.fire("chair", "decision_delivered", {"delivered_on": "2025-05-08", "recipients": "X"})
    helper = {"assigned_on": "2025-05-08", "helper_name": "A", "helper_kind": "educator", "persons_helped": 1}
    dossier.fire("supervisor", "helper_assigned", helper)
    assert dossier.deadlines("open")["term_6_months"]["due_at_local"].startswith("2025-11-08T23:59:59")
    prosecuted = {"decided_on": "2025-05-08", "kind": "prosecuted", "authority": "CQĐT"}
    with pytest.raises(PermissionDeniedError):
        dossier.fire("court", "criminal_proceedings", prosecuted)
    world.at("2025-07-02T09:00:00+07:00")
    dossier.fire("court", "criminal_proceedings", {**prosecuted, "decided_on": "2025-07-01"})
    saved = dossier.saved()
    assert saved["state"] == "closed_criminal_proceedings"
    assert [h["regime"] for h in saved["history"]][1] == "VN2025A"
    assert saved["history"][-1]["regime"] == "VN2025B"


def test_the_2026_version(world: World) -> None:
    dossier = open_dossier(world, at="2026-08-03T08:00:00+07:00")
    saved = dossier.saved()
    assert saved["procedure_version"] == "2026-07-01"
    ground = {
        **GROUND,
        "first_violation_on": "2026-06-10",
        "first_sanction_on": "2026-06-12",
        "second_sanction_on": "2026-07-20",
        "third_violation_at": "2026-08-02T10:00:00+07:00",
    }
    refused(dossier, "police", "preparation_started", {**ground, "penal_256a_window": None}, GuardFailedError, "256a")
    dossier.fire("police", "preparation_started", ground)
    definition = world.rulebook.pinned(PROCEDURE, "2026-07-01").definition
    assert "district_police" not in definition.opening_roles
    roles = {role for t in definition.transitions for role in t.roles}
    assert {"district_police", "district_court"}.isdisjoint(roles)
    assert "regional_court" in roles
    reasons = {t.event: [p.reason_vi for p in t.start_procedures] for t in definition.transitions}
    assert all("Luật PCMT 120/2025/QH15" in r for r in reasons["use_detected"] + reasons["determination_needed"])
    older = world.rulebook.pinned(PROCEDURE, "2022-01-01").definition
    assert all(
        "73/2021" in p.reason_vi for t in older.transitions if t.event == "use_detected" for p in t.start_procedures
    )
    # The same measure: term 3–6 months, limitation 3 months, 3 and 5 working days.
    for name in ("limitation_months", "transfer_working_days", "helper_assignment_working_days", "helper_max_persons"):
        assert definition.parameters[name].value == older.parameters[name].value


def test_the_sweep_closes_the_reading_period_and_reminds_the_senders(world: World) -> None:
    dossier = open_dossier(world)
    dossier.fire("police", "preparation_started", GROUND)
    notice = {"notified_at": "2026-03-09T09:00:00+07:00", "notified_person": "subject", "reading_place": "CAX"}
    dossier.fire("police", "dossier_completed", notice)
    world.at("2026-03-16T20:00:00+07:00")
    assert [o.fired for o in world.sweep() if o.dossier_id == dossier.id] == []
    world.at("2026-03-17T08:00:00+07:00")
    assert [o.fired for o in world.sweep() if o.dossier_id == dossier.id] == [True]
    assert dossier.state == "awaiting_transmittal"
    assert dossier.deadlines()["reading_period"]["status"] == "expired"
    # 1 working day from the recorded end of the reading period, Tuesday 17/03 (start unverified): 18/03.
    assert dossier.deadlines("open")["send_to_chair"]["due_at_local"].startswith("2026-03-18T23:59:59")
    world.at("2026-03-19T08:00:00+07:00")
    assert [o.fired for o in world.sweep() if o.dossier_id == dossier.id] == [True]
    assert dossier.state == "awaiting_transmittal"
    assert notices_to(dossier)[-2:] == [["commune_chair"], ["commune_police"]]
    dossier.fire("police", "dossier_sent", {"sent_on": "2026-03-19"})
    assert dossier.state == "at_chair"
