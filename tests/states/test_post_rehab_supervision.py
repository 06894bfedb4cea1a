"""Post-rehab management at the place of residence (shared/procedures/08-post-rehab-supervision.md), both
versions (2022-01-01 and 2026-07-01), step by step through ``Dossier.fire`` and the deadline sweep.

The first part follows each branch with its guards, deadlines, documents and follow-up procedures; the second
reaches every open state of each version by a table of paths and fires the remaining transitions from there
(every transition of both versions is fired by a test).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from states.errors import (
    GuardFailedError,
    NotFoundError,
    PayloadError,
    PermissionDeniedError,
    TransitionNotAllowedError,
    UnknownEventError,
)
from states.legal_time import VN_TZ
from tests.conftest import Dossier, World, add_officers

PROCEDURE = "post_rehab_supervision"
NINH_THUAN = "22759"  # Phường Phan Rang (Khánh Hòa since 2025-07-01, formerly Ninh Thuận)
EXTRA_UNITS: tuple[dict[str, Any], ...] = (
    {"code": "UBX-00004", "name": "UBND phường Ba Đình", "kind": "commune_committee", "commune_code": "00004"},
    {"code": "CAX-22759", "name": "Công an phường Phan Rang", "kind": "commune_police", "commune_code": NINH_THUAN},
    {"code": "UBX-22759", "name": "UBND phường Phan Rang", "kind": "commune_committee", "commune_code": NINH_THUAN},
)
EXTRA_OFFICERS = {
    "supervisor": ("post_rehab_supervisor", "UBX-00070"),
    "new_chair": ("commune_chair", "UBX-00004"),
    "nt_police": ("commune_police", "CAX-22759"),
    "nt_chair": ("commune_chair", "UBX-22759"),
    "nt_supervisor": ("post_rehab_supervisor", "UBX-22759"),
}


def equip(world: World) -> World:
    """Units and officers of this procedure: the assigned supervisor, a second commune's chairman (moving),
    and a commune of the former Ninh Thuận province (the provincial early-termination policy)."""
    return add_officers(world, EXTRA_OFFICERS, units=EXTRA_UNITS)


@pytest.fixture
def prs(world: World) -> World:
    return equip(world)


@pytest.fixture
def prs_sqlite(sqlite_world: World) -> World:
    return equip(sqlite_world)


@dataclass(frozen=True)
class Version:
    code: str
    at: str  # the day the dossier is opened, papers received and the decision signed (a Monday, 09:00)
    completed: str  # end of rehab: start of the term
    kind: str
    decision: str
    term_rule: str
    term_ends: str  # the calendar day the term ends (a Sunday: a term does not roll)
    use_at: str  # a relapse
    minor_born: date


V22 = Version(
    code="2022-01-01",
    at="2024-03-11T09:00:00+07:00",
    completed="2024-03-08T10:00:00+07:00",
    kind="adult_compulsory",
    decision="decision_issued",
    term_rule="term_two_years",
    term_ends="2026-03-08",
    use_at="2024-04-01T09:00:00+07:00",
    minor_born=date(2008, 1, 15),
)
V26 = Version(
    code="2026-07-01",
    at="2026-07-06T09:00:00+07:00",
    completed="2026-07-04T10:00:00+07:00",
    kind="voluntary",
    decision="decision_issued_one_year",
    term_rule="term_one_year",
    term_ends="2027-07-04",
    use_at="2026-08-03T09:00:00+07:00",
    minor_born=date(2010, 1, 15),
)
VERSIONS = [pytest.param(V22, id="2022"), pytest.param(V26, id="2026")]


def later(moment: str, **delta: float) -> str:
    return (datetime.fromisoformat(moment) + timedelta(**delta)).isoformat()


def day(world: World) -> str:
    return world.clock.now().astimezone(VN_TZ).date().isoformat()


def papers(v: Version, **changes: Any) -> dict[str, Any]:
    return {
        "received_at": later(v.at, minutes=-30),
        "rehab_completed_at": v.completed,
        "rehab_kind": v.kind,
        "certificate_number": "15/GCN",
        "issuing_body": "Cơ sở cai nghiện ma túy số 1",
        "residence_commune_code": "00070",
        **changes,
    }


def opened(world: World, v: Version, chair: str = "chair", commune: str = "00070", **subject: Any) -> Dossier:
    world.at(v.at)
    dossier = world.open(chair, procedure=PROCEDURE, commune_code=commune, **subject)
    assert dossier.view(chair)["procedure_version"] == v.code
    return dossier


def managed(
    world: World, v: Version, chair: str = "chair", commune: str = "00070", kind: str | None = None, **subject: Any
) -> Dossier:
    dossier = opened(world, v, chair, commune, **subject)
    kind = kind or v.kind
    dossier.fire(chair, "facility_papers_received", papers(v, rehab_kind=kind, residence_commune_code=commune))
    event = "decision_issued" if kind == "adult_compulsory" else "decision_issued_one_year"
    dossier.fire(chair, event, {"decided_on": v.at[:10], "decision_number": "07/QĐ-UBND"})
    assert dossier.state == "under_management"
    return dossier


def relapse(dossier: Dossier, v: Version, event: str = "test_positive") -> None:
    dossier.world.at(later(v.use_at, hours=1))
    payload = (
        {"used_at": v.use_at, "substances": "Methamphetamine"}
        if event == "test_positive"
        else {"used_at": v.use_at, "circumstances": "Bắt quả tang"}
    )
    dossier.fire("police", event, payload)
    assert dossier.state == "suspected_relapse"


def request_determination(dossier: Dossier, v: Version) -> None:
    dossier.world.at(later(v.use_at, hours=2))
    dossier.fire(
        "police",
        "determination_requested",
        {"penal_256a_window": "none", "facility_unit": "YT-01-01", "request_number": "3/GĐN"},
    )
    assert dossier.state == "awaiting_determination"


def result(dossier: Dossier, v: Version, event: str, who: str = "clerk", days: int = 2) -> None:
    dossier.world.at(later(v.use_at, days=days))
    dossier.fire(who, event, {"concluded_on": day(dossier.world), "result_number": "9/PKQ"})


def outbox_names(dossier: Dossier, kind: str) -> list[str]:
    return [row["name"] for row in dossier.outbox() if row["kind"] == kind]


def sweep_at(world: World, moment: str) -> None:
    world.at(moment)
    world.sweep()


def no_change(
    dossier: Dossier, who: str, event: str, payload: dict[str, Any], error: type[Exception], match: str
) -> None:
    before = dossier.saved()
    with pytest.raises(error, match=match):
        dossier.fire(who, event, payload)
    after = dossier.saved()
    assert (after["version"], after["state"], after["facts"]) == (before["version"], before["state"], before["facts"])


# -- the term -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("v", VERSIONS)
def test_term_counts_from_completion_and_ends_on_its_calendar_day(prs: World, v: Version) -> None:
    dossier = opened(prs, v)
    assert dossier.open_tasks() == [("commune_chair", "post_rehab_pending")]
    dossier.fire("chair", "facility_papers_received", papers(v))
    assert dossier.view("chair")["facts"]["rehab_kind"] == v.kind
    limit = dossier.deadlines("open")["decision_time_limit"]
    # 5 working days from Monday: the next Monday (the weekend is skipped).
    assert limit["due_at_local"].startswith((date.fromisoformat(v.at[:10]) + timedelta(days=7)).isoformat())
    wrong = "decision_issued_one_year" if v.decision == "decision_issued" else "decision_issued"
    no_change(
        dossier, "chair", wrong, {"decided_on": v.at[:10], "decision_number": "1"}, GuardFailedError, "Thời hạn 0"
    )
    dossier.fire("chair", v.decision, {"decided_on": v.at[:10], "decision_number": "07/QĐ-UBND"})
    assert dossier.state == "under_management"
    assert dossier.deadlines()["decision_time_limit"]["status"] == "met"
    term = dossier.deadlines("open")[v.term_rule]
    assert term["explanation"]["nature"] == "term"
    assert term["explanation"]["start_source"] == "fact:rehab_completed_at"
    # The term ends on a Sunday and stays there (a term is not a time limit to act).
    assert date.fromisoformat(v.term_ends).weekday() == 6
    assert term["due_at_local"].startswith(f"{v.term_ends}T23:59:59")
    assert term["explanation"]["computation"]["rolled_from"] is None
    assert sorted(dossier.open_tasks()) == [
        ("commune_police", "under_management"),
        ("post_rehab_supervisor", "under_management"),
    ]
    assert outbox_names(dossier, "document") == ["hoso.qlsc_tiep_nhan_giay_to", "hoso.qlsc_quyet_dinh_quan_ly"]
    notices = [row["payload"]["to_roles"] for row in dossier.outbox() if row["kind"] == "notice"]
    assert notices == [["commune_police"], ["post_rehab_supervisor"]]
    # Not due yet: the expiry belongs to time.
    with pytest.raises(TransitionNotAllowedError, match="thời hạn"):
        dossier.fire("system", "term_expired")
    sweep_at(prs, f"{v.term_ends}T23:30:00+07:00")
    assert dossier.state == "under_management"
    sweep_at(prs, later(f"{v.term_ends}T00:00:00+07:00", days=1, minutes=5))
    assert dossier.state == "completed"
    assert dossier.deadlines()[v.term_rule]["status"] == "expired"
    assert outbox_names(dossier, "document")[-1] == "nd116.m54"
    window = dossier.deadlines("open")["penal_256a_window"]
    assert window["explanation"]["nature"] == "term"
    ends = date.fromisoformat(v.term_ends) + timedelta(days=1)
    assert window["due_at_local"].startswith(ends.replace(year=ends.year + 2).isoformat())
    prs.at(later(f"{v.term_ends}T09:00:00+07:00", days=1))
    dossier.fire("chair", "removed_from_list", {"removed_on": day(prs), "certificate_number": "54/GCN"})
    assert dossier.state == "closed"
    assert dossier.view("chair")["final"] is False
    assert dossier.open_tasks() == [("commune_police", "closed")]
    sweep_at(prs, later(window["due_at"], minutes=1))
    assert dossier.state == "archived"
    assert dossier.view("chair")["closed_at"] is not None


def test_one_year_term_for_minors_voluntary_and_substitution(prs: World) -> None:
    for kind in ("minor_compulsory", "voluntary", "substitution"):
        dossier = opened(prs, V22)
        dossier.fire("chair", "facility_papers_received", papers(V22, rehab_kind=kind))
        no_change(
            dossier,
            "chair",
            "decision_issued",
            {"decided_on": "2024-03-11", "decision_number": "1"},
            GuardFailedError,
            "02 năm chỉ áp dụng",
        )
        dossier.fire("chair", "decision_issued_one_year", {"decided_on": "2024-03-11", "decision_number": "1"})
        assert dossier.deadlines("open")["term_one_year"]["due_at_local"].startswith("2025-03-08T23:59:59")
        assert "term_two_years" not in dossier.deadlines()
        dossier.fire("chair", "died", {"died_on": "2024-03-11"})


def test_completion_cannot_follow_the_receipt_of_papers(prs: World) -> None:
    dossier = opened(prs, V22)
    no_change(
        dossier,
        "chair",
        "facility_papers_received",
        papers(V22, rehab_completed_at="2024-03-11T08:45:00+07:00"),
        PayloadError,
        "không thể sau ngày tiếp nhận",
    )
    with pytest.raises(PermissionDeniedError):
        dossier.fire("supervisor", "facility_papers_received", papers(V22))


@pytest.mark.parametrize("v", VERSIONS)
def test_decision_time_limit_passes_and_the_chairman_is_reminded(prs: World, v: Version) -> None:
    dossier = opened(prs, v)
    dossier.fire("chair", "facility_papers_received", papers(v))
    due = dossier.deadlines("open")["decision_time_limit"]["due_at"]
    sweep_at(prs, later(due, minutes=1))
    assert dossier.state == "awaiting_decision"
    assert dossier.deadlines()["decision_time_limit"]["status"] == "expired"
    assert dossier.outbox()[-1]["payload"]["to_roles"] == ["commune_chair"]
    dossier.fire("chair", v.decision, {"decided_on": day(prs), "decision_number": "08/QĐ"})
    assert dossier.state == "under_management"


# -- supervision ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("v", VERSIONS)
def test_supervision_records_keep_the_dossier_under_management(prs: World, v: Version) -> None:
    dossier = managed(prs, v)
    dossier.fire(
        "chair",
        "supervisor_assigned",
        {"assigned_on": v.at[:10], "supervisor_name": "Bà Lan", "supervisor_kind": "mass_organisation"},
    )
    prs.at(later(v.at, days=30))
    dossier.fire("supervisor", "periodic_assessment", {"assessed_on": day(prs), "compliance": "good", "remarks": "Tốt"})
    with pytest.raises(PermissionDeniedError):
        dossier.fire("police", "periodic_assessment", {"assessed_on": day(prs), "compliance": "good"})
    dossier.fire("police", "test_negative", {"tested_at": later(v.at, days=30, minutes=-30)})
    dossier.fire(
        "chair",
        "temporary_absence_reported",
        {"reported_on": day(prs), "absence_days": 10, "destination": "Hải Phòng", "authorised": True},
    )
    assert dossier.state == "under_management"
    facts = dossier.view("chair")["facts"]
    assert (facts["supervisor_name"], facts["compliance"]) == ("Bà Lan", "good")
    assert outbox_names(dossier, "document")[2:] == [
        "hoso.qlsc_giao_quan_ly",
        "hoso.qlsc_danh_gia_dinh_ky",
        "nd105.m03",
        "hoso.qlsc_thong_bao_vang_mat",
    ]


@pytest.mark.parametrize("v", VERSIONS)
def test_moving_hands_the_remaining_term_to_the_new_commune(prs: World, v: Version) -> None:
    dossier = managed(prs, v)
    due = dossier.deadlines("open")[v.term_rule]["due_at"]
    prs.at(later(v.at, days=40))
    dossier.fire("police", "moved_residence", {"moved_on": day(prs), "new_commune_code": "00004"})
    assert dossier.state == "transferred_out"
    assert dossier.view("new_chair")["commune_code"] == "00004"
    with pytest.raises(NotFoundError):
        dossier.view("chair")
    assert outbox_names(dossier, "document")[-1] == "hoso.qlsc_chuyen_quan_ly"
    dossier.fire("new_chair", "accepted", {"accepted_on": day(prs), "decision_number": "2/TN"})
    assert dossier.state == "under_management"
    assert dossier.deadlines("open")[v.term_rule]["due_at"] == due


# -- relapse ----------------------------------------------------------------------------------------------------


def test_relapse_before_july_2025_goes_to_determination_then_compulsory_rehab(prs: World) -> None:
    dossier = managed(prs, V22)
    relapse(dossier, V22)
    assert outbox_names(dossier, "document")[-2:] == ["nd105.m03", "hoso.qlsc_bien_ban_su_dung"]
    # No crime of drug use before 01/07/2025.
    no_change(
        dossier,
        "police",
        "criminal_path_applies",
        {"penal_256a_window": "post_rehab_management", "investigation_body": "CQĐT"},
        GuardFailedError,
        "01/07/2025",
    )
    prs.at(later(V22.use_at, hours=2))
    dossier.fire("police", "determination_requested", {"facility_unit": "YT-01-01", "request_number": "3/GĐN"})
    assert dossier.state == "awaiting_determination"
    assert dossier.view("clerk")["parties"] == {"health_facility": "YT-01-01"}
    # The designated facility answers in this dossier; no second determination dossier is opened.
    assert outbox_names(dossier, "start_procedure") == []
    with pytest.raises(NotFoundError):
        dossier.fire("other_clerk", "addicted", {"concluded_on": "2024-04-03", "result_number": "1"})
    result(dossier, V22, "addicted")
    assert dossier.state == "relapse_confirmed"
    limit = dossier.deadlines("open")["relapse_dossier_time_limit"]
    assert limit["explanation"]["start_source"] == "fact:used_at"
    assert limit["due_at_local"].startswith("2024-04-08T23:59:59")  # Monday 01/04 + 5 working days
    prs.at("2024-04-05T09:00:00+07:00")
    dossier.fire("police", "compulsory_dossier_opened", {"opened_on": "2024-04-05"})
    assert dossier.state == "closed_relapse"
    assert outbox_names(dossier, "start_procedure") == ["compulsory_rehab_adult"]
    assert dossier.deadlines()["relapse_dossier_time_limit"]["status"] == "met"


def test_relapse_from_july_2025_needs_the_penal_code_256a_check(prs: World) -> None:
    v = Version(**{**V22.__dict__, "use_at": "2025-07-07T09:00:00+07:00"})
    dossier = managed(prs, v)
    relapse(dossier, v, "use_detected")
    prs.at(later(v.use_at, hours=2))
    no_change(
        dossier,
        "police",
        "determination_requested",
        {"facility_unit": "YT-01-01", "request_number": "3"},
        GuardFailedError,
        "256a",
    )
    no_change(
        dossier,
        "police",
        "criminal_path_applies",
        {"penal_256a_window": "within_2y_after_post_rehab", "investigation_body": "CQĐT"},
        GuardFailedError,
        "đang trong thời gian quản lý sau cai nghiện",
    )
    dossier.fire(
        "police",
        "criminal_path_applies",
        {"penal_256a_window": "post_rehab_management", "investigation_body": "CQĐT Công an TP"},
    )
    assert dossier.state == "criminal_referral"
    assert outbox_names(dossier, "document")[-1] == "hoso.chuyen_co_quan_dieu_tra"
    assert dossier.deadlines()[v.term_rule]["status"] == "met"


def test_relapse_found_clear_of_256a_still_needs_the_check_before_compulsory_rehab(prs: World) -> None:
    v = Version(**{**V22.__dict__, "use_at": "2025-07-07T09:00:00+07:00"})
    dossier = managed(prs, v)
    relapse(dossier, v)
    request_determination(dossier, v)
    result(dossier, v, "addicted", who="police")
    prs.at("2025-07-10T09:00:00+07:00")
    dossier.fire("police", "compulsory_dossier_opened", {"opened_on": "2025-07-10"})
    assert dossier.view("chair")["facts"]["penal_256a_window"] == "none"
    assert outbox_names(dossier, "start_procedure")[-1] == "compulsory_rehab_adult"


@pytest.mark.parametrize("v", VERSIONS)
def test_not_addicted_goes_back_under_management_with_the_same_term(prs: World, v: Version) -> None:
    dossier = managed(prs, v)
    due = dossier.deadlines("open")[v.term_rule]["due_at"]
    relapse(dossier, v)
    request_determination(dossier, v)
    result(dossier, v, "not_addicted")
    assert dossier.state == "under_management"
    assert dossier.deadlines("open")[v.term_rule]["due_at"] == due
    fine = [row for row in dossier.outbox() if row["kind"] == "notice"][-1]
    assert "NĐ 144/2021" in fine["payload"]["title_vi"]


@pytest.mark.parametrize("v", VERSIONS)
def test_term_ending_during_determination(prs: World, v: Version) -> None:
    """A use detected in the term stays a use during management; when the term ends meanwhile the sweep
    records it and a 'not addicted' result ends the management."""
    dossier = managed(prs, v)
    term_end = f"{v.term_ends}T20:00:00+07:00"
    use = Version(**{**v.__dict__, "use_at": later(term_end, days=-3)})
    relapse(dossier, use)
    sweep_at(prs, later(term_end, days=1))
    assert dossier.state == "suspected_relapse"
    assert dossier.deadlines()[v.term_rule]["status"] == "expired"
    assert dossier.outbox()[-1]["payload"]["to_roles"] == ["commune_police"]
    dossier.fire(
        "police",
        "determination_requested",
        {"penal_256a_window": "none", "facility_unit": "YT-01-01", "request_number": "4"},
    )
    result(dossier, use, "not_addicted", days=5)
    assert dossier.state == "completed"
    assert outbox_names(dossier, "document")[-2:] == ["nd109.m04", "nd116.m54"]
    assert "penal_256a_window" in dossier.deadlines("open")


@pytest.mark.parametrize("v", VERSIONS)
def test_term_expiring_while_the_result_is_awaited(prs: World, v: Version) -> None:
    dossier = managed(prs, v)
    term_end = f"{v.term_ends}T20:00:00+07:00"
    use = Version(**{**v.__dict__, "use_at": later(term_end, days=-3)})
    relapse(dossier, use)
    request_determination(dossier, use)
    sweep_at(prs, later(term_end, days=1))
    assert dossier.state == "awaiting_determination"
    result(dossier, use, "addicted", days=5)
    assert dossier.state == "relapse_confirmed"


@pytest.mark.parametrize("v", VERSIONS)
@pytest.mark.parametrize("route", ["voluntary_rehab", "compulsory_rehab_minor"])
def test_minor_who_relapses(prs: World, v: Version, route: str) -> None:
    dossier = managed(prs, v, kind="minor_compulsory", date_of_birth=v.minor_born)
    relapse(dossier, v)
    request_determination(dossier, v)
    result(dossier, v, "addicted")
    assert dossier.state == "relapse_confirmed_minor"
    assert "relapse_dossier_time_limit" not in dossier.deadlines()
    other = "compulsory_rehab_minor" if route == "voluntary_rehab" else "voluntary_rehab"
    dossier.world.at(later(v.use_at, days=3))
    payload = {"handled_on": day(prs), "route": route}
    dossier.fire("police", "minor_relapse_handled", payload)
    assert dossier.state == "closed_relapse_minor"
    assert outbox_names(dossier, "start_procedure")[-1] == route
    assert other not in outbox_names(dossier, "start_procedure")


def test_adult_and_minor_results_follow_the_age_on_the_day_of_the_conclusion(prs: World) -> None:
    # Turned 18 after the decision and before the conclusion: the adult branch.
    dossier = managed(prs, V22, kind="minor_compulsory", date_of_birth=date(2006, 3, 20))
    relapse(dossier, V22)
    request_determination(dossier, V22)
    result(dossier, V22, "addicted")
    assert dossier.state == "relapse_confirmed"


# -- interruption ------------------------------------------------------------------------------------------------


def test_2022_term_keeps_running_while_the_person_is_imprisoned(prs: World) -> None:
    dossier = managed(prs, V22)
    due = dossier.deadlines("open")["term_two_years"]["due_at"]
    prs.at("2024-06-03T09:00:00+07:00")
    dossier.fire("police", "imprisoned", {"started_on": "2024-06-03", "measure": "imprisonment"})
    assert dossier.state == "interrupted"
    assert dossier.deadlines("open")["term_two_years"]["due_at"] == due
    prs.at("2024-09-02T09:00:00+07:00")
    dossier.fire("police", "interruption_ended", {"returned_on": "2024-09-02"})
    assert dossier.deadlines("open")["term_two_years"]["due_at"] == due


def test_2026_term_is_paused_while_the_person_is_imprisoned(prs: World) -> None:
    dossier = managed(prs, V26)
    prs.at("2026-09-01T09:00:00+07:00")
    dossier.fire("police", "imprisoned", {"started_on": "2026-09-01", "measure": "imprisonment"})
    assert dossier.deadlines()["term_one_year"]["status"] == "paused"
    sweep_at(prs, "2027-08-01T09:00:00+07:00")
    assert dossier.state == "interrupted"
    prs.at("2027-09-01T09:00:00+07:00")
    dossier.fire("police", "interruption_ended", {"returned_on": "2027-09-01"})
    term = dossier.deadlines("open")["term_one_year"]
    # From 2026-09-01 00:00 (the day of the fact) to the end of 2027-07-04, 306 days and a day's end remained;
    # counted again from 2027-09-01 00:00 they end on 2028-07-03 (29/02/2028 falls in the remainder).
    assert term["due_at_local"].startswith("2028-07-03T23:59:59")
    assert term["explanation"]["pauses"][0]["paused_by"] == "imprisoned"


# -- early termination (dated provincial policy, 2022-01-01 version only) -----------------------------------------

NT = Version(**{**V22.__dict__, "at": "2024-06-03T09:00:00+07:00", "completed": "2023-06-01T10:00:00+07:00"})
PROPOSAL = {"policy": "ninh_thuan_2022", "ground": "good_compliance"}


def ninh_thuan(world: World, v: Version = NT, compliance: str = "good") -> Dossier:
    dossier = managed(world, v, chair="nt_chair", commune=NINH_THUAN)
    dossier.fire("nt_supervisor", "periodic_assessment", {"assessed_on": v.at[:10], "compliance": compliance})
    return dossier


def test_early_termination_needs_two_thirds_of_the_term_and_good_compliance(prs: World) -> None:
    dossier = ninh_thuan(prs)
    # 2023-06-01 + 24 months = 2025-06-01 (731 days); two thirds reached on 2024-10-01 (488 days).
    prs.at("2024-09-30T09:00:00+07:00")
    no_change(
        dossier,
        "nt_police",
        "early_termination_proposed",
        {**PROPOSAL, "proposed_on": "2024-09-30"},
        GuardFailedError,
        "2/3",
    )
    prs.at("2024-10-01T09:00:00+07:00")
    no_change(
        dossier,
        "nt_police",
        "early_termination_proposed",
        {"proposed_on": "2024-10-01", "policy": "ninh_thuan_2022", "ground": "meritorious_act"},
        GuardFailedError,
        "lập công",
    )
    with pytest.raises(PermissionDeniedError):
        dossier.fire("nt_chair", "early_termination_proposed", {**PROPOSAL, "proposed_on": "2024-10-01"})
    dossier.fire("nt_police", "early_termination_proposed", {**PROPOSAL, "proposed_on": "2024-10-01"})
    assert dossier.state == "early_termination_review"
    assert dossier.open_tasks() == [("commune_chair", "early_termination_review")]
    assert dossier.deadlines("open")["term_two_years"]["status"] == "open"
    prs.at("2024-10-07T09:00:00+07:00")
    dossier.fire("nt_chair", "early_termination_decided", {"decided_on": "2024-10-07", "decision_number": "5/QĐ"})
    assert dossier.state == "completed_early"
    assert dossier.deadlines()["term_two_years"]["status"] == "met"
    assert outbox_names(dossier, "document")[-3:] == [
        "hoso.qlsc_de_nghi_cham_dut_truoc_han",
        "hoso.qlsc_quyet_dinh_cham_dut_truoc_han",
        "nd116.m54",
    ]
    # The 2-year window of art. 256a runs from the actual end of management (the decision), not the term.
    window = dossier.deadlines("open")["penal_256a_window"]
    assert window["due_at_local"].startswith("2026-10-07T23:59:59")
    prs.at("2024-10-08T09:00:00+07:00")
    dossier.fire("nt_chair", "removed_from_list", {"removed_on": "2024-10-08"})
    assert dossier.state == "closed"
    # A use within those two years, from 01/07/2025, goes to the investigators.
    prs.at("2026-10-07T10:00:00+07:00")
    payload = {
        "penal_256a_window": "within_2y_after_post_rehab",
        "used_at": "2026-10-07T09:00:00+07:00",
        "investigation_body": "CQĐT",
    }
    no_change(
        dossier,
        "nt_police",
        "criminal_path_applies",
        {**payload, "penal_256a_window": "post_rehab_management"},
        GuardFailedError,
        "02 năm sau",
    )
    dossier.fire("nt_police", "criminal_path_applies", payload)
    assert dossier.state == "criminal_referral"


def test_early_termination_on_a_meritorious_act_and_its_rejection(prs: World) -> None:
    dossier = ninh_thuan(prs, compliance="poor")
    prs.at("2024-10-01T09:00:00+07:00")
    no_change(
        dossier,
        "nt_police",
        "early_termination_proposed",
        {**PROPOSAL, "proposed_on": "2024-10-01"},
        GuardFailedError,
        "chấp hành tốt",
    )
    dossier.fire(
        "nt_police",
        "early_termination_proposed",
        {
            "proposed_on": "2024-10-01",
            "policy": "ninh_thuan_2022",
            "ground": "meritorious_act",
            "merit_description": "Cứu người đuối nước",
        },
    )
    dossier.fire("nt_chair", "early_termination_rejected", {"decided_on": "2024-10-01", "reason": "Chưa đủ căn cứ"})
    assert dossier.state == "under_management"
    assert outbox_names(dossier, "document")[-1] == "hoso.qlsc_tra_loi_khong_cham_dut"


def test_early_termination_is_offered_only_where_and_while_a_provincial_policy_is_in_force(prs: World) -> None:
    # Hà Nội: no provincial policy.
    hanoi = managed(prs, NT)
    prs.at("2024-10-01T09:00:00+07:00")
    no_change(
        hanoi,
        "police",
        "early_termination_proposed",
        {**PROPOSAL, "proposed_on": "2024-10-01"},
        GuardFailedError,
        "không áp dụng tại xã",
    )
    # Ninh Thuận after the plan period (2021–2025).
    late = Version(**{**NT.__dict__, "at": "2025-03-03T09:00:00+07:00", "completed": "2024-03-01T10:00:00+07:00"})
    dossier = ninh_thuan(prs, late)
    prs.at("2026-01-05T09:00:00+07:00")
    no_change(
        dossier,
        "nt_police",
        "early_termination_proposed",
        {**PROPOSAL, "proposed_on": "2026-01-05"},
        GuardFailedError,
        "không có hiệu lực",
    )
    # A person who moved out of the province: the policy follows the commune of management.
    moved = ninh_thuan(prs)
    prs.at("2024-09-02T09:00:00+07:00")
    moved.fire("nt_police", "moved_residence", {"moved_on": "2024-09-02", "new_commune_code": "00004"})
    moved.fire("new_chair", "accepted", {"accepted_on": "2024-09-02", "decision_number": "1"})
    prs.at("2024-10-01T09:00:00+07:00")
    with pytest.raises(NotFoundError):
        moved.fire("nt_police", "early_termination_proposed", {**PROPOSAL, "proposed_on": "2024-10-01"})
    no_change(
        moved,
        "other_police",
        "early_termination_proposed",
        {**PROPOSAL, "proposed_on": "2024-10-01"},
        GuardFailedError,
        "không áp dụng tại xã",
    )


def test_2026_version_has_no_early_termination_but_electronic_monitoring(prs: World) -> None:
    dossier = managed(prs, V26)
    with pytest.raises(UnknownEventError):
        dossier.fire("police", "early_termination_proposed", {**PROPOSAL, "proposed_on": "2026-07-06"})
    dossier.fire(
        "police",
        "e_monitoring_ordered",
        {"ordered_on": "2026-07-06", "device": "Vòng đeo tay", "decision_number": "2/QĐ"},
    )
    assert dossier.view("chair")["facts"]["device"] == "Vòng đeo tay"
    assert outbox_names(dossier, "document")[-1] == "hoso.qlsc_giam_sat_dien_tu"
    old = managed(prs, V22)
    with pytest.raises(UnknownEventError):
        old.fire("police", "e_monitoring_ordered", {"ordered_on": "2024-03-11", "device": "x", "decision_number": "1"})


def test_steps_across_the_2025_reforms_keep_their_holders(prs: World) -> None:
    """No role of this procedure is abolished before 2026: the commune police and chairman act in every regime,
    and each step records the regime of its own date."""
    dossier = managed(prs, NT, chair="chair")
    prs.at("2025-02-28T09:00:00+07:00")
    dossier.fire("police", "test_negative", {"tested_at": "2025-02-28T08:00:00+07:00"})
    prs.at("2025-03-03T09:00:00+07:00")
    dossier.fire("police", "test_negative", {"tested_at": "2025-03-03T08:00:00+07:00"})
    prs.at("2025-07-01T09:00:00+07:00")
    dossier.fire(
        "chair",
        "temporary_absence_reported",
        {"reported_on": "2025-07-01", "absence_days": 3, "destination": "Huế", "authorised": False},
    )
    regimes = [entry["regime"] for entry in dossier.view("chair")["history"]]
    assert regimes == ["VN2021", "VN2021", "VN2021", "VN2021", "VN2025A", "VN2025B"]


# -- every transition: a table of paths to each open state, then the remaining transitions ---------------------


def to_state(world: World, v: Version, state: str) -> tuple[Dossier, str]:
    """A dossier of version ``v`` in ``state`` and an officer of the commune that holds it."""
    if state == "post_rehab_pending":
        return opened(world, v), "chair"
    if state == "awaiting_decision":
        dossier = opened(world, v)
        dossier.fire("chair", "facility_papers_received", papers(v))
        return dossier, "chair"
    if state in ("early_termination_review", "completed_early"):
        dossier = ninh_thuan(world)
        world.at("2024-10-01T09:00:00+07:00")
        dossier.fire("nt_police", "early_termination_proposed", {**PROPOSAL, "proposed_on": "2024-10-01"})
        if state == "completed_early":
            dossier.fire("nt_chair", "early_termination_decided", {"decided_on": "2024-10-01", "decision_number": "5"})
        return dossier, "nt_chair"
    if state == "relapse_confirmed_minor":
        dossier = managed(world, v, kind="minor_compulsory", date_of_birth=v.minor_born)
    else:
        dossier = managed(world, v)
    if state == "under_management":
        return dossier, "chair"
    if state in ("suspected_relapse", "awaiting_determination", "relapse_confirmed", "relapse_confirmed_minor"):
        relapse(dossier, v)
        if state != "suspected_relapse":
            request_determination(dossier, v)
        if state in ("relapse_confirmed", "relapse_confirmed_minor"):
            result(dossier, v, "addicted")
        return dossier, "chair"
    if state == "transferred_out":
        world.at(later(v.at, days=10))
        dossier.fire("chair", "moved_residence", {"moved_on": day(world), "new_commune_code": "00004"})
        return dossier, "new_chair"
    if state == "interrupted":
        world.at(later(v.at, days=10))
        dossier.fire("police", "imprisoned", {"started_on": day(world), "measure": "detention"})
        return dossier, "chair"
    assert state in ("completed", "closed")
    sweep_at(world, later(f"{v.term_ends}T08:00:00+07:00", days=1))
    if state == "closed":
        dossier.fire("chair", "removed_from_list", {"removed_on": day(world)})
    return dossier, "chair"


OPEN_STATES = {
    V22.code: [
        "post_rehab_pending",
        "awaiting_decision",
        "under_management",
        "suspected_relapse",
        "awaiting_determination",
        "relapse_confirmed",
        "relapse_confirmed_minor",
        "transferred_out",
        "early_termination_review",
        "interrupted",
        "completed",
        "completed_early",
        "closed",
    ],
    V26.code: [
        "post_rehab_pending",
        "awaiting_decision",
        "under_management",
        "suspected_relapse",
        "awaiting_determination",
        "relapse_confirmed",
        "relapse_confirmed_minor",
        "transferred_out",
        "interrupted",
        "completed",
        "closed",
    ],
}


def test_the_table_covers_every_open_state(rulebook: Any) -> None:
    for v in (V22, V26):
        definition = rulebook.pinned(PROCEDURE, v.code).definition
        assert sorted(OPEN_STATES[v.code]) == sorted(s for s, d in definition.states.items() if not d.final)


@pytest.mark.parametrize(
    ("v", "state"), [pytest.param(v, s, id=f"{v.code}-{s}") for v in (V22, V26) for s in OPEN_STATES[v.code]]
)
def test_death_closes_the_dossier_from_every_open_state(prs_sqlite: World, v: Version, state: str) -> None:
    dossier, who = to_state(prs_sqlite, v, state)
    assert dossier.state == state
    dossier.fire(who, "died", {"died_on": day(prs_sqlite)})
    assert dossier.state == "closed_death"
    assert dossier.open_tasks() == []
    assert all(d["status"] != "open" for d in dossier.deadlines().values())


@pytest.mark.parametrize("v", VERSIONS)
@pytest.mark.parametrize("state", ["transferred_out", "interrupted", "early_termination_review"])
def test_term_expires_in_every_state_where_it_runs(prs_sqlite: World, v: Version, state: str) -> None:
    if state not in OPEN_STATES[v.code]:
        pytest.skip("no such state in this version")
    dossier, who = to_state(prs_sqlite, v, state)
    term = next(d for d in dossier.deadlines().values() if d["rule_id"].startswith("term_"))
    if term["status"] == "paused":  # 2026: the term does not run in prison
        assert v is V26 and state == "interrupted"
        sweep_at(prs_sqlite, later(term["due_at"], days=400))
        assert dossier.state == "interrupted"
        return
    sweep_at(prs_sqlite, later(term["due_at"], minutes=10))
    assert dossier.state == "completed"
    assert dossier.open_tasks() == [("commune_chair", "completed")]
    assert dossier.view(who)["state"] == "completed"


@pytest.mark.parametrize("v", VERSIONS)
@pytest.mark.parametrize("state", ["completed", "completed_early"])
def test_penal_window_ends_even_if_the_list_was_not_updated(prs_sqlite: World, v: Version, state: str) -> None:
    if state not in OPEN_STATES[v.code]:
        pytest.skip("no such state in this version")
    dossier, who = to_state(prs_sqlite, v, state)
    if state == "completed_early":
        dossier.fire(who, "removed_from_list", {"removed_on": day(prs_sqlite)})
        assert dossier.state == "closed"
        dossier = to_state(prs_sqlite, v, state)[0]
    window = dossier.deadlines("open")["penal_256a_window"]
    sweep_at(prs_sqlite, later(window["due_at"], minutes=1))
    assert dossier.state == "archived"


@pytest.mark.parametrize("v", VERSIONS)
def test_relapse_dossier_time_limit_reminds_the_police(prs_sqlite: World, v: Version) -> None:
    dossier, _ = to_state(prs_sqlite, v, "relapse_confirmed")
    limit = dossier.deadlines("open")["relapse_dossier_time_limit"]
    sweep_at(prs_sqlite, later(limit["due_at"], minutes=1))
    assert dossier.state == "relapse_confirmed"
    assert dossier.deadlines()["relapse_dossier_time_limit"]["status"] == "expired"
    assert dossier.outbox()[-1]["payload"]["to_roles"] == ["commune_police"]
    dossier.fire("police", "compulsory_dossier_opened", {"opened_on": day(prs_sqlite)})
    assert dossier.state == "closed_relapse"


@pytest.mark.parametrize("v", VERSIONS)
def test_criminal_referral_during_management_and_after_closure(prs_sqlite: World, v: Version) -> None:
    after = Version(**{**v.__dict__, "use_at": max(v.use_at, "2025-07-07T09:00:00+07:00")})
    dossier, _ = to_state(prs_sqlite, after, "suspected_relapse")
    dossier.fire(
        "police", "criminal_path_applies", {"penal_256a_window": "post_rehab_management", "investigation_body": "CQĐT"}
    )
    assert dossier.state == "criminal_referral"
    closed, _ = to_state(prs_sqlite, v, "closed")
    window = closed.deadlines("open")["penal_256a_window"]
    prs_sqlite.at(later(window["due_at"], days=-1))
    used = later(window["due_at"], days=-1, hours=-1)
    closed.fire(
        "police",
        "criminal_path_applies",
        {"penal_256a_window": "within_2y_after_post_rehab", "used_at": used, "investigation_body": "CQĐT"},
    )
    assert closed.state == "criminal_referral"


def test_2026_adult_after_compulsory_rehab_has_two_years_and_use_detected_needs_the_check(prs: World) -> None:
    dossier = managed(prs, V26, kind="adult_compulsory")
    assert dossier.deadlines("open")["term_two_years"]["due_at_local"].startswith("2028-07-04T23:59:59")
    relapse(dossier, V26, "use_detected")
    prs.at(later(V26.use_at, hours=2))
    no_change(
        dossier,
        "police",
        "determination_requested",
        {"facility_unit": "YT-01-01", "request_number": "3"},
        GuardFailedError,
        "256a",
    )
    dossier.fire(
        "police", "criminal_path_applies", {"penal_256a_window": "post_rehab_management", "investigation_body": "CQĐT"}
    )
    assert dossier.state == "criminal_referral"
