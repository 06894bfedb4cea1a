"""Management of illegal drug users (shared/procedures/02-drug-user-management.md), scenario by scenario.

Each step goes through a fresh engine and is read back from the database (``Dossier.fire``). Times: the
world clock is moved before each step; every recorded time is at most the clock and not before the legal
time of the previous step.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from states.chaining import open_followups
from states.errors import (
    GuardFailedError,
    NotFoundError,
    PayloadError,
    PermissionDeniedError,
    TransitionNotAllowedError,
)
from states.legal_time import VN_TZ
from states.procedures import Rulebook
from tests.conftest import OTHER_COMMITTEE, Dossier, World, add_officers

PROCEDURE = "drug_user_management"


def local(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=VN_TZ)


def positive(at: str, received: str | None = None) -> dict[str, Any]:
    return {
        "tested_at": local(at).isoformat(),
        "test_ground": "caught_using",
        "sample_type": "urine",
        "substances": "Methamphetamine",
        "result_received_at": local(received or at).isoformat(),
    }


PROPOSAL = {"proposal_number": "05/ĐN-CAP", "helper_proposed": "Chi hội Cựu chiến binh", "penal_256a_window": "none"}


def decision(on: str) -> dict[str, Any]:
    return {"decision_number": "12/QĐ-UBND", "decided_on": on, "helper": "Chi hội Cựu chiến binh tổ dân phố 3"}


@pytest.fixture
def mworld(world: World) -> Iterator[World]:
    """The world (both backends) plus the People's Committee and chairman of commune 00004."""
    yield add_officers(world, {"other_chair": ("commune_chair", "UBX-00004")}, units=[OTHER_COMMITTEE])


def step_at(dossier: Dossier, moment: str, who: str, event: str, payload: dict[str, Any] | None = None) -> None:
    dossier.world.at(local(moment).isoformat())
    dossier.fire(who, event, payload)


def refused(
    dossier: Dossier, who: str, event: str, payload: dict[str, Any], error: type[Exception], match: str | None
) -> None:
    """The step is refused with a Vietnamese reason and nothing is saved."""
    before = dossier.saved()
    outbox = len(dossier.outbox())
    with pytest.raises(error, match=match):
        dossier.fire(who, event, payload)
    after = dossier.saved()
    assert (after["version"], after["state"], after["facts"]) == (before["version"], before["state"], before["facts"])
    assert len(dossier.outbox()) == outbox


def documents(dossier: Dossier) -> list[str]:
    return [row["name"] for row in dossier.outbox() if row["kind"] == "document"]


def started(dossier: Dossier) -> list[tuple[str, str]]:
    return [(row["name"], row["payload"]["reason_vi"]) for row in dossier.outbox() if row["kind"] == "start_procedure"]


def managed(world: World, *, decided_on: str = "2026-03-04") -> Dossier:
    """Tested positive on Monday 02/03/2026, proposed the same day, decided on ``decided_on``."""
    world.at(local("2026-03-02T08:00:00").isoformat())
    dossier = world.open("police", procedure=PROCEDURE)
    step_at(dossier, "2026-03-02T08:30:00", "police", "test_positive", positive("2026-03-02T08:20:00"))
    step_at(dossier, "2026-03-02T10:00:00", "police", "proposal_sent", PROPOSAL)
    step_at(dossier, f"{decided_on}T09:00:00", "chair", "decision_issued", decision(decided_on))
    return dossier


# -- the main path -----------------------------------------------------------------------------------------


