"""Every branch of addiction determination (shared/procedures/01-addiction-determination.md), step by step.

Each step goes through a fresh engine and is read back from the database (``Dossier.fire``), so nothing
survives in memory between steps.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from states.errors import (
    GuardFailedError,
    InvalidInputError,
    NotFoundError,
    PayloadError,
    PermissionDeniedError,
    TransitionNotAllowedError,
)
from states.legal_time import VN_TZ
from tests.conftest import Dossier, World

# The world clock starts on Monday 02/03/2026 at 08:00 in Hà Nội; each time below is at most the clock of
# the step that records it (times in the future are refused) and not before the previous step.
TEST = {"tested_at": "2026-03-02T08:00:00+07:00", "test_ground": "caught_using", "sample_type": "urine"}
POSITIVE = {**TEST, "substances": "Methamphetamine"}
CUSTODY_AT = "2026-03-02T08:45:00+07:00"
CUSTODY = {
    "decision_number": "01/QĐ-TGNTTHC",
    "ordered_at": "2026-03-02T08:40:00+07:00",
    "custody_started_at": "2026-03-02T08:30:00+07:00",
    "custody_place": "Trụ sở",
}
REQUEST = {"facility_unit": "YT-01-01", "request_number": "12/GĐN"}
RECEIVED_AT = "2026-03-02T14:00:00+07:00"
RECEIVED = {"received_at": RECEIVED_AT, "assessment_place": "facility", "substance_class": "stimulant"}
CONCLUDED_AT = "2026-03-03T09:00:00+07:00"


def conclusion(criteria: int, sixth: bool = False, on: str = "2026-03-03") -> dict[str, Any]:
    return {"concluded_on": on, "criteria_met": criteria, "criterion_6_met": sixth, "physician_name": "BS An"}


def to_determination(dossier: Dossier, case: str = "a", tested_at: str = TEST["tested_at"]) -> None:
    dossier.fire("police", "test_positive", {**POSITIVE, "tested_at": tested_at})
    dossier.fire("police", "status_checked", {"art27_case": case, "penal_256a_window": "none"})
    assert dossier.state == "determination_required"


def hold(dossier: Dossier) -> None:
    dossier.world.at(CUSTODY_AT)
    dossier.fire("chief", "custody_ordered", CUSTODY)


def to_observation(dossier: Dossier, case: str = "a") -> None:
    to_determination(dossier, case)
    with pytest.raises(InvalidInputError, match="không phải là Cơ sở y tế"):
        dossier.fire("police", "request_sent", {**REQUEST, "facility_unit": "CAX-00004"})
    with pytest.raises(InvalidInputError, match="Không có đơn vị"):
        dossier.fire("police", "request_sent", {**REQUEST, "facility_unit": "YT-99"})
    dossier.fire("police", "request_sent", REQUEST)
    assert dossier.view()["parties"] == {"health_facility": "YT-01-01"}
    dossier.world.at(RECEIVED_AT)
    dossier.fire("clerk", "received", RECEIVED)
    assert dossier.state == "under_observation"
    dossier.world.at(CONCLUDED_AT)


def outbox_names(dossier: Dossier, kind: str) -> list[str]:
    return [row["name"] for row in dossier.outbox() if row["kind"] == kind]


def test_negative_test_closes_the_dossier(world: World) -> None:
    dossier = world.open()
    assert dossier.open_tasks() == [("commune_police", "opened")]
    dossier.fire("police", "test_negative", TEST)
    assert dossier.state == "closed_negative"
    assert dossier.open_tasks() == []
    assert dossier.view()["closed_at"] is not None
    assert outbox_names(dossier, "document") == ["nd105.m03"]


def test_user_outside_article_27_goes_to_user_management(world: World) -> None:
    dossier = world.open()
    dossier.fire("police", "test_positive", POSITIVE)
    target = dossier.deadlines("open")["status_check_target"]
    assert target["kind"] == "service_target"
    assert target["due_at_local"].startswith("2026-03-02T23:59:59")
    dossier.fire("police", "status_checked", {"art27_case": "none", "penal_256a_window": "none"})
    assert dossier.state == "handed_to_management"
    assert dossier.deadlines()["status_check_target"]["status"] == "met"
    assert outbox_names(dossier, "start_procedure") == ["drug_user_management"]
    notice = next(row for row in dossier.outbox() if row["kind"] == "notice")
    assert notice["payload"]["to_roles"] == ["commune_chair"]


def test_penal_code_256a_sends_the_case_to_investigators(world: World) -> None:
    dossier = world.open()
    dossier.fire("police", "test_positive", POSITIVE)
    with pytest.raises(GuardFailedError, match="256a"):
        dossier.fire("police", "status_checked", {"art27_case": "d", "penal_256a_window": "post_rehab_management"})
    dossier.fire(
        "police", "criminal_route", {"penal_256a_window": "post_rehab_management", "investigation_body": "CQĐT"}
    )
    assert dossier.state == "criminal_referral"
    assert outbox_names(dossier, "document") == ["nd105.m03", "hoso.chuyen_co_quan_dieu_tra"]


def test_penal_code_256a_check_is_required_from_july_2025_only(world: World) -> None:
    world.at("2025-06-30T09:00:00+07:00")
    before = world.open()
    before.fire("police", "test_positive", {**POSITIVE, "tested_at": "2025-06-30T08:00:00+07:00"})
    with pytest.raises(GuardFailedError, match="01/07/2025"):
        before.fire(
            "police", "criminal_route", {"penal_256a_window": "in_rehab_or_substitution", "investigation_body": "X"}
        )
    before.fire("police", "status_checked", {"art27_case": "b"})
    assert before.state == "determination_required"

    world.at("2025-07-01T09:00:00+07:00")
    after = world.open()
    after.fire("police", "test_positive", {**POSITIVE, "tested_at": "2025-07-01T08:00:00+07:00"})
    with pytest.raises(GuardFailedError, match="256a"):
        after.fire("police", "status_checked", {"art27_case": "b"})
    assert after.state == "user_confirmed"


def test_addicted_person_gets_the_registration_window(world: World) -> None:
    dossier = world.open()
    to_observation(dossier)
    assert sorted(dossier.open_tasks()) == [("facility_head", "under_observation"), ("physician", "under_observation")]
    # Facilities other than the one the request designated have no say on this dossier.
    with pytest.raises(NotFoundError):
        dossier.fire("other_clerk", "refused_or_obstructed", {"description": "x"})
    with pytest.raises(PermissionDeniedError):
        dossier.fire("doctor", "concluded_addicted", conclusion(4))
    dossier.fire("head", "concluded_addicted", conclusion(4))
    assert dossier.state == "addicted"
    assert dossier.view()["facts"]["art27_case"] == "a"
    world.at("2026-04-27T09:00:00+07:00")  # recorded on the Monday; the person was notified on the Friday
    dossier.fire("police", "result_served", {"served_at": "2026-04-24T10:00:00+07:00"})
    assert dossier.state == "closed_addicted"
    start = next(row for row in dossier.outbox() if row["kind"] == "start_procedure")
    assert start["name"] == "voluntary_rehab"
    window = start["payload"]["window"]
    # 5 working days after Fri 24/04/2026: Tue 28, Wed 29, Mon 04/05, Tue 05, Wed 06.
    assert datetime.fromisoformat(window["due_at"]).astimezone(VN_TZ).date() == date(2026, 5, 6)
    assert window["explanation"]["parameter"] == "registration_window_working_days"
    assert window["explanation"]["start_source"] == "fact:served_at"
    assert start["payload"]["facts"]["concluded_on"] == "2026-03-03"
    assert "2026-04-27" in window["explanation"]["computation"]["skipped_days_off"]
    assert dossier.deadlines()["result_service_target"]["status"] == "met_late"
    assert outbox_names(dossier, "document") == [
        "nd105.m03",
        "nd109.m02",
        "tt18.pl03",
        "nd109.m04",
        "hoso.thong_bao_ket_qua",
    ]


def test_custody_path_with_extension_and_sweep(world: World) -> None:
    dossier = world.open()
    to_determination(dossier, "b")
    world.at(CUSTODY_AT)
    with pytest.raises(PermissionDeniedError):
        dossier.fire("police", "custody_ordered", CUSTODY)
    dossier.fire("chief", "custody_ordered", CUSTODY)
    base = dossier.deadlines("open")["custody_base"]
    assert base["due_at_local"] == "2026-03-02T20:30:00+07:00"
    assert base["explanation"]["start_source"] == "fact:custody_started_at"
    dossier.fire("police", "request_sent", REQUEST)
    assert dossier.state == "requested_in_custody"
    world.at("2026-03-02T09:00:00+07:00")
    dossier.fire("chief", "custody_extended", {"decision_number": "02/QĐ", "extended_at": "2026-03-02T09:00:00+07:00"})
    deadlines = dossier.deadlines()
    assert deadlines["custody_base"]["status"] == "superseded"
    assert deadlines["custody_for_determination"]["due_at_local"] == "2026-03-07T08:30:00+07:00"
    world.at(RECEIVED_AT)
    dossier.fire("clerk", "received", RECEIVED)
    world.at("2026-03-07T08:29:00+07:00")
    assert world.sweep() == []
    world.at("2026-03-07T08:31:00+07:00")
    outcomes = world.sweep()
    assert [(o.event, o.fired) for o in outcomes] == [("custody_limit_reached", True)]
    assert dossier.state == "observation_at_liberty"
    assert dossier.deadlines()["custody_for_determination"]["status"] == "expired"
    assert dossier.view()["history"][-1]["actor"] == "system"
    dossier.fire("head", "concluded_not_addicted", conclusion(2, sixth=True, on="2026-03-07"))
    world.at("2026-03-07T10:00:00+07:00")
    dossier.fire("police", "result_served", {"served_at": "2026-03-07T10:00:00+07:00"})
    assert dossier.state == "closed_not_addicted"
    assert outbox_names(dossier, "start_procedure") == ["drug_user_management"]


@pytest.mark.parametrize(
    ("requested", "expected"), [(False, "determination_required"), (True, "requested")], ids=["held", "requested"]
)
def test_custody_ending_before_observation(world: World, requested: bool, expected: str) -> None:
    dossier = world.open()
    to_determination(dossier, "b")
    hold(dossier)
    if requested:
        dossier.fire("police", "request_sent", REQUEST)
    world.at("2026-03-02T21:00:00+07:00")
    outcomes = world.sweep()
    assert [o.fired for o in outcomes] == [True]
    assert dossier.state == expected
    assert dossier.deadlines()["custody_base"]["status"] == "expired"


@pytest.mark.parametrize(("held", "expected"), [(False, "determination_required"), (True, "in_custody")])
def test_facility_returns_the_request(world: World, held: bool, expected: str) -> None:
    dossier = world.open()
    to_determination(dossier, "b")
    if held:
        hold(dossier)
    dossier.fire("police", "request_sent", REQUEST)
    dossier.fire("clerk", "request_returned", {"reason": "papers_incomplete"})
    assert dossier.state == expected
    assert ("commune_police", expected) in dossier.open_tasks()


def test_obstruction_and_resent_request(world: World) -> None:
    dossier = world.open()
    to_observation(dossier)
    dossier.fire("doctor", "refused_or_obstructed", {"description": "Không hợp tác lấy mẫu"})
    assert dossier.state == "obstructed"
    assert outbox_names(dossier, "document")[-1] == "hoso.bien_ban_can_tro"
    dossier.fire("police", "request_resent", {"request_number": "13/GĐN"})
    assert dossier.state == "requested"


def test_absconding_and_finding(world: World) -> None:
    dossier = world.open()
    to_determination(dossier, "b")
    hold(dossier)
    world.at("2026-03-02T10:00:00+07:00")
    dossier.fire("police", "escaped", {"escaped_at": "2026-03-02T10:00:00+07:00"})
    assert dossier.state == "absconded"
    # An escape ends custody, but the custody was not brought to a lawful end: not "met".
    assert dossier.deadlines()["custody_base"]["status"] == "escaped"
    assert dossier.open_tasks() == [("commune_police", "absconded")]
    world.at("2026-03-05T10:00:00+07:00")
    dossier.fire("police", "found", {"found_at": "2026-03-05T10:00:00+07:00"})
    assert dossier.state == "determination_required"


def relapse(world: World, born: date, criteria: int) -> Dossier:
    """Case d (use during post-rehab management) tested before 01/07/2025, when art. 256a did not exist yet:
    the administrative route to compulsory rehab is open."""
    world.at("2025-06-30T08:00:00+07:00")
    dossier = world.open(date_of_birth=born)
    to_determination(dossier, "d", tested_at="2025-06-30T08:00:00+07:00")
    dossier.fire("police", "request_sent", REQUEST)
    world.at("2025-06-30T14:00:00+07:00")
    dossier.fire("clerk", "received", {**RECEIVED, "received_at": "2025-06-30T14:00:00+07:00"})
    world.at("2025-07-01T09:00:00+07:00")
    dossier.fire("head", "concluded_addicted", conclusion(criteria, on="2025-07-01"))
    world.at("2025-07-01T10:00:00+07:00")
    dossier.fire("police", "result_served", {"served_at": "2025-07-01T10:00:00+07:00"})
    return dossier


def test_relapse_in_post_rehab_adult_goes_to_compulsory_rehab(world: World) -> None:
    dossier = relapse(world, date(1995, 1, 1), 3)
    assert dossier.state == "closed_relapse"
    assert outbox_names(dossier, "start_procedure") == ["compulsory_rehab_adult"]


def test_relapse_in_post_rehab_minor(world: World) -> None:
    dossier = relapse(world, date(2010, 6, 1), 5)
    assert dossier.state == "closed_relapse_minor"
    assert outbox_names(dossier, "start_procedure") == ["compulsory_rehab_minor"]


def test_conclusion_must_match_the_criteria(world: World) -> None:
    dossier = world.open()
    to_observation(dossier)
    with pytest.raises(GuardFailedError, match="tiếp tục theo dõi"):
        dossier.fire("head", "concluded_addicted", conclusion(2))
    with pytest.raises(GuardFailedError, match="có nghiện"):
        dossier.fire("head", "concluded_not_addicted", conclusion(3))
    with pytest.raises(GuardFailedError, match="phải từ 0 đến 6"):
        dossier.fire("head", "concluded_addicted", conclusion(7))
    dossier.fire("doctor", "observation_continued", {"criteria_met": 2, "criterion_6_met": False})
    assert dossier.state == "under_observation"
    assert outbox_names(dossier, "document")[-1] == "tt18.pl04_06"
    dossier.fire("head", "concluded_not_addicted", conclusion(1))
    assert dossier.state == "not_addicted"


def test_health_facilities_act_only_where_designated(world: World) -> None:
    dossier = world.open()
    for clerk in ("clerk", "other_clerk"):
        with pytest.raises(NotFoundError):
            dossier.view(clerk)
        with pytest.raises(NotFoundError):
            dossier.fire(clerk, "died", {"died_on": "2026-03-02", "evidence": "x"})
    to_determination(dossier)
    dossier.fire("police", "request_sent", REQUEST)
    assert dossier.view("clerk")["state"] == "requested"
    with pytest.raises(NotFoundError):
        dossier.view("other_clerk")
    voluntary = world.open(opener="hcm_clerk")  # a voluntary applicant from Hà Nội at a facility in TP.HCM
    assert voluntary.view("hcm_clerk")["parties"] == {"health_facility": "YT-79-01", "confidential": "YT-79-01"}
    with pytest.raises(NotFoundError):
        voluntary.view("clerk")


def test_death_closes_any_open_dossier_and_complaints_keep_the_state(world: World) -> None:
    dossier = world.open()
    to_observation(dossier)
    dossier.fire(
        "police", "complaint_filed", {"complainant": "subject", "complaint_against": "custody_decision", "summary": "x"}
    )
    assert dossier.state == "under_observation"
    assert dossier.view()["facts"]["complaint_against"] == "custody_decision"
    assert len(dossier.open_tasks()) == 2
    dossier.fire("clerk", "died", {"died_on": "2026-03-03", "evidence": "Giấy báo tử"})
    assert dossier.state == "closed_deceased"
    assert dossier.open_tasks() == []
    with pytest.raises(TransitionNotAllowedError) as caught:
        dossier.fire(
            "police", "complaint_filed", {"complainant": "guardian", "complaint_against": "result", "summary": "y"}
        )
    assert caught.value.details["current_version"] == dossier.saved()["version"] == 7


def test_residence_change_moves_jurisdiction(world: World) -> None:
    dossier = world.open()
    dossier.fire("police", "test_positive", POSITIVE)
    with pytest.raises(NotFoundError):
        dossier.view("other_police")
    dossier.fire("police", "residence_changed", {"new_commune_code": "00004"})
    view = dossier.view("other_police")
    assert (view["commune_code"], view["commune_name"]) == ("00004", "Phường Ba Đình")
    with pytest.raises(NotFoundError):
        dossier.view("police")
    with pytest.raises(InvalidInputError, match="99999"):
        dossier.fire("other_police", "residence_changed", {"new_commune_code": "99999"})
    with pytest.raises(PayloadError):
        dossier.fire("other_police", "residence_changed", {"new_commune": "00070"})
    dossier.fire("other_police", "status_checked", {"art27_case": "none", "penal_256a_window": "none"})
    assert dossier.state == "handed_to_management"


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([("clerk", "concluded_addicted", conclusion(3))], "addicted_v"),
        ([("head", "concluded_not_addicted", conclusion(0))], "not_addicted_v"),
        ([("clerk", "withdrawn", {"reason": "Tự nguyện rút đơn"})], "withdrawn_v"),
    ],
    ids=["addicted", "not_addicted", "withdrawn"],
)
def test_voluntary_path(world: World, steps: list[tuple[str, str, dict[str, Any]]], expected: str) -> None:
    dossier = world.open(opener="clerk")
    dossier.fire("clerk", "application_filed", {"applied_on": "2026-03-02", "filed_by": "subject"})
    assert dossier.state == "voluntary_applied"
    world.at(RECEIVED_AT)
    with pytest.raises(NotFoundError):
        dossier.fire("hcm_clerk", "received", RECEIVED)
    dossier.fire("clerk", "received", RECEIVED)
    world.at(CONCLUDED_AT)
    for who, event, payload in steps:
        dossier.fire(who, event, payload)
    assert dossier.state == expected
    if expected == "addicted_v":
        assert outbox_names(dossier, "start_procedure") == ["voluntary_rehab"]


def test_withdrawal_before_reception(world: World) -> None:
    dossier = world.open(opener="clerk")
    dossier.fire("clerk", "application_filed", {"applied_on": "2026-03-02", "filed_by": "guardian"})
    dossier.fire("clerk", "withdrawn", {})
    assert dossier.state == "withdrawn_v"


def test_dossier_is_pinned_to_the_version_in_force_when_opened(world: World) -> None:
    world.at("2026-06-30T09:00:00+07:00")
    old = world.open()
    world.at("2026-07-01T09:00:00+07:00")
    new = world.open()
    assert old.view()["procedure_version"] == "2022-01-01"
    assert new.view()["procedure_version"] == "2026-07-01"
    old.fire("police", "test_positive", {**POSITIVE, "tested_at": "2026-07-01T08:00:00+07:00"})
    assert old.view()["procedure_version"] == "2022-01-01"
    # The regime of a step is that of the date of its fact: a test made on 01/07/2026 falls under Luật 120.
    assert [entry["regime"] for entry in old.view()["history"]] == ["VN2025B", "VN2026"]
    earlier = world.open()
    earlier.fire("police", "test_positive", {**POSITIVE, "tested_at": "2026-06-30T23:00:00+07:00"})
    assert earlier.view()["procedure_version"] == "2026-07-01"
    assert [entry["regime"] for entry in earlier.view()["history"]] == ["VN2026", "VN2025B"]


def test_luat_120_version_runs_the_requested_path(world: World) -> None:
    world.at("2026-08-03T09:00:00+07:00")
    dossier = world.open()
    assert dossier.view()["procedure_version"] == "2026-07-01"
    dossier.fire("police", "test_positive", {**POSITIVE, "tested_at": "2026-08-03T08:00:00+07:00"})
    with pytest.raises(GuardFailedError, match="256a"):
        dossier.fire("police", "status_checked", {"art27_case": "c"})
    dossier.fire("police", "status_checked", {"art27_case": "c", "penal_256a_window": "none"})
    dossier.fire("police", "request_sent", REQUEST)
    world.at("2026-08-03T14:00:00+07:00")
    dossier.fire("clerk", "received", {**RECEIVED, "received_at": "2026-08-03T14:00:00+07:00"})
    world.at("2026-08-04T10:00:00+07:00")
    dossier.fire("head", "concluded_addicted", {**conclusion(3), "concluded_on": "2026-08-04"})
    dossier.fire("police", "result_served", {"served_at": "2026-08-04T10:00:00+07:00"})
    view = dossier.view()
    assert view["state"] == "closed_addicted"
    assert {entry["regime"] for entry in view["history"]} == {"VN2026"}
    window = next(row for row in dossier.outbox() if row["kind"] == "start_procedure")["payload"]["window"]
    # Tue 04/08/2026 + 5 working days = Tue 11/08/2026; the basis is marked unverified under Luật 120.
    assert datetime.fromisoformat(window["due_at"]).astimezone(VN_TZ).date() == date(2026, 8, 11)
    assert window["explanation"]["evidence"] == "unverified"


def test_missed_service_target_is_recorded_and_escalated(world: World) -> None:
    dossier = world.open()
    dossier.fire("police", "test_positive", POSITIVE)  # Monday 02/03/2026: check due by the end of the day
    world.at("2026-03-02T23:59:00+07:00")
    assert world.sweep() == []
    world.at("2026-03-03T07:30:00+07:00")
    outcomes = world.sweep()
    assert [(o.rule_id, o.event, o.fired) for o in outcomes] == [("status_check_target", "service_target_missed", True)]
    view = dossier.view()
    assert (view["state"], view["history"][-1]["actor"]) == ("user_confirmed", "system")
    assert dossier.deadlines()["status_check_target"]["status"] == "expired"
    assert dossier.open_tasks() == [("commune_police", "user_confirmed")]
    notice = dossier.outbox()[-1]
    assert (notice["kind"], notice["payload"]["to_roles"]) == ("notice", ["commune_police"])
    assert world.sweep() == []
    dossier.fire("police", "status_checked", {"art27_case": "none", "penal_256a_window": "none"})
    assert dossier.state == "handed_to_management"
