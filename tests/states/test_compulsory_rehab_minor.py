"""Compulsory rehab for persons aged 12 to under 18 (PL 01/2022/UBTVQH15): guards, deadlines on the legal
calendar, documents and follow-ups, role succession across the 2025 reforms, and the 2026 differences."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from states.errors import GuardFailedError, InvalidInputError, PermissionDeniedError
from states.legal_time import VN_TZ
from tests.conftest import Dossier, World, add_officers

PROCEDURE = "compulsory_rehab_minor"
BORN = date(2010, 5, 10)

# Units that no longer exist (district level, until 30/06/2025 or 28/02/2025) are written directly, as the
# application refuses to create new district units.
HISTORICAL_UNITS = (
    ("TAH-001", "Tòa án nhân dân quận Hoàn Kiếm", "district_court"),
    ("VKSH-001", "Viện kiểm sát nhân dân quận Hoàn Kiếm", "district_procuracy"),
    ("LDTBXH-001", "Phòng Lao động - Thương binh và Xã hội quận Hoàn Kiếm", "district_labour_office"),
)
CURRENT_UNITS = (
    ("TAKV-01-01", "Tòa án nhân dân khu vực 1 - Hà Nội", "regional_court"),
    ("VKSKV-01-01", "Viện kiểm sát nhân dân khu vực 1 - Hà Nội", "regional_procuracy"),
    ("TAT-01", "Tòa án nhân dân thành phố Hà Nội", "provincial_court"),
)
COURT_OFFICERS = {
    "judge": ("district_court", "TAH-001"),
    "dproc": ("district_procuracy", "VKSH-001"),
    "labour": ("district_labour_office", "LDTBXH-001"),
    "rjudge": ("regional_court", "TAKV-01-01"),
    "rproc": ("regional_procuracy", "VKSKV-01-01"),
    "pcourt": ("provincial_court", "TAT-01"),
}


def add_court_actors(world: World) -> None:
    add_officers(
        world,
        COURT_OFFICERS,
        units=[{"code": c, "name": n, "kind": k, "province_code": "01"} for c, n, k in CURRENT_UNITS],
        historical_units=[{"code": c, "name": n, "kind": k} for c, n, k in HISTORICAL_UNITS],
    )


@pytest.fixture
def court(world: World) -> World:
    add_court_actors(world)
    return world


def local(moment: str) -> str:
    return datetime.fromisoformat(moment).replace(tzinfo=VN_TZ).isoformat()


class Case:
    """A dossier driven step by step, the clock set to the legal time of each step."""

    def __init__(self, world: World, opened_at: str, born: date = BORN) -> None:
        self.world = world
        world.at(local(opened_at))
        self.dossier = world.open("police", PROCEDURE, date_of_birth=born)

    def at(self, moment: str) -> str:
        self.world.at(local(moment))
        return local(moment)

    def fire(self, who: str, event: str, moment: str, payload: dict[str, Any] | None = None) -> None:
        at = self.at(moment)
        self.dossier.fire(
            who,
            event,
            {
                key: (at if value is AT else at[:10] if value is DAY else value)
                for key, value in (payload or {}).items()
            },
        )

    def refused(self, error: type[Exception], who: str, event: str, moment: str, payload: dict[str, Any]) -> str:
        before = self.dossier.saved()
        with pytest.raises(error) as caught:
            self.fire(who, event, moment, payload)
        after = self.dossier.saved()
        assert (after["version"], after["state"], after["facts"]) == (
            before["version"],
            before["state"],
            before["facts"],
        )
        assert len(after["history"]) == len(before["history"])
        return str(caught.value)


AT = object()
"""Placeholder: the time of the step."""
DAY = object()
"""Placeholder: the day of the step."""

BREACH = {
    "breached_at": AT,
    "record_number": "05/BB",
    "art33_case": "a",
    "addiction_result_number": "17/PKQ",
    "addiction_concluded_on": DAY,
    "penal_256a_window": "none",
}
COMPLETED = {"notified_at": AT, "guardian_name": "Trần Thị Mẹ", "guardian_opinion": "Đồng ý", "minor_statement": "…"}
HELD = {
    "held_at": AT,
    "meeting_form": "in_person",
    "guardian_attendance": "present",
    "defender": "lawyer",
    "procurator_present": True,
}
OPENED = {"ordered_on": DAY, "meeting_form": "in_person", "meeting_time": "8 giờ, phòng thân thiện"}


def outbox_names(dossier: Dossier, kind: str) -> list[str]:
    return [row["name"] for row in dossier.outbox() if row["kind"] == kind]


def to_court(case: Case, day: str = "2026-03-02", proposer: str = "police", labour: bool = True) -> None:
    case.fire("police", "breach_recorded", f"{day}T08:10", BREACH)
    case.fire("police", "dossier_completed", f"{day}T08:20", COMPLETED)
    if labour:
        case.fire("police", "sent_to_labour_office", f"{day}T08:30", {"sent_on": DAY})
    case.fire(proposer, "proposal_sent", f"{day}T08:40", {"sent_on": DAY, "proposal_number": "09/ĐN"})


def to_deliberation(case: Case, accepted: str, held: str, judge: str = "rjudge") -> None:
    case.fire(judge, "accepted", accepted, {"accepted_at": AT, "case_number": "03/TL"})
    case.fire(judge, "judge_assigned", accepted[:10] + "T16:00", {"judge_name": "Lê Văn Xử"})
    case.fire(judge, "meeting_opened", accepted[:10] + "T16:30", OPENED)
    case.fire(judge, "meeting_held", held, HELD)


# -- the whole path ----------------------------------------------------------------------------------------


def test_sent_to_a_facility_the_decision_takes_effect_and_starts_execution(court: World) -> None:
    case = Case(court, "2026-03-02T08:00")
    to_court(case)
    assert outbox_names(case.dossier, "document") == [
        "hoso.cnctn_bien_ban_vi_pham",
        "hoso.cnctn_ho_so_de_nghi",
        "hoso.cnctn_thong_bao_ho_so",
        "hoso.cnctn_van_ban_de_nghi_toa",
    ]
    guardian = next(row for row in case.dossier.outbox() if row["name"] == "guardian")
    assert guardian["payload"]["title_vi"].startswith("Thông báo lập hồ sơ")
    # Accepted on Friday 06/03/2026: 15 days end on Saturday 21/03, a time limit moves to Monday 23/03.
    to_deliberation(case, "2026-03-06T09:00", "2026-03-16T09:00")
    limit = case.dossier.deadlines()["decision_limit"]
    assert limit["due_at_local"].startswith("2026-03-23T23:59:59")
    assert limit["status"] == "open"
    case.fire(
        "rjudge", "decide_send", "2026-03-16T10:00", {"decided_at": AT, "decision_number": "01/QĐ", "term_months": 9}
    )
    deadlines = case.dossier.deadlines()
    assert deadlines["decision_limit"]["status"] == "met"
    # Five working days from Monday 16/03: 17, 18, 19, 20, 23 March.
    assert deadlines["remedy_window"]["due_at_local"].startswith("2026-03-23T23:59:59")
    assert case.dossier.saved()["facts"]["term_months"] == 9
    assert outbox_names(case.dossier, "document")[-2:] == [
        "hoso.cnctn_bien_ban_phien_hop",
        "hoso.cnctn_quyet_dinh_dua_vao",
    ]
    case.at("2026-03-23T20:00")
    assert court.sweep() == []
    assert case.dossier.state == "decided_send"
    case.at("2026-03-24T08:00")
    outcomes = court.sweep()
    assert [outcome.fired for outcome in outcomes] == [True]
    assert case.dossier.state == "decision_effective_send"
    assert outbox_names(case.dossier, "start_procedure") == ["compulsory_rehab_execution"]
    assert case.dossier.open_tasks() == []


# -- guards ------------------------------------------------------------------------------------------------


AGE_CASES = {
    # version: (born, opened, breach recorded) — 17 at the opening, 18 at the breach.
    "2022-01-01": (date(2008, 3, 5), "2026-03-02T08:00", "2026-03-06"),
    "2026-07-01": (date(2008, 8, 5), "2026-08-03T08:00", "2026-08-06"),
}


@pytest.mark.parametrize("version", sorted(AGE_CASES))
def test_the_age_guard_and_the_handover_to_the_adult_procedure(court: World, version: str) -> None:
    """The age is checked on the day of the breach: 17 when the dossier opens, 18 when the breach is recorded."""
    born, opened, breach_day = AGE_CASES[version]
    case = Case(court, opened, born=born)
    assert case.dossier.saved()["procedure_version"] == version
    message = case.refused(GuardFailedError, "police", "breach_recorded", f"{breach_day}T09:00", BREACH)
    assert "từ đủ 12 tuổi đến dưới 18 tuổi" in message
    case.fire("police", "age_is_18_or_more", f"{breach_day}T09:10", {"checked_on": DAY})
    assert case.dossier.state == "handed_to_adult_procedure"
    assert outbox_names(case.dossier, "start_procedure") == ["compulsory_rehab_adult"]


def test_a_minor_is_not_handed_to_the_adult_procedure(court: World) -> None:
    case = Case(court, "2026-03-02T08:00")
    message = case.refused(GuardFailedError, "police", "age_is_18_or_more", "2026-03-02T09:00", {"checked_on": DAY})
    assert "chưa đủ 18 tuổi" in message


@pytest.mark.parametrize("born", [date(2015, 1, 1), date(2007, 1, 1)], ids=["eleven", "nineteen"])
def test_a_dossier_opens_only_for_12_to_under_18(court: World, born: date) -> None:
    court.at(local("2026-03-02T08:00"))
    with pytest.raises(InvalidInputError):
        court.open("police", PROCEDURE, date_of_birth=born)


def test_only_the_article_33_cases(court: World) -> None:
    case = Case(court, "2026-03-02T08:00")
    message = case.refused(
        GuardFailedError, "police", "breach_recorded", "2026-03-02T09:00", {**BREACH, "art33_case": "none"}
    )
    assert "Điều 33 khoản 1 Luật PCMT 73/2021/QH14" in message


@pytest.mark.parametrize("window", ["in_rehab_or_substitution", None], ids=["criminal", "unchecked"])
def test_a_use_from_july_2025_needs_the_article_256a_check(court: World, window: str | None) -> None:
    case = Case(court, "2026-03-02T08:00")
    payload = {**BREACH, "art33_case": "b", "penal_256a_window": window}
    if window is None:
        del payload["penal_256a_window"]
    message = case.refused(GuardFailedError, "police", "breach_recorded", "2026-03-02T09:00", payload)
    assert "Điều 256a BLHS" in message


def test_the_addiction_result_comes_before_the_record(court: World) -> None:
    case = Case(court, "2026-03-02T08:00")
    payload = {**BREACH, "addiction_concluded_on": "2026-03-03", "breached_at": local("2026-03-02T09:00")}
    message = case.refused(InvalidInputError, "police", "breach_recorded", "2026-03-03T10:00", payload)
    assert "Kết luận nghiện ma túy phải có trước" in message


@pytest.mark.parametrize("months", [5, 13])
def test_the_term_is_6_to_12_months(court: World, months: int) -> None:
    case = Case(court, "2026-03-02T08:00")
    to_court(case)
    to_deliberation(case, "2026-03-02T09:00", "2026-03-03T09:00")
    payload = {"decided_at": AT, "decision_number": "01/QĐ", "term_months": months}
    message = case.refused(GuardFailedError, "rjudge", "decide_send", "2026-03-03T10:00", payload)
    assert "từ 06 tháng đến 12 tháng" in message


def test_a_late_complaint_is_refused_even_before_the_sweep(court: World) -> None:
    case = Case(court, "2026-03-02T08:00")
    to_court(case)
    to_deliberation(case, "2026-03-02T09:00", "2026-03-03T09:00")
    case.fire(
        "rjudge", "decide_not_send", "2026-03-03T10:00", {"decided_at": AT, "decision_number": "02/QĐ", "reason": "…"}
    )
    # Five working days from Tuesday 03/03: 4, 5, 6, 9, 10 March.
    assert case.dossier.deadlines()["remedy_window"]["due_at_local"].startswith("2026-03-10T23:59:59")
    complaint = {"filed_at": AT, "complainant": "guardian", "summary": "Khiếu nại"}
    message = case.refused(GuardFailedError, "rjudge", "complaint_filed", "2026-03-11T08:00", complaint)
    assert "05 ngày làm việc" in message
    court.sweep()
    assert case.dossier.state == "closed_not_sent"
    assert outbox_names(case.dossier, "start_procedure") == []


# -- deadlines ---------------------------------------------------------------------------------------------


def test_one_extension_to_30_days_from_acceptance(court: World) -> None:
    case = Case(court, "2026-03-02T08:00")
    to_court(case)
    case.fire("rjudge", "accepted", "2026-03-02T09:00", {"accepted_at": AT, "case_number": "03/TL"})
    case.fire("rjudge", "judge_assigned", "2026-03-02T10:00", {"judge_name": "Lê Văn Xử"})
    case.fire("rjudge", "extension", "2026-03-05T10:00", {"reason": "Phức tạp"})
    deadlines = case.dossier.deadlines()
    assert deadlines["decision_limit"]["status"] == "superseded"
    # 30 days from Monday 02/03: Wednesday 01/04/2026.
    assert deadlines["decision_limit_extended"]["due_at_local"].startswith("2026-04-01T23:59:59")
    message = case.refused(GuardFailedError, "rjudge", "extension", "2026-03-06T10:00", {"reason": "Lần hai"})
    assert "một lần" in message


def test_no_extension_after_the_15_days(court: World) -> None:
    case = Case(court, "2026-03-02T08:00")
    to_court(case)
    case.fire("rjudge", "accepted", "2026-03-02T09:00", {"accepted_at": AT, "case_number": "03/TL"})
    case.fire("rjudge", "judge_assigned", "2026-03-02T10:00", {"judge_name": "Lê Văn Xử"})
    case.refused(GuardFailedError, "rjudge", "extension", "2026-03-18T10:00", {"reason": "Muộn"})
    court.sweep()
    assert case.dossier.deadlines()["decision_limit"]["status"] == "expired"
    notices = [
        row["payload"]["to_roles"]
        for row in case.dossier.outbox()
        if row["payload"]["event"] == "decision_time_limit_passed"
    ]
    assert notices == [["regional_court"], ["regional_procuracy"]]


def test_the_supplement_period_and_the_clock_stopped_while_suspended(court: World) -> None:
    case = Case(court, "2026-03-02T08:00")
    to_court(case)
    case.fire("rjudge", "accepted", "2026-03-02T09:00", {"accepted_at": AT, "case_number": "03/TL"})
    case.fire("rjudge", "judge_assigned", "2026-03-02T10:00", {"judge_name": "Lê Văn Xử"})
    # Requested on Friday 06/03: three working days are 9, 10 and 11 March.
    case.fire(
        "rjudge", "supplement_requested", "2026-03-06T10:00", {"requested_at": AT, "documents_requested": "Học bạ"}
    )
    assert case.dossier.deadlines()["supplement_reply"]["due_at_local"].startswith("2026-03-11T23:59:59")
    assert outbox_names(case.dossier, "notice")[-1] == "district_labour_office"
    assert case.dossier.saved()["tasks"][-1]["holder_roles"] == ["commune_police"]
    case.fire("police", "supplement_received", "2026-03-09T10:00", {"received_at": AT})
    assert case.dossier.deadlines()["supplement_reply"]["status"] == "met"
    assert case.dossier.deadlines()["decision_limit"]["due_at_local"].startswith("2026-03-17T23:59:59")
    case.fire("rjudge", "suspend", "2026-03-10T10:00", {"decided_on": DAY, "ground": "serious_illness"})
    assert case.dossier.deadlines()["decision_limit"]["status"] == "paused"
    case.at("2026-04-30T10:00")
    assert court.sweep() == []
    case.fire("rjudge", "ground_ended", "2026-04-30T10:00", {"resumed_on": DAY})
    resumed = case.dossier.deadlines()["decision_limit"]
    assert resumed["status"] == "open"
    assert resumed["due_at_local"] > "2026-05-06"
    assert case.dossier.state == "under_check"


# -- succession across the 2025 reforms --------------------------------------------------------------------


def test_roles_pass_to_their_successors_in_2025(court: World) -> None:
    case = Case(court, "2025-02-24T08:00")
    assert case.dossier.saved()["procedure_version"] == "2022-01-01"
    # A use before 01/07/2025: no art. 256a check is needed.
    breach = {key: value for key, value in BREACH.items() if key != "penal_256a_window"}
    case.fire("police", "breach_recorded", "2025-02-24T08:10", {**breach, "art33_case": "b"})
    case.fire("police", "dossier_completed", "2025-02-24T09:00", COMPLETED)
    case.fire("police", "sent_to_labour_office", "2025-02-25T09:00", {"sent_on": DAY})
    case.refused(
        PermissionDeniedError, "police", "proposal_sent", "2025-02-26T09:00", {"sent_on": DAY, "proposal_number": "1"}
    )
    case.fire("labour", "proposal_sent", "2025-02-26T09:10", {"sent_on": DAY, "proposal_number": "09/ĐN"})
    case.fire("judge", "returned_incomplete", "2025-02-27T09:00", {"reason": "Thiếu ý kiến của nhà trường"})
    assert case.dossier.state == "labour_office_check"
    # From 01/03/2025 the district labour office is gone: the commune police send the proposal (TTLT 03/2025).
    case.refused(
        PermissionDeniedError, "labour", "proposal_sent", "2025-03-03T09:00", {"sent_on": DAY, "proposal_number": "2"}
    )
    case.fire("police", "proposal_sent", "2025-03-03T09:10", {"sent_on": DAY, "proposal_number": "10/ĐN"})
    case.fire("judge", "accepted", "2025-03-04T09:00", {"accepted_at": AT, "case_number": "04/TL"})
    case.fire("judge", "judge_assigned", "2025-03-04T10:00", {"judge_name": "Lê Văn Xử"})
    case.fire("judge", "suspend", "2025-03-05T10:00", {"decided_on": DAY, "ground": "whereabouts_unknown"})
    # From 01/07/2025 the regional court carries on the district court's pending matters.
    case.refused(PermissionDeniedError, "judge", "ground_ended", "2025-07-02T09:00", {"resumed_on": DAY})
    case.fire("rjudge", "ground_ended", "2025-07-02T09:10", {"resumed_on": DAY})
    case.fire("rjudge", "meeting_opened", "2025-07-02T10:00", OPENED)
    case.fire("rjudge", "meeting_held", "2025-07-03T09:00", HELD)
    case.fire(
        "rjudge", "decide_not_send", "2025-07-03T10:00", {"decided_at": AT, "decision_number": "02/QĐ", "reason": "…"}
    )
    protest = {"filed_on": DAY, "protest_number": "01/QĐKN"}
    case.refused(PermissionDeniedError, "dproc", "protest_filed", "2025-07-04T09:00", protest)
    case.fire("rproc", "protest_filed", "2025-07-04T09:10", protest)
    case.fire(
        "pcourt", "amended", "2025-07-10T09:00", {"reviewed_on": DAY, "amended_measure": "send", "term_months": 12}
    )
    saved = case.dossier.saved()
    assert saved["state"] == "decision_effective_send"
    regimes = [(row["event"], row["regime"]) for row in saved["history"][1:]]
    assert regimes[0] == ("breach_recorded", "VN2021")
    assert ("proposal_sent", "VN2025A") in regimes
    assert regimes[-1] == ("amended", "VN2025B")
    assert outbox_names(case.dossier, "start_procedure") == ["compulsory_rehab_execution"]


# -- the 2026 version (Luật 120/2025/QH15) -----------------------------------------------------------------


def test_2026_reform_school_and_no_labour_office(court: World) -> None:
    case = Case(court, "2026-08-03T08:00")
    assert case.dossier.saved()["procedure_version"] == "2026-07-01"
    case.fire("police", "breach_recorded", "2026-08-03T08:10", {**BREACH, "art33_case": "e"})
    case.fire("police", "dossier_completed", "2026-08-03T08:20", COMPLETED)
    with pytest.raises(InvalidInputError):
        case.fire("police", "sent_to_labour_office", "2026-08-03T08:30", {"sent_on": DAY})
    case.fire("police", "proposal_sent", "2026-08-03T08:40", {"sent_on": DAY, "proposal_number": "09/ĐN"})
    case.fire("rjudge", "returned_incomplete", "2026-08-03T09:00", {"reason": "Thiếu tài liệu"})
    assert case.dossier.state == "dossier_in_preparation"
    case.fire("police", "dossier_completed", "2026-08-04T08:20", COMPLETED)
    case.fire("police", "proposal_sent", "2026-08-04T08:40", {"sent_on": DAY, "proposal_number": "10/ĐN"})
    to_deliberation(case, "2026-08-04T09:00", "2026-08-05T09:00")
    decision = {"decided_at": AT, "decision_number": "01/QĐ", "term_months": 9}
    case.refused(InvalidInputError, "rjudge", "decide_send", "2026-08-05T10:00", decision)
    case.fire("rjudge", "decide_send", "2026-08-05T10:10", {**decision, "facility_kind": "reform_school"})
    facts = case.dossier.saved()["facts"]
    assert (facts["facility_kind"], facts["art33_case"]) == ("reform_school", "e")
    basis = court.rulebook.pinned(PROCEDURE, "2026-07-01").definition.basis[0].text
    assert "120/2025/QH15" in basis


def test_the_2022_version_has_no_electronic_monitoring_case(court: World) -> None:
    case = Case(court, "2026-03-02T08:00")
    case.refused(InvalidInputError, "police", "breach_recorded", "2026-03-02T09:00", {**BREACH, "art33_case": "e"})