def test_a_positive_test_leads_to_a_one_year_management_decision(mworld: World) -> None:
    mworld.at(local("2026-03-02T08:00:00").isoformat())
    dossier = mworld.open("police", procedure=PROCEDURE)
    assert dossier.state == "detected"
    assert dossier.open_tasks() == [("commune_police", "detected")]
    step_at(dossier, "2026-03-02T08:30:00", "police", "test_positive", positive("2026-03-02T08:20:00"))
    assert dossier.state == "user_confirmed"
    limit = dossier.deadlines("open")["decision_limit"]
    # 3 working days from Monday 02/03 (the day of receipt not counted): end of Thursday 05/03/2026.
    assert limit["explanation"]["computation"]["end_local_date"] == "2026-03-05"
    assert limit["explanation"]["computation"]["start_local"] == "2026-03-02T08:20:00+07:00"
    sanction = {"sanction_number": "01/QĐ-XPHC", "sanctioned_on": "2026-03-02", "sanction_type": "warning"}
    step_at(dossier, "2026-03-02T09:00:00", "police", "sanction_decided", sanction)
    step_at(dossier, "2026-03-02T10:00:00", "police", "proposal_sent", PROPOSAL)
    assert dossier.state == "awaiting_decision"
    assert dossier.open_tasks() == [("commune_chair", "awaiting_decision")]
    step_at(dossier, "2026-03-04T09:00:00", "chair", "decision_issued", decision("2026-03-04"))
    assert dossier.state == "under_management"
    deadlines = dossier.deadlines()
    assert deadlines["decision_limit"]["status"] == "met"
    term = deadlines["management_term"]
    assert term["status"] == "open"
    assert term["explanation"]["computation"]["end_local_date"] == "2027-03-04"
    assert term["explanation"]["nature"] == "term"
    assert sorted(dossier.open_tasks()) == [
        ("commune_chair", "under_management"),
        ("commune_police", "under_management"),
    ]
    assert documents(dossier) == [
        "nd105.m03",
        "hoso.qlsd_xu_phat",
        "hoso.qlsd_de_nghi_quan_ly",
        "hoso.qlsd_quyet_dinh_quan_ly",
    ]
    notices = [(row["payload"]["event"], row["name"]) for row in dossier.outbox() if row["kind"] == "notice"]
    assert ("proposal_sent", "commune_chair") in notices
    assert ("decision_issued", "commune_police") in notices
    facts = dossier.saved()["facts"]
    assert (facts["decided_on"], facts["helper"], facts["sanction_type"]) == (
        "2026-03-04",
        decision("x")["helper"],
        "warning",
    )


def test_the_decision_limit_counts_working_days_and_skips_holidays(world: World) -> None:
    """Received Tuesday 28/04/2026: 30/04 and 01/05 are days off, so the third working day is Tuesday 05/05."""
    world.at(local("2026-04-28T15:00:00").isoformat())
    dossier = world.open("police", procedure=PROCEDURE)
    dossier.fire("police", "test_positive", positive("2026-04-28T14:00:00"))
    explanation = dossier.deadlines("open")["decision_limit"]["explanation"]
    assert explanation["computation"]["end_local_date"] == "2026-05-05"
    assert {"2026-04-30", "2026-05-01"} <= set(explanation["computation"]["skipped_days_off"])


def test_the_limit_counts_from_receipt_of_the_result_at_the_commune_of_residence(world: World) -> None:
    """Tested by the provincial police on Friday, received by the commune police on Monday."""
    world.at(local("2026-03-09T09:00:00").isoformat())
    dossier = world.open("pc04", procedure=PROCEDURE)
    dossier.fire("pc04", "test_positive", positive("2026-03-06T22:00:00", received="2026-03-09T08:30:00"))
    limit = dossier.deadlines("open")["decision_limit"]
    assert limit["explanation"]["computation"]["end_local_date"] == "2026-03-12"
    assert [row["name"] for row in dossier.outbox() if row["kind"] == "notice"] == ["commune_police"]
    bad = positive("2026-03-06T22:00:00", received="2026-03-06T21:00:00")
    fresh = world.open("pc04", procedure=PROCEDURE, full_name="Trần Văn Khác")
    refused(fresh, "pc04", "test_positive", bad, PayloadError, "không thể nhận kết quả trước thời điểm xét nghiệm")


def test_a_term_ending_on_a_sunday_ends_on_that_sunday(world: World) -> None:
    """A management term is not a time limit to act: it does not roll to the next working day."""
    dossier = managed(world, decided_on="2026-03-07")  # Saturday
    term = dossier.deadlines("open")["management_term"]
    assert term["explanation"]["computation"]["end_local_date"] == "2027-03-07"  # Sunday
    assert date(2027, 3, 7).weekday() == 6
    assert term["explanation"]["computation"]["rolled_from"] is None
    due = datetime.fromisoformat(term["due_at"])
    world.at((due - timedelta(minutes=5)).isoformat())
    with pytest.raises(TransitionNotAllowedError):
        dossier.fire("system", "term_expired")
    world.at((due + timedelta(minutes=1)).isoformat())
    outcomes = world.sweep()
    assert [o.fired for o in outcomes if o.dossier_id == dossier.id] == [True]
    assert dossier.state == "completed"
    assert documents(dossier)[-1] == "hoso.qlsd_ket_thuc_quan_ly"
    assert dossier.open_tasks() == []


def test_the_decision_limit_expiry_is_recorded_and_the_chair_may_still_decide(world: World) -> None:
    world.at(local("2026-03-02T08:30:00").isoformat())
    dossier = world.open("police", procedure=PROCEDURE)
    dossier.fire("police", "test_positive", positive("2026-03-02T08:20:00"))
    step_at(dossier, "2026-03-02T10:00:00", "police", "proposal_sent", PROPOSAL)
    world.at(local("2026-03-05T23:00:00").isoformat())
    refused(dossier, "system", "decision_limit_passed", {}, TransitionNotAllowedError, "chỉ được ghi khi thời hạn")
    world.at(local("2026-03-06T00:05:00").isoformat())
    world.sweep()
    assert dossier.deadlines()["decision_limit"]["status"] == "expired"
    assert dossier.state == "awaiting_decision"
    step_at(dossier, "2026-03-06T09:00:00", "chair", "decision_issued", decision("2026-03-06"))
    assert dossier.state == "under_management"


def test_the_chair_returns_an_incomplete_proposal_and_the_limit_keeps_running(world: World) -> None:
    world.at(local("2026-03-02T08:30:00").isoformat())
    dossier = world.open("police", procedure=PROCEDURE)
    dossier.fire("police", "test_positive", positive("2026-03-02T08:20:00"))
    step_at(dossier, "2026-03-02T10:00:00", "police", "proposal_sent", PROPOSAL)
    due = dossier.deadlines("open")["decision_limit"]["due_at"]
    step_at(dossier, "2026-03-03T10:00:00", "chair", "proposal_returned", {"reason": "Thiếu bản tự khai"})
    assert dossier.state == "user_confirmed"
    assert dossier.deadlines("open")["decision_limit"]["due_at"] == due
    step_at(dossier, "2026-03-03T15:00:00", "police", "proposal_sent", PROPOSAL)
    assert dossier.state == "awaiting_decision"


def test_a_case_handed_over_by_addiction_determination(world: World) -> None:
    """File 01 hands over its facts; the decision limit counts from when the commune police received them."""
    world.at(local("2026-03-03T10:00:00").isoformat())
    dossier = world.open("police", procedure=PROCEDURE)
    handover = {
        "source_dossier": "XD-2026-0001",
        "handover_ground": "not_addicted",
        "tested_at": local("2026-02-27T08:00:00").isoformat(),
        "test_ground": "tip_off",
        "substances": "Ketamine",
        "result_received_at": local("2026-03-03T09:30:00").isoformat(),
    }
    refused(
        dossier,
        "police",
        "handed_over",
        {**handover, "result_received_at": local("2026-02-26T09:30:00").isoformat()},
        PayloadError,
        "Không thể nhận kết quả trước thời điểm xét nghiệm",
    )
    dossier.fire("police", "handed_over", handover)
    assert dossier.state == "user_confirmed"
    facts = dossier.saved()["facts"]
    assert (facts["handover_ground"], facts["substances"]) == ("not_addicted", "Ketamine")
    assert dossier.deadlines("open")["decision_limit"]["explanation"]["computation"]["end_local_date"] == "2026-03-06"
    # The decision cannot predate the receipt of the result.
    step_at(dossier, "2026-03-03T11:00:00", "police", "proposal_sent", PROPOSAL)
    refused(dossier, "chair", "decision_issued", decision("2026-03-02"), PayloadError, "không thể trước")


def test_addiction_determination_opens_management_with_its_facts(world: World) -> None:
    """File 01 hands a user outside art. 27 cl. 1 over to management: the follow-up opens this procedure
    with the test, its ground and substances and the art. 256a answer, counted from the receipt."""
    world.at(local("2026-03-02T08:30:00").isoformat())
    parent = world.open("police")
    parent.fire(
        "police",
        "test_positive",
        {k: v for k, v in positive("2026-03-02T08:20:00").items() if k != "result_received_at"},
    )
    parent.fire("police", "status_checked", {"art27_case": "none", "penal_256a_window": "none"})
    assert parent.state == "handed_to_management"
    world.at(local("2026-03-02T09:00:00").isoformat())
    outcomes = open_followups(world.engine, world.actors["system"])
    [opened] = [outcome for outcome in outcomes if outcome.outcome == "opened"]
    assert opened.dossier_id is not None
    child = Dossier(world, opened.dossier_id)
    saved = child.saved()
    assert (saved["procedure"], saved["state"]) == (PROCEDURE, "detected")
    assert saved["facts"]["substances"] == "Methamphetamine"
    assert saved["facts"]["art27_case"] == "none"
    handover = {
        "source_dossier": parent.id,
        "handover_ground": "not_in_art27",
        "result_received_at": local("2026-03-02T08:20:00").isoformat(),
    }
    child.fire("police", "handed_over", handover)
    assert child.state == "user_confirmed"
    assert child.deadlines("open")["decision_limit"]["explanation"]["computation"]["end_local_date"] == "2026-03-05"
    # The art. 256a answer came with the file: the proposal needs no new one.
    child.fire("police", "proposal_sent", {"proposal_number": "05/ĐN"})
    assert child.state == "awaiting_decision"


def test_a_hand_over_without_the_test_is_refused(world: World) -> None:
    world.at(local("2026-03-03T10:00:00").isoformat())
    dossier = world.open("police", procedure=PROCEDURE)
    handover = {
        "source_dossier": "XD-1",
        "handover_ground": "not_addicted",
        "result_received_at": local("2026-03-03T09:00:00").isoformat(),
    }
    refused(dossier, "police", "handed_over", handover, GuardFailedError, "tested_at, test_ground, substances")


# -- routing -------------------------------------------------------------------------------------------------


def confirmed(world: World, **subject: Any) -> Dossier:
    world.at(local("2026-03-02T08:30:00").isoformat())
    dossier = world.open("police", procedure=PROCEDURE, **subject)
    dossier.fire("police", "test_positive", positive("2026-03-02T08:20:00"))
    return dossier


def test_no_stable_residence_goes_to_determination_case_b(world: World) -> None:
    dossier = confirmed(world)
    dossier.fire("police", "routed", {"route": "no_stable_residence"})
    assert dossier.state == "handed_to_determination"
    [(name, reason)] = started(dossier)
    assert name == "addiction_determination"
    assert "điểm b" in reason
    assert dossier.deadlines()["decision_limit"]["status"] != "open"


def test_the_commune_education_ground(world: World) -> None:
    minor = confirmed(world, date_of_birth=date(2013, 5, 1))  # 12 years old
    ground = {"route": "commune_education_ground", "prior_drug_sanctions": 2}
    refused(minor, "police", "routed", ground, GuardFailedError, "từ đủ 14 tuổi")
    adult = confirmed(world)
    refused(adult, "police", "routed", {**ground, "prior_drug_sanctions": 1}, GuardFailedError, "02 lần bị xử phạt")
    refused(adult, "police", "routed", {"route": "commune_education_ground"}, GuardFailedError, "02 lần bị xử phạt")
    adult.fire("police", "routed", ground)
    assert adult.state == "handed_to_commune_education"
    assert [name for name, _ in started(adult)] == ["commune_education"]


def test_an_art23_exclusion_needs_its_ground(world: World) -> None:
    dossier = confirmed(world)
    refused(dossier, "police", "routed", {"route": "excluded"}, GuardFailedError, "Điều 23 khoản 5")
    dossier.fire("police", "routed", {"route": "excluded", "exclusion_ground": "addicted"})
    assert dossier.state == "closed_excluded"
    assert started(dossier) == []


def test_the_proposal_needs_the_256a_check_and_a_256a_case_goes_to_investigators(world: World) -> None:
    dossier = confirmed(world)
    refused(dossier, "police", "proposal_sent", {"proposal_number": "05"}, GuardFailedError, "Điều 256a")
    criminal = {"penal_256a_window": "none", "investigation_body": "CQĐT"}
    refused(dossier, "police", "criminal_route", criminal, GuardFailedError, "Chưa xác định trường hợp nào")
    dossier.fire("police", "criminal_route", {**criminal, "penal_256a_window": "in_rehab_or_substitution"})
    assert dossier.state == "criminal_referral"
    assert documents(dossier)[-1] == "hoso.chuyen_co_quan_dieu_tra"


def test_roles_and_regimes_before_and_after_the_2025_reforms(world: World) -> None:
    """A use tested on 30/06/2025 (VN2025A) is not caught by art. 256a even when handled from 01/07/2025
    (VN2025B); the commune police and chairman act under every regime of this version."""
    world.at(local("2025-02-27T09:00:00").isoformat())
    dossier = world.open("police", procedure=PROCEDURE)
    negative = {"tested_at": local("2025-02-27T08:00:00").isoformat(), "test_ground": "tip_off", "sample_type": "urine"}
    dossier.fire("police", "test_negative", negative)
    assert dossier.state == "closed_negative"
    world.at(local("2025-06-30T09:00:00").isoformat())
    late = world.open("police", procedure=PROCEDURE, full_name="Lê Văn Hè")
    late.fire("police", "test_positive", positive("2025-06-30T08:00:00"))
    world.at(local("2025-07-01T08:00:00").isoformat())
    refused(
        late,
        "police",
        "criminal_route",
        {"penal_256a_window": "post_rehab_management", "investigation_body": "CQĐT"},
        GuardFailedError,
        "chỉ áp dụng với hành vi sử dụng từ ngày 01/07/2025",
    )
    late.fire("police", "proposal_sent", {"proposal_number": "07/ĐN"})
    step_at(late, "2025-07-02T09:00:00", "chair", "decision_issued", decision("2025-07-02"))
    regimes = [(row["event"], row["regime"]) for row in late.saved()["history"]]
    assert regimes == [
        ("dossier_opened", "VN2025A"),
        ("test_positive", "VN2025A"),
        ("proposal_sent", "VN2025B"),
        ("decision_issued", "VN2025B"),
    ]
    assert [(row["event"], row["regime"]) for row in dossier.saved()["history"]] == [
        ("dossier_opened", "VN2021"),
        ("test_negative", "VN2021"),
    ]


# -- guards and roles ------------------------------------------------------------------------------------------


def test_the_fine_must_lie_in_the_range_of_the_decree(world: World) -> None:
    dossier = confirmed(world)
    base = {"sanction_number": "01/QĐ-XPHC", "sanctioned_on": "2026-03-02"}
    message = "từ 1.000.000 đến 2.000.000 đồng"
    refused(dossier, "police", "sanction_decided", {**base, "sanction_type": "fine"}, GuardFailedError, message)
    too_much = {**base, "sanction_type": "fine", "fine_amount": 2500000}
    refused(dossier, "police", "sanction_decided", too_much, GuardFailedError, message)
    warning_with_amount = {**base, "sanction_type": "warning", "fine_amount": 1000000}
    refused(dossier, "police", "sanction_decided", warning_with_amount, GuardFailedError, "cảnh cáo")
    dossier.fire("police", "sanction_decided", {**base, "sanction_type": "fine", "fine_amount": 2000000})
    assert dossier.saved()["facts"]["sanction_type"] == "fine"


def test_only_the_chair_decides_and_only_the_police_propose(world: World) -> None:
    dossier = confirmed(world)
    refused(dossier, "chair", "proposal_sent", PROPOSAL, PermissionDeniedError, None)
    dossier.fire("police", "proposal_sent", PROPOSAL)
    world.at(local("2026-03-02T10:00:00").isoformat())
    refused(dossier, "police", "decision_issued", decision("2026-03-02"), PermissionDeniedError, None)
    refused(dossier, "other_police", "not_decided", {"reason": "other"}, NotFoundError, None)


# -- during the term ---------------------------------------------------------------------------------------------


def test_renewed_use_asks_for_determination_case_a_and_the_term_runs_on(world: World) -> None:
    dossier = managed(world)
    term_due = dossier.deadlines("open")["management_term"]["due_at"]
    use = {**positive("2026-06-10T08:00:00"), "test_ground": "under_management"}
    del use["result_received_at"]
    step_at(dossier, "2026-06-10T09:00:00", "police", "use_detected", use)
    assert dossier.state == "determination_pending"
    [(name, reason)] = started(dossier)
    assert (name, "điểm a" in reason) == ("addiction_determination", True)
    served = {"determination_dossier": "XD-2026-0100", "served_at": local("2026-06-12T10:00:00").isoformat()}
    step_at(dossier, "2026-06-12T11:00:00", "police", "result_not_addicted", served)
    assert dossier.state == "under_management"
    assert dossier.deadlines("open")["management_term"]["due_at"] == term_due
    step_at(
        dossier,
        "2026-08-10T09:00:00",
        "police",
        "use_detected",
        {**use, "tested_at": local("2026-08-10T08:00:00").isoformat()},
    )
    step_at(
        dossier,
        "2026-08-12T11:00:00",
        "police",
        "result_addicted",
        {**served, "served_at": local("2026-08-12T10:00:00").isoformat()},
    )
    assert dossier.state == "terminated_addicted"
    assert dossier.deadlines()["management_term"]["status"] == "met"
    # Voluntary rehab (and its 5-working-day window) is started by the determination dossier, not here.
    assert [name for name, _ in started(dossier)] == ["addiction_determination", "addiction_determination"]


def test_the_commune_education_ground_during_the_term(world: World) -> None:
    dossier = managed(world)
    world.at(local("2026-05-04T09:00:00").isoformat())
    met = {"prior_drug_sanctions": 1, "record_number": "07/BB", "recorded_on": "2026-05-04"}
    refused(dossier, "police", "commune_education_ground_met", met, GuardFailedError, "02 lần bị xử phạt")
    dossier.fire("police", "commune_education_ground_met", {**met, "prior_drug_sanctions": 2})
    assert [name for name, _ in started(dossier)] == ["commune_education"]
    step_at(
        dossier,
        "2026-05-20T09:00:00",
        "chair",
        "commune_education_decided",
        {"education_decision_number": "20/QĐ", "education_decided_on": "2026-05-20"},
    )
    assert dossier.state == "terminated_commune_education"


def test_a_move_hands_the_file_to_the_new_commune_with_the_same_end_date(mworld: World) -> None:
    dossier = managed(mworld)
    term_due = dossier.deadlines("open")["management_term"]["due_at"]
    move = {"new_commune_code": "00004", "moved_at": local("2026-04-01T08:00:00").isoformat()}
    step_at(dossier, "2026-04-01T09:00:00", "police", "moved_out", move)
    assert dossier.view("other_police")["state"] == "transfer_pending"
    assert dossier.view("other_police")["commune_code"] == "00004"
    mworld.at(local("2026-04-03T09:00:00").isoformat())
    refused(
        dossier,
        "police",
        "accepted",
        {"presented_at": local("2026-04-03T08:00:00").isoformat()},
        NotFoundError,
        None,
    )
    dossier.fire("other_chair", "accepted", {"presented_at": local("2026-04-03T08:00:00").isoformat()})
    assert dossier.state == "under_management"
    assert dossier.deadlines("open")["management_term"]["due_at"] == term_due
    assert "arrival_report_limit" not in dossier.deadlines()  # 24-hour rule only from 01/07/2026
    assert documents(dossier)[-1] == "hoso.qlsd_chuyen_noi_cu_tru"


# -- Luật 120/2025 (version 2026-07-01) -----------------------------------------------------------------------------


def managed_2026(world: World) -> Dossier:
    world.at(local("2026-08-03T08:30:00").isoformat())
    dossier = world.open("police", procedure=PROCEDURE)
    assert dossier.saved()["procedure_version"] == "2026-07-01"
    dossier.fire("police", "test_positive", positive("2026-08-03T08:20:00"))
    step_at(dossier, "2026-08-03T10:00:00", "police", "proposal_sent", PROPOSAL)
    step_at(dossier, "2026-08-05T09:00:00", "chair", "decision_issued", decision("2026-08-05"))
    return dossier


def test_2026_the_person_moving_must_present_within_24_hours(mworld: World) -> None:
    dossier = managed_2026(mworld)
    assert dossier.deadlines("open")["management_term"]["explanation"]["computation"]["end_local_date"] == "2027-08-05"
    move = {"new_commune_code": "00004", "moved_at": local("2026-09-04T17:00:00").isoformat()}
    step_at(dossier, "2026-09-04T18:00:00", "police", "moved_out", move)
    limit = dossier.deadlines("open")["arrival_report_limit"]
    assert datetime.fromisoformat(limit["due_at"]) == local("2026-09-05T17:00:00")  # hours: no rolling
    notice = [row for row in dossier.outbox() if row["kind"] == "notice"][-1]
    assert "24 giờ" in notice["payload"]["title_vi"]
    mworld.at(local("2026-09-05T16:00:00").isoformat())
    refused(dossier, "system", "arrival_report_missed", {}, TransitionNotAllowedError, "chỉ được ghi khi thời hạn")
    mworld.at(local("2026-09-05T17:30:00").isoformat())
    mworld.sweep()
    assert dossier.deadlines()["arrival_report_limit"]["status"] == "expired"
    assert dossier.state == "transfer_pending"
    step_at(
        dossier,
        "2026-09-07T09:00:00",
        "other_police",
        "accepted",
        {"presented_at": local("2026-09-07T08:00:00").isoformat()},
    )
    assert dossier.state == "under_management"


def test_2026_a_person_presenting_in_time_meets_the_limit(mworld: World) -> None:
    dossier = managed_2026(mworld)
    move = {"new_commune_code": "00004", "moved_at": local("2026-09-04T17:00:00").isoformat()}
    step_at(dossier, "2026-09-04T18:00:00", "police", "moved_out", move)
    step_at(
        dossier,
        "2026-09-05T10:00:00",
        "other_police",
        "accepted",
        {"presented_at": local("2026-09-05T09:00:00").isoformat()},
    )
    assert dossier.deadlines()["arrival_report_limit"]["status"] == "met"


def test_2026_refusals_cite_luat_120(world: World) -> None:
    world.at(local("2026-08-03T08:30:00").isoformat())
    dossier = world.open("police", procedure=PROCEDURE)
    dossier.fire("police", "test_positive", positive("2026-08-03T08:20:00"))
    refused(dossier, "police", "routed", {"route": "excluded"}, GuardFailedError, "120/2025/QH15")


def test_both_versions_share_the_states_and_2026_adds_the_presentation_limit(rulebook: Rulebook) -> None:
    old, new = (compiled.definition for compiled in rulebook.versions(PROCEDURE))
    assert (old.version, new.version) == ("2022-01-01", "2026-07-01")
    assert old.states.keys() == new.states.keys()
    assert {rule.id for rule in new.deadlines} - {rule.id for rule in old.deadlines} == {"arrival_report_limit"}
    assert old.parameters["management_term_months"].value == new.parameters["management_term_months"].value == 12
    assert new.parameters["drug_use_fine_min_vnd"].basis.evidence == "unverified"
